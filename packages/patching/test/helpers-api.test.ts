/** Correlation helpers and corruptions. */
import { type HookedTransformer, initEngine, tf } from '@mechlens/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  gaussianNoise,
  pearson,
  ranks,
  replaceTokens,
  spearman,
  swapTokens,
  topKOverlap,
} from '../src/index.js';
import { tinyGpt2 } from './helpers.js';

let model: HookedTransformer;
beforeAll(async () => {
  await initEngine();
  model = await tinyGpt2();
});
afterAll(() => model.dispose());

describe('comparison helpers', () => {
  it('pearson, spearman (average ranks for ties) and top-k overlap match hand values', () => {
    expect(pearson([1, 2, 3], [2, 4, 6])).toBeCloseTo(1, 12);
    expect(pearson([1, 2, 3], [3, 2, 1])).toBeCloseTo(-1, 12);
    expect(pearson([1, 2, 3, 4], [1, 3, 2, 4])).toBeCloseTo(0.8, 12);
    expect(Array.from(ranks([10, 30, 20, 20]))).toEqual([1, 4, 2.5, 2.5]);
    expect(spearman([1, 2, 3, 4], [1, 8, 27, 64])).toBeCloseTo(1, 12);
    expect(topKOverlap([5, -4, 0, 1], [3, 0, -6, 1], 2)).toBe(0.5);
    expect(Number.isNaN(pearson([1, 1, 1], [1, 2, 3]))).toBe(true);
    expect(() => pearson([1], [1])).toThrow(/at least 2/);
    expect(() => topKOverlap([1, 2], [1, 2], 3)).toThrow(/k must be an integer in \[1, 2\]/);
  });
});

describe('corruptions', () => {
  it('swapTokens swaps both ways, per row or for all; replaceTokens replaces one position per row', () => {
    expect(swapTokens([[5, 9, 7, 9]], [[5, 9]])).toEqual([[9, 5, 7, 5]]);
    expect(
      swapTokens(
        [
          [1, 2],
          [3, 4],
        ],
        [[[1, 2]], [[3, 4]]],
      ),
    ).toEqual([
      [2, 1],
      [4, 3],
    ]);
    expect(() => swapTokens([[1]], [[1, 1]])).toThrow(/swaps a token with itself/);
    expect(replaceTokens([[1, 2, 3]], [-1], [9])).toEqual([[1, 2, 9]]);
    expect(() => replaceTokens([[1, 2, 3]], [3], [9])).toThrow(/position 3 is outside row 0/);
  });

  it('gaussianNoise: ν = 3·std(W_E), only at the given positions, deterministic, tiles over stacked batches', () => {
    const before = tf.memory().numTensors;
    const n = gaussianNoise(model, { prompts: 2, seq: 4, positions: [1], seed: 3 });
    const std = tf.tidy(() => Math.sqrt(tf.moments(model.params.W_E).variance.dataSync()[0]));
    expect(n.scale).toBeCloseTo(3 * std, 5);
    const a = tf.zeros([2, 4, model.cfg.dModel]);
    const ctx = {} as never;
    const out = n.hook.fn(a, ctx) as tf.Tensor;
    const rows = out.arraySync() as number[][][];
    expect(rows[0][0].every((v) => v === 0)).toBe(true);
    expect(rows[1][1].some((v) => v !== 0)).toBe(true);
    // inside a run the hook's intermediates are freed by the run; here a tidy does it
    const tiled = tf.tidy(() => n.hook.fn(tf.zeros([4, 4, model.cfg.dModel]), ctx) as tf.Tensor);
    const t = tiled.arraySync() as number[][][];
    expect(t[2][1]).toEqual(rows[0][1]);
    expect(() => n.hook.fn(tf.zeros([3, 4, model.cfg.dModel]), ctx)).toThrow(
      /made for 2 prompts of 4 tokens/,
    );
    tf.dispose([a, out, tiled]);
    n.dispose();
    tf.disposeVariables();
    expect(tf.memory().numTensors).toBeLessThanOrEqual(before + 1); // the failed call's zeros input
  });
});
