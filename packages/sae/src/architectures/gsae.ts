/**
 * g-SAE (Olmo et al. 2024, "Features that Make a Difference"): TopK whose selection also weighs each
 * latent's effect on the LM loss. With `g` the gradient of the LM loss at the clean activation and
 * `ĝ = W_dec g` (entry i: the loss's directional derivative along atom i), the score is
 * `s_i = ReLU(z_i) · (1 + β|ĝ_i|)`; the k best scores are kept with their plain ReLU(z) values.
 * β = 0 (or g = 0) is TopK bit for bit. Without a gradient (plain inference) it selects like TopK.
 */
import { tf } from '@mechlens/core';
import { selectTopK } from './topk.js';
import type { Architecture, Code, SelectInput } from './types.js';

/**
 * The g-SAE selection scores `ReLU(z) ⊙ (1 + β|ĝ|)` for pre-activations `z` `[rows, n]`, gradient `g`
 * `[rows, d]` and decoder `[n, d]`.
 *
 * @example
 * const s = gsaeScores(z, g, decoder, 1, 'mean-abs');
 */
export function gsaeScores(
  a: tf.Tensor2D,
  g: tf.Tensor2D,
  decoder: tf.Tensor2D,
  beta: number,
  norm: 'none' | 'mean-abs',
): tf.Tensor2D {
  let gh = tf.abs(tf.matMul(g, decoder, false, true));
  if (norm === 'mean-abs') gh = tf.div(gh, tf.add(tf.mean(gh, -1, true), 1e-30));
  return tf.mul(a, tf.add(tf.mul(gh, beta), 1)) as tf.Tensor2D;
}

export const gsaeArchitecture: Architecture = {
  name: 'gsae',
  description: 'g-SAE (Olmo et al. 2024): TopK selected by ReLU(z)·(1 + β|W_dec g|), g the LM-loss gradient',
  kind: 'sparse',
  saelensArchitecture: 'topk',
  select({ cfg, a, decoder, grad }: SelectInput): Code {
    if (!grad) return selectTopK(a, a, cfg.k);
    return selectTopK(gsaeScores(a, grad, decoder, cfg.beta, cfg.gradNormalization), a, cfg.k);
  },
};
