/** Metrics, activation patching, AtP, RelP, integrated gradients and the sweep table on small random models. */
import { createRandomModel, type HookedTransformer, type HookName, initEngine, tf } from '@mechlens/core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { activationPatching } from '../src/activation.js';
import {
  type ComponentType,
  compareSweeps,
  enumerateCells,
  metrics,
  type PatchingMethod,
  patchingSweep,
  preparePair,
  replaceTokens,
  sweepBaselines,
  windowLayers,
} from '../src/index.js';
import { linearOps, randomRows, tinyGpt2 } from './helpers.js';

let model: HookedTransformer;
const B = 3;
const T = 6;
let clean: number[][];
let corrupt: number[][];
const correct = [3, 4, 5];
const wrong = [7, 8, 9];

beforeAll(async () => {
  await initEngine();
  model = await tinyGpt2();
  clean = randomRows(B, T, 50, 11);
  corrupt = replaceTokens(replaceTokens(clean, [1, 1, 1], [20, 21, 22]), [3, 2, 4], [30, 31, 32]);
});
afterAll(() => model.dispose());

const ld = () => metrics.logitDiff(correct, wrong);
/** The clean/corrupted prompts and the logit-difference metric every sweep below starts from. */
const pair = () => ({ clean, corrupt, metric: ld() });
const scores = (t: ReturnType<typeof patchingSweep>) => t.array('score') as number[];
const deltas = (t: ReturnType<typeof patchingSweep>) => t.array('delta') as number[];

describe('metrics', () => {
  const logits = () =>
    tf.tensor3d(
      Array.from({ length: 2 * 3 * 5 }, (_, i) => Math.sin(i * 1.7) * 3),
      [2, 3, 5],
    );

  it('logit difference, probability, log-probability and KL match hand computation', () => {
    const x = logits();
    const a = x.arraySync();
    const last = (b: number) => a[b][2];
    const hand = (last(0)[1] - last(0)[4] + (last(1)[2] - last(1)[0])) / 2;
    expect(metrics.logitDiff([1, 2], [4, 0])(x).dataSync()[0]).toBeCloseTo(hand, 5);
    // per-prompt positions
    const handPos = (a[0][1][1] - a[0][1][4] + (last(1)[2] - last(1)[0])) / 2;
    expect(
      metrics
        .logitDiff([1, 2], [4, 0], { positions: [1, -1] })(x)
        .dataSync()[0],
    ).toBeCloseTo(handPos, 5);
    const softmax = (r: number[]) => {
      const m = Math.max(...r);
      const e = r.map((v) => Math.exp(v - m));
      const s = e.reduce((p, q) => p + q, 0);
      return e.map((v) => v / s);
    };
    const p = (softmax(last(0))[1] + softmax(last(1))[2]) / 2;
    expect(metrics.probability([1, 2])(x).dataSync()[0]).toBeCloseTo(p, 5);
    const lp = (Math.log(softmax(last(0))[1]) + Math.log(softmax(last(1))[2])) / 2;
    expect(metrics.logProb([1, 2])(x).dataSync()[0]).toBeCloseTo(lp, 5);
    expect(
      metrics
        .klDivergence([last(0), last(1)])(x)
        .dataSync()[0],
    ).toBeCloseTo(0, 6);
    const other = [last(1), last(0)];
    const kl = (q: number[], r: number[]) => {
      const pq = softmax(q);
      const pr = softmax(r);
      return pq.reduce((s, v, i) => s + v * Math.log(v / pr[i]), 0);
    };
    expect(metrics.klDivergence(other)(x).dataSync()[0]).toBeCloseTo(
      (kl(last(1), last(0)) + kl(last(0), last(1))) / 2,
      5,
    );
    const norm = metrics.normalizedLogitDiff([1, 2], [4, 0], { clean: hand, corrupt: hand - 2 });
    expect(norm(x).dataSync()[0]).toBeCloseTo(1, 5);
    x.dispose();
  });

  it('metrics are differentiable: d LD / d logits is ±1/B at the answer entries', () => {
    const x = logits();
    const before = tf.memory().numTensors;
    const g = tf.grad((l: tf.Tensor) => metrics.logitDiff([1, 2], [4, 0])(l as tf.Tensor3D))(x);
    const ga = g.arraySync() as number[][][];
    expect(ga[0][2][1]).toBeCloseTo(0.5, 6);
    expect(ga[0][2][4]).toBeCloseTo(-0.5, 6);
    expect(ga[1][2][0]).toBeCloseTo(-0.5, 6);
    expect(ga[0][1][1]).toBe(0);
    g.dispose();
    for (const m of [
      metrics.probability([1, 2]),
      metrics.logProb([1, 2]),
      metrics.klDivergence([
        [0, 1, 2, 3, 4],
        [4, 3, 2, 1, 0],
      ]),
    ]) {
      const gm = tf.grad((l: tf.Tensor) => m(l as tf.Tensor3D))(x);
      const total = gm.sum();
      expect(Number.isFinite(total.dataSync()[0])).toBe(true);
      tf.dispose([gm, total]);
    }
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });

  it('bad metric input gets clear errors', () => {
    const x = logits();
    expect(() => metrics.logitDiff([1], [2])(x)).toThrow(/built for 1 prompts but got logits for 2/);
    expect(() => metrics.logitDiff([1, 2], [2])).toThrow(/2 correct but 1 wrong ids/);
    expect(() => metrics.logitDiff([1, 9], [2, 3])(x)).toThrow(/token id 9 is outside the vocabulary of 5/);
    expect(() => metrics.logitDiff([1, 2], [2, 3], { positions: [0, 3] })(x)).toThrow(
      /answer position 3 is outside/,
    );
    expect(() => metrics.normalizedLogitDiff([1], [2], { clean: 1, corrupt: 1 })).toThrow(/must differ/);
    x.dispose();
  });
});

describe('activation patching', () => {
  it('patching a run into itself changes nothing', () => {
    const t = patchingSweep(model, {
      clean,
      corrupt: clean,
      metric: ld(),
      component: 'attn_out',
      method: 'activation',
      normalize: false,
    });
    expect(Math.max(...deltas(t).map(Math.abs))).toBe(0);
  });

  it('denoising the whole residual stream entering block 0 restores the clean metric exactly; noising gives the corrupt one', () => {
    const o = {
      ...pair(),
      component: 'resid_pre' as const,
      method: 'activation' as const,
      perPosition: false,
    };
    const den = patchingSweep(model, o);
    const noi = patchingSweep(model, { ...o, direction: 'noising' });
    expect(den.get('layer', 0)).toBe(0);
    expect(den.get('score', 0)).toBeCloseTo(1, 6);
    expect(noi.get('score', 0)).toBeCloseTo(-1, 6);
    const { clean: c, corrupt: k } = sweepBaselines(den)!;
    expect(Math.abs(c - k)).toBeGreaterThan(1e-3);
    // the final position's residual stream entering the last block carries everything the answer needs
    const last = patchingSweep(model, { ...o, perPosition: true }).filter(
      (d: { layer: number }) => d.layer === 2,
    );
    expect(last.get('score', T - 1)).toBeCloseTo(
      patchingSweep(model, { ...o, component: 'resid_pre', perPosition: true }).get('score', 2 * T + T - 1),
      10,
    );
  });

  it('one patch per forward and many patches per forward give the same numbers; a head patch equals a hand-written hook', () => {
    for (const component of ['resid_pre', 'mlp_out', 'head'] as const) {
      const o = { ...pair(), component, method: 'activation' as const, normalize: false };
      const one = deltas(patchingSweep(model, { ...o, batchSize: 1 }));
      const many = deltas(patchingSweep(model, { ...o, batchSize: 7 }));
      for (let i = 0; i < one.length; i++) expect(many[i]).toBeCloseTo(one[i], 4);
    }
    // a metric reading explicit positions unembeds every position; same numbers as the last-only path
    expect(ld().lastPositionOnly).toBe(true);
    const explicit = metrics.logitDiff(correct, wrong, { positions: [T - 1, T - 1, T - 1] });
    expect(explicit.lastPositionOnly).toBe(false);
    const o2 = {
      clean,
      corrupt,
      component: 'attn_out' as const,
      method: 'activation' as const,
      normalize: false,
    };
    const a1 = deltas(patchingSweep(model, { ...o2, metric: ld() }));
    const a2 = deltas(patchingSweep(model, { ...o2, metric: explicit }));
    for (let i = 0; i < a1.length; i++) expect(a2[i]).toBeCloseTo(a1[i], 4);
    const t = patchingSweep(model, {
      ...pair(),
      component: 'head',
      method: 'activation',
      normalize: false,
    });
    const row = (t.objects() as { layer: number; head: number; delta: number }[]).find(
      (r) => r.layer === 1 && r.head === 2,
    )!;
    const { logits: cl, cache } = model.runWithCache(clean, { names: 'blocks.1.attn.hook_z' });
    const z = cache.get('blocks.1.attn.hook_z');
    const patched = model.runWithHooks(corrupt, [{ name: 'blocks.1.attn.hook_z', fn: () => z, heads: [2] }]);
    const base = model.forward(corrupt);
    const hand = ld()(patched).dataSync()[0] - ld()(base).dataSync()[0];
    expect(row.delta).toBeCloseTo(hand, 4);
    tf.dispose([cl, patched, base]);
    cache.dispose();
  });

  it('heads can be patched per position; a window patches several layers at once', () => {
    const t = patchingSweep(model, {
      ...pair(),
      component: 'head',
      method: 'activation',
      perPosition: true,
    });
    expect(t.numRows()).toBe(3 * 4 * T);
    expect(windowLayers(0, 3, 3)).toEqual([0, 1]);
    expect(windowLayers(1, 3, 3)).toEqual([0, 1, 2]);
    expect(windowLayers(2, 4, 3)).toEqual([1, 2]);
    // a window over all layers of the final position's MLP equals patching all three by hand
    const w = patchingSweep(model, {
      ...pair(),
      component: 'mlp_out',
      method: 'activation',
      window: 5,
      normalize: false,
    });
    const { logits: l0, cache } = model.runWithCache(clean, { names: (n) => n.endsWith('hook_mlp_out') });
    const hooks = [0, 1, 2].map((l) => {
      const name = `blocks.${l}.hook_mlp_out` as HookName;
      const src = cache.get(name);
      return { name, fn: () => src, positions: [T - 1] };
    });
    const patched = model.runWithHooks(corrupt, hooks);
    const base = model.forward(corrupt);
    const hand = ld()(patched).dataSync()[0] - ld()(base).dataSync()[0];
    expect(w.get('delta', T - 1 + T)).toBeCloseTo(hand, 4); // layer 1 (window 0..2), last position
    tf.dispose([l0, patched, base]);
    cache.dispose();
  });
});

describe('attribution and relevance patching', () => {
  const comps: ComponentType[] = ['resid_pre', 'attn_out', 'mlp_out', 'head'];

  it('on a model that is linear in every activation, AtP equals activation patching exactly', () => {
    for (const component of comps) {
      const o = { ...pair(), component, ops: linearOps, normalize: false };
      const act = deltas(patchingSweep(model, { ...o, method: 'activation' }));
      const atp = deltas(patchingSweep(model, { ...o, method: 'attribution' }));
      const scale = Math.max(...act.map(Math.abs));
      expect(scale).toBeGreaterThan(1e-3);
      for (let i = 0; i < act.length; i++) expect(Math.abs(atp[i] - act[i])).toBeLessThan(1e-4 * scale);
    }
  });

  it('with every rule off, RelP equals AtP exactly; with rules on it differs', () => {
    for (const component of comps) {
      const o = { ...pair(), component };
      const atp = scores(patchingSweep(model, { ...o, method: 'attribution' }));
      const off = scores(
        patchingSweep(model, {
          ...o,
          method: 'relevance',
          rules: { ln: false, identity: false, half: false, attention: 'none' },
        }),
      );
      expect(off).toEqual(atp);
      const none = scores(patchingSweep(model, { ...o, method: 'relevance', rules: [] }));
      expect(none).toEqual(atp);
      const on = scores(patchingSweep(model, { ...o, method: 'relevance' }));
      const named = scores(
        patchingSweep(model, { ...o, method: 'relevance', rules: ['LN-rule', 'Identity-rule', 'Half-rule'] }),
      );
      expect(named).toEqual(on);
      expect(Math.max(...on.map((v, i) => Math.abs(v - atp[i])))).toBeGreaterThan(1e-6);
    }
  });

  it('noising AtP takes the gradient on the clean run', () => {
    const o = {
      ...pair(),
      component: 'resid_pre' as const,
      ops: linearOps,
      normalize: false,
      direction: 'noising' as const,
    };
    const act = deltas(patchingSweep(model, { ...o, method: 'activation' }));
    const atp = deltas(patchingSweep(model, { ...o, method: 'attribution' }));
    for (let i = 0; i < act.length; i++) expect(atp[i]).toBeCloseTo(act[i], 4);
  });

  it('integrated gradients: exact on a linear model, and per layer its cells add up to patching the whole layer', () => {
    const o = { ...pair(), component: 'attn_out' as const, normalize: false };
    const act = deltas(patchingSweep(model, { ...o, ops: linearOps, method: 'activation' }));
    const ig = deltas(patchingSweep(model, { ...o, ops: linearOps, method: 'integrated', steps: 2 }));
    for (let i = 0; i < act.length; i++) expect(ig[i]).toBeCloseTo(act[i], 4);
    const igNl = deltas(patchingSweep(model, { ...o, method: 'integrated', steps: 64 }));
    const whole = deltas(patchingSweep(model, { ...o, method: 'activation', perPosition: false }));
    for (let l = 0; l < 3; l++) {
      const sum = igNl.slice(l * T, (l + 1) * T).reduce((a, b) => a + b, 0);
      expect(Math.abs(sum - whole[l])).toBeLessThan(0.02 * Math.max(1e-3, Math.abs(whole[l])) + 1e-4);
    }
  });
});

describe('the sweep table', () => {
  it('has the contract columns, null pos for whole-position heads and null head elsewhere', () => {
    const heads = patchingSweep(model, {
      ...pair(),
      component: 'head',
      method: 'attribution',
    });
    expect(heads.columnNames()).toEqual(expect.arrayContaining(['layer', 'pos', 'head', 'score']));
    expect(heads.numRows()).toBe(3 * 4);
    expect(heads.array('pos')).toEqual(new Array(12).fill(null));
    expect(heads.array('head')).toEqual([0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3]);
    const resid = patchingSweep(model, {
      ...pair(),
      component: 'resid_pre',
      method: 'relevance',
    });
    expect(resid.numRows()).toBe(3 * T);
    expect(resid.array('head')).toEqual(new Array(3 * T).fill(null));
    expect(resid.get('method', 0)).toBe('relevance');
    expect(resid.get('direction', 0)).toBe('denoising');
  });

  it('leaves no tensors behind for any method', () => {
    for (const method of ['activation', 'attribution', 'relevance', 'integrated'] as PatchingMethod[]) {
      for (const component of ['resid_pre', 'head'] as ComponentType[]) {
        patchingSweep(model, { ...pair(), component, method, steps: 2 }); // warm-up
        const before = tf.memory().numTensors;
        patchingSweep(model, { ...pair(), component, method, steps: 2 });
        expect(tf.memory().numTensors, `${method} ${component}`).toBe(before);
      }
    }
  });

  it('compares methods against activation patching', () => {
    const o = { ...pair(), component: 'attn_out' as const };
    const truth = patchingSweep(model, { ...o, method: 'activation' });
    const self = compareSweeps(truth, truth);
    expect(self.pearson).toBeCloseTo(1, 10);
    expect(self.spearman).toBeCloseTo(1, 10);
    expect(self.topK).toBe(1);
    const heads = patchingSweep(model, { ...o, component: 'head', method: 'attribution' });
    expect(() => compareSweeps(truth, heads)).toThrow(/no row for attn_out layer 0 pos 0/);
  });

  it('rejects bad requests with clear errors', () => {
    const o = {
      ...pair(),
      component: 'resid_pre' as const,
      method: 'activation' as const,
    };
    expect(() => patchingSweep(model, { ...o, component: 'attn' as never })).toThrow(
      /unknown component "attn"; use one of resid_pre/,
    );
    expect(() => patchingSweep(model, { ...o, method: 'atp' as never })).toThrow(/unknown method "atp"/);
    expect(() => patchingSweep(model, { ...o, corrupt: corrupt.slice(1) })).toThrow(
      /patching needs equal shapes/,
    );
    expect(() => patchingSweep(model, { ...o, corrupt: corrupt.map((r) => r.slice(1)) })).toThrow(
      /equal shapes/,
    );
    expect(() => patchingSweep(model, { ...o, clean: [[1, 2], [3]] })).toThrow(
      /prompt 1 has 1 tokens but prompt 0 has 2/,
    );
    expect(() => patchingSweep(model, { ...o, direction: 'sideways' as never })).toThrow(/unknown direction/);
    expect(() => patchingSweep(model, { ...o, method: 'attribution', window: 3 })).toThrow(
      /window applies to activation/,
    );
    expect(() => patchingSweep(model, { ...o, rules: { ln: true } })).toThrow(
      /rules apply to method 'relevance'/,
    );
    expect(() => patchingSweep(model, { ...o, corrupt: clean })).toThrow(/cannot be normalised/);
    expect(() =>
      patchingSweep(model, { ...o, corruptHooks: [{ name: 'blocks.0.hook_resid_pre', fn: (a) => a }] }),
    ).toThrow(/corruptHooks must act on hook_embed/);
  });

  it('a 12-layer sweep batches patches: far fewer forwards than patches, each resuming at its block', async () => {
    const deep = await createRandomModel(
      { arch: 'gpt2', nLayers: 12, dModel: 16, nHeads: 2, dMLP: 32, dVocab: 40, nCtx: 8 },
      { seed: 5, initRange: 0.3 },
    );
    const c = randomRows(2, 5, 40, 3);
    const k = replaceTokens(c, [1, 2], [7, 8]);
    const spy = vi.spyOn(deep, 'runWithHooks');
    const t = patchingSweep(deep, {
      clean: c,
      corrupt: k,
      metric: metrics.logitDiff([1, 2], [3, 4]),
      component: 'resid_pre',
      method: 'activation',
      normalize: false,
    });
    expect(t.numRows()).toBe(60);
    expect(spy.mock.calls.length).toBe(12); // one per layer: 5 patches each
    expect(spy.mock.calls.map((a) => a[2]?.startAtLayer)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    spy.mockRestore();
    deep.dispose();
  });

  it('the low-level activationPatching reports source and target values', () => {
    const prepared = preparePair(model, pair());
    const cells = enumerateCells(model.cfg, 'resid_pre', T, false);
    const r = activationPatching(prepared, { type: 'resid_pre', cells: cells.slice(0, 1) });
    expect(r.patched[0]).toBeCloseTo(r.source, 5);
    expect(r.target).not.toBeCloseTo(r.source, 3);
  });
});
