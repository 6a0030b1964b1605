/**
 * @mechlens/patching — which components cause a behaviour: activation patching (ground truth, batched),
 * attribution patching (AtP, one backward pass), relevance patching (RelP: AtP with LRP rules) and
 * integrated gradients, with metrics, corruptions, arquero result tables and method comparisons.
 *
 * @example
 * import { patchingSweep, metrics, compareSweeps } from '@mechlens/patching';
 * const o = { clean, corrupt, metric: metrics.logitDiff(correctIds, wrongIds), component: 'attn_out' } as const;
 * const truth = patchingSweep(model, { ...o, method: 'activation' });
 * const relp = patchingSweep(model, { ...o, method: 'relevance' });
 * console.log(compareSweeps(truth, relp));
 */
export {
  type ActivationPatchingOptions,
  activationPatching,
  type PatchedValues,
  windowLayers,
} from './activation.js';
export {
  type AttributionOptions,
  attributionPatching,
  cellValue,
  type EstimatedValues,
} from './attribution.js';
export { compareSweeps, pearson, ranks, type SweepComparison, spearman, topKOverlap } from './compare.js';
export {
  type Cell,
  COMPONENT_TYPES,
  type ComponentType,
  checkComponent,
  componentHook,
  enumerateCells,
} from './components.js';
export { gaussianNoise, type NoiseCorruption, replaceTokens, swapTokens } from './corruption.js';
export { type IntegratedGradientsOptions, integratedGradients } from './integrated.js';
export {
  type AnswerOptions,
  type Baselines,
  klDivergence,
  logitDiff,
  logProb,
  type Metric,
  metrics,
  normalizedLogitDiff,
  probability,
} from './metrics.js';
export {
  defaultRules,
  identityRuleAct,
  type LrpRuleName,
  type LrpRules,
  lnRuleStats,
  parseRules,
  relevanceOps,
  stopGradient,
} from './relevance.js';
export {
  baselinesOf,
  cacheRun,
  type Direction,
  metricValue,
  type PairOptions,
  type PatchingPair,
  preparePair,
  type TokenRows,
} from './runs.js';
export {
  PATCHING_METHODS,
  type PatchingMethod,
  type PatchingRow,
  type PatchingSweepOptions,
  patchingSweep,
  sweepBaselines,
} from './sweep.js';
