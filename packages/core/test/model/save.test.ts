/** saveModel: HF gpt2 checkpoint folders that loadModel reads back to the same model. */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createRandomModel, loadModel, loadTokenizer, saveModel, tf } from '../../src/index.js';
import { FIXTURES, maxAbsDiff } from './helpers.js';

const root = mkdtempSync(join(tmpdir(), 'mechlens-save-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const ids = [
  [1, 5, 9, 13, 2, 7],
  [4, 4, 0, 96, 50, 3],
];

describe('saveModel', () => {
  it('round-trips a tied gpt2 model through config.json + model.safetensors exactly', async () => {
    const m = await createRandomModel(
      { nLayers: 2, dModel: 32, nHeads: 4, dVocab: 97, nCtx: 32 },
      { seed: 5, biasStd: 0.05 },
    );
    const dir = join(root, 'tied');
    saveModel(m, dir);
    const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    expect(cfg).toMatchObject({ model_type: 'gpt2', n_layer: 2, n_embd: 32, n_head: 4, vocab_size: 97 });
    const back = await loadModel(dir);
    expect(back.config.nLayers).toBe(2);
    const a = m.forward(ids);
    const b = back.forward(ids);
    expect(maxAbsDiff(a.dataSync(), b.dataSync())).toBe(0);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    tf.dispose([a, b]);
    m.dispose();
    back.dispose();
  });

  it('writes lm_head for untied models, F16 storage and the tokenizer', async () => {
    const tokenizer = await loadTokenizer(join(FIXTURES, 'gpt2-tokenizer', 'tokenizer.json'));
    const m = await createRandomModel(
      { nLayers: 3, dModel: 32, nHeads: 2, dVocab: tokenizer.vocabSize, nCtx: 16, tiedEmbeddings: false },
      { seed: 6, biasStd: 0.05, tokenizer },
    );
    const dir = join(root, 'untied');
    saveModel(m, dir, { dtype: 'F16', metadata: { step: '7' } });
    expect(existsSync(join(dir, 'tokenizer.json'))).toBe(true);
    const back = await loadModel(dir);
    expect(back.config.tiedEmbeddings).toBe(false);
    expect(back.toTokens('Hello world')).toEqual(m.toTokens('Hello world'));
    const a = m.forward(ids);
    const b = back.forward(ids);
    // F16 keeps ~3 significant digits of weights of size ~0.02
    expect(maxAbsDiff(a.dataSync(), b.dataSync())).toBeLessThan(2e-3);
    expect(maxAbsDiff(a.dataSync(), b.dataSync())).toBeGreaterThan(0);
    tf.dispose([a, b]);
    m.dispose();
    back.dispose();
  });

  it('refuses architectures a gpt2 checkpoint cannot express, and broken ties', async () => {
    const llama = await createRandomModel({
      arch: 'llama',
      nLayers: 1,
      dModel: 16,
      nHeads: 2,
      dVocab: 50,
      nCtx: 8,
    });
    expect(() => saveModel(llama, join(root, 'llama'))).toThrow(/not implemented.*supported: gpt2/);
    llama.dispose();
    const m = await createRandomModel({ nLayers: 1, dModel: 16, nHeads: 2, dVocab: 50, nCtx: 8 });
    const wu = m.params.W_U as tf.Variable | tf.Tensor;
    const broken = tf.add(wu, 1);
    (m.params as { W_U: tf.Tensor }).W_U = broken;
    expect(() => saveModel(m, join(root, 'broken'))).toThrow(/tied embeddings but W_U differs/);
    expect(existsSync(join(root, 'broken'))).toBe(false);
    wu.dispose();
    m.dispose();
  });
});
