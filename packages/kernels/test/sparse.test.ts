import { describe, expect, it } from 'vitest';
import { SPARSE_KERNELS } from '../src/index.js';
import { randn, tf, useNative } from './helpers.js';

useNative();

const run = <T extends tf.Tensor>(name: string, inputs: Record<string, tf.Tensor>, attrs = {}): T =>
  tf.engine().runKernel(name, inputs, attrs) as T;

/** Random codes [rows, k] over n latents (distinct within a row), with some exact zeros. */
function codes(
  rows: number,
  k: number,
  n: number,
  seed: number,
): { values: tf.Tensor2D; indices: tf.Tensor2D } {
  let s = seed;
  const rnd = () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  const idx = new Int32Array(rows * k);
  const val = new Float32Array(rows * k);
  for (let r = 0; r < rows; r++) {
    const used = new Set<number>();
    for (let j = 0; j < k; j++) {
      let i = Math.floor(rnd() * n);
      while (used.has(i)) i = (i + 1) % n;
      used.add(i);
      idx[r * k + j] = i;
      val[r * k + j] = rnd() < 0.1 ? 0 : rnd() * 4 - 2;
    }
  }
  return { values: tf.tensor2d(val, [rows, k]), indices: tf.tensor2d(idx, [rows, k], 'int32') };
}

/** The dense [rows, n] code with the same entries. */
function dense(values: tf.Tensor2D, indices: tf.Tensor2D, n: number): tf.Tensor2D {
  const [rows, k] = values.shape;
  const out = new Float32Array(rows * n);
  const v = values.dataSync();
  const i = indices.dataSync();
  for (let r = 0; r < rows; r++) for (let j = 0; j < k; j++) out[r * n + i[r * k + j]] += v[r * k + j];
  return tf.tensor2d(out, [rows, n]);
}

function close(a: tf.Tensor, b: tf.Tensor, tol = 1e-4): void {
  expect(a.shape).toEqual(b.shape);
  const x = a.dataSync();
  const y = b.dataSync();
  let worst = 0;
  for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]) / (1 + Math.abs(y[i])));
  expect(worst).toBeLessThan(tol);
}

describe('sparse-code kernels', () => {
  const [rows, k, n, d] = [37, 5, 50, 19];
  const W = randn([n, d], 3) as tf.Tensor2D;
  const { values, indices } = codes(rows, k, n, 7);
  const D = dense(values, indices, n);

  it('decode equals the dense product', () => {
    close(run(SPARSE_KERNELS.decode, { values, indices, weights: W }), tf.matMul(D, W));
  });

  it('row dot equals gathering the dense g·Wᵀ', () => {
    const g = randn([rows, d], 5);
    const full = tf.matMul(g, W, false, true).dataSync();
    const want = new Float32Array(rows * k);
    const idx = indices.dataSync();
    for (let r = 0; r < rows; r++) for (let j = 0; j < k; j++) want[r * k + j] = full[r * n + idx[r * k + j]];
    close(run(SPARSE_KERNELS.rowDot, { g, indices, weights: W }), tf.tensor2d(want, [rows, k]));
  });

  it('scatter equals the dense codeᵀ·g, and untouched rows are exactly 0', () => {
    const g = randn([rows, d], 6);
    const got = run<tf.Tensor2D>(SPARSE_KERNELS.scatterRows, { g, values, indices }, { n });
    close(got, tf.matMul(D, g, true, false));
    const used = new Set(indices.dataSync());
    const gv = got.arraySync();
    for (let i = 0; i < n; i++) if (!used.has(i)) expect(gv[i].every((x) => x === 0)).toBe(true);
  });

  it('scatter is bitwise deterministic with many entries per latent', () => {
    const big = codes(2000, 16, 40, 11);
    const g = randn([2000, 64], 2);
    const a = run(SPARSE_KERNELS.scatterRows, { g, ...big }, { n: 40 }).dataSync();
    for (let t = 0; t < 3; t++) {
      const b = run(SPARSE_KERNELS.scatterRows, { g, ...big }, { n: 40 }).dataSync();
      expect(Buffer.from(b.buffer).equals(Buffer.from(a.buffer))).toBe(true);
    }
  });

  it('tf.grad through decode matches the dense gradient', () => {
    const up = randn([rows, d], 9);
    const f = (v: tf.Tensor, w: tf.Tensor) =>
      tf.sum(tf.mul(run(SPARSE_KERNELS.decode, { values: v, indices, weights: w }), up));
    const [dv, dW] = tf.grads(f)([values, W]);
    const fd = (m: tf.Tensor, w: tf.Tensor) => tf.sum(tf.mul(tf.matMul(m, w), up));
    const [dD, dWd] = tf.grads(fd)([D, W]);
    close(dW, dWd);
    const full = dD.dataSync();
    const idx = indices.dataSync();
    const want = new Float32Array(rows * k);
    for (let r = 0; r < rows; r++) for (let j = 0; j < k; j++) want[r * k + j] = full[r * n + idx[r * k + j]];
    close(dv, tf.tensor2d(want, [rows, k]));
  });

  it('handles leading batch axes, k = 0 and d = 0', () => {
    const v3 = values.reshape([1, rows, k]);
    const i3 = indices.reshape([1, rows, k]);
    close(
      run(SPARSE_KERNELS.decode, { values: v3, indices: i3, weights: W }),
      tf.matMul(D, W).reshape([1, rows, d]),
    );
    const empty = run(SPARSE_KERNELS.decode, {
      values: tf.zeros([3, 0]),
      indices: tf.zeros([3, 0], 'int32'),
      weights: W,
    });
    expect(Array.from(empty.dataSync())).toEqual(new Array(3 * d).fill(0));
  });

  it('rejects out-of-range indices and mismatched shapes with clear messages', () => {
    const bad = tf.tensor2d([[0, n]], [1, 2], 'int32');
    expect(() => run(SPARSE_KERNELS.decode, { values: tf.ones([1, 2]), indices: bad, weights: W })).toThrow(
      /outside \[0, 50\)/,
    );
    expect(() => run(SPARSE_KERNELS.decode, { values: tf.ones([1, 3]), indices: bad, weights: W })).toThrow(
      /same shape/,
    );
    expect(() =>
      run(SPARSE_KERNELS.rowDot, { g: tf.ones([1, d + 1]), indices: tf.zeros([1, 2], 'int32'), weights: W }),
    ).toThrow(/must end in d/);
  });

  it('leaves no tensors behind', () => {
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      run(SPARSE_KERNELS.decode, { values, indices, weights: W });
      run(SPARSE_KERNELS.scatterRows, { g: randn([rows, d]), values, indices }, { n });
    });
    expect(tf.memory().numTensors).toBe(before);
  });
});
