/**
 * The analysis layer of @mechlens/core (TransformerLens's `ActivationCache` analysis methods and weight
 * processing): the residual stream accumulated and decomposed, per-head outputs, norms applied with cached
 * statistics, the logit lens, direct logit attribution, and `fold_ln`/centring/value-bias folding.
 *
 * @example
 * import { loadModel, analysisHookNames, decomposeResid, logitDiffDirections, directLogitAttribution } from '@mechlens/core';
 * const model = await loadModel('gpt2');
 * const ids = model.toTokens('The Eiffel Tower is in the city of');
 * const { logits, cache } = model.runWithCache(ids, { names: analysisHookNames(model.config) });
 * const { components, labels } = decomposeResid(model, cache, { pos: -1 });
 * const dirs = logitDiffDirections(model, [model.toSingleToken(' Paris')], [model.toSingleToken(' Rome')]);
 * const dla = directLogitAttribution(model, cache, components, dirs, { pos: -1 }); // [components, batch]
 */
export type { ApplyLnOptions } from './apply-ln.js';
export { applyLnToStack } from './apply-ln.js';
export type { AnalysisModel, PosSelector } from './common.js';
export { selectPos } from './common.js';
export type { DirectLogitAttributionOptions } from './dla.js';
export {
  directLogitAttribution,
  logitDiffDirections,
  logitDiffOffset,
  tokensToResidualDirections,
} from './dla.js';
export type { HeadResults, StackHeadResultsOptions } from './heads.js';
export { stackHeadResults } from './heads.js';
export { analysisHookNames } from './hook-names.js';
export type { LayerTopK, LogitLensOptions, LogitLensResult, LogitLensTopKOptions } from './logit-lens.js';
export { logitLens, logitLensTopK } from './logit-lens.js';
export type { ProcessedParams, ProcessWeightsOptions } from './process-weights.js';
export { processParams, processWeights } from './process-weights.js';
export type {
  AccumulatedResid,
  AccumulatedResidOptions,
  DecomposedResid,
  DecomposeResidOptions,
} from './residual.js';
export { accumulatedResid, decomposeResid } from './residual.js';
