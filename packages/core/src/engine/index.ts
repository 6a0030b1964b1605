export type { BackendKind, EngineInfo, EngineOptions } from './engine.js';
export { engineInfo, hasKernel, initEngine } from './engine.js';
export { type AdamHyper, adamStep, normalizeRows, projectRows } from './optim-ops.js';
export { scatterRows, sparseDecode, sparseRowDot } from './sparse-code.js';
export { tf } from './tf.js';
