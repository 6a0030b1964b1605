/** Shared helpers of the model tests: fixture access and tolerance comparisons. */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { openSafetensors, tf } from '../../src/index.js';

export const FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), '../fixtures');
export const ARCHS = ['gpt2', 'gpt_neox', 'llama', 'qwen2'] as const;
export type FixtureArch = (typeof ARCHS)[number];

export function fixtureDir(arch: FixtureArch): string {
  return join(FIXTURES, arch);
}

/** The reference tensors of one fixture folder, read eagerly. */
export interface Reference {
  names: string[];
  f32(name: string): { shape: number[]; data: Float32Array };
  i32(name: string): { shape: number[]; data: Int32Array };
  /** input_ids as rows. */
  rows: number[][];
}

export function loadReference(arch: FixtureArch): Reference {
  const f = openSafetensors(join(fixtureDir(arch), 'reference.safetensors'));
  const all = [...f.entries.keys()];
  const f32 = new Map<string, { shape: number[]; data: Float32Array }>();
  const i32 = new Map<string, { shape: number[]; data: Int32Array }>();
  for (const [n, e] of f.entries) {
    if (e.dtype === 'F32') f32.set(n, f.readF32(n));
    else i32.set(n, f.readI32(n));
  }
  f.close();
  const ids = i32.get('input_ids');
  if (!ids) throw new Error('reference has no input_ids');
  const [B, T] = ids.shape;
  const rows = Array.from({ length: B }, (_, b) => Array.from(ids.data.subarray(b * T, (b + 1) * T)));
  const get = <V>(m: Map<string, V>, n: string): V => {
    const v = m.get(n);
    if (!v) throw new Error(`reference has no ${n}`);
    return v;
  };
  return { names: all, f32: (n) => get(f32, n), i32: (n) => get(i32, n), rows };
}

/** max |a − b| over finite reference entries; non-finite reference entries must be equal. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let err = 0;
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(b[i])) {
      if (a[i] !== b[i]) return Number.POSITIVE_INFINITY;
      continue;
    }
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= err)) err = Number.isNaN(d) ? Number.POSITIVE_INFINITY : d;
  }
  return err;
}

export function maxAbs(x: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) if (Number.isFinite(x[i])) m = Math.max(m, Math.abs(x[i]));
  return m;
}

/**
 * Asserts `|a − ref| ≤ rel · max(1, max|ref|)` elementwise (the fixtures' activation tolerance) and the
 * shape; returns the scaled error.
 */
export function expectActivation(
  name: string,
  a: tf.Tensor,
  ref: { shape: number[]; data: Float32Array },
  rel = 2e-5,
) {
  expect(a.shape, name).toEqual(ref.shape);
  const err = maxAbsDiff(a.dataSync(), ref.data) / Math.max(1, maxAbs(ref.data));
  expect(err, `${name}: scaled error`).toBeLessThanOrEqual(rel);
  return err;
}

/** Asserts `|a − ref| ≤ rel · max|ref|` (the fixtures' gradient tolerance); returns the scaled error. */
export function expectGradient(
  name: string,
  a: tf.Tensor,
  ref: { shape: number[]; data: Float32Array },
  rel = 1e-4,
) {
  expect(a.shape, name).toEqual(ref.shape);
  const err = maxAbsDiff(a.dataSync(), ref.data) / maxAbs(ref.data);
  expect(err, `${name}: scaled gradient error`).toBeLessThanOrEqual(rel);
  return err;
}

/** The fixtures' metric M = Σ_b (logits[b, −1, 7] − logits[b, −1, 13]). */
export function fixtureMetric(logits: tf.Tensor3D): tf.Scalar {
  const [B, T] = logits.shape;
  const last = tf.slice(logits, [0, T - 1, 0], [B, 1, -1]);
  return tf.sub(tf.sum(tf.slice(last, [0, 0, 7], [B, 1, 1])), tf.sum(tf.slice(last, [0, 0, 13], [B, 1, 1])));
}

/** Runs `fn` and asserts the number of live tensors is unchanged afterwards. */
export async function expectNoLeak(fn: () => unknown | Promise<unknown>): Promise<void> {
  const before = tf.memory().numTensors;
  await fn();
  expect(tf.memory().numTensors).toBe(before);
}
