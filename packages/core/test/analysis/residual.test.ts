/**
 * accumulatedResid, decomposeResid, applyLnToStack and stackHeadResults on the four HF fixtures: stacks sum
 * to the cached residual stream, normalized stacks reproduce the cached hook_normalized, per-head results
 * reproduce the model's own opt-in hook_result and sum (with b_O) to hook_attn_out; no tensor leaks.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ActivationCache,
  accumulatedResid,
  analysisHookNames,
  applyLnToStack,
  decomposeResid,
  type HookedTransformer,
  type HookName,
  loadModel,
  stackHeadResults,
  tf,
} from '../../src/index.js';
import { ARCHS, errorLog, expectClose, expectNoLeak, fixtureDir, fixtureInputs } from './helpers.js';

const log = errorLog();
afterAll(() => log.print());

describe.each(ARCHS)('%s fixture', (arch) => {
  let model: HookedTransformer;
  let cache: ActivationCache;
  let logits: tf.Tensor;
  /** A second run caching only the opt-in per-head results (so `cache` keeps the fused attn_out path). */
  let resultCache: ActivationCache;
  let logits2: tf.Tensor;
  const ids = fixtureInputs(arch); // [2, 12]

  beforeAll(async () => {
    model = await loadModel(fixtureDir(arch));
    const names = analysisHookNames(model.config);
    for (const l of [0, 1]) names.push(`blocks.${l}.ln1.hook_normalized`, `blocks.${l}.ln2.hook_normalized`);
    names.push('ln_final.hook_normalized');
    ({ logits, cache } = model.runWithCache(ids, { names }));
    const resultNames = [0, 1].map((l) => `blocks.${l}.attn.hook_result` as HookName);
    ({ logits: logits2, cache: resultCache } = model.runWithCache(ids, { names: resultNames }));
  });
  afterAll(() => {
    cache.dispose();
    logits.dispose();
    resultCache.dispose();
    logits2.dispose();
    model.dispose();
  });

  const sumOver0 = (t: tf.Tensor) => tf.sum(t, 0);

  it('decomposeResid: components sum to the residual stream (final, per layer, MLP input)', () => {
    const n = model.config.nLayers;
    const parallel = model.config.parallelResidual;
    // final stream
    const all = expectNoLeak(
      () => decomposeResid(model, cache),
      (r) => [r.components],
    );
    const expected = [
      'embed',
      ...(arch === 'gpt2' ? ['pos_embed'] : []),
      '0_attn_out',
      '0_mlp_out',
      '1_attn_out',
      '1_mlp_out',
    ];
    expect(all.labels).toEqual(expected);
    expect(all.components.shape).toEqual([expected.length, 2, 12, 64]);
    const s = sumOver0(all.components);
    log.note(
      'decompose sum vs resid_post (final)',
      expectClose(s, cache.get(`blocks.${n - 1}.hook_resid_post`), 1e-5),
    );
    tf.dispose([s, all.components]);
    // every layer, every position selector
    for (let layer = 0; layer <= n; layer++) {
      for (const pos of [undefined, -1, [0, 5, -1]] as const) {
        const { components, labels } = decomposeResid(model, cache, { layer, pos });
        expect(labels.length).toBe(expected.length - 2 * (n - layer));
        const target =
          layer === n
            ? cache.get(`blocks.${n - 1}.hook_resid_post`)
            : cache.get(`blocks.${layer}.hook_resid_pre`);
        const want = tf.tidy(() => {
          if (pos === undefined) return tf.clone(target);
          if (typeof pos === 'number') return tf.squeeze(tf.slice(target, [0, 11, 0], [-1, 1, -1]), [1]);
          return tf.gather(target, tf.tensor1d([0, 5, 11], 'int32'), 1);
        });
        const got = sumOver0(components);
        log.note(
          'decompose sum vs resid_pre',
          expectClose(got, want, 1e-5, `layer ${layer} pos ${String(pos)}`),
        );
        tf.dispose([got, want, components]);
      }
    }
    // the input of block 1's MLP: resid_mid (sequential) or resid_pre (parallel)
    const mlpIn = decomposeResid(model, cache, { layer: 1, mlpInput: true });
    expect(mlpIn.labels.at(-1)).toBe(parallel ? '0_mlp_out' : '1_attn_out');
    const got = sumOver0(mlpIn.components);
    const target = cache.get(parallel ? 'blocks.1.hook_resid_pre' : 'blocks.1.hook_resid_mid');
    log.note('decompose sum vs mlp input', expectClose(got, target, 1e-5));
    tf.dispose([got, mlpIn.components]);
  });

  it('decomposeResid modes select attention or MLP outputs only', () => {
    const attn = decomposeResid(model, cache, { mode: 'attn', inclEmbeds: false, pos: -1 });
    const mlp = decomposeResid(model, cache, { mode: 'mlp', inclEmbeds: false, pos: -1 });
    expect(attn.labels).toEqual(['0_attn_out', '1_attn_out']);
    expect(mlp.labels).toEqual(['0_mlp_out', '1_mlp_out']);
    expect(attn.components.shape).toEqual([2, 2, 64]);
    const a1 = tf.squeeze(tf.slice(cache.get('blocks.1.hook_attn_out'), [0, 11, 0], [-1, 1, -1]), [1]);
    const got = tf.squeeze(tf.slice(attn.components, [1, 0, 0], [1, -1, -1]), [0]);
    expect(Array.from(got.dataSync())).toEqual(Array.from(a1.dataSync()));
    tf.dispose([a1, got, attn.components, mlp.components]);
    const none = decomposeResid(model, cache, { layer: 0, inclEmbeds: false });
    expect(none.labels).toEqual([]);
    expect(none.components.shape).toEqual([0, 2, 12, 64]);
    none.components.dispose();
  });

  it('accumulatedResid: the cached residual stream at every depth', () => {
    const n = model.config.nLayers;
    const parallel = model.config.parallelResidual;
    const acc = expectNoLeak(
      () => accumulatedResid(model, cache, { pos: [2, -1] }),
      (r) => [r.resid],
    );
    expect(acc.labels).toEqual(['0_pre', '1_pre', 'final_post']);
    expect(acc.resid.shape).toEqual([3, 2, 2, 64]);
    const r = acc.resid.arraySync() as number[][][][];
    const pre1 = cache.get('blocks.1.hook_resid_pre').arraySync() as number[][][];
    const post = cache.get(`blocks.${n - 1}.hook_resid_post`).arraySync() as number[][][];
    expect(r[1][1][0]).toEqual(pre1[1][2]);
    expect(r[2][0][1]).toEqual(post[0][11]);
    acc.resid.dispose();
    if (parallel) {
      expect(() => accumulatedResid(model, cache, { inclMid: true })).toThrow(
        /parallel residual.*no resid_mid/,
      );
    } else {
      const mid = accumulatedResid(model, cache, { inclMid: true, pos: -1 });
      expect(mid.labels).toEqual(['0_pre', '0_mid', '1_pre', '1_mid', 'final_post']);
      mid.resid.dispose();
    }
    const upTo1 = accumulatedResid(model, cache, { layer: 1, mlpInput: true, pos: -1 });
    expect(upTo1.labels).toEqual(parallel ? ['0_pre', '1_pre'] : ['0_pre', '1_pre', '1_mid']);
    upTo1.resid.dispose();
  });

  it('applyLnToStack reproduces the cached hook_normalized of ln1, ln2 and ln_final', () => {
    const parallel = model.config.parallelResidual;
    // final norm: the final stream normalized with the cached scale == ln_final.hook_normalized
    const acc = accumulatedResid(model, cache, { applyLn: true });
    const last = tf.squeeze(tf.slice(acc.resid, [2, 0, 0, 0], [1, -1, -1, -1]), [0]);
    log.note('applyLn final', expectClose(last, cache.get('ln_final.hook_normalized'), 1e-5));
    tf.dispose([last, acc.resid]);
    for (const l of [0, 1]) {
      const a = expectNoLeak(
        () => accumulatedResid(model, cache, { layer: l, applyLn: true, pos: -1 }),
        (x) => [x.resid],
      );
      const got = tf.squeeze(tf.slice(a.resid, [l, 0, 0], [1, -1, -1]), [0]);
      const want = tf.squeeze(
        tf.slice(cache.get(`blocks.${l}.ln1.hook_normalized`), [0, 11, 0], [-1, 1, -1]),
        [1],
      );
      log.note('applyLn ln1', expectClose(got, want, 1e-5, `ln1 layer ${l}`));
      tf.dispose([got, want, a.resid]);
      // ln2 reads resid_mid (sequential) or resid_pre (parallel): decompose that input and normalize it
      const d = decomposeResid(model, cache, { layer: l, mlpInput: true, applyLn: true });
      const sum = tf.sum(d.components, 0);
      log.note(
        'applyLn ln2',
        expectClose(sum, cache.get(`blocks.${l}.ln2.hook_normalized`), 1e-5, `ln2 layer ${l}`),
      );
      tf.dispose([sum, d.components]);
      expect(d.labels.at(-1)).toBe(parallel ? (l === 0 ? 'embed' : '0_mlp_out') : `${l}_attn_out`);
    }
    // the weight option multiplies by w
    const stack = tf.ones([3, 2, 64]);
    const plain = expectNoLeak(
      () => applyLnToStack(model, cache, stack, { pos: 0 }),
      (r) => [r],
    );
    const weighted = applyLnToStack(model, cache, stack, { pos: 0, weight: true });
    const byHand = tf.mul(plain, model.params.lnFinal.w);
    expectClose(weighted, byHand, 1e-6);
    tf.dispose([stack, plain, weighted, byHand]);
  });

  it('applyLnToStack rejects stacks that do not match the selected positions', () => {
    const stack = tf.zeros([3, 2, 12, 64]);
    expect(() => applyLnToStack(model, cache, stack, { pos: -1 })).toThrow(/does not end in \[2, 64\]/);
    expect(() => applyLnToStack(model, cache, stack, { pos: [0, 1] })).toThrow(
      /does not end in \[2, 2, 64\]/,
    );
    expect(() => applyLnToStack(model, cache, stack, { layer: 7 })).toThrow(
      /layer must be an integer in \[0, 2\]/,
    );
    expect(() => applyLnToStack(model, cache, stack, { pos: 12 })).toThrow(
      /position 12 is out of range for 12/,
    );
    expect(() => applyLnToStack(model, cache, stack, { mlpInput: true })).toThrow(
      /mlpInput needs a block layer/,
    );
    stack.dispose();
  });

  it('stackHeadResults: equals the model’s hook_result; heads + b_O sum to hook_attn_out', () => {
    const { nHeads: H, nLayers: n } = model.config;
    const res = expectNoLeak(
      () => stackHeadResults(model, cache, { inclBias: true }),
      (r) => [r.results],
    );
    const hasBias = arch === 'gpt2' || arch === 'gpt_neox';
    const heads = Array.from({ length: n * H }, (_, i) => `L${Math.floor(i / H)}H${i % H}`);
    expect(res.labels).toEqual([...heads, ...(hasBias ? ['L0_b_O', 'L1_b_O'] : [])]);
    for (let l = 0; l < n; l++) {
      const perHead = tf.slice(res.results, [l * H, 0, 0, 0], [H, -1, -1, -1]); // [H, B, T, d]
      const fromModel = tf.transpose(resultCache.get(`blocks.${l}.attn.hook_result`), [2, 0, 1, 3]);
      log.note('head results vs hook_result', expectClose(perHead, fromModel, 1e-5, `layer ${l}`));
      let sum = tf.sum(perHead, 0);
      if (hasBias) {
        const b = tf.squeeze(tf.slice(res.results, [n * H + l, 0, 0, 0], [1, -1, -1, -1]), [0]);
        sum = tf.add(sum, b);
        b.dispose();
      }
      log.note(
        'Σ heads + b_O vs attn_out',
        expectClose(sum, cache.get(`blocks.${l}.hook_attn_out`), 1e-5, `layer ${l}`),
      );
      tf.dispose([perHead, fromModel, sum]);
    }
    res.results.dispose();
    // positions, a partial stack with remainder summing to the stream entering block 1, and applyLn
    const part = stackHeadResults(model, cache, { layer: 1, pos: -1, inclRemainder: true, applyLn: true });
    expect(part.labels).toEqual([...heads.slice(0, H), 'remainder']);
    expect(part.results.shape).toEqual([H + 1, 2, 64]);
    const sum = tf.sum(part.results, 0);
    const want = tf.tidy(() => {
      const n1 = cache.get('blocks.1.ln1.hook_normalized');
      return tf.squeeze(tf.slice(n1, [0, 11, 0], [-1, 1, -1]), [1]);
    });
    log.note('heads + remainder (applyLn) vs ln1 normalized', expectClose(sum, want, 1e-5));
    tf.dispose([sum, want, part.results]);
    const empty = stackHeadResults(model, cache, { layer: 0, pos: [1, 2] });
    expect(empty.labels).toEqual([]);
    expect(empty.results.shape).toEqual([0, 2, 2, 64]);
    empty.results.dispose();
  });

  it('explains which hook is missing from a filtered cache', () => {
    const { logits: l2, cache: small } = model.runWithCache(ids, { names: ['blocks.0.hook_resid_pre'] });
    expect(() => decomposeResid(model, small)).toThrow(/needs 'hook_embed' in the cache.*analysisHookNames/);
    expect(() => accumulatedResid(model, small, { applyLn: true, layer: 0 })).toThrow(
      /'blocks\.0\.ln1\.hook_scale'/,
    );
    small.dispose();
    l2.dispose();
  });
});
