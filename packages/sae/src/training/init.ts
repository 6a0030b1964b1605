/**
 * Data-dependent initialisation of the decoder bias `b_dec`: the geometric median of a sample (OpenAI's
 * TopK code) or its mean (sparsify).
 */
import { tf } from '@mechlens/core';

/**
 * The geometric median of rows `[rows, d]` by Weiszfeld iterations, starting from the mean, stopping
 * when a step moves less than `tol` relative to the point's norm or after `maxIter` iterations.
 *
 * @example
 * geometricMedian(tf.tensor2d([[0, 0], [1, 0], [0, 1], [10, 10]])); // near [0.4, 0.4]
 */
export function geometricMedian(x: tf.Tensor2D, maxIter = 100, tol = 1e-6): tf.Tensor1D {
  let y = tf.mean(x, 0) as tf.Tensor1D;
  for (let i = 0; i < maxIter; i++) {
    const [next, moved] = tf.tidy(() => {
      const dist = tf.maximum(tf.norm(tf.sub(x, y), 2, 1), 1e-12);
      const w = tf.div(1, dist);
      const n = tf.div(tf.sum(tf.mul(x, w.reshape([-1, 1])), 0), tf.sum(w)) as tf.Tensor1D;
      const move = tf.div(tf.norm(tf.sub(n, y)), tf.add(tf.norm(y), 1e-12));
      return [n, move.dataSync()[0]] as const;
    });
    y.dispose();
    y = next;
    if (moved < tol) break;
  }
  return y;
}
