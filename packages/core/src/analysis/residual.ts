/**
 * The residual stream as a stack: accumulated (the stream after each block) and decomposed (the sum of what
 * every component wrote into it), after TransformerLens's `accumulated_resid` / `decompose_resid`.
 */
import { tf } from '../engine/tf.js';
import type { ActivationCache } from '../model/activation-cache.js';
import { applyLnToStack } from './apply-ln.js';
import {
  type AnalysisModel,
  need,
  type PosSelector,
  posAxes,
  requireResidMid,
  residPreAt,
  resolveLayer,
  selectPos,
  stackOrEmpty,
} from './common.js';

/** A stack of residual-stream-shaped tensors `[components, batch, (pos), d_model]` with one label each. */
export interface AccumulatedResid {
  /** `[components, batch, pos, d_model]`, or `[components, batch, d_model]` for a single `pos`. */
  resid: tf.Tensor;
  /** `'0_pre'`, `'0_mid'`, `'1_pre'`, ..., `'final_post'`. */
  labels: string[];
}

/** Options of {@link accumulatedResid}. */
export interface AccumulatedResidOptions {
  /**
   * Stop at the residual stream entering block `layer` (included); `nLayers`, −1 or unset = up to the
   * final residual (`final_post`).
   */
  layer?: number;
  /** Include `resid_mid` between the blocks (sequential-residual models only). */
  inclMid?: boolean;
  /** End at the MLP input of block `layer` (adds its `resid_mid`; normalizes with its `ln2` statistics). */
  mlpInput?: boolean;
  /** Normalize every entry with the statistics of the norm at `layer` (see {@link applyLnToStack}). */
  applyLn?: boolean;
  pos?: PosSelector;
}

/**
 * The residual stream as it accumulates: entry `l_pre` is the stream entering block l (`0_pre` = embeddings
 * incl. positions), `l_mid` the stream between its attention and MLP (`inclMid`), `final_post` the stream
 * after the last block. With `applyLn`, every entry is normalized with the statistics of the norm at
 * `layer` (the final norm by default): the logit-lens convention of TransformerLens.
 *
 * Needs `blocks.L.hook_resid_pre` (and `hook_resid_mid`, `blocks.{n-1}.hook_resid_post`, the norm's
 * `hook_scale` as used). The caller owns the returned tensor.
 *
 * @example
 * const { cache, logits } = model.runWithCache(ids);
 * const { resid, labels } = accumulatedResid(model, cache, { pos: -1, applyLn: true });
 * // labels: ['0_pre', '1_pre', ..., 'final_post']; resid: [nLayers + 1, batch, d_model]
 * resid.dispose();
 */
export function accumulatedResid(
  model: AnalysisModel,
  cache: ActivationCache,
  opts: AccumulatedResidOptions = {},
): AccumulatedResid {
  const cfg = model.config;
  const what = 'accumulatedResid';
  const layer = resolveLayer(cfg, opts.layer, what);
  const mlpInput = opts.mlpInput === true;
  if (mlpInput && layer === cfg.nLayers) throw new Error(`${what}: mlpInput needs layer < nLayers`);
  if (opts.inclMid) requireResidMid(cfg, what);
  const parts: tf.Tensor[] = [];
  const labels: string[] = [];
  for (let l = 0; l <= layer; l++) {
    parts.push(residPreAt(cfg, cache, l, what));
    labels.push(l === cfg.nLayers ? 'final_post' : `${l}_pre`);
    const mid = (opts.inclMid && l < layer) || (mlpInput && l === layer && !cfg.parallelResidual);
    if (mid) {
      parts.push(need(cache, `blocks.${l}.hook_resid_mid`, what));
      labels.push(`${l}_mid`);
    }
  }
  const resid = tf.tidy(() => {
    const stacked = tf.stack(parts.map((p) => selectPos(p, opts.pos, 1, what)));
    if (!opts.applyLn) return stacked;
    return applyLnToStack(model, cache, stacked, { layer, mlpInput, pos: opts.pos });
  });
  return { resid, labels };
}

/** A stack of components that sum to a residual stream. */
export interface DecomposedResid {
  /** `[components, batch, pos, d_model]`, or `[components, batch, d_model]` for a single `pos`. */
  components: tf.Tensor;
  /** `'embed'`, `'pos_embed'`, `'0_attn_out'`, `'0_mlp_out'`, ... */
  labels: string[];
}

/** Options of {@link decomposeResid}. */
export interface DecomposeResidOptions {
  /** Decompose the stream entering block `layer`; `nLayers`, −1 or unset = the final residual stream. */
  layer?: number;
  /** Decompose the MLP input of block `layer` instead (adds that block's `attn_out`, sequential models). */
  mlpInput?: boolean;
  /** `'all'` (default; the components sum to the stream), or only attention / only MLP outputs. */
  mode?: 'all' | 'mlp' | 'attn';
  /** Include `embed` and `pos_embed` (default true). */
  inclEmbeds?: boolean;
  /** Normalize every component with the statistics of the norm at `layer` (see {@link applyLnToStack}). */
  applyLn?: boolean;
  pos?: PosSelector;
}

/**
 * The residual stream entering block `layer` (default: the final stream) split into what each component
 * wrote: `embed`, `pos_embed` (learned positions only), then `L_attn_out` and `L_mlp_out` of every earlier
 * block. With `mode: 'all'` and the embeddings included, the components sum exactly (up to float32 rounding)
 * to `blocks.{layer}.hook_resid_pre` (`hook_resid_post` of the last block for the final stream; with
 * `mlpInput`, to `hook_resid_mid`, or to `resid_pre` on parallel-residual models where the MLP reads it).
 *
 * Needs `hook_embed`, `hook_pos_embed` (learned positions), `blocks.L.hook_attn_out`/`hook_mlp_out`.
 *
 * @example
 * const { components, labels } = decomposeResid(model, cache, { pos: -1 });
 * // labels: ['embed', 'pos_embed', '0_attn_out', '0_mlp_out', '1_attn_out', '1_mlp_out']
 * const total = components.sum(0); // == final residual at the last position
 */
export function decomposeResid(
  model: AnalysisModel,
  cache: ActivationCache,
  opts: DecomposeResidOptions = {},
): DecomposedResid {
  const cfg = model.config;
  const what = 'decomposeResid';
  const layer = resolveLayer(cfg, opts.layer, what);
  const mlpInput = opts.mlpInput === true;
  if (mlpInput && layer === cfg.nLayers) throw new Error(`${what}: mlpInput needs layer < nLayers`);
  const mode = opts.mode ?? 'all';
  if (mode !== 'all' && mode !== 'mlp' && mode !== 'attn') {
    throw new Error(`${what}: mode must be 'all', 'mlp' or 'attn', got '${String(mode)}'`);
  }
  const inclAttn = mode !== 'mlp';
  const inclMlp = mode !== 'attn';
  const parts: tf.Tensor[] = [];
  const labels: string[] = [];
  if (opts.inclEmbeds ?? true) {
    parts.push(need(cache, 'hook_embed', what));
    labels.push('embed');
    if (cfg.positional === 'learned') {
      parts.push(need(cache, 'hook_pos_embed', what));
      labels.push('pos_embed');
    }
  }
  for (let l = 0; l < layer; l++) {
    if (inclAttn) {
      parts.push(need(cache, `blocks.${l}.hook_attn_out`, what));
      labels.push(`${l}_attn_out`);
    }
    if (inclMlp) {
      parts.push(need(cache, `blocks.${l}.hook_mlp_out`, what));
      labels.push(`${l}_mlp_out`);
    }
  }
  if (mlpInput && inclAttn && !cfg.parallelResidual) {
    parts.push(need(cache, `blocks.${layer}.hook_attn_out`, what));
    labels.push(`${layer}_attn_out`);
  }
  const ref = parts[0] ?? residPreAt(cfg, cache, 0, what);
  const [B, T] = ref.shape as number[];
  const nPos = typeof opts.pos === 'object' ? opts.pos.length : T;
  const rowShape = posAxes(opts.pos) ? [B, nPos, cfg.dModel] : [B, cfg.dModel];
  const components = tf.tidy(() => {
    const stacked = stackOrEmpty(
      parts.map((p) => selectPos(p, opts.pos, 1, what)),
      rowShape,
    );
    if (!opts.applyLn) return stacked;
    return applyLnToStack(model, cache, stacked, { layer, mlpInput, pos: opts.pos });
  });
  return { components, labels };
}
