/**
 * Reference tier: every fixture model (HF transformers' own numbers) through loadModel — logits, every hook
 * activation, gradients at hook points, and greedy KV-cached generation, on the fused (default) and the
 * composite ops paths.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  compositeOps,
  type HookedTransformer,
  type HookName,
  loadModel,
  type OpsTable,
  tf,
} from '../../src/index.js';
import {
  ARCHS,
  expectActivation,
  expectGradient,
  fixtureDir,
  fixtureMetric,
  loadReference,
  maxAbs,
  maxAbsDiff,
  type Reference,
} from './helpers.js';

const NOT_HOOKS = /^(grad\.|hf_out\.|input_ids$|metric$|logits$|greedy_)/;

const OPS_VARIANTS: [string, Partial<OpsTable> | undefined][] = [
  ['default ops', undefined],
  ['composite ops', compositeOps],
];

/** Worst scaled errors seen, printed at the end (the report quotes them). */
const worst: Record<string, Record<string, number>> = {};
function note(arch: string, what: string, err: number): void {
  worst[arch] ??= {};
  worst[arch][what] = Math.max(worst[arch][what] ?? 0, err);
}
afterAll(() => {
  console.log(JSON.stringify(worst, (_, v) => (typeof v === 'number' ? Number(v.toExponential(2)) : v)));
});

describe.each(ARCHS)('%s fixture', (arch) => {
  let model: HookedTransformer;
  let ref: Reference;
  let refHooks: string[];

  beforeAll(async () => {
    model = await loadModel(fixtureDir(arch));
    ref = loadReference(arch);
    refHooks = ref.names.filter((n) => !NOT_HOOKS.test(n));
  });
  afterAll(() => model.dispose());

  it('normalizes the config', () => {
    const c = model.config;
    expect([c.nLayers, c.dModel, c.nHeads, c.dHead, c.dVocab]).toEqual([2, 64, 4, 16, 211]);
    const expected = {
      gpt2: {
        nKVHeads: 4,
        dMLP: 256,
        normType: 'layernorm',
        eps: 1e-5,
        act: 'gelu_new',
        positional: 'learned',
      },
      gpt_neox: {
        nKVHeads: 4,
        dMLP: 256,
        normType: 'layernorm',
        eps: 1e-5,
        act: 'gelu',
        positional: 'rotary',
      },
      llama: { nKVHeads: 2, dMLP: 176, normType: 'rmsnorm', eps: 1e-5, act: 'silu', positional: 'rotary' },
      qwen2: { nKVHeads: 2, dMLP: 176, normType: 'rmsnorm', eps: 1e-6, act: 'silu', positional: 'rotary' },
    }[arch];
    expect(c).toMatchObject(expected);
    expect(c.parallelResidual).toBe(arch === 'gpt_neox');
    expect(c.tiedEmbeddings).toBe(arch === 'gpt2' || arch === 'qwen2');
    expect(c.gatedMLP).toBe(arch === 'llama' || arch === 'qwen2');
    expect(c.rotary?.dim ?? null).toBe({ gpt2: null, gpt_neox: 4, llama: 16, qwen2: 16 }[arch]);
    expect(c.biases.qkv).toBe(arch !== 'llama');
    expect(c.biases.attnOut).toBe(arch === 'gpt2' || arch === 'gpt_neox');
    expect(c.attnScale).toEqual([0.25, 0.25]);
    expect(c.nCtx).toBe(64);
  });

  it('has exactly the reference hook names (plus unembed.*)', () => {
    const ours = model
      .hookNames()
      .filter((n) => !n.startsWith('unembed.') && !n.endsWith('attn.hook_result'));
    expect([...ours].sort()).toEqual([...refHooks].sort());
  });

  it.each(OPS_VARIANTS)('logits match HF (%s)', (label, ops) => {
    const logits = model.forward(ref.rows, { ops });
    note(arch, `logits (${label})`, expectActivation('logits', logits, ref.f32('logits')));
    logits.dispose();
  });

  it.each(OPS_VARIANTS)('every hook activation matches HF (full cache, %s)', (label, ops) => {
    const { logits, cache } = model.runWithCache(ref.rows, { ops });
    note(arch, `logits (${label}, full cache)`, expectActivation('logits', logits, ref.f32('logits')));
    for (const name of refHooks) {
      note(
        arch,
        `hooks (${label}, full cache)`,
        expectActivation(name, cache.get(name as HookName), ref.f32(name)),
      );
    }
    // -inf above the diagonal of the scores, exact zeros in the pattern
    for (let l = 0; l < 2; l++) {
      const s = cache.get(`blocks.${l}.attn.hook_attn_scores`).dataSync();
      const p = cache.get(`blocks.${l}.attn.hook_pattern`).dataSync();
      const T = 12;
      for (let i = 0; i < s.length; i++) {
        const q = Math.floor(i / T) % T;
        const k = i % T;
        if (k > q) {
          expect(s[i]).toBe(Number.NEGATIVE_INFINITY);
          expect(p[i]).toBe(0);
        } else {
          expect(Number.isFinite(s[i])).toBe(true);
        }
      }
    }
    // HF module outputs: the norms' affine outputs, and ln_final's = unembed.hook_in
    expectActivation('hf_out.ln_final', cache.get('unembed.hook_in'), ref.f32('hf_out.ln_final'));
    expect(maxAbsDiff(cache.get('unembed.hook_out').dataSync(), logits.dataSync())).toBe(0);
    for (let l = 0; l < 2; l++) {
      for (const ln of ['ln1', 'ln2'] as const) {
        const p = model.params.blocks[l][ln];
        const out = tf.tidy(() => {
          const y = tf.mul(cache.get(`blocks.${l}.${ln}.hook_normalized`), p.w);
          return p.b ? tf.add(y, p.b) : y;
        });
        note(
          arch,
          'hf_out',
          expectActivation(`hf_out.blocks.${l}.${ln}`, out, ref.f32(`hf_out.blocks.${l}.${ln}`)),
        );
        out.dispose();
      }
    }
    cache.dispose();
    logits.dispose();
  });

  it('hooks computed on the fused paths match HF (no norm/score hooks requested)', () => {
    const names = refHooks.filter(
      (n) => !/hook_scale|hook_normalized|hook_attn_scores/.test(n),
    ) as HookName[];
    const { logits, cache } = model.runWithCache(ref.rows, { names });
    expect(cache.names.length).toBe(names.length);
    for (const name of names)
      note(arch, 'hooks (fused paths)', expectActivation(name, cache.get(name), ref.f32(name)));
    cache.dispose();
    logits.dispose();
  });

  it.each(OPS_VARIANTS)('gradients at hook points match torch.autograd (%s)', (label, ops) => {
    const names = ref.names.filter((n) => n.startsWith('grad.')).map((n) => n.slice(5) as HookName);
    expect(names.length).toBe(4);
    const { value, grads } = model.gradOfHooks(ref.rows, names, fixtureMetric, { ops });
    const m = ref.f32('metric').data[0];
    expect(Math.abs(value.dataSync()[0] - m)).toBeLessThanOrEqual(2e-5);
    for (const n of names) {
      const g = grads.get(n) as tf.Tensor;
      note(arch, `grads (${label})`, expectGradient(`grad.${n}`, g, ref.f32(`grad.${n}`)));
    }
    value.dispose();
    for (const g of grads.values()) g.dispose();
    // only layer-1 points: blocks before run outside the tape (prefix), same numbers
    const late = names.filter((n) => n.startsWith('blocks.1.'));
    const r1 = model.gradOfHooks(ref.rows, late, fixtureMetric, { ops });
    for (const n of late)
      expectGradient(`grad.${n} (prefix)`, r1.grads.get(n) as tf.Tensor, ref.f32(`grad.${n}`));
    r1.value.dispose();
    for (const g of r1.grads.values()) g.dispose();
  });

  it.each([true, false])('greedy generation matches HF (KV cache: %s)', async (useCache) => {
    const steps: Float32Array[] = [];
    const out = await model.generate([ref.rows[0]], {
      maxNewTokens: 8,
      temperature: 0,
      stopAtEos: false,
      useCache,
      onToken: (s) => {
        steps.push(s.logits.slice());
      },
    });
    const expected = Array.from(ref.i32('greedy_tokens').data);
    expect(out).toEqual([[...ref.rows[0], ...expected]]);
    expect(out[0]).toEqual(Array.from(ref.i32('greedy_sequence').data));
    const stepRef = ref.f32('greedy_step_logits');
    const V = 211;
    steps.forEach((row, i) => {
      const r = stepRef.data.subarray(i * V, (i + 1) * V);
      const err = maxAbsDiff(row, r) / Math.max(1, maxAbs(r));
      expect(err, `step ${i}`).toBeLessThanOrEqual(2e-5);
      note(arch, `greedy step logits (cache ${useCache})`, err);
    });
    expect(steps.length).toBe(8);
  });
});
