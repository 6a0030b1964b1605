/**
 * The logit lens: decode the residual stream after every block with the final norm and the unembedding, as
 * if the model stopped there (nostalgebraist 2020; TransformerLens's accumulated-resid + apply_ln recipe).
 */
import { tf } from '../engine/tf.js';
import type { ActivationCache } from '../model/activation-cache.js';
import { defaultOps } from '../model/ops.js';
import { applyLnToStack } from './apply-ln.js';
import {
  type AnalysisModel,
  need,
  type PosSelector,
  requireResidMid,
  residPreAt,
  selectPos,
} from './common.js';

/** Options of {@link logitLens}. */
export interface LogitLensOptions {
  /**
   * Which residual streams: `l` = the stream entering block l (0 = the embeddings), `nLayers` (or −1) = the
   * final stream. Default: all of `0..nLayers`.
   */
  layers?: readonly number[];
  /** Also decode `resid_mid` of every selected block (sequential-residual models only). */
  inclMid?: boolean;
  pos?: PosSelector;
  /**
   * How the final norm is applied to an intermediate stream:
   * - `'cached'` (default): with the statistics of the final stream — centre (LayerNorm), divide by the
   *   cached `ln_final.hook_scale`, then `w`, `b` — the TransformerLens convention; linear in the stream, so
   *   it agrees with {@link directLogitAttribution}, but intermediate streams with a different norm come out
   *   too hot or too cold.
   * - `'recompute'`: each stream gets its own norm statistics, i.e. the full `ln_final` (the original logit
   *   lens: every layer's prediction is a proper readout).
   *
   * Both give the model's own logits for the final stream.
   */
  norm?: 'cached' | 'recompute';
  /** `'logits'` (default) or `'logProbs'` (log-softmax over the vocabulary). */
  output?: 'logits' | 'logProbs';
}

/** Decoded residual streams. */
export interface LogitLensResult {
  /** `[streams, batch, pos, vocab]`, or `[streams, batch, vocab]` for a single `pos`. */
  values: tf.Tensor;
  /** `'0_pre'`, (`'0_mid'`), `'1_pre'`, ..., `'final_post'`, one per stream. */
  labels: string[];
  /** What `values` holds. */
  output: 'logits' | 'logProbs';
}

/**
 * Logits (or log-probs) read off the residual stream at every selected depth.
 *
 * Needs `blocks.L.hook_resid_pre`, `blocks.{n-1}.hook_resid_post`, `hook_resid_mid` with `inclMid`, and
 * `ln_final.hook_scale` for `norm: 'cached'`. The caller owns `values`.
 *
 * @example
 * const { cache, logits } = model.runWithCache(ids);
 * const lens = logitLens(model, cache, { pos: -1, output: 'logProbs' }); // [nLayers + 1, batch, vocab]
 * const top = logitLensTopK(lens, { k: 5, batch: 0, decode: (id) => model.toString([id]) });
 * lens.values.dispose();
 */
export function logitLens(
  model: AnalysisModel,
  cache: ActivationCache,
  opts: LogitLensOptions = {},
): LogitLensResult {
  const { config: cfg, params } = model;
  const what = 'logitLens';
  const layers = (opts.layers ?? Array.from({ length: cfg.nLayers + 1 }, (_, l) => l)).map((l) => {
    const j = l === -1 ? cfg.nLayers : l;
    if (!Number.isInteger(j) || j < 0 || j > cfg.nLayers) {
      throw new Error(`${what}: layer ${l} is outside [0, ${cfg.nLayers}] (or -1 for the final stream)`);
    }
    return j;
  });
  if (opts.inclMid) requireResidMid(cfg, what);
  const parts: tf.Tensor[] = [];
  const labels: string[] = [];
  for (const l of layers) {
    parts.push(residPreAt(cfg, cache, l, what));
    labels.push(l === cfg.nLayers ? 'final_post' : `${l}_pre`);
    if (opts.inclMid && l < cfg.nLayers) {
      parts.push(need(cache, `blocks.${l}.hook_resid_mid`, what));
      labels.push(`${l}_mid`);
    }
  }
  const norm = opts.norm ?? 'cached';
  if (norm !== 'cached' && norm !== 'recompute')
    throw new Error(`${what}: norm must be 'cached' or 'recompute'`);
  const output = opts.output ?? 'logits';
  if (output !== 'logits' && output !== 'logProbs')
    throw new Error(`${what}: output must be 'logits' or 'logProbs'`);
  const values = tf.tidy(() => {
    const stack = tf.stack(parts.map((p) => selectPos(p, opts.pos, 1, what)));
    const { w, b } = params.lnFinal;
    let x: tf.Tensor;
    if (norm === 'cached') {
      x = applyLnToStack(model, cache, stack, { pos: opts.pos, weight: true });
      if (b) x = tf.add(x, b);
    } else {
      const ops = defaultOps();
      x = cfg.normType === 'layernorm' ? ops.layerNorm(stack, w, b, cfg.eps) : ops.rmsNorm(stack, w, cfg.eps);
    }
    const lead = x.shape.slice(0, -1);
    let logits = tf.matMul(tf.reshape(x, [-1, cfg.dModel]), params.W_U);
    if (params.b_U) logits = tf.add(logits, params.b_U);
    logits = tf.reshape(logits, [...lead, cfg.dVocab]);
    return output === 'logProbs' ? tf.logSoftmax(logits) : logits;
  });
  return { values, labels, output };
}

/** The top tokens of one decoded stream (plain arrays, for visualizations). */
export interface LayerTopK {
  /** The stream's label (`'3_pre'`, `'final_post'`, ...). */
  label: string;
  /** Token ids, best first. */
  ids: number[];
  /** Their logits / log-probs. */
  values: number[];
  /** Their text, when a `decode` function was given. */
  tokens?: string[];
  /** The `target` token's value and rank (0 = top) in this stream, when a target was given. */
  target?: { id: number; value: number; rank: number };
}

/** Options of {@link logitLensTopK}. */
export interface LogitLensTopKOptions {
  /** How many tokens per stream (default 5). */
  k?: number;
  /** Which sequence (default 0). */
  batch?: number;
  /** Which position of a lens that kept positions (default −1, the last); must be unset for a single-pos lens. */
  pos?: number;
  /** Also report this token's value and rank per stream. */
  target?: number;
  /** Token id → text (e.g. `(id) => model.toString([id])`). */
  decode?: (id: number) => string;
}

/**
 * The k best tokens at one (sequence, position) for every stream of a {@link logitLens} result.
 *
 * @example
 * const lens = logitLens(model, cache, { pos: -1 });
 * for (const row of logitLensTopK(lens, { k: 3, target: parisId })) console.log(row.label, row.ids, row.target?.rank);
 * lens.values.dispose();
 */
export function logitLensTopK(lens: LogitLensResult, opts: LogitLensTopKOptions = {}): LayerTopK[] {
  const v = lens.values;
  const hasPos = v.rank === 4;
  if (v.rank !== 3 && v.rank !== 4)
    throw new Error(`logitLensTopK: expected a [streams, batch, (pos), vocab] lens, got [${v.shape}]`);
  if (!hasPos && opts.pos !== undefined)
    throw new Error('logitLensTopK: this lens has a single position; leave pos unset');
  const [S, B] = v.shape as number[];
  const V = v.shape[v.rank - 1] as number;
  const k = Math.min(opts.k ?? 5, V);
  const b = opts.batch ?? 0;
  if (!Number.isInteger(b) || b < 0 || b >= B)
    throw new Error(`logitLensTopK: batch ${b} is outside [0, ${B})`);
  const rows = tf.tidy(() => {
    const seq = tf.squeeze(tf.slice(v, [0, b], [S, 1]), [1]); // [S, (T), V]
    return hasPos ? selectPos(seq, opts.pos ?? -1, 1, 'logitLensTopK') : seq; // [S, V]
  });
  const data = rows.dataSync() as Float32Array;
  rows.dispose();
  const target = opts.target;
  if (target !== undefined && (!Number.isInteger(target) || target < 0 || target >= V)) {
    throw new Error(`logitLensTopK: target ${target} is outside [0, ${V})`);
  }
  return lens.labels.map((label, s) => {
    const row = data.subarray(s * V, (s + 1) * V);
    const ids = topIndices(row, k);
    const out: LayerTopK = { label, ids, values: ids.map((i) => row[i]) };
    if (opts.decode) out.tokens = ids.map(opts.decode);
    if (target !== undefined) {
      const value = row[target];
      let rank = 0;
      for (let i = 0; i < V; i++) if (row[i] > value || (row[i] === value && i < target)) rank++;
      out.target = { id: target, value, rank };
    }
    return out;
  });
}

/** Indices of the k largest entries, best first (ties: lower index first; NaN ranks last). */
function topIndices(row: Float32Array, k: number): number[] {
  const key = (i: number) => (Number.isNaN(row[i]) ? Number.NEGATIVE_INFINITY : row[i]);
  const idx = Array.from({ length: row.length }, (_, i) => i);
  idx.sort((a, b) => (key(a) === key(b) ? a - b : key(b) > key(a) ? 1 : -1));
  return idx.slice(0, k);
}
