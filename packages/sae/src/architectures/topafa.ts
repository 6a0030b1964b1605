/**
 * top-AFA (Lee, Davies, Canby, Hockenmaier 2025): no fixed k. Each latent contributes
 * `c_i = (a_i ‖W_dec,i‖)²` to the code's squared norm; sorting the contributions in descending order, the
 * token keeps the smallest prefix whose norm `sqrt(Σ_{j≤m} c_(j))` is closest to the norm of its centred
 * input `‖u‖` (the approximate feature activation), i.e. `k* = argmin_m |sqrt(S_m) − ‖u‖| + 1`.
 *
 * Deviation, for speed: the search runs over the `cfg.k` largest contributions (a cap, default 1024). A
 * token whose first `cfg.k` contributions still fall short of `‖u‖` keeps all `cfg.k` (counted by
 * {@link afaCapped}). Entries beyond k* are zero in the fixed-width code.
 */
import { tf } from '@mechlens/core';
import { gatherRows } from './topk.js';
import type { Architecture, Code, SelectInput } from './types.js';

/**
 * Per-row count k* of the top-AFA selection from contributions sorted in descending order `[rows, w]` and
 * target norms `[rows]` (int32 `[rows]`, each in 1..w).
 *
 * @example
 * afaCounts(tf.tensor2d([[9, 4, 1]]), tf.tensor1d([3.2])); // [1]: sqrt(9) = 3 is closest to 3.2
 */
export function afaCounts(sortedContrib: tf.Tensor2D, target: tf.Tensor1D): tf.Tensor1D {
  return tf.tidy(() => {
    const norms = tf.sqrt(tf.cumsum(sortedContrib, 1));
    const gap = tf.abs(tf.sub(norms, target.reshape([-1, 1])));
    return tf.add(tf.argMin(gap, 1), 1).toInt() as tf.Tensor1D;
  });
}

/**
 * Number of rows of a top-AFA code whose norm never reached its target within the cap (their k* is
 * the cap). A diagnostic for choosing `k`.
 *
 * @example
 * const capped = afaCapped(code, cfg.k);
 */
export function afaCapped(counts: tf.Tensor1D, cap: number): number {
  return tf.tidy(() => tf.sum(tf.cast(tf.greaterEqual(counts, cap), 'int32')).dataSync()[0]);
}

export const topafaArchitecture: Architecture = {
  name: 'topafa',
  description: 'top-AFA (Lee et al. 2025): per-token k where the code norm best matches the input norm',
  kind: 'sparse',
  saelensArchitecture: null,
  select({ cfg, a, u, decoder }: SelectInput): Code {
    const atomNorms = tf.norm(decoder, 2, 1);
    const contrib = tf.square(tf.mul(a, atomNorms)) as tf.Tensor2D;
    const { values: sorted, indices } = tf.topk(contrib, cfg.k);
    const counts = afaCounts(sorted as tf.Tensor2D, tf.norm(u, 2, 1) as tf.Tensor1D);
    const keep = tf.less(tf.range(0, cfg.k, 1, 'int32').reshape([1, -1]), counts.reshape([-1, 1]));
    const values = tf.where(keep, gatherRows(a, indices as tf.Tensor2D), 0) as tf.Tensor2D;
    return { values, indices: indices as tf.Tensor2D };
  },
};
