/**
 * Normalizing a stack of residual-stream components with the statistics cached during the run
 * (TransformerLens's `ActivationCache.apply_ln_to_stack`).
 */
import { tf } from '../engine/tf.js';
import type { ActivationCache } from '../model/activation-cache.js';
import type { HookName } from '../model/hook-names.js';
import type { NormParams } from '../model/params.js';
import { type AnalysisModel, need, type PosSelector, resolveLayer, selectPos } from './common.js';

/** Options of {@link applyLnToStack}. */
export interface ApplyLnOptions {
  /**
   * Whose norm: the `ln1` of block `layer` (the attention input), or with {@link mlpInput} its `ln2`;
   * `nLayers`, −1 or unset = `ln_final` (the unembedding input).
   */
  layer?: number;
  /** Use `blocks.{layer}.ln2` (the MLP input) instead of `ln1`. */
  mlpInput?: boolean;
  /** The positions the stack holds (the same selector that built it). */
  pos?: PosSelector;
  /**
   * Also multiply by the norm's weight `w` (its per-component linear part). The bias `b` is never added: it
   * belongs to no component. Default false (TransformerLens semantics, which assume folded norms).
   */
  weight?: boolean;
}

/** Hook names of the scale of the norm in front of block `layer` (or the final norm) and its parameters. */
export function normAt(
  model: AnalysisModel,
  layer: number,
  mlpInput: boolean,
): { scale: HookName; params: NormParams<tf.Tensor> } {
  const { config: cfg, params } = model;
  if (layer === cfg.nLayers) return { scale: 'ln_final.hook_scale', params: params.lnFinal };
  const block = params.blocks[layer];
  return mlpInput
    ? { scale: `blocks.${layer}.ln2.hook_scale`, params: block.ln2 }
    : { scale: `blocks.${layer}.ln1.hook_scale`, params: block.ln1 };
}

/**
 * Applies a norm's cached statistics to a stack of residual components `[..., batch, (pos), d_model]`:
 * centres each component over `d_model` (LayerNorm only: centring is linear, so the centred components still
 * sum to the centred residual) and divides by the norm's cached `hook_scale` of the actual run. Because the
 * scale is the real one, the normalized components sum exactly to the norm's `hook_normalized`, which makes
 * attributions through the norm exact (the norm is treated as linear at this input — the usual
 * "frozen LayerNorm scale" convention). With `weight: true` the result is also multiplied by the norm's `w`.
 *
 * Needs `{ln1|ln2|ln_final}.hook_scale` in the cache. Returns a new tensor; `stack` is not disposed.
 *
 * @example
 * const { resid, labels } = accumulatedResid(model, cache, { pos: -1 });   // [components, batch, d]
 * const normed = applyLnToStack(model, cache, resid, { pos: -1 });         // ln_final statistics
 * const atL1 = applyLnToStack(model, cache, resid, { layer: 1, pos: -1 }); // as the input of blocks.1.ln1
 */
export function applyLnToStack(
  model: AnalysisModel,
  cache: ActivationCache,
  stack: tf.Tensor,
  opts: ApplyLnOptions = {},
): tf.Tensor {
  const cfg = model.config;
  const layer = resolveLayer(cfg, opts.layer, 'applyLnToStack');
  if (opts.mlpInput && layer === cfg.nLayers) {
    throw new Error('applyLnToStack: mlpInput needs a block layer (< nLayers), not the final norm');
  }
  const norm = normAt(model, layer, opts.mlpInput === true);
  const rawScale = need(cache, norm.scale, 'applyLnToStack');
  return tf.tidy(() => {
    const scale = selectPos(rawScale, opts.pos, 1, 'applyLnToStack'); // [B, 1] or [B, T', 1]
    const tail = scale.shape.slice(0, -1);
    const stackTail = stack.shape.slice(stack.rank - 1 - tail.length, -1);
    if (
      stack.rank < scale.rank ||
      stackTail.some((s, i) => s !== tail[i]) ||
      stack.shape[stack.rank - 1] !== cfg.dModel
    ) {
      throw new Error(
        `applyLnToStack: stack of shape [${stack.shape.join(', ')}] does not end in [${[...tail, cfg.dModel].join(', ')}] (batch and positions of ${norm.scale} after the pos selection ${JSON.stringify(opts.pos ?? 'all')})`,
      );
    }
    const centred = cfg.normType === 'layernorm' ? tf.sub(stack, tf.mean(stack, -1, true)) : stack;
    const normed = tf.div(centred, scale);
    return opts.weight ? tf.mul(normed, norm.params.w) : normed;
  });
}
