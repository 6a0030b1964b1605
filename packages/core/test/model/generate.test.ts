/** Generation: sampling options, seeds, EOS, batches, hooks during cached steps, and the sampler itself. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  chooseToken,
  type Hook,
  type HookedTransformer,
  loadModel,
  seededRandom,
  tf,
} from '../../src/index.js';
import { fixtureDir, loadReference, maxAbsDiff } from './helpers.js';

let gpt2: HookedTransformer;
let qwen: HookedTransformer;
let prompt: number[];
let greedy: number[];

beforeAll(async () => {
  gpt2 = await loadModel(fixtureDir('gpt2'));
  qwen = await loadModel(fixtureDir('qwen2'));
  const ref = loadReference('gpt2');
  prompt = ref.rows[0];
  greedy = Array.from(ref.i32('greedy_tokens').data);
});
afterAll(() => {
  gpt2.dispose();
  qwen.dispose();
});

describe('generate', () => {
  it('sampling is reproducible from the seed and differs across seeds', async () => {
    const opts = { maxNewTokens: 10, temperature: 1, stopAtEos: false };
    const a = await gpt2.generate([prompt], { ...opts, seed: 7 });
    const b = await gpt2.generate([prompt], { ...opts, seed: 7 });
    const c = await gpt2.generate([prompt], { ...opts, seed: 8 });
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(a[0].slice(0, 12)).toEqual(prompt);
    expect(a[0]).toHaveLength(22);
  });

  it('topK 1 and a tiny topP reduce to greedy at any temperature', async () => {
    const k1 = await gpt2.generate([prompt], {
      maxNewTokens: 8,
      temperature: 5,
      topK: 1,
      seed: 3,
      stopAtEos: false,
    });
    const p0 = await gpt2.generate([prompt], {
      maxNewTokens: 8,
      temperature: 5,
      topP: 1e-9,
      seed: 3,
      stopAtEos: false,
    });
    expect(k1[0].slice(12)).toEqual(greedy);
    expect(p0[0].slice(12)).toEqual(greedy);
  });

  it('a batch generates each row as if alone (greedy)', async () => {
    const ref = loadReference('qwen2');
    const both = await qwen.generate(ref.rows, { maxNewTokens: 6, temperature: 0, stopAtEos: false });
    const one = await qwen.generate([ref.rows[1]], { maxNewTokens: 6, temperature: 0, stopAtEos: false });
    const first = await qwen.generate([ref.rows[0]], { maxNewTokens: 6, temperature: 0, stopAtEos: false });
    expect(both).toEqual([first[0], one[0]]);
  });

  it('stops at EOS and pads finished rows with it; onToken can stop early', async () => {
    const eos = greedy[2];
    const out = await gpt2.generate([prompt], { maxNewTokens: 8, temperature: 0, eosTokenId: eos });
    expect(out[0].slice(12)).toEqual(greedy.slice(0, 3));
    const steps: number[] = [];
    const early = await gpt2.generate([prompt], {
      maxNewTokens: 8,
      temperature: 0,
      stopAtEos: false,
      onToken: (s) => {
        steps.push(s.step);
        return s.step < 1;
      },
    });
    expect(steps).toEqual([0, 1]);
    expect(early[0].slice(12)).toEqual(greedy.slice(0, 2));
    // batch: row 0 finishes at EOS and is padded with it while row 1 continues
    const ref = loadReference('gpt2');
    const eos1 = greedy[1];
    const batch = await gpt2.generate(ref.rows, { maxNewTokens: 5, temperature: 0, eosTokenId: eos1 });
    expect(batch[0].slice(12)).toEqual([greedy[0], eos1, eos1, eos1, eos1]);
    expect(batch[1].slice(12, 15)).toEqual([173, 206, 52]);
    expect(batch[1]).toHaveLength(17);
  });

  it('hooks run at every cached step with absolute positions (cached == uncached)', async () => {
    const steer = tf.tidy(() => tf.mul(tf.tensor1d(Array.from({ length: 64 }, (_, i) => Math.sin(i))), 2));
    const hooks: Hook[] = [
      { name: 'blocks.0.hook_resid_post', fn: (x) => tf.add(x, steer) },
      { name: 'blocks.1.attn.hook_z', fn: (z) => tf.zerosLike(z), positions: [3, 14], heads: [2] },
    ];
    const logs: Record<string, Float32Array[]> = { cached: [], uncached: [] };
    const run = (useCache: boolean) =>
      gpt2.generate([prompt], {
        maxNewTokens: 6,
        temperature: 0,
        stopAtEos: false,
        hooks,
        useCache,
        onToken: (s) => void logs[useCache ? 'cached' : 'uncached'].push(s.logits.slice()),
      });
    const a = await run(true);
    const b = await run(false);
    expect(a).toEqual(b);
    expect(a[0].slice(12)).not.toEqual(greedy.slice(0, 6));
    for (const [i, l] of logs.cached.entries()) expect(maxAbsDiff(l, logs.uncached[i])).toBeLessThan(1e-5);
    // the step logits equal a plain hooked forward over the whole sequence
    const full = gpt2.runWithHooks([a[0].slice(0, 17)], hooks);
    const last = full.slice([0, 16, 0], [1, 1, 211]).dataSync();
    expect(maxAbsDiff(logs.cached[5], last)).toBeLessThan(1e-5);
    tf.dispose([steer, full]);
  });

  it('rejects bad arguments', async () => {
    await expect(gpt2.generate([prompt], { maxNewTokens: -1 })).rejects.toThrow(
      /maxNewTokens must be an integer/,
    );
    await expect(gpt2.generate([prompt], { maxNewTokens: 60 })).rejects.toThrow(
      /prompt \(12\) \+ maxNewTokens \(60\) exceeds the context length nCtx = 64/,
    );
    await expect(gpt2.generate([prompt], { maxNewTokens: 2, temperature: -1 })).rejects.toThrow(
      /temperature/,
    );
    await expect(gpt2.generate([prompt, [1, 2]], { maxNewTokens: 2 })).rejects.toThrow(/different lengths/);
  });
});

describe('chooseToken', () => {
  const logits = Float32Array.of(0, Math.log(2), Math.log(4), Number.NEGATIVE_INFINITY);

  it('samples in proportion to softmax(logits / T)', () => {
    const rand = seededRandom(123);
    const counts = [0, 0, 0, 0];
    const n = 20000;
    for (let i = 0; i < n; i++) counts[chooseToken(logits, { temperature: 1 }, rand)]++;
    for (const [i, p] of [1 / 7, 2 / 7, 4 / 7, 0].entries())
      expect(Math.abs(counts[i] / n - p)).toBeLessThan(0.015);
    // temperature 2 flattens: probabilities ∝ 1, √2, 2
    const c2 = [0, 0, 0, 0];
    for (let i = 0; i < n; i++) c2[chooseToken(logits, { temperature: 2 }, rand)]++;
    const z = 1 + Math.SQRT2 + 2;
    for (const [i, p] of [1 / z, Math.SQRT2 / z, 2 / z].entries())
      expect(Math.abs(c2[i] / n - p)).toBeLessThan(0.015);
  });

  it('top-k and top-p restrict the candidates; temperature 0 is argmax', () => {
    const rand = seededRandom(5);
    for (let i = 0; i < 500; i++) {
      expect(chooseToken(logits, { temperature: 1, topK: 2 }, rand)).not.toBe(0);
      expect(chooseToken(logits, { temperature: 1, topP: 0.5 }, rand)).toBe(2);
      expect([1, 2]).toContain(chooseToken(logits, { temperature: 1, topP: 0.8 }, rand));
    }
    expect(chooseToken(Float32Array.of(1, 3, 3), { temperature: 0 }, rand)).toBe(1);
  });
});
