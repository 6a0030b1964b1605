/** Hook semantics: replacement, position/head masks, scoping, validation, cache filters, opt-in hooks. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Hook, type HookedTransformer, type HookName, loadModel, tf } from '../../src/index.js';
import { expectNoLeak, fixtureDir, loadReference, maxAbsDiff } from './helpers.js';

let gpt2: HookedTransformer;
let llama: HookedTransformer;
let rows: number[][];

beforeAll(async () => {
  gpt2 = await loadModel(fixtureDir('gpt2'));
  llama = await loadModel(fixtureDir('llama'));
  rows = loadReference('gpt2').rows;
});
afterAll(() => {
  gpt2.dispose();
  llama.dispose();
});

describe('replacing hooks', () => {
  it('zero-ablating head 1 via hook_z with heads:[1] equals zeroing that head by hand', () => {
    const clean = gpt2.forward(rows);
    const ablated = gpt2.runWithHooks(rows, [
      { name: 'blocks.0.attn.hook_z', fn: (z) => tf.zerosLike(z), heads: [1] },
    ]);
    const byHand = gpt2.runWithHooks(rows, [
      { name: 'blocks.0.attn.hook_z', fn: (z) => tf.mul(z, tf.tensor([1, 0, 1, 1]).reshape([1, 1, 4, 1])) },
    ]);
    expect(maxAbsDiff(ablated.dataSync(), byHand.dataSync())).toBe(0);
    expect(maxAbsDiff(ablated.dataSync(), clean.dataSync())).toBeGreaterThan(1e-3);
    tf.dispose([clean, ablated, byHand]);
  });

  it('the ablated z flows into attn_out = z · W_O + b_O (checked from the cache)', () => {
    const { logits, cache } = gpt2.runWithCache(rows, {
      names: ['blocks.0.attn.hook_z', 'blocks.0.hook_attn_out'],
      hooks: [{ name: 'blocks.0.attn.hook_z', fn: (z) => tf.zerosLike(z), heads: [1] }],
    });
    const z = cache.get('blocks.0.attn.hook_z');
    const zs = z.dataSync();
    for (let i = 0; i < zs.length; i++) {
      const head = Math.floor(i / 16) % 4;
      if (head === 1) expect(zs[i]).toBe(0);
    }
    const p = gpt2.params.blocks[0];
    const expected = tf.tidy(() =>
      tf.add(tf.matMul(z.reshape([24, 64]), p.W_O), p.b_O as tf.Tensor).reshape([2, 12, 64]),
    );
    expect(maxAbsDiff(cache.get('blocks.0.hook_attn_out').dataSync(), expected.dataSync())).toBeLessThan(
      1e-6,
    );
    tf.dispose([expected, logits]);
    cache.dispose();
  });

  it('positions limit the replacement; later positions change, earlier ones do not (causality)', () => {
    const clean = gpt2.forward(rows);
    const hook: Hook = { name: 'blocks.0.hook_resid_pre', fn: (x) => tf.zerosLike(x), positions: [5] };
    const { logits, cache } = gpt2.runWithCache(rows, { names: ['blocks.0.hook_resid_pre'], hooks: [hook] });
    const r = cache.get('blocks.0.hook_resid_pre').arraySync() as number[][][];
    for (let b = 0; b < 2; b++) {
      for (let t = 0; t < 12; t++) {
        const zero = r[b][t].every((v) => v === 0);
        expect(zero).toBe(t === 5);
      }
    }
    const lc = clean.arraySync() as number[][][];
    const lh = logits.arraySync() as number[][][];
    expect(maxAbsDiff(lh[0].slice(0, 5).flat(), lc[0].slice(0, 5).flat())).toBe(0);
    expect(maxAbsDiff(lh[0].slice(5).flat(), lc[0].slice(5).flat())).toBeGreaterThan(1e-3);
    tf.dispose([clean, logits]);
    cache.dispose();
  });

  it('negative positions count from the end; heads and positions combine', () => {
    const { logits, cache } = llama.runWithCache(rows, {
      names: ['blocks.1.attn.hook_pattern'],
      hooks: [
        { name: 'blocks.1.attn.hook_pattern', fn: (p) => tf.zerosLike(p), positions: [-1], heads: [0, 3] },
      ],
    });
    const p = cache.get('blocks.1.attn.hook_pattern').arraySync() as number[][][][];
    for (let h = 0; h < 4; h++) {
      for (let q = 0; q < 12; q++) {
        const sum = p[1][h][q].reduce((a, b) => a + b, 0);
        if (q === 11 && (h === 0 || h === 3)) expect(sum).toBe(0);
        else expect(Math.abs(sum - 1)).toBeLessThan(1e-5);
      }
    }
    logits.dispose();
    cache.dispose();
  });

  it('a kv-head hook on a GQA model indexes kv heads', () => {
    const { logits, cache } = llama.runWithCache(rows, {
      names: ['blocks.0.attn.hook_v', 'blocks.0.attn.hook_z'],
      hooks: [{ name: 'blocks.0.attn.hook_v', fn: (v) => tf.zerosLike(v), heads: [1] }],
    });
    expect(cache.get('blocks.0.attn.hook_v').shape).toEqual([2, 12, 2, 16]);
    // kv head 1 serves query heads 2 and 3 (h // 2): their z is zero, heads 0/1 are not
    const z = cache.get('blocks.0.attn.hook_z').arraySync() as number[][][][];
    expect(z[0][3][2].every((x) => x === 0) && z[0][3][3].every((x) => x === 0)).toBe(true);
    expect(z[0][3][0].some((x) => x !== 0) && z[0][3][1].some((x) => x !== 0)).toBe(true);
    logits.dispose();
    cache.dispose();
    expect(() =>
      llama.runWithHooks(rows, [{ name: 'blocks.0.attn.hook_k', fn: (k) => k, heads: [2] }]),
    ).toThrow(/head 2 is out of range \(0\.\.1\)/);
  });

  it('replacing attention scores changes the pattern (unfused path is used)', () => {
    const { logits, cache } = gpt2.runWithCache(rows, {
      names: ['blocks.0.attn.hook_pattern'],
      hooks: [
        {
          name: 'blocks.0.attn.hook_attn_scores',
          // attend only to position 0: -inf everywhere else
          fn: (s) => {
            const T = s.shape[3] as number;
            const bias = new Float32Array(T).fill(Number.NEGATIVE_INFINITY);
            bias[0] = 0;
            return tf.add(tf.zerosLike(s), tf.tensor(bias, [1, 1, 1, T]));
          },
        },
      ],
    });
    const p = cache.get('blocks.0.attn.hook_pattern').arraySync() as number[][][][];
    expect(p[1][2][7]).toEqual([1, ...new Array(11).fill(0)]);
    logits.dispose();
    cache.dispose();
  });

  it('read-only hooks see the right context and change nothing; several hooks on one point run in order', () => {
    const seen: string[] = [];
    const clean = gpt2.forward(rows);
    const out = gpt2.runWithHooks(rows, [
      {
        name: 'blocks.1.mlp.hook_post',
        fn: (x, ctx) => {
          seen.push(`${ctx.name}|${ctx.layer}|${ctx.posOffset}|${x.shape}`);
        },
      },
      { name: 'blocks.1.mlp.hook_post', fn: (x) => tf.mul(x, 2) },
      {
        name: 'blocks.1.mlp.hook_post',
        fn: (x) => {
          seen.push('after');
          return tf.div(x, 2);
        },
      },
      { name: 'hook_embed', fn: (_x, ctx) => void seen.push(`${ctx.name}|${ctx.layer}`) },
    ]);
    expect(seen).toEqual(['hook_embed|null', 'blocks.1.mlp.hook_post|1|0|2,12,256', 'after']);
    expect(maxAbsDiff(out.dataSync(), clean.dataSync())).toBe(0);
    tf.dispose([clean, out]);
  });

  it('hooks are scoped to one call', () => {
    const clean = gpt2.forward(rows);
    gpt2.runWithHooks(rows, [{ name: 'blocks.0.hook_resid_post', fn: (x) => tf.zerosLike(x) }]).dispose();
    const again = gpt2.forward(rows);
    expect(maxAbsDiff(again.dataSync(), clean.dataSync())).toBe(0);
    tf.dispose([clean, again]);
  });

  it('rejects replacements of the wrong shape and non-tensors', () => {
    expect(() =>
      gpt2.runWithHooks(rows, [{ name: 'blocks.0.hook_resid_pre', fn: (x) => x.slice(0, 1) }]),
    ).toThrow(/returned shape \[1,12,64\] for an activation of shape \[2,12,64\]/);
    expect(() =>
      gpt2.runWithHooks(rows, [{ name: 'blocks.0.hook_resid_pre', fn: () => 3 as unknown as tf.Tensor }]),
    ).toThrow(/non-tensor/);
  });
});

describe('hook name validation', () => {
  it('suggests close names for typos', () => {
    const bad = 'blocks.0.hook_resid_pr' as HookName;
    expect(() => gpt2.runWithHooks(rows, [{ name: bad, fn: (x) => x }])).toThrow(
      /unknown hook name 'blocks\.0\.hook_resid_pr'; did you mean 'blocks\.0\.hook_resid_pre'/,
    );
    expect(() => gpt2.runWithCache(rows, { names: ['blocks.1.attn.hook_patern' as HookName] })).toThrow(
      /did you mean 'blocks\.1\.attn\.hook_pattern'/,
    );
  });

  it('explains names that do not exist on this architecture or layer', () => {
    expect(() => gpt2.runWithHooks(rows, [{ name: 'blocks.0.attn.hook_rot_q', fn: (x) => x }])).toThrow(
      /gpt2 has no rotary/,
    );
    expect(() => llama.runWithHooks(rows, [{ name: 'hook_pos_embed', fn: (x) => x }])).toThrow(
      /rotary positions/,
    );
    expect(() => gpt2.runWithHooks(rows, [{ name: 'blocks.2.hook_resid_pre', fn: (x) => x }])).toThrow(
      /layer 2 is out of range \(the model has 2 layers/,
    );
    expect(() => gpt2.runWithHooks(rows, [{ name: 'blocks.0.mlp.hook_pre_linear', fn: (x) => x }])).toThrow(
      /no gated MLP/,
    );
    expect(() =>
      gpt2.runWithHooks(rows, [{ name: 'blocks.0.hook_resid_pre', fn: (x) => x, heads: [0] }]),
    ).toThrow(/no head axis/);
  });

  it('hook shapes match the activations for every hook point', () => {
    for (const model of [gpt2, llama]) {
      const { logits, cache } = model.runWithCache(rows, { names: () => true });
      expect(cache.names).toEqual(model.hookNames());
      for (const [n, t] of cache.entries()) expect(t.shape, n).toEqual(model.hookShape(n, 2, 12));
      logits.dispose();
      cache.dispose();
    }
  });
});

describe('runWithCache', () => {
  it('filters by name, list and predicate; default excludes opt-in hooks', () => {
    const one = gpt2.runWithCache(rows, { names: 'blocks.1.hook_resid_post' });
    expect(one.cache.names).toEqual(['blocks.1.hook_resid_post']);
    const list = gpt2.runWithCache(rows, { names: ['ln_final.hook_scale', 'hook_embed'] });
    expect(list.cache.names).toEqual(['hook_embed', 'ln_final.hook_scale']);
    const pred = gpt2.runWithCache(rows, { names: (n) => n.endsWith('hook_pattern') });
    expect(pred.cache.names).toEqual(['blocks.0.attn.hook_pattern', 'blocks.1.attn.hook_pattern']);
    const all = gpt2.runWithCache(rows);
    expect(all.cache.has('blocks.0.attn.hook_result')).toBe(false);
    expect(all.cache.size).toBe(gpt2.hookNames().length - 2);
    expect(() => all.cache.get('blocks.0.hook_resid_mi' as HookName)).toThrow(
      /did you mean 'blocks\.0\.hook_resid_mid'/,
    );
    for (const r of [one, list, pred, all]) {
      r.cache.dispose();
      r.logits.dispose();
    }
    expect(() => all.cache.get('hook_embed')).toThrow(/after dispose/);
  });

  it('the opt-in hook_result sums (plus b_O) to attn_out, and replacing it changes the output', () => {
    const { logits, cache } = gpt2.runWithCache(rows, {
      names: ['blocks.0.attn.hook_result', 'blocks.0.hook_attn_out'],
    });
    const res = cache.get('blocks.0.attn.hook_result');
    expect(res.shape).toEqual([2, 12, 4, 64]);
    const sum = tf.tidy(() => tf.add(tf.sum(res, 2), gpt2.params.blocks[0].b_O as tf.Tensor));
    expect(maxAbsDiff(sum.dataSync(), cache.get('blocks.0.hook_attn_out').dataSync())).toBe(0);
    const clean = gpt2.forward(rows);
    expect(maxAbsDiff(logits.dataSync(), clean.dataSync())).toBeLessThan(1e-6);
    const viaResult = gpt2.runWithHooks(rows, [
      { name: 'blocks.0.attn.hook_result', fn: (r) => tf.zerosLike(r), heads: [1] },
    ]);
    const viaZ = gpt2.runWithHooks(rows, [
      { name: 'blocks.0.attn.hook_z', fn: (z) => tf.zerosLike(z), heads: [1] },
    ]);
    expect(maxAbsDiff(viaResult.dataSync(), viaZ.dataSync())).toBeLessThan(1e-6);
    tf.dispose([sum, logits, clean, viaResult, viaZ]);
    cache.dispose();
  });

  it('positions keep only those positions of each cached activation', () => {
    const full = gpt2.runWithCache(rows, {
      names: ['blocks.0.hook_resid_post', 'blocks.1.attn.hook_pattern'],
    });
    const some = gpt2.runWithCache(rows, {
      names: ['blocks.0.hook_resid_post', 'blocks.1.attn.hook_pattern'],
      positions: [-1, 2],
    });
    const r = some.cache.get('blocks.0.hook_resid_post');
    expect(r.shape).toEqual([2, 2, 64]);
    const fr = full.cache.get('blocks.0.hook_resid_post').arraySync() as number[][][];
    expect(r.arraySync()).toEqual([
      [fr[0][11], fr[0][2]],
      [fr[1][11], fr[1][2]],
    ]);
    const p = some.cache.get('blocks.1.attn.hook_pattern');
    expect(p.shape).toEqual([2, 4, 2, 12]);
    const fp = full.cache.get('blocks.1.attn.hook_pattern').arraySync() as number[][][][];
    expect((p.arraySync() as number[][][][])[1][3][0]).toEqual(fp[1][3][11]);
    expect(maxAbsDiff(some.logits.dataSync(), full.logits.dataSync())).toBe(0);
    for (const x of [full, some]) {
      x.cache.dispose();
      x.logits.dispose();
    }
    expect(() => gpt2.runWithCache(rows, { names: 'hook_embed', positions: [12] })).toThrow(
      /position 12 is out of range for a run of 12 positions/,
    );
  });

  it('stopAtLayer returns the residual stream entering that block (later hooks do not run)', () => {
    const { logits: resid, cache } = llama.runWithCache(rows, { stopAtLayer: 1 });
    expect(resid.shape).toEqual([2, 12, 64]);
    expect(maxAbsDiff(resid.dataSync(), cache.get('blocks.0.hook_resid_post').dataSync())).toBe(0);
    expect(cache.names.at(-1)).toBe('blocks.0.hook_resid_post');
    expect(() => llama.forward(rows, { stopAtLayer: 3 })).toThrow(
      /stopAtLayer must be an integer in \[0, 2\]/,
    );
    resid.dispose();
    cache.dispose();
  });

  it('startAtLayer + residIn resumes a run from a cached residual stream (rotary model too); lastPositionOnly unembeds one position', () => {
    for (const m of [gpt2, llama]) {
      const full = m.forward(rows);
      const { logits, cache } = m.runWithCache(rows, { names: 'blocks.1.hook_resid_pre' });
      const residIn = cache.get('blocks.1.hook_resid_pre');
      const seen: string[] = [];
      const spy: Hook = { name: 'blocks.0.hook_resid_post', fn: () => void seen.push('early') };
      const resumed = m.runWithHooks(rows, [spy], { startAtLayer: 1, residIn });
      expect(maxAbsDiff(resumed.dataSync(), full.dataSync())).toBeLessThan(1e-5);
      expect(seen).toEqual([]);
      const last = m.forward(rows, { lastPositionOnly: true });
      expect(last.shape).toEqual([rows.length, 1, full.shape[2]]);
      const want = tf.slice(full, [0, full.shape[1] - 1, 0], [-1, 1, -1]);
      expect(maxAbsDiff(last.dataSync(), want.dataSync())).toBeLessThan(1e-5);
      tf.dispose([last, want]);
      expect(() => m.forward(rows, { startAtLayer: 1 })).toThrow(/startAtLayer and residIn go together/);
      expect(() => m.forward([rows[0]], { startAtLayer: 1, residIn })).toThrow(
        /residIn must be \[batch, pos, d_model\]/,
      );
      expect(() => m.forward(rows, { startAtLayer: 2, stopAtLayer: 1, residIn })).toThrow(
        /must not be before/,
      );
      tf.dispose([full, logits, resumed]);
      cache.dispose();
    }
  });
});

describe('no tensor leaks', () => {
  it('forward, runWithCache + dispose, runWithHooks, gradOfHooks, generate', async () => {
    const hooks: Hook[] = [
      { name: 'blocks.0.attn.hook_z', fn: (z) => tf.mul(z, 0.5), heads: [0], positions: [3] },
    ];
    for (const model of [gpt2, llama]) {
      // warm-up grows the rotary tables once
      model.forward(rows).dispose();
      await expectNoLeak(() => {
        for (let i = 0; i < 3; i++) model.forward(rows).dispose();
      });
      await expectNoLeak(() => {
        const { logits, cache } = model.runWithCache(rows);
        logits.dispose();
        cache.dispose();
      });
      await expectNoLeak(() => model.runWithHooks(rows, hooks).dispose());
      await expectNoLeak(() => {
        const { value, grads } = model.gradOfHooks(
          rows,
          ['blocks.0.hook_resid_pre', 'blocks.1.attn.hook_pattern'],
          (l) => tf.sum(l),
        );
        value.dispose();
        for (const g of grads.values()) g.dispose();
      });
      await expectNoLeak(() =>
        model.generate([rows[0]], { maxNewTokens: 4, temperature: 0.8, seed: 1, hooks }),
      );
      await expectNoLeak(() => {
        expect(() =>
          model.runWithHooks(rows, [{ name: 'blocks.0.hook_resid_pre', fn: (x) => x.slice(0, 1) }]),
        ).toThrow();
      });
    }
  });
});
