/**
 * Shared pieces of the analysis layer: the minimal model view it reads, position selection (TransformerLens's
 * `pos_slice`), layer-index resolution and cache access with helpful errors.
 */
import { tf } from '../engine/tf.js';
import type { ActivationCache } from '../model/activation-cache.js';
import type { ModelConfig } from '../model/config.js';
import type { HookName } from '../model/hook-names.js';
import type { TensorParams } from '../model/params.js';

/**
 * What the analysis functions read from a model: its config and canonical parameters. A
 * {@link HookedTransformer} satisfies it.
 *
 * @example
 * const view: AnalysisModel = model; // any HookedTransformer
 */
export interface AnalysisModel {
  readonly config: ModelConfig;
  readonly params: TensorParams;
}

/**
 * Which positions to keep (TransformerLens's `pos_slice`): one index (negative counts from the end) drops
 * the position axis, a list of indices keeps it with those positions; unset keeps every position.
 *
 * @example
 * const last: PosSelector = -1;        // [.., batch, d]
 * const some: PosSelector = [0, 3, -1]; // [.., batch, 3, d]
 */
export type PosSelector = number | readonly number[];

function resolveIndex(i: number, n: number, what: string): number {
  if (!Number.isInteger(i)) throw new Error(`${what}: position ${i} is not an integer`);
  const j = i < 0 ? n + i : i;
  if (j < 0 || j >= n) throw new Error(`${what}: position ${i} is out of range for ${n} positions`);
  return j;
}

/**
 * Applies a position selector to axis `axis` of `t` (a new tensor; `t` is not disposed).
 *
 * @example
 * selectPos(resid, -1, 1); // [batch, pos, d] -> [batch, d]
 */
export function selectPos(t: tf.Tensor, pos: PosSelector | undefined, axis: number, what = 'pos'): tf.Tensor {
  const n = t.shape[axis] as number;
  if (pos === undefined) return tf.clone(t);
  if (typeof pos === 'number') {
    const j = resolveIndex(pos, n, what);
    const begin = t.shape.map((_, a) => (a === axis ? j : 0));
    const size = t.shape.map((s, a) => (a === axis ? 1 : s));
    return tf.squeeze(tf.slice(t, begin, size), [axis]);
  }
  const idx = pos.map((p) => resolveIndex(p, n, what));
  return tf.gather(t, tf.tensor1d(idx, 'int32'), axis);
}

/** Number of axes the selector leaves in place of the position axis (0 or 1). */
export function posAxes(pos: PosSelector | undefined): 0 | 1 {
  return typeof pos === 'number' ? 0 : 1;
}

/**
 * Resolves a "layer" argument the TransformerLens way: undefined or −1 mean `nLayers` (after the last block,
 * i.e. the final norm); otherwise an integer in [0, nLayers].
 */
export function resolveLayer(cfg: ModelConfig, layer: number | undefined, what: string): number {
  if (layer === undefined || layer === -1) return cfg.nLayers;
  if (!Number.isInteger(layer) || layer < 0 || layer > cfg.nLayers) {
    throw new Error(`${what}: layer must be an integer in [0, ${cfg.nLayers}] or -1, got ${layer}`);
  }
  return layer;
}

/** A cached activation with an error that says how to cache it. */
export function need(cache: ActivationCache, name: HookName, what: string): tf.Tensor {
  if (!cache.has(name)) {
    throw new Error(
      `${what} needs '${name}' in the cache; run model.runWithCache(ids) without a names filter, or with names: analysisHookNames(model.config)`,
    );
  }
  return cache.get(name);
}

/**
 * The residual stream entering block `layer` (`blocks.L.hook_resid_pre`), or after the last block for
 * `layer === nLayers` (`blocks.{n-1}.hook_resid_post`).
 */
export function residPreAt(cfg: ModelConfig, cache: ActivationCache, layer: number, what: string): tf.Tensor {
  if (layer === cfg.nLayers) return need(cache, `blocks.${cfg.nLayers - 1}.hook_resid_post`, what);
  return need(cache, `blocks.${layer}.hook_resid_pre`, what);
}

/** Throws unless `cfg` has a `hook_resid_mid` (sequential residual). */
export function requireResidMid(cfg: ModelConfig, what: string): void {
  if (cfg.parallelResidual) {
    throw new Error(
      `${what}: ${cfg.arch} uses a parallel residual (attention and MLP both read resid_pre), so there is no resid_mid`,
    );
  }
}

/** Stacks tensors along a new axis 0; an empty list gives a `[0, ...shape]` tensor. */
export function stackOrEmpty(ts: tf.Tensor[], shape: number[]): tf.Tensor {
  return ts.length ? tf.stack(ts, 0) : tf.zeros([0, ...shape]);
}
