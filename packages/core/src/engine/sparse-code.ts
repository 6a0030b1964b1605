/**
 * Sparse-code tensor ops: a batch of codes, each `k` (value, latent index) pairs, against a dictionary
 * `W [n, d]` with one row per latent. Sparse autoencoders decode with these instead of a dense
 * `[rows, n] × [n, d]` product. The native kernels of @mechlens/kernels run them when registered on the
 * active backend; composite tfjs ops (gather / segment sum) otherwise, with the same results up to float
 * rounding.
 */
import { SPARSE_KERNELS } from '@mechlens/kernels';
import { hasKernel } from './engine.js';
import { tf } from './tf.js';

function checkCode(values: tf.Tensor, indices: tf.Tensor, what: string): void {
  if (indices.dtype !== 'int32') throw new Error(`${what}: indices must be int32, got ${indices.dtype}`);
  if (values.shape.length !== indices.shape.length || values.shape.some((v, i) => v !== indices.shape[i]))
    throw new Error(
      `${what}: values [${values.shape}] and indices [${indices.shape}] must have the same shape`,
    );
}

function checkDictionary(W: tf.Tensor, what: string): void {
  if (W.rank !== 2) throw new Error(`${what}: the dictionary must be [n, d], got [${W.shape}]`);
}

/**
 * Decodes sparse codes: `out[..., :] = Σ_j values[..., j] · W[indices[..., j], :]`. Differentiable with
 * respect to `values` and `W`.
 *
 * @example
 * const W = tf.tensor2d([[1, 0], [0, 1], [1, 1]]);
 * sparseDecode(tf.tensor2d([[2, 3]]), tf.tensor2d([[0, 2]], undefined, 'int32'), W); // [[5, 3]]
 */
export function sparseDecode(values: tf.Tensor, indices: tf.Tensor, W: tf.Tensor): tf.Tensor {
  checkCode(values, indices, 'sparseDecode');
  checkDictionary(W, 'sparseDecode');
  if (hasKernel(SPARSE_KERNELS.decode))
    return tf.engine().runKernel(SPARSE_KERNELS.decode, { values, indices, weights: W }, {}) as tf.Tensor;
  return compositeSparse.decode(values, indices, W);
}

/**
 * Dot products of each row of `g [..., d]` with the dictionary rows its code selects:
 * `out[..., j] = g[..., :] · W[indices[..., j], :]` (the gradient of {@link sparseDecode} with respect to
 * the values).
 *
 * @example
 * sparseRowDot(tf.tensor2d([[1, 2]]), tf.tensor2d([[0, 2]], undefined, 'int32'), W); // [[1, 3]]
 */
export function sparseRowDot(g: tf.Tensor, indices: tf.Tensor, W: tf.Tensor): tf.Tensor {
  if (indices.dtype !== 'int32') throw new Error(`sparseRowDot: indices must be int32, got ${indices.dtype}`);
  checkDictionary(W, 'sparseRowDot');
  if (g.shape[g.rank - 1] !== W.shape[1])
    throw new Error(`sparseRowDot: g [${g.shape}] must end in d = ${W.shape[1]}`);
  if (hasKernel(SPARSE_KERNELS.rowDot))
    return tf.engine().runKernel(SPARSE_KERNELS.rowDot, { g, indices, weights: W }, {}) as tf.Tensor;
  return compositeSparse.rowDot(g, indices, W);
}

/**
 * Scatters outer products into `n` dictionary rows: row `i` of the `[n, d]` result is
 * `Σ values[r, j] · g[r, :]` over the entries `(r, j)` whose index is `i` (the gradient of
 * {@link sparseDecode} with respect to `W`). Deterministic.
 *
 * @example
 * scatterRows(tf.tensor2d([[1, 2]]), tf.tensor2d([[2, 3]]), tf.tensor2d([[0, 2]], undefined, 'int32'), 3);
 * // [[2, 4], [0, 0], [3, 6]]
 */
export function scatterRows(g: tf.Tensor, values: tf.Tensor, indices: tf.Tensor, n: number): tf.Tensor2D {
  checkCode(values, indices, 'scatterRows');
  if (!Number.isInteger(n) || n < 0) throw new Error(`scatterRows: n must be an integer >= 0, got ${n}`);
  if (hasKernel(SPARSE_KERNELS.scatterRows))
    return tf.engine().runKernel(SPARSE_KERNELS.scatterRows, { g, values, indices }, { n }) as tf.Tensor2D;
  return compositeSparse.scatterRows(g, values, indices, n);
}

/** The composite (pure tfjs) versions, used without the native kernels; exported for tests. */
export const compositeSparse = {
  decode: (values: tf.Tensor, indices: tf.Tensor, W: tf.Tensor): tf.Tensor =>
    tf.tidy(() => tf.sum(tf.mul(tf.gather(W, indices), tf.expandDims(values, -1)), -2)),
  rowDot: (g: tf.Tensor, indices: tf.Tensor, W: tf.Tensor): tf.Tensor =>
    tf.tidy(() => tf.sum(tf.mul(tf.gather(W, indices), tf.expandDims(g, -2)), -1)),
  scatterRows: (g: tf.Tensor, values: tf.Tensor, indices: tf.Tensor, n: number): tf.Tensor2D =>
    tf.tidy(() => {
      const d = g.shape[g.rank - 1];
      const k = indices.shape[indices.rank - 1];
      const outer = tf.mul(g.reshape([-1, 1, d]), values.reshape([-1, k, 1])).reshape([-1, d]);
      return tf.unsortedSegmentSum(outer, indices.reshape([-1]) as tf.Tensor1D, n) as tf.Tensor2D;
    }),
};
