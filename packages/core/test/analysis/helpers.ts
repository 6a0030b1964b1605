/** Shared helpers of the analysis tests: fixture models, host-side comparisons and leak checks. */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { openSafetensors, tf } from '../../src/index.js';

const FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), '../fixtures');
export const ARCHS = ['gpt2', 'gpt_neox', 'llama', 'qwen2'] as const;
export type FixtureArch = (typeof ARCHS)[number];

export const fixtureDir = (arch: FixtureArch): string => join(FIXTURES, arch);

/** input_ids rows and one F32 reference tensor of a fixture. */
export function fixtureInputs(arch: FixtureArch): number[][] {
  const f = openSafetensors(join(fixtureDir(arch), 'reference.safetensors'));
  try {
    const ids = f.readI32('input_ids');
    const [B, T] = ids.shape;
    return Array.from({ length: B }, (_, b) => Array.from(ids.data.subarray(b * T, (b + 1) * T)));
  } finally {
    f.close();
  }
}

export function fixtureF32(arch: FixtureArch, name: string): { shape: number[]; data: Float32Array } {
  const f = openSafetensors(join(fixtureDir(arch), 'reference.safetensors'));
  try {
    return f.readF32(name);
  } finally {
    f.close();
  }
}

/** max |a − b| elementwise (NaN counts as infinite). */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let err = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= err)) err = Number.isNaN(d) ? Number.POSITIVE_INFINITY : d;
  }
  return err;
}

export function maxAbs(x: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]));
  return m;
}

/** Asserts same shape and `max|a − b| ≤ tol · max(1, max|b|)`; returns the scaled error. */
export function expectClose(a: tf.Tensor, b: tf.Tensor, tol: number, what = ''): number {
  expect(a.shape, what).toEqual(b.shape);
  const ref = b.dataSync();
  const err = maxAbsDiff(a.dataSync(), ref) / Math.max(1, maxAbs(ref));
  expect(err, what).toBeLessThanOrEqual(tol);
  return err;
}

/** Runs `fn`, disposes the tensors it returns (listed by `owned`), and asserts no tensor was left behind. */
export function expectNoLeak<R>(fn: () => R, owned: (r: R) => tf.Tensor[]): R {
  const before = tf.memory().numTensors;
  const r = fn();
  const mine = owned(r);
  expect(tf.memory().numTensors - before).toBe(new Set(mine.map((t) => t.id)).size);
  return r;
}

/** Worst errors seen per test file, printed at the end for the report. */
export function errorLog(): { note: (what: string, err: number) => void; print: () => void } {
  const worst: Record<string, number> = {};
  return {
    note: (what, err) => {
      worst[what] = Math.max(worst[what] ?? 0, err);
    },
    print: () =>
      console.log(JSON.stringify(worst, (_, v) => (typeof v === 'number' ? Number(v.toExponential(2)) : v))),
  };
}
