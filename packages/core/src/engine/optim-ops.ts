/**
 * Fused optimiser and row ops used by SAE training: one Adam step, unit-norm rows, and removing each
 * row's component along a unit row. Native kernels (@mechlens/kernels) when registered on the active
 * backend, composite tfjs ops otherwise (same results up to float rounding).
 */
import { SPARSE_KERNELS } from '@mechlens/kernels';
import { hasKernel } from './engine.js';
import { tf } from './tf.js';

/**
 * Hyper-parameters of {@link adamStep}.
 *
 * @example
 * const h: AdamHyper = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, step: 1 };
 */
export interface AdamHyper {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** 1-based step number (for the bias corrections `1 − βᵗ`). */
  step: number;
}

/**
 * One Adam update: `m' = β1 m + (1−β1) g`, `v' = β2 v + (1−β2) g²`,
 * `p' = p − lr · (m'/(1−β1ᵗ)) / (sqrt(v'/(1−β2ᵗ)) + ε)`. Returns new tensors (the caller disposes the old).
 *
 * @example
 * const next = adamStep(p, g, m, v, { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, step: 1 });
 */
export function adamStep(
  param: tf.Tensor,
  grad: tf.Tensor,
  m: tf.Tensor,
  v: tf.Tensor,
  h: AdamHyper,
): { param: tf.Tensor; m: tf.Tensor; v: tf.Tensor } {
  const c1 = 1 - h.beta1 ** h.step;
  const c2 = 1 - h.beta2 ** h.step;
  if (hasKernel(SPARSE_KERNELS.adam)) {
    const [p, mm, vv] = tf
      .engine()
      .runKernel(
        SPARSE_KERNELS.adam,
        { param, grad, m, v },
        { lr: h.lr, beta1: h.beta1, beta2: h.beta2, eps: h.eps, c1, c2 },
      ) as tf.Tensor[];
    return { param: p, m: mm, v: vv }; // the kernel's outputs have param's shape
  }
  return tf.tidy(() => {
    const mm = tf.add(tf.mul(m, h.beta1), tf.mul(grad, 1 - h.beta1));
    const vv = tf.add(tf.mul(v, h.beta2), tf.mul(tf.square(grad), 1 - h.beta2));
    const p = tf.sub(param, tf.div(tf.mul(mm, h.lr / c1), tf.add(tf.sqrt(tf.div(vv, c2)), h.eps)));
    return { param: p, m: mm, v: vv };
  });
}

/**
 * Each row of `x` `[rows, d]` scaled to unit L2 norm (norms below `eps` count as `eps`).
 *
 * @example
 * normalizeRows(tf.tensor2d([[3, 4]])); // [[0.6, 0.8]]
 */
export function normalizeRows(x: tf.Tensor2D, eps = 1e-12): tf.Tensor2D {
  if (x.rank !== 2) throw new Error(`normalizeRows: x must be [rows, d], got [${x.shape}]`);
  if (hasKernel(SPARSE_KERNELS.rowNormalize))
    return tf.engine().runKernel(SPARSE_KERNELS.rowNormalize, { x }, { eps }) as tf.Tensor2D;
  return tf.tidy(() => tf.div(x, tf.maximum(tf.norm(x, 2, 1, true), eps)) as tf.Tensor2D);
}

/**
 * Removes from each row of `g` its component along the matching unit row of `w`: `g − (g·w) w`
 * (the gradient projection that keeps unit-norm decoder rows on the sphere).
 *
 * @example
 * projectRows(tf.tensor2d([[1, 1]]), tf.tensor2d([[1, 0]])); // [[0, 1]]
 */
export function projectRows(g: tf.Tensor2D, w: tf.Tensor2D): tf.Tensor2D {
  if (g.rank !== 2 || w.rank !== 2 || g.shape[0] !== w.shape[0] || g.shape[1] !== w.shape[1])
    throw new Error(`projectRows: g [${g.shape}] and w [${w.shape}] must be the same [rows, d]`);
  if (hasKernel(SPARSE_KERNELS.rowProject))
    return tf.engine().runKernel(SPARSE_KERNELS.rowProject, { g, w }, {}) as tf.Tensor2D;
  return tf.tidy(() => tf.sub(g, tf.mul(tf.sum(tf.mul(g, w), 1, true), w)) as tf.Tensor2D);
}
