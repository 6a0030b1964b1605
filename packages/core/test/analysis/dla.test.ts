/**
 * Direct logit attribution on the HF fixtures: over a full decomposition (residual components, or heads +
 * b_O + MLPs) the attributions plus logitDiffOffset equal the model's logit difference — and the fixtures'
 * metric M — and they are invariant under weight processing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ActivationCache,
  analysisHookNames,
  applyLnToStack,
  decomposeResid,
  directLogitAttribution,
  type HookedTransformer,
  loadModel,
  logitDiffDirections,
  logitDiffOffset,
  processWeights,
  stackHeadResults,
  tf,
  tokensToResidualDirections,
} from '../../src/index.js';
import {
  ARCHS,
  errorLog,
  expectClose,
  expectNoLeak,
  fixtureDir,
  fixtureF32,
  fixtureInputs,
} from './helpers.js';

const log = errorLog();
afterAll(() => log.print());

const CORRECT = [7, 7];
const WRONG = [13, 13];

/** logits[b, t, 7] − logits[b, t, 13] per sequence at the last position. */
function logitDiff(logits: tf.Tensor): number[] {
  const l = logits.arraySync() as number[][][];
  return l.map((row, b) => row[row.length - 1][CORRECT[b]] - row[row.length - 1][WRONG[b]]);
}

/** Σ over components of a [C, B] attribution, plus the offset, per sequence. */
function totals(dla: tf.Tensor, offset: tf.Tensor): number[] {
  return tf.tidy(() => Array.from(tf.add(tf.sum(dla, 0), offset).dataSync()));
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

  it('Σ DLA over decomposeResid + offset == the logit difference (and the fixtures’ metric M)', () => {
    const { components, labels } = decomposeResid(model, cache, { pos: -1 });
    const dirs = expectNoLeak(
      () => logitDiffDirections(model, CORRECT, WRONG),
      (r) => [r],
    );
    expect(dirs.shape).toEqual([2, 64]);
    const offset = expectNoLeak(
      () => logitDiffOffset(model, CORRECT, WRONG),
      (r) => [r],
    );
    const dla = expectNoLeak(
      () => directLogitAttribution(model, cache, components, dirs, { pos: -1 }),
      (r) => [r],
    );
    expect(dla.shape).toEqual([labels.length, 2]);
    const got = totals(dla, offset);
    const want = logitDiff(logits);
    for (let b = 0; b < 2; b++) {
      log.note('Σ DLA + offset vs logit diff', Math.abs(got[b] - want[b]));
      expect(Math.abs(got[b] - want[b])).toBeLessThan(1e-5);
    }
    const M = fixtureF32(arch, 'metric').data[0];
    log.note('Σ DLA + offset vs HF metric M', Math.abs(got[0] + got[1] - M));
    expect(Math.abs(got[0] + got[1] - M)).toBeLessThan(2e-5);
    // the bias-free models have no offset
    const off = Array.from(offset.dataSync());
    if (arch === 'llama' || arch === 'qwen2') expect(off).toEqual([0, 0]);
    else expect(off.some((x) => x !== 0)).toBe(true);
    tf.dispose([components, dirs, offset, dla]);
  });

  it('per-head DLA: heads + b_O + embeddings + MLPs account for the whole logit difference', () => {
    const heads = stackHeadResults(model, cache, { pos: -1, inclBias: true });
    const rest = decomposeResid(model, cache, { pos: -1, mode: 'mlp' }); // embeddings + MLP outputs
    const dirs = logitDiffDirections(model, CORRECT, WRONG);
    const offset = logitDiffOffset(model, CORRECT, WRONG);
    const a = directLogitAttribution(model, cache, heads.results, dirs, { pos: -1 });
    const b = directLogitAttribution(model, cache, rest.components, dirs, { pos: -1 });
    const both = tf.concat([a, b], 0);
    const got = totals(both, offset);
    const want = logitDiff(logits);
    for (let i = 0; i < 2; i++) {
      log.note('Σ head-level DLA + offset vs logit diff', Math.abs(got[i] - want[i]));
      expect(Math.abs(got[i] - want[i])).toBeLessThan(1e-5);
    }
    tf.dispose([heads.results, rest.components, dirs, offset, a, b, both]);
  });

  it('directions per sequence broadcast over positions; [d] directions and pre-normalized stacks work', () => {
    const { components } = decomposeResid(model, cache); // [C, 2, 12, d]
    const dirs = logitDiffDirections(model, CORRECT, WRONG);
    const full = directLogitAttribution(model, cache, components, dirs); // [C, 2, 12]
    expect(full.shape).toEqual([components.shape[0], 2, 12]);
    const lastPos = tf.tidy(() => tf.squeeze(tf.slice(full, [0, 0, 11], [-1, -1, 1]), [2]));
    const atLast = decomposeResid(model, cache, { pos: -1 });
    const ref = directLogitAttribution(model, cache, atLast.components, dirs, { pos: -1 });
    expectClose(lastPos, ref, 1e-6);
    // a pre-normalized stack (with the final norm's weight) and applyLn: false give the same scores
    const pre = applyLnToStack(model, cache, atLast.components, { pos: -1, weight: true });
    const same = directLogitAttribution(model, cache, pre, dirs, { applyLn: false });
    expectClose(same, ref, 1e-6);
    // one [d] direction for every sequence
    const one = tf.tidy(() => tf.squeeze(tf.slice(dirs, [0, 0], [1, -1]), [0]));
    const shared = directLogitAttribution(model, cache, atLast.components, one, { pos: -1 });
    expectClose(shared, ref, 1e-6); // both sequences use the same token pair
    expect(() =>
      directLogitAttribution(model, cache, atLast.components, tf.zeros([3, 64]), { pos: -1 }),
    ).toThrow(/do not match components/);
    tf.dispose([components, dirs, full, lastPos, atLast.components, ref, pre, same, one, shared]);
  });

  it('is invariant under weight processing (fold_ln, centring, value-bias folding)', () => {
    const isLN = model.config.normType === 'layernorm';
    const processed = processWeights(model, { centerWritingWeights: isLN });
    const run = processed.runWithCache(ids, { names: analysisHookNames(processed.config) });
    const dirsRaw = logitDiffDirections(model, CORRECT, WRONG);
    const dirsProc = logitDiffDirections(processed, CORRECT, WRONG);
    const raw = decomposeResid(model, cache, { pos: -1 });
    const proc = decomposeResid(processed, run.cache, { pos: -1 });
    const a = directLogitAttribution(model, cache, raw.components, dirsRaw, { pos: -1 });
    const b = directLogitAttribution(processed, run.cache, proc.components, dirsProc, { pos: -1 });
    log.note('DLA raw vs processed', expectClose(b, a, 1e-5));
    const oa = logitDiffOffset(model, CORRECT, WRONG);
    const ob = logitDiffOffset(processed, CORRECT, WRONG);
    log.note('offset raw vs processed', expectClose(ob, oa, 1e-5));
    tf.dispose([run.logits, dirsRaw, dirsProc, raw.components, proc.components, a, b, oa, ob]);
    run.cache.dispose();
    processed.dispose();
  });

  it('token directions are W_U columns; bad ids are refused', () => {
    const dirs = expectNoLeak(
      () => tokensToResidualDirections(model, [5, 0]),
      (r) => [r],
    );
    const W_U = model.params.W_U.arraySync() as number[][];
    const d = dirs.arraySync();
    expect(d[0]).toEqual(W_U.map((row) => row[5]));
    expect(d[1]).toEqual(W_U.map((row) => row[0]));
    dirs.dispose();
    expect(() => logitDiffDirections(model, [1, 2], [3])).toThrow(/2 correct ids but 1 wrong ids/);
    expect(() => logitDiffOffset(model, [211], [3])).toThrow(/token id 211 is outside \[0, 211\)/);
    expect(() => tokensToResidualDirections(model, [-1])).toThrow(/outside/);
  });
});
