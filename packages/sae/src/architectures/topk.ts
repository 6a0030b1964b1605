/**
 * TopK (Gao et al. 2024): keep the k largest ReLU'd pre-activations of each token. ReLU comes before the
 * selection (as sparsify does; OpenAI selects on raw z and ReLUs after — the decoded output is the same,
 * only which zero-valued slots are listed differs).
 */
import { tf } from '@mechlens/core';
import type { Architecture, Code, SelectInput } from './types.js';

/**
 * The k largest entries of `scores` per row, and the values of `a` at those latents.
 *
 * @example
 * const code = selectTopK(a, a, 32);
 */
export function selectTopK(scores: tf.Tensor2D, a: tf.Tensor2D, k: number): Code {
  const { values, indices } = tf.topk(scores, k);
  if (scores === a) return { values: values as tf.Tensor2D, indices: indices as tf.Tensor2D };
  return { values: gatherRows(a, indices as tf.Tensor2D), indices: indices as tf.Tensor2D };
}

/**
 * `out[r, j] = m[r, indices[r, j]]` (a per-row gather).
 *
 * @example
 * gatherRows(tf.tensor2d([[1, 2, 3]]), tf.tensor2d([[2, 0]], undefined, 'int32')); // [[3, 1]]
 */
export function gatherRows(m: tf.Tensor2D, indices: tf.Tensor2D): tf.Tensor2D {
  const [rows, n] = m.shape;
  const k = indices.shape[1];
  const offsets = tf.mul(tf.range(0, rows, 1, 'int32'), tf.scalar(n, 'int32')).reshape([rows, 1]);
  const flat = tf.add(indices, offsets).reshape([rows * k]);
  return tf.gather(m.reshape([rows * n]), flat).reshape([rows, k]) as tf.Tensor2D;
}

export const topkArchitecture: Architecture = {
  name: 'topk',
  description: 'TopK (Gao et al. 2024): the k largest ReLU pre-activations per token',
  kind: 'sparse',
  saelensArchitecture: 'topk',
  select({ cfg, a }: SelectInput): Code {
    return selectTopK(a, a, cfg.k);
  },
};
