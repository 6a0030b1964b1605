/**
 * `patchingSweep`: one call for every method and component type, returning an arquero table with one
 * row per component.
 */
import type { HookedTransformer } from '@mechlens/core';
import { type ColumnTable, table } from 'arquero';
import { activationPatching } from './activation.js';
import { attributionPatching } from './attribution.js';
import { type Cell, type ComponentType, checkComponent, enumerateCells } from './components.js';
import { integratedGradients } from './integrated.js';
import { defaultRules, type LrpRuleName, type LrpRules, relevanceOps } from './relevance.js';
import { baselinesOf, type PairOptions, preparePair } from './runs.js';

/**
 * How a cell's effect is obtained: by patching it (`activation`, ground truth, one forward per patch,
 * batched), by AtP's first-order estimate (`attribution`), by RelP (`relevance`, LRP rules in the
 * backward pass) or by integrated gradients along the activation path (`integrated`, a baseline).
 *
 * @example
 * const m: PatchingMethod = 'relevance';
 */
export type PatchingMethod = 'activation' | 'attribution' | 'relevance' | 'integrated';

/**
 * All methods.
 *
 * @example
 * PATCHING_METHODS.length; // 4
 */
export const PATCHING_METHODS: readonly PatchingMethod[] = [
  'activation',
  'attribution',
  'relevance',
  'integrated',
];

/**
 * Options of {@link patchingSweep}.
 *
 * @example
 * const o: PatchingSweepOptions = {
 *   clean, corrupt, metric: metrics.logitDiff(correct, wrong), component: 'head', method: 'activation',
 * };
 */
export interface PatchingSweepOptions extends PairOptions {
  component: ComponentType;
  method: PatchingMethod;
  /**
   * LRP rules for `relevance`: an object of toggles or a list of rule names such as
   * `['LN-rule', 'Identity-rule', 'Half-rule']` (default {@link defaultRules} of the model).
   */
  rules?: LrpRules | readonly LrpRuleName[];
  /** Patches per forward pass for `activation` (default: sized to the model and batch). */
  batchSize?: number;
  /** One row per position (default true, except heads: one row per head over all positions). */
  perPosition?: boolean;
  /** Sliding window of layers patched together (`activation` only; default 1, the recommended value). */
  window?: number;
  /**
   * Report `(M_patched − M_target) / (M_clean − M_corrupt)` as `score` (default true): denoising scores
   * run from 0 (no recovery) to 1 (full), noising from 0 (no effect) to −1 (fully broken). The raw
   * change is always in `delta`.
   */
  normalize?: boolean;
  /** Path points for `integrated` (default 16). */
  steps?: number;
  /** Name written in the `metric` column (default: the metric function's name, or 'metric'). */
  metricName?: string;
  /** Progress bar on stderr for activation sweeps (default false). */
  progress?: boolean;
}

/**
 * One row of a sweep's table.
 *
 * @example
 * const rows = sweep.objects() as PatchingRow[];
 */
export interface PatchingRow {
  component: ComponentType;
  layer: number;
  /** Position, or null when the row covers every position. */
  pos: number | null;
  /** Head, or null for non-head components. */
  head: number | null;
  /** Normalised effect (see {@link PatchingSweepOptions.normalize}). */
  score: number;
  /** Raw `M_patched − M_target` (estimated for attribution, relevance and integrated). */
  delta: number;
  method: PatchingMethod;
  direction: 'denoising' | 'noising';
  metric: string;
}

/**
 * Patching sweep over every layer (× position or head) of one component type, by one method. Clean and
 * corrupted prompts are token rows of equal shape; `metric` maps logits to a scalar. Returns an arquero
 * table with columns `component, layer, pos, head, score, delta, method, direction, metric`; the clean
 * and corrupted metric values it normalised by are returned by {@link sweepBaselines}.
 *
 * @example
 * import { patchingSweep, metrics } from '@mechlens/patching';
 * const t = patchingSweep(model, {
 *   clean, corrupt, metric: metrics.logitDiff(correctIds, wrongIds), component: 'resid_pre', method: 'activation',
 * });
 * t.orderby(aq.desc('score')).print();
 */
export function patchingSweep(model: HookedTransformer, o: PatchingSweepOptions): ColumnTable {
  checkComponent(o.component);
  if (!PATCHING_METHODS.includes(o.method)) {
    throw new Error(`unknown method "${o.method}"; use one of ${PATCHING_METHODS.join(', ')}`);
  }
  if (o.window !== undefined && o.window !== 1 && o.method !== 'activation') {
    throw new Error(`window applies to activation patching only (got method "${o.method}")`);
  }
  if (o.rules !== undefined && o.method !== 'relevance') {
    throw new Error(`rules apply to method 'relevance' only (got method "${o.method}")`);
  }
  const pair = preparePair(model, o);
  const perPosition = o.perPosition ?? o.component !== 'head';
  const cells: Cell[] = enumerateCells(model.cfg, o.component, pair.T, perPosition);
  const type = o.component;
  let source: number;
  let target: number;
  let deltas: Float64Array;
  if (o.method === 'activation') {
    const r = activationPatching(pair, {
      type,
      cells,
      window: o.window,
      batchSize: o.batchSize,
      progress: o.progress,
    });
    source = r.source;
    target = r.target;
    deltas = r.patched.map((v) => v - r.target);
  } else if (o.method === 'integrated') {
    const r = integratedGradients(pair, { type, cells, steps: o.steps });
    ({ source, target } = r);
    deltas = r.estimates;
  } else {
    const backwardOps =
      o.method === 'relevance' ? relevanceOps(model.cfg, o.rules ?? defaultRules(model.cfg)) : undefined;
    const r = attributionPatching(pair, { type, cells, backwardOps });
    ({ source, target } = r);
    deltas = r.estimates;
  }
  const { clean, corrupt } = baselinesOf(pair, source, target);
  const normalize = o.normalize ?? true;
  const span = clean - corrupt;
  if (normalize && !(Math.abs(span) > 1e-8)) {
    throw new Error(
      `the metric is ${clean} on clean and ${corrupt} on corrupted prompts, so scores cannot be normalised; ` +
        'check the corruption changes the behaviour, or pass normalize: false',
    );
  }
  const metricName = o.metricName ?? (o.metric.name || 'metric');
  const t = table({
    component: cells.map(() => type),
    layer: cells.map((c) => c.layer),
    pos: cells.map((c) => c.pos),
    head: cells.map((c) => c.head),
    score: Array.from(deltas, (d) => (normalize ? d / span : d)),
    delta: Array.from(deltas),
    method: cells.map(() => o.method),
    direction: cells.map(() => pair.direction),
    metric: cells.map(() => metricName),
  });
  BASELINES.set(t, { clean, corrupt });
  return t;
}

const BASELINES = new WeakMap<ColumnTable, { clean: number; corrupt: number }>();

/**
 * The clean and corrupted metric values a sweep normalised by (as measured in that sweep's runs).
 *
 * @example
 * const { clean, corrupt } = sweepBaselines(t)!;
 */
export function sweepBaselines(t: ColumnTable): { clean: number; corrupt: number } | undefined {
  return BASELINES.get(t);
}
