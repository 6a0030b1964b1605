/** Loading and input errors: clear messages for unsupported types, bad checkpoints and bad token ids. */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type HookedTransformer,
  loadModel,
  openSafetensors,
  type TensorToWrite,
  tf,
  writeSafetensors,
} from '../../src/index.js';
import { fixtureDir, loadReference, maxAbsDiff } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'mechlens-model-errors-'));
let gpt2: HookedTransformer;
let rows: number[][];

beforeAll(async () => {
  gpt2 = await loadModel(fixtureDir('gpt2'));
  rows = loadReference('gpt2').rows;
});
afterAll(() => {
  gpt2.dispose();
  rmSync(tmp, { recursive: true, force: true });
});

/** All F32 tensors of a fixture's model.safetensors. */
function weightsOf(arch: 'gpt2' | 'llama'): Record<string, TensorToWrite> {
  const f = openSafetensors(join(fixtureDir(arch), 'model.safetensors'));
  const out: Record<string, TensorToWrite> = {};
  for (const name of f.entries.keys()) {
    const { shape, data } = f.readF32(name);
    out[name] = { dtype: 'F32', shape, data };
  }
  f.close();
  return out;
}

let n = 0;
/** Writes a checkpoint folder from a config and tensors; returns its path. */
function checkpoint(config: Record<string, unknown>, tensors: Record<string, TensorToWrite>): string {
  const dir = join(tmp, `ckpt${n++}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  writeSafetensors(join(dir, 'model.safetensors'), tensors, { format: 'pt' });
  return dir;
}

const gpt2Config = () => JSON.parse(readFileSync(join(fixtureDir('gpt2'), 'config.json'), 'utf8'));

describe('loading errors', () => {
  it('unknown model_type lists the supported ones', async () => {
    const dir = checkpoint({ ...gpt2Config(), model_type: 'bert' }, weightsOf('gpt2'));
    await expect(loadModel(dir)).rejects.toThrow(
      "unsupported model_type 'bert'; supported: gpt2, gpt_neox, llama, mistral, qwen2",
    );
  });

  it('a tensor of the wrong shape names the tensor, the expected and the actual shape', async () => {
    const w = weightsOf('gpt2');
    w['transformer.h.1.mlp.c_fc.weight'] = {
      dtype: 'F32',
      shape: [64, 200],
      data: new Float32Array(64 * 200),
    };
    await expect(loadModel(checkpoint(gpt2Config(), w))).rejects.toThrow(
      "gpt2 checkpoint tensor 'transformer.h.1.mlp.c_fc.weight' has shape [64, 200], expected [64, 256]",
    );
  });

  it('a missing tensor is named', async () => {
    const w = weightsOf('llama');
    delete w['model.layers.1.self_attn.k_proj.weight'];
    const cfg = JSON.parse(readFileSync(join(fixtureDir('llama'), 'config.json'), 'utf8'));
    await expect(loadModel(checkpoint(cfg, w))).rejects.toThrow(
      "llama checkpoint is missing tensor 'model.layers.1.self_attn.k_proj.weight'",
    );
  });

  it('inconsistent or incomplete configs are explained', async () => {
    await expect(loadModel(checkpoint({ ...gpt2Config(), n_head: 5 }, weightsOf('gpt2')))).rejects.toThrow(
      /dHead must be a positive integer, got 12\.8/,
    );
    const { n_embd: _, ...noEmbd } = gpt2Config();
    await expect(loadModel(checkpoint(noEmbd, weightsOf('gpt2')))).rejects.toThrow(
      /gpt2 config.json: missing numeric field 'n_embd' \/ 'hidden_size'/,
    );
    await expect(
      loadModel(checkpoint({ ...gpt2Config(), activation_function: 'mish' }, weightsOf('gpt2'))),
    ).rejects.toThrow(/unsupported activation 'mish'/);
  });

  it('GPT2Model-style names without the transformer. prefix load to the same model', async () => {
    const w = weightsOf('gpt2');
    const bare = Object.fromEntries(Object.entries(w).map(([k, v]) => [k.replace(/^transformer\./, ''), v]));
    const model = await loadModel(checkpoint(gpt2Config(), bare));
    const a = model.forward(rows);
    const b = gpt2.forward(rows);
    expect(maxAbsDiff(a.dataSync(), b.dataSync())).toBe(0);
    tf.dispose([a, b]);
    model.dispose();
    expect(() => model.forward(rows)).toThrow(/after dispose/);
  });
});

describe('token id errors', () => {
  it('ids outside the vocabulary, non-integers, empty and ragged inputs', () => {
    expect(() => gpt2.forward([[1, 2, 211]])).toThrow(
      'token id 211 at [0, 2] is outside the vocabulary [0, 211)',
    );
    expect(() =>
      gpt2.forward([
        [1, 2],
        [3, -1],
      ]),
    ).toThrow('token id -1 at [1, 1] is outside the vocabulary [0, 211)');
    expect(() => gpt2.forward([[1.5]])).toThrow(/not an integer/);
    expect(() => gpt2.forward([[]])).toThrow(/empty/);
    expect(() => gpt2.forward([])).toThrow(/non-empty array of rows/);
    expect(() => gpt2.forward([[1, 2], [3]])).toThrow(/different lengths/);
    expect(() => gpt2.forward(tf.tensor1d([1, 2], 'int32'))).toThrow(/2-D \[batch, pos\] tensor/);
  });

  it('sequences longer than nCtx', () => {
    const long = [Array.from({ length: 65 }, (_, i) => i)];
    expect(() => gpt2.forward(long)).toThrow(
      "sequence length 65 exceeds the model's context length nCtx = 64",
    );
  });

  it('accepts int32 and float tensors of ids with the same result as arrays', () => {
    const a = gpt2.forward(rows);
    const ti = tf.tensor2d(rows, undefined, 'int32');
    const tfl = tf.tensor2d(rows);
    const b = gpt2.forward(ti);
    const c = gpt2.forward(tfl);
    expect(maxAbsDiff(a.dataSync(), b.dataSync())).toBe(0);
    expect(maxAbsDiff(a.dataSync(), c.dataSync())).toBe(0);
    expect(ti.isDisposed).toBe(false);
    tf.dispose([a, b, c, ti, tfl]);
  });
});
