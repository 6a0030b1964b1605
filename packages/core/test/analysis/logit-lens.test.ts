/**
 * logitLens / logitLensTopK on the HF fixtures: the final stream reproduces the model's (and HF's) logits in
 * both norm modes; intermediate streams match a float64 host computation of the documented formulas.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ActivationCache,
  analysisHookNames,
  type HookedTransformer,
  loadModel,
  logitLens,
  logitLensTopK,
  tf,
} from '../../src/index.js';
import {
  ARCHS,
  errorLog,
  expectClose,
  expectNoLeak,
  fixtureDir,
  fixtureF32,
  fixtureInputs,
  maxAbs,
  maxAbsDiff,
} from './helpers.js';

const log = errorLog();
afterAll(() => log.print());

/** Host float64 logit lens of one residual vector. */
function hostLens(model: HookedTransformer, r: number[], scale: number | null): number[] {
  const cfg = model.config;
  const d = cfg.dModel;
  const w = Array.from(model.params.lnFinal.w.dataSync());
  const b = model.params.lnFinal.b ? Array.from(model.params.lnFinal.b.dataSync()) : null;
  const W_U = model.params.W_U.dataSync();
  const mean = cfg.normType === 'layernorm' ? r.reduce((a, x) => a + x, 0) / d : 0;
  const c = r.map((x) => x - mean);
  const s = scale ?? Math.sqrt(c.reduce((a, x) => a + x * x, 0) / d + cfg.eps);
  const x = c.map((v, i) => (v / s) * w[i] + (b ? b[i] : 0));
  const V = cfg.dVocab;
  const out = new Array<number>(V).fill(0);
  for (let i = 0; i < d; i++) for (let v = 0; v < V; v++) out[v] += x[i] * W_U[i * V + v];
  return out;
}

describe.each(ARCHS)('%s fixture', (arch) => {
  let model: HookedTransformer;
  let cache: ActivationCache;
  let logits: tf.Tensor;
  const ids = fixtureInputs(arch);

  beforeAll(async () => {
    model = await loadModel(fixtureDir(arch));
    ({ logits, cache } = model.runWithCache(ids, { names: analysisHookNames(model.config) }));
  });
  afterAll(() => {
    cache.dispose();
    logits.dispose();
    model.dispose();
  });

  it.each(['cached', 'recompute'] as const)('the final stream gives the model logits (%s norm)', (norm) => {
    const lens = expectNoLeak(
      () => logitLens(model, cache, { norm }),
      (r) => [r.values],
    );
    expect(lens.labels).toEqual(['0_pre', '1_pre', 'final_post']);
    expect(lens.output).toBe('logits');
    expect(lens.values.shape).toEqual([3, 2, 12, 211]);
    const last = tf.squeeze(tf.slice(lens.values, [2, 0, 0, 0], [1, -1, -1, -1]), [0]);
    log.note(`final vs model logits (${norm})`, expectClose(last, logits, 1e-5));
    const ref = fixtureF32(arch, 'logits');
    const err = maxAbsDiff(last.dataSync(), ref.data) / Math.max(1, maxAbs(ref.data));
    log.note(`final vs HF logits (${norm})`, err);
    expect(err).toBeLessThan(2e-5);
    tf.dispose([last, lens.values]);
  });

  it.each(['cached', 'recompute'] as const)(
    'intermediate streams match the host formula (%s norm)',
    (norm) => {
      const lens = logitLens(model, cache, { norm, pos: [3, -1], layers: [1, 0] });
      expect(lens.labels).toEqual(['1_pre', '0_pre']);
      expect(lens.values.shape).toEqual([2, 2, 2, 211]);
      const v = lens.values.arraySync() as number[][][][];
      const scale = cache.get('ln_final.hook_scale').arraySync() as number[][][];
      for (const [s, layer] of [
        [0, 1],
        [1, 0],
      ]) {
        const resid = cache.get(`blocks.${layer}.hook_resid_pre`).arraySync() as number[][][];
        for (const b of [0, 1]) {
          for (const [j, t] of [
            [0, 3],
            [1, 11],
          ]) {
            const want = hostLens(model, resid[b][t], norm === 'cached' ? scale[b][t][0] : null);
            const err = maxAbsDiff(v[s][b][j], want) / Math.max(1, maxAbs(want));
            log.note(`intermediate vs host f64 (${norm})`, err);
            expect(err).toBeLessThan(1e-5);
          }
        }
      }
      lens.values.dispose();
    },
  );

  it('log-probs are normalized and equal log-softmax of the logits', () => {
    const lp = logitLens(model, cache, { pos: -1, output: 'logProbs', layers: [-1] });
    expect(lp.output).toBe('logProbs');
    expect(lp.values.shape).toEqual([1, 2, 211]);
    const total = tf.tidy(() => tf.sum(tf.exp(lp.values), -1));
    for (const x of total.dataSync()) expect(Math.abs(x - 1)).toBeLessThan(1e-5);
    const want = tf.tidy(() =>
      tf.expandDims(tf.logSoftmax(tf.squeeze(tf.slice(logits, [0, 11, 0], [-1, 1, -1]), [1])), 0),
    );
    expectClose(lp.values, want, 1e-5);
    tf.dispose([total, want, lp.values]);
  });

  it('inclMid adds resid_mid streams (sequential models) and refuses parallel ones', () => {
    if (model.config.parallelResidual) {
      expect(() => logitLens(model, cache, { inclMid: true })).toThrow(/parallel residual/);
      return;
    }
    const lens = logitLens(model, cache, { inclMid: true, pos: 0 });
    expect(lens.labels).toEqual(['0_pre', '0_mid', '1_pre', '1_mid', 'final_post']);
    expect(lens.values.shape).toEqual([5, 2, 211]);
    lens.values.dispose();
  });

  it('logitLensTopK gives the top tokens, their text, and a target’s rank per stream', () => {
    const lens = logitLens(model, cache);
    const before = tf.memory().numTensors;
    const rows = logitLensTopK(lens, { k: 4, batch: 1, pos: 7, decode: (id) => `<${id}>` });
    expect(tf.memory().numTensors).toBe(before);
    expect(rows.map((r) => r.label)).toEqual(lens.labels);
    const all = lens.values.arraySync() as number[][][][];
    rows.forEach((row, s) => {
      const full = all[s][1][7];
      const sorted = [...full.keys()].sort((a, b) => full[b] - full[a]);
      expect(row.ids).toEqual(sorted.slice(0, 4));
      expect(row.values).toEqual(row.ids.map((i) => Math.fround(full[i])));
      expect(row.tokens).toEqual(row.ids.map((i) => `<${i}>`));
    });
    // the final stream's top-1 at the last position is the model's greedy choice; a target's rank
    const last = logitLensTopK(lens, { k: 3, batch: 0, target: rows[2].ids[0] });
    const argmax = tf.tidy(() => tf.argMax(tf.slice(logits, [0, 11, 0], [1, 1, -1]), -1).dataSync()[0]);
    expect(last[2].ids[0]).toBe(argmax);
    const ranked = logitLensTopK(lens, { k: 3, batch: 0, target: last[2].ids[2] });
    expect(ranked[2].target).toEqual({ id: last[2].ids[2], value: last[2].values[2], rank: 2 });
    expect(() => logitLensTopK(lens, { batch: 2 })).toThrow(/batch 2 is outside \[0, 2\)/);
    lens.values.dispose();
    const single = logitLens(model, cache, { pos: -1 });
    expect(() => logitLensTopK(single, { pos: 0 })).toThrow(/single position/);
    expect(logitLensTopK(single, { k: 1 })[2].ids).toEqual([argmax]);
    single.values.dispose();
  });

  it('rejects bad layers', () => {
    expect(() => logitLens(model, cache, { layers: [3] })).toThrow(/layer 3 is outside \[0, 2\]/);
  });
});
