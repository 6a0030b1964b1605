/**
 * @mechlens/sae — sparse autoencoders: TopK, gradient-aware TopK (g-SAE), top-AFA and ReLU-L1, trained on
 * activations streamed from a mechlens model, evaluated (FVU, L0, dead latents, spliced CE/KL), and
 * saved as SAELens folders.
 *
 * @example
 * import { loadModel } from '@mechlens/core';
 * import { DEMO_MODEL_DIR } from '@mechlens/demo';
 * import { ActivationStore, DEMO_CORPUS, contextStream, saeConfig, trainSae } from '@mechlens/sae';
 * const model = await loadModel(DEMO_MODEL_DIR);
 * const hook = 'blocks.2.hook_resid_pre';
 * const store = new ActivationStore({ model, hooks: [hook], contexts: contextStream(model, DEMO_CORPUS, 128), contextSize: 128, batchSize: 1024 });
 * const cfg = saeConfig({ architecture: 'topk', dIn: 128, dSae: 2048, k: 32, metadata: { hookName: hook } });
 * const { sae, last } = await trainSae({ cfg, store, tokens: 200_000 });
 * console.log(last?.fvu);
 */
export { gsaeArchitecture, gsaeScores } from './architectures/gsae.js';
export { architecture, architectures } from './architectures/registry.js';
export { reluArchitecture } from './architectures/relu.js';
export { afaCapped, afaCounts, topafaArchitecture } from './architectures/topafa.js';
export { gatherRows, selectTopK, topkArchitecture } from './architectures/topk.js';
export type { Architecture, Code, SelectInput } from './architectures/types.js';
export {
  ARCHITECTURES,
  type ArchitectureName,
  checkSaeConfig,
  type GradNormalization,
  type InputNormalization,
  type SaeConfig,
  type SaeConfigInput,
  type SaeMetadata,
  saeConfig,
} from './config.js';
export { contextStream } from './data/context-stream.js';
export { type PackTokensOptions, packTokens } from './data/contexts.js';
export { DEMO_CORPUS, type DocumentOptions, documentStream, parquetDocuments } from './data/documents.js';
export {
  type ActivationBatch,
  type ActivationSource,
  ActivationStore,
  type ActivationStoreOptions,
  nextTokenLogProbs,
  permutation,
  type StorePosition,
  summedNextTokenLoss,
} from './data/store.js';
export { type EvaluateSaeOptions, evaluateSae, type SaeEvalReport } from './eval/evaluate.js';
export {
  runWithSaes,
  SAE_HOOKS,
  type SaeHookFn,
  type SaeHookSuffix,
  type SpliceOptions,
  saeHook,
} from './eval/splice.js';
export {
  type LoadSparsityOptions,
  loadSae,
  loadSparsifySaes,
  loadSparsity,
  type SaveSaeOptions,
  saveSae,
  saveSparsifySae,
  sparsifyHookName,
} from './formats/index.js';
export {
  denseCode,
  type Encoded,
  type EncodeOptions,
  layerNormStats,
  type NormStats,
  Sae,
  type SaeOutput,
  type SaeParams,
} from './sae.js';
export { Adam, type AdamOptions } from './training/adam.js';
export { type CheckpointState, readCheckpoint, writeCheckpoint } from './training/checkpoint.js';
export { DeadTracker } from './training/dead.js';
export {
  type ParamGrads,
  type StepGradientOptions,
  type StepResult,
  stepGradients,
} from './training/gradients.js';
export { geometricMedian } from './training/init.js';
export { defaultLearningRate, learningRateAt, type ScheduleOptions } from './training/schedule.js';
export {
  type StepMetrics,
  TrainingDivergedError,
  type TrainSaeOptions,
  type TrainSaeResult,
  trainSae,
} from './training/trainer.js';
