import { type HookedTransformer, initEngine, loadModel, tf } from '@mechlens/core';
import { DEMO_MODEL_DIR } from '@mechlens/demo';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  evaluateSae,
  nextTokenLogProbs,
  runWithSaes,
  Sae,
  saeConfig,
  saeHook,
  summedNextTokenLoss,
} from '../src/index.js';

await initEngine();
const HOOK = 'blocks.1.hook_resid_post';
let model: HookedTransformer;
let sae: Sae;
let ids: number[][];
beforeAll(async () => {
  model = await loadModel(DEMO_MODEL_DIR);
  sae = Sae.init(saeConfig({ dIn: 128, dSae: 256, k: 8, metadata: { hookName: HOOK } }), { seed: 2 });
  ids = model.toTokens(['The river Oss flows through Dovrel.', 'Irene tossed the drink to Victor and']);
  ids = ids.map((r) => r.slice(0, 6));
  model.forward(ids).dispose(); // the model's lazy caches are its own
});
afterAll(() => {
  sae.dispose();
  model.dispose();
});

const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);

describe('splicing an SAE', () => {
  it('with the error term the model is unchanged; without it the model sees the reconstruction', () => {
    const before = tf.memory().numTensors;
    const clean = model.forward(ids);
    const withError = model.runWithHooks(ids, [saeHook(sae, { useErrorTerm: true })]);
    expect(maxDiff(clean, withError)).toBeLessThan(1e-3);
    const recons = model.runWithHooks(ids, [{ name: HOOK, fn: (x) => sae.forward(x).recons }]);
    const spliced = model.runWithHooks(ids, [saeHook(sae)]);
    expect(maxDiff(recons, spliced)).toBeLessThan(1e-4);
    tf.dispose([clean, withError, recons, spliced]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('caches the internals under SAELens names, and an acts_post edit changes the output', () => {
    const before = tf.memory().numTensors;
    const { logits, cache } = runWithSaes(model, ids, [sae], {
      cache: ['hook_sae_input', 'hook_sae_acts_pre', 'hook_sae_acts_post', 'hook_sae_recons'],
    });
    const post = cache.get(`${HOOK}.hook_sae_acts_post`) as tf.Tensor;
    expect(post.shape).toEqual([2, 6, 256]);
    const nonzero = tf.tidy(() => tf.sum(tf.cast(tf.greater(post, 0), 'int32'), -1).dataSync());
    expect(Math.max(...nonzero)).toBeLessThanOrEqual(8);
    const pre = cache.get(`${HOOK}.hook_sae_acts_pre`) as tf.Tensor;
    const again = sae.preActivations(cache.get(`${HOOK}.hook_sae_input`) as tf.Tensor);
    expect(maxDiff(pre, again)).toBe(0);
    again.dispose();
    const zeroed = model.runWithHooks(ids, [
      saeHook(sae, { hooks: { hook_sae_acts_post: (a) => tf.zerosLike(a) } }),
    ]);
    expect(maxDiff(logits, zeroed)).toBeGreaterThan(1e-3);
    tf.dispose([logits, zeroed, ...cache.values()]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects a gradient of the wrong shape', () => {
    expect(() => model.runWithHooks(ids, [saeHook(sae, { grad: tf.zeros([1, 2, 3]) })])).toThrow(
      /grad has shape/,
    );
  });
});

describe('next-token loss helpers', () => {
  it('summedNextTokenLoss is the negated sum of nextTokenLogProbs, one entry per predicted token', () => {
    const logits = model.forward(ids);
    const lp = nextTokenLogProbs(logits, ids);
    expect(lp.shape).toEqual([2 * 5]);
    const s = summedNextTokenLoss(logits, ids);
    expect(s.dataSync()[0]).toBeCloseTo(-tf.sum(lp).dataSync()[0], 3);
    tf.dispose([logits, lp, s]);
  });
});

describe('evaluateSae', () => {
  it('reports consistent numbers and leaves no tensors', async () => {
    const before = tf.memory().numTensors;
    const r = await evaluateSae(model, sae, ids, { progress: false });
    expect(tf.memory().numTensors).toBe(before);
    expect(r.tokens).toBe(10); // 2 × 6 positions minus the two BOS
    expect(r.l0).toBeLessThanOrEqual(8);
    expect(r.fvu).toBeGreaterThan(0);
    expect(r.zf.zNorm.length).toBe(r.tokens);
    expect(r.ceSpliced).toBeGreaterThan(r.ceClean as number);
    expect(r.ceLossScore).toBeCloseTo(
      ((r.ceZeroAblation as number) - (r.ceSpliced as number)) /
        ((r.ceZeroAblation as number) - (r.ceClean as number)),
      10,
    );
    expect(r.firingFrequency.length).toBe(256);
    const quick = await evaluateSae(model, sae, ids, { skipDownstream: true, progress: false });
    expect(quick.ceClean).toBeNull();
    expect(quick.fvu).toBeCloseTo(r.fvu, 5);
  });
});
