// Test helpers: run the same computation with the native kernels and with tfjs's pure-JS originals.
import '@tensorflow/tfjs-core/dist/register_all_gradients.js';
import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops.js';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import { registerNativeKernels, unregisterNativeKernels } from '../src/index.js';

export { tf };

/** Registers the native kernels (throws if the addon is not built). */
export function useNative(): void {
  const s = registerNativeKernels('cpu');
  if (!s.ok) throw new Error(s.reason);
}

type Out = tf.Tensor | tf.Tensor[];

function toArrays(
  o: Out,
): { shape: number[]; dtype: string; data: Float32Array | Int32Array | Uint8Array }[] {
  const list = Array.isArray(o) ? o : [o];
  return list.map((t) => ({ shape: t.shape, dtype: t.dtype, data: t.dataSync() as Float32Array }));
}

/** Runs `fn` on the native kernels and on tfjs's originals; returns both as plain arrays. */
export function runBoth(fn: () => Out): {
  native: ReturnType<typeof toArrays>;
  reference: ReturnType<typeof toArrays>;
} {
  useNative();
  const before = tf.memory().numTensors;
  const native = tf.tidy(() => toArrays(fn()));
  expect(tf.memory().numTensors).toBe(before);
  unregisterNativeKernels('cpu');
  try {
    const reference = tf.tidy(() => toArrays(fn()));
    return { native, reference };
  } finally {
    useNative();
  }
}

/**
 * Asserts native == reference elementwise: |a-b| <= atol + rtol*|b|; NaN must match NaN, ±Inf must match
 * exactly; shapes and dtypes must match.
 */
export function expectSameAsReference(fn: () => Out, atol = 1e-5, rtol = 1e-5): void {
  const { native, reference } = runBoth(fn);
  expect(native.length).toBe(reference.length);
  for (let i = 0; i < native.length; i++) {
    const a = native[i];
    const b = reference[i];
    expect(a.shape).toEqual(b.shape);
    expect(a.dtype).toBe(b.dtype);
    expect(a.data.length).toBe(b.data.length);
    for (let j = 0; j < a.data.length; j++) {
      const x = a.data[j];
      const y = b.data[j];
      if (Number.isNaN(y)) {
        if (!Number.isNaN(x)) expect.fail(`output ${i}[${j}]: native ${x}, reference NaN`);
      } else if (!Number.isFinite(y)) {
        if (x !== y) expect.fail(`output ${i}[${j}]: native ${x}, reference ${y}`);
      } else if (!(Math.abs(x - y) <= atol + rtol * Math.abs(y))) {
        expect.fail(
          `output ${i}[${j}] (shape ${a.shape}): native ${x}, reference ${y}, |diff| ${Math.abs(x - y)}`,
        );
      }
    }
  }
}

/** Deterministic pseudo-random normal tensor (mulberry32 + Box-Muller). */
export function randn(shape: number[], seed = 1, scale = 1): tf.Tensor {
  let s = seed >>> 0;
  const rnd = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = Math.max(rnd(), 1e-12);
    data[i] = scale * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rnd());
  }
  return tf.tensor(data, shape);
}
