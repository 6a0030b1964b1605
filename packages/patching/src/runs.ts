/**
 * What every patching method shares: the validated prompt pair, which run is patched into (target) and
 * which provides the activations (source), and the clean/corrupted metric baselines.
 */

import type { ActivationCache } from '@mechlens/core';
import { type Hook, type HookedTransformer, type HookName, type OpsTable, tf } from '@mechlens/core';
import type { Metric } from './metrics.js';

/**
 * Denoising patches clean activations into the corrupted run (is the component sufficient?); noising
 * patches corrupted activations into the clean run (is it necessary?).
 *
 * @example
 * const d: Direction = 'noising';
 */
export type Direction = 'denoising' | 'noising';

/** Token rows as given by a caller. */
export type TokenRows = readonly (readonly number[])[];

/**
 * A prepared patching problem.
 *
 * @example
 * const p = preparePair(model, { clean, corrupt, metric, direction: 'denoising' });
 */
export interface PatchingPair {
  model: HookedTransformer;
  /** The run patched into (corrupt when denoising). */
  target: number[][];
  /** The run activations come from (clean when denoising). */
  source: number[][];
  targetHooks: readonly Hook[];
  sourceHooks: readonly Hook[];
  metric: Metric;
  direction: Direction;
  ops?: Partial<OpsTable>;
  /** Prompts `B` and positions `T`. */
  B: number;
  T: number;
}

/**
 * Options shared by every method's entry point.
 *
 * @example
 * const o: PairOptions = { clean, corrupt, metric: metrics.logitDiff(c, w) };
 */
export interface PairOptions {
  clean: TokenRows;
  corrupt: TokenRows;
  metric: Metric;
  direction?: Direction;
  /**
   * Hooks that define the corruption on top of `corrupt` tokens (e.g. {@link gaussianNoise} on
   * `hook_embed`). They must act before block 0: patched runs resume from cached residual streams.
   */
  corruptHooks?: readonly Hook[];
  /** Ops-table replacements for every run (advanced; e.g. a linearised model in tests). */
  ops?: Partial<OpsTable>;
}

function rowsOf(what: string, rows: TokenRows): number[][] {
  if (!Array.isArray(rows) || rows.length === 0)
    throw new Error(`${what}: give at least one prompt (token id rows)`);
  const T = rows[0].length;
  if (T === 0) throw new Error(`${what}: prompts are empty`);
  return rows.map((r, i) => {
    if (r.length !== T) {
      throw new Error(
        `${what}: prompt ${i} has ${r.length} tokens but prompt 0 has ${T}; pad or group prompts by length`,
      );
    }
    return [...r];
  });
}

/**
 * Validates a clean/corrupted pair (equal shapes, hooks before block 0) and orients it by direction.
 *
 * @example
 * const pair = preparePair(model, { clean, corrupt, metric });
 */
export function preparePair(model: HookedTransformer, o: PairOptions): PatchingPair {
  const clean = rowsOf('clean', o.clean);
  const corrupt = rowsOf('corrupt', o.corrupt);
  if (clean.length !== corrupt.length || clean[0].length !== corrupt[0].length) {
    throw new Error(
      `clean is [${clean.length}, ${clean[0].length}] but corrupt is [${corrupt.length}, ${corrupt[0].length}]: ` +
        'patching needs equal shapes (a corruption must keep token counts, e.g. symmetric token replacement)',
    );
  }
  if (typeof o.metric !== 'function')
    throw new Error(
      'metric must be a function (logits) => tf.Scalar, e.g. metrics.logitDiff(correct, wrong)',
    );
  const direction = o.direction ?? 'denoising';
  if (direction !== 'denoising' && direction !== 'noising') {
    throw new Error(`unknown direction "${direction}"; use 'denoising' (clean into corrupt) or 'noising'`);
  }
  const corruptHooks = o.corruptHooks ?? [];
  for (const h of corruptHooks) {
    if (h.name !== 'hook_embed' && h.name !== 'hook_pos_embed') {
      throw new Error(
        `corruptHooks must act on hook_embed or hook_pos_embed (before block 0), got ${h.name}; patched runs resume from cached residual streams`,
      );
    }
  }
  const denoise = direction === 'denoising';
  return {
    model,
    target: denoise ? corrupt : clean,
    source: denoise ? clean : corrupt,
    targetHooks: denoise ? corruptHooks : [],
    sourceHooks: denoise ? [] : corruptHooks,
    metric: o.metric,
    direction,
    ops: o.ops,
    B: clean.length,
    T: clean[0].length,
  };
}

/**
 * Runs one side of the pair, returning its metric value and the requested activations (caller disposes).
 *
 * @example
 * const { value, cache } = cacheRun(pair, 'source', names);
 */
export function cacheRun(
  pair: PatchingPair,
  side: 'source' | 'target',
  names: readonly HookName[],
): { value: number; cache: ActivationCache } {
  const ids = side === 'source' ? pair.source : pair.target;
  const hooks = side === 'source' ? pair.sourceHooks : pair.targetHooks;
  const { logits, cache } = pair.model.runWithCache(ids, { names, hooks, ops: pair.ops });
  try {
    return { value: metricValue(pair.metric, logits), cache };
  } finally {
    logits.dispose();
  }
}

/**
 * Evaluates a metric on logits to a number (checking it is a finite scalar).
 *
 * @example
 * const v = metricValue(metrics.logitDiff(c, w), logits);
 */
export function metricValue(metric: Metric, logits: tf.Tensor3D): number {
  const v = tf.tidy(() => metric(logits));
  try {
    if (v.size !== 1) throw new Error(`the metric must return a scalar, got shape [${v.shape}]`);
    return v.dataSync()[0];
  } finally {
    v.dispose();
  }
}

/**
 * `(clean, corrupt)` metric values from the source and target values of a pair.
 *
 * @example
 * const { clean, corrupt } = baselinesOf(pair, srcValue, tgtValue);
 */
export function baselinesOf(
  pair: PatchingPair,
  source: number,
  target: number,
): { clean: number; corrupt: number } {
  return pair.direction === 'denoising'
    ? { clean: source, corrupt: target }
    : { clean: target, corrupt: source };
}
