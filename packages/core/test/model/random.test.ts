/** Random models (determinism, every architecture's hook shapes), tokenizer helpers, config/rotary units. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  adapterFor,
  completeConfig,
  createRandomModel,
  loadTokenizer,
  type ModelConfigInput,
  rotaryInvFreq,
  supportedModelTypes,
  tf,
} from '../../src/index.js';
import { expectNoLeak, FIXTURES, maxAbsDiff } from './helpers.js';

const tiny = (over: Partial<ModelConfigInput> = {}): ModelConfigInput => ({
  nLayers: 2,
  dModel: 32,
  nHeads: 4,
  dVocab: 97,
  nCtx: 32,
  ...over,
});
const ids = [
  [1, 5, 9, 13, 2, 7],
  [4, 4, 0, 96, 50, 3],
];

describe('createRandomModel', () => {
  it('is deterministic in its seed', async () => {
    const a = await createRandomModel(tiny(), { seed: 3, biasStd: 0.1 });
    const b = await createRandomModel(tiny(), { seed: 3, biasStd: 0.1 });
    const c = await createRandomModel(tiny(), { seed: 4, biasStd: 0.1 });
    const [la, lb, lc] = [a, b, c].map((m) => m.forward(ids));
    expect(maxAbsDiff(la.dataSync(), lb.dataSync())).toBe(0);
    expect(maxAbsDiff(la.dataSync(), lc.dataSync())).toBeGreaterThan(1e-4);
    expect(maxAbsDiff(a.params.W_E.dataSync(), b.params.W_E.dataSync())).toBe(0);
    tf.dispose([la, lb, lc]);
    for (const m of [a, b, c]) m.dispose();
  });

  it('uses GPT-2-style init statistics', async () => {
    const m = await createRandomModel(tiny({ nLayers: 8, dModel: 128, dVocab: 1000 }), { seed: 1 });
    const std = (t: tf.Tensor) => tf.tidy(() => Math.sqrt(tf.moments(t).variance.dataSync()[0]));
    expect(std(m.params.W_E)).toBeCloseTo(0.02, 3);
    expect(std(m.params.blocks[0].W_out)).toBeCloseTo(0.02 / 4, 3);
    expect(Array.from(m.params.blocks[0].ln1.w.dataSync()).every((v) => v === 1)).toBe(true);
    expect(Array.from(m.params.blocks[0].b_in?.dataSync() ?? []).every((v) => v === 0)).toBe(true);
    // tied: W_U is W_Eᵀ
    const wet = tf.transpose(m.params.W_E);
    expect(maxAbsDiff(wet.dataSync(), m.params.W_U.dataSync())).toBe(0);
    wet.dispose();
    m.dispose();
  });

  it.each([
    ['gpt2', {}],
    ['gpt_neox', { rotary: { dim: 4, base: 10000, scaling: null } }],
    ['llama', { nKVHeads: 2, dMLP: 48 }],
    ['qwen2', { nKVHeads: 1, dMLP: 40 }],
    ['mistral', { nKVHeads: 2, dMLP: 48, slidingWindow: 16 }],
  ] as const)(
    '%s: every hook has its declared shape, KV-cached steps match full passes',
    async (arch, over) => {
      const m = await createRandomModel(tiny({ arch, ...over }), { seed: 2, biasStd: 0.05, initRange: 0.2 });
      const { logits, cache } = m.runWithCache(ids, { names: () => true });
      expect(cache.names).toEqual(m.hookNames());
      for (const [n, t] of cache.entries()) expect(t.shape, n).toEqual(m.hookShape(n, 2, 6));
      expect(cache.has('blocks.0.hook_resid_mid')).toBe(arch !== 'gpt_neox');
      expect(cache.has('blocks.0.attn.hook_rot_q')).toBe(arch !== 'gpt2');
      const plain = m.forward(ids);
      expect(maxAbsDiff(plain.dataSync(), logits.dataSync())).toBeLessThan(2e-5);
      const a = await m.generate(ids, { maxNewTokens: 5, temperature: 0, stopAtEos: false });
      const b = await m.generate(ids, { maxNewTokens: 5, temperature: 0, stopAtEos: false, useCache: false });
      expect(a).toEqual(b);
      await expectNoLeak(async () => {
        await m.generate(ids, { maxNewTokens: 3, temperature: 0.7, topK: 5, seed: 1 });
      });
      if (arch === 'mistral') {
        await expect(m.generate(ids, { maxNewTokens: 12, temperature: 0 })).rejects.toThrow(
          /sliding window \(16\)/,
        );
      }
      tf.dispose([logits, plain]);
      cache.dispose();
      m.dispose();
    },
  );

  it('builds a GPT-2-small-shaped model', async () => {
    const cfg = { nLayers: 12, dModel: 768, nHeads: 12, dMLP: 3072, dVocab: 50257, nCtx: 1024 };
    const m = await createRandomModel(cfg, { seed: 0 });
    expect(m.config).toMatchObject({
      ...cfg,
      dHead: 64,
      nKVHeads: 12,
      act: 'gelu_new',
      tiedEmbeddings: true,
    });
    const params = m.params.blocks.length * (4 * 768 * 768 + 2 * 768 * 3072) + 50257 * 768 + 1024 * 768;
    expect(params).toBeGreaterThan(1.2e8);
    expect(m.params.W_U.shape).toEqual([768, 50257]);
    const logits = m.forward([[1, 2, 3, 4]]);
    expect(logits.shape).toEqual([1, 4, 50257]);
    logits.dispose();
    m.dispose();
  });
});

describe('tokenizer helpers', () => {
  it('toTokens prepends BOS; toString / toStrTokens / toSingleToken decode', async () => {
    const tokenizer = await loadTokenizer(join(FIXTURES, 'gpt2-tokenizer'));
    const m = await createRandomModel(tiny({ dVocab: 50257 }), { tokenizer });
    expect(m.toTokens('Hello world')).toEqual([[50256, 15496, 995]]);
    expect(m.toTokens('Hello world', { prependBos: false })).toEqual([[15496, 995]]);
    expect(m.toTokens(['Hello world', ' the cat'])).toEqual([
      [50256, 15496, 995],
      [50256, 262, 3797],
    ]);
    expect(() => m.toTokens(['a', 'Hello world'])).toThrow(/different token lengths/);
    expect(m.toString([15496, 995])).toBe('Hello world');
    expect(m.toString([[15496], [995]])).toEqual(['Hello', ' world']);
    expect(m.toStrTokens('Hello world')).toEqual(['<|endoftext|>', 'Hello', ' world']);
    expect(m.toSingleToken(' the')).toBe(262);
    expect(() => m.toSingleToken('Hello world')).toThrow(/2 tokens/);
    const out = await m.generate(m.toTokens('Hello'), { maxNewTokens: 2, temperature: 0, stopAtEos: false });
    expect(out[0]).toHaveLength(4);
    expect(typeof m.toString(out[0])).toBe('string');
    m.dispose();
    const bare = await createRandomModel(tiny());
    expect(() => bare.toTokens('x')).toThrow(/no tokenizer/);
    bare.dispose();
  });
});

describe('config and rotary units', () => {
  it('lists supported model types and rejects unknown ones', () => {
    expect(supportedModelTypes()).toEqual(['gpt2', 'gpt_neox', 'llama', 'mistral', 'qwen2']);
    expect(() => adapterFor({})).toThrow(/no model_type/);
  });

  it('checks configs', () => {
    expect(() => completeConfig(tiny({ nKVHeads: 3 }))).toThrow(/multiple of nKVHeads/);
    expect(() =>
      completeConfig(tiny({ arch: 'gpt_neox', rotary: { dim: 3, base: 1e4, scaling: null } })),
    ).toThrow(/rotary dim must be even/);
    expect(completeConfig(tiny({ arch: 'qwen2' }))).toMatchObject({
      normType: 'rmsnorm',
      gatedMLP: true,
      biases: { qkv: true, attnOut: false, mlp: false },
    });
  });

  it('reads rope settings, partial rotary and rope scaling from HF configs', () => {
    const llama3 = adapterFor({ model_type: 'llama' }).config({
      model_type: 'llama',
      hidden_size: 64,
      num_attention_heads: 4,
      num_key_value_heads: 1,
      num_hidden_layers: 1,
      intermediate_size: 128,
      vocab_size: 10,
      max_position_embeddings: 128,
      rope_theta: 500000,
      rope_scaling: {
        rope_type: 'llama3',
        factor: 8,
        low_freq_factor: 1,
        high_freq_factor: 4,
        original_max_position_embeddings: 8192,
      },
    });
    expect(llama3.rotary).toMatchObject({ dim: 16, base: 500000, scaling: { type: 'llama3', factor: 8 } });
    const inv = rotaryInvFreq(llama3.rotary as NonNullable<typeof llama3.rotary>);
    // high-frequency dims are kept, the lowest frequencies divided by the factor
    expect(inv[0]).toBe(1);
    const plain = rotaryInvFreq({ dim: 16, base: 500000, scaling: null });
    expect(inv[7]).toBeCloseTo(plain[7] / 8, 12);
    expect(() =>
      adapterFor({ model_type: 'llama' }).config({
        ...llama3.hfConfig,
        rope_scaling: { type: 'yarn', factor: 2 },
      }),
    ).toThrow(/rope_scaling type 'yarn' is not supported/);
    const neox = rotaryInvFreq({ dim: 4, base: 10000, scaling: null });
    expect(Array.from(neox)).toEqual([1, Math.fround(0.01)]);
    const lin = rotaryInvFreq({ dim: 4, base: 10000, scaling: { type: 'linear', factor: 4 } });
    expect(Array.from(lin)).toEqual([0.25, Math.fround(Math.fround(0.01) / 4)]);
  });
});
