/**
 * The hooked transformer of @mechlens/core: HF checkpoints of several architecture families mapped to one
 * canonical parameter set, one forward pass with TransformerLens hook points, activation caching, scoped
 * hooks (with position/head masks), gradients at hook points, a replaceable ops table, and KV-cached
 * generation.
 *
 * @example
 * import { loadModel, tf } from '@mechlens/core';
 * const model = await loadModel('gpt2');
 * const ids = model.toTokens('The Eiffel Tower is in');
 * const { logits, cache } = model.runWithCache(ids, { names: (n) => n.endsWith('hook_pattern') });
 * const out = await model.generate(ids, { maxNewTokens: 5, temperature: 0 });
 * console.log(model.toString(out[0]));
 */
export { ActivationCache } from './activation-cache.js';
export type { Adapter, WeightSource } from './adapters/index.js';
export { adapterFor, supportedModelTypes } from './adapters/index.js';
export type {
  ActName,
  Arch,
  BiasConfig,
  ModelConfig,
  ModelConfigInput,
  NormType,
  RopeScaling,
  RotaryConfig,
} from './config.js';
export { checkConfig, completeConfig } from './config.js';
export type { BlockHookSuffix, HookInfo, HookName, HookShapeKind } from './hook-names.js';
export { hookInfo, hookNamesFor, hookShape } from './hook-names.js';
export type {
  GenerateOptions,
  GenerateStep,
  GradOfHooksOptions,
  GradOfHooksResult,
  RunOptions,
  RunWithCacheOptions,
  RunWithCacheResult,
  TokensInput,
  ToTokensOptions,
} from './hooked-transformer.js';
export { HookedTransformer } from './hooked-transformer.js';
export type { Hook, HookContext, HookFn, NamesFilter } from './hooks.js';
export { KVCache } from './kv-cache.js';
export type { LoadModelOptions } from './load.js';
export { loadModel } from './load.js';
export type { DefaultOpsOptions, NormStats, OpsTable } from './ops.js';
export { causalMaskBias, compositeOps, defaultOps, resolveOps } from './ops.js';
export type { BlockParams, HostTensor, ModelParams, NormParams, TensorParams } from './params.js';
export { expectedShapes, paramEntries } from './params.js';
export type { RandomModelOptions } from './random.js';
export { createRandomModel } from './random.js';
export { rotaryInvFreq } from './rotary.js';
export type { SamplingOptions } from './sampling.js';
export { argmax, chooseToken, seededRandom } from './sampling.js';
export type { SaveModelOptions } from './save.js';
export { saveModel } from './save.js';
