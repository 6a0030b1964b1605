/**
 * @mechlens/core — the tensor engine, Hugging Face checkpoints and the hooked transformer.
 *
 * @example
 * import { initEngine, engineInfo, tf } from '@mechlens/core';
 * await initEngine();
 * console.log(engineInfo());
 * const y = tf.matMul(tf.ones([2, 3]), tf.ones([3, 4]));
 */

export * from './analysis/index.js';
export type { BackendKind, EngineInfo, EngineOptions } from './engine/index.js';
export {
  type AdamHyper,
  adamStep,
  engineInfo,
  hasKernel,
  initEngine,
  normalizeRows,
  projectRows,
  scatterRows,
  sparseDecode,
  sparseRowDot,
  tf,
} from './engine/index.js';
export * from './io/index.js';
export * from './model/index.js';
