/**
 * Per-head attention outputs (TransformerLens's `stack_head_results`), computed from the cached `hook_z`
 * and `W_O`, so the opt-in `attn.hook_result` need not be cached.
 */
import { tf } from '../engine/tf.js';
import type { ActivationCache } from '../model/activation-cache.js';
import { applyLnToStack } from './apply-ln.js';
import {
  type AnalysisModel,
  need,
  type PosSelector,
  posAxes,
  residPreAt,
  resolveLayer,
  selectPos,
  stackOrEmpty,
} from './common.js';

/** Options of {@link stackHeadResults}. */
export interface StackHeadResultsOptions {
  /** Heads of blocks `0..layer−1`; `nLayers`, −1 or unset = every block. Also the norm used by `applyLn`. */
  layer?: number;
  pos?: PosSelector;
  /** Add each block's attention output bias `b_O` as its own component `L{l}_b_O` (blocks that have one). */
  inclBias?: boolean;
  /**
   * Add a `remainder` component: the residual stream entering `layer` minus every other component, so that
   * the stack sums to that stream.
   */
  inclRemainder?: boolean;
  /** Normalize with the statistics of the norm at `layer` (see {@link applyLnToStack}). */
  applyLn?: boolean;
}

/** Per-head outputs with labels. */
export interface HeadResults {
  /** `[layers·heads (+ extras), batch, pos, d_model]`, or `[.., batch, d_model]` for a single `pos`. */
  results: tf.Tensor;
  /** `'L0H0'`, `'L0H1'`, ..., then `'L0_b_O'` per block with `inclBias`, `'remainder'` last. */
  labels: string[];
}

/**
 * What each attention head wrote into the residual stream: `result[l,h] = z[l][..., h, :] · W_O[l][h]`
 * (`[batch, pos, d_model]` each), layer-major then head. Per block, the heads plus `b_O` sum to
 * `blocks.L.hook_attn_out`.
 *
 * Needs `blocks.L.attn.hook_z` (and `hook_resid_pre`/`hook_resid_post` for `inclRemainder`, the norm's
 * `hook_scale` for `applyLn`). The caller owns the returned tensor.
 *
 * @example
 * const { results, labels } = stackHeadResults(model, cache, { pos: -1, applyLn: true });
 * // results: [nLayers·nHeads, batch, d_model]; labels[5] === 'L1H1' for 4 heads
 * const dla = directLogitAttribution(model, cache, results, dirs, { pos: -1, applyLn: false });
 */
export function stackHeadResults(
  model: AnalysisModel,
  cache: ActivationCache,
  opts: StackHeadResultsOptions = {},
): HeadResults {
  const { config: cfg, params } = model;
  const what = 'stackHeadResults';
  const layer = resolveLayer(cfg, opts.layer, what);
  const { nHeads: H, dHead: dh, dModel: d } = cfg;
  const zs = Array.from({ length: layer }, (_, l) => need(cache, `blocks.${l}.attn.hook_z`, what));
  const ref = zs[0] ?? residPreAt(cfg, cache, 0, what);
  const [B, T] = ref.shape as number[];
  const nPos = typeof opts.pos === 'object' ? opts.pos.length : T;
  const rowShape = posAxes(opts.pos) ? [B, nPos, d] : [B, d];
  const labels: string[] = [];
  for (let l = 0; l < layer; l++) for (let h = 0; h < H; h++) labels.push(`L${l}H${h}`);
  const biasLayers = opts.inclBias
    ? Array.from({ length: layer }, (_, l) => l).filter((l) => params.blocks[l].b_O)
    : [];
  for (const l of biasLayers) labels.push(`L${l}_b_O`);
  const remainderSource = opts.inclRemainder ? residPreAt(cfg, cache, layer, what) : null;
  if (remainderSource) labels.push('remainder');

  const results = tf.tidy(() => {
    const parts: tf.Tensor[] = [];
    zs.forEach((zFull, l) => {
      const z = selectPos(zFull, opts.pos, 1, what); // [B, (T'), H, dh]
      const rows = z.size / (H * dh);
      // [H, rows, dh] x [H, dh, d] -> [H, rows, d]
      const byHead = tf.transpose(tf.reshape(z, [rows, H, dh]), [1, 0, 2]);
      const perHead = tf.matMul(byHead, tf.reshape(params.blocks[l].W_O, [H, dh, d]));
      parts.push(tf.reshape(perHead, [H, ...rowShape]));
    });
    for (const l of biasLayers) {
      parts.push(tf.reshape(tf.broadcastTo(params.blocks[l].b_O as tf.Tensor, rowShape), [1, ...rowShape]));
    }
    let stack = parts.length ? tf.concat(parts, 0) : stackOrEmpty([], rowShape);
    if (remainderSource) {
      const target = selectPos(remainderSource, opts.pos, 1, what);
      stack = tf.concat([stack, tf.expandDims(tf.sub(target, tf.sum(stack, 0)), 0)], 0);
    }
    if (!opts.applyLn) return stack;
    return applyLnToStack(model, cache, stack, { layer, pos: opts.pos });
  });
  return { results, labels };
}
