import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initEngine, openSafetensors, type TensorToWrite, tf, writeSafetensors } from '@mechlens/core';
import { afterAll, describe, expect, it } from 'vitest';
import { type SaeConfigInput, saeConfig } from '../src/config.js';
import { loadSae, loadSparsity, saveSae } from '../src/formats/saelens.js';
import { loadSparsifySaes, saveSparsifySae, sparsifyHookName } from '../src/formats/sparsify.js';
import { Sae } from '../src/sae.js';

await initEngine();

const root = mkdtempSync(join(tmpdir(), 'mechlens-sae-formats-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let counter = 0;
/** A fresh folder path (not created) under the test root. */
const fresh = (name = 'sae') => join(root, `case${counter++}`, name);

const D_IN = 8;
const D_SAE = 32;
const META = {
  modelName: 'demo-model',
  hookName: 'blocks.1.hook_resid_post',
  contextSize: 64,
  prependBos: false,
  datasetPath: 'demo-corpus',
  excludeSpecialTokens: false,
};

/** A randomly initialised SAE with perturbed biases (the encoder bias only where the config uses it). */
function randomSae(input: Omit<SaeConfigInput, 'dIn' | 'dSae'>, seed: number): Sae {
  const sae = Sae.init(saeConfig({ dIn: D_IN, dSae: D_SAE, metadata: META, ...input }), { seed });
  tf.tidy(() => {
    if (sae.cfg.encoderBias) sae.params.bEnc.assign(tf.randomNormal([D_SAE], 0, 0.1, 'float32', seed + 1));
    sae.params.bDec.assign(tf.randomNormal([D_IN], 0, 0.5, 'float32', seed + 2));
    sae.params.decoder.assign(
      tf.add(sae.params.decoder, tf.randomNormal([D_SAE, D_IN], 0, 0.01, 'float32', seed + 3)),
    );
  });
  return sae;
}

/** The bit patterns of a tensor's float32 values (bitwise comparison). */
function bits(data: Float32Array | tf.Tensor): number[] {
  const f = data instanceof Float32Array ? data : (data.dataSync() as Float32Array);
  return Array.from(new Uint32Array(f.buffer, f.byteOffset, f.length));
}

function transpose(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = data[i * cols + j];
  return out;
}

function expectSameParams(a: Sae, b: Sae): void {
  for (const key of ['encoder', 'bEnc', 'decoder', 'bDec'] as const) {
    expect(b.params[key].shape, key).toEqual(a.params[key].shape);
    expect(bits(b.params[key]), key).toEqual(bits(a.params[key]));
  }
}

/** Values exactly representable in F16 and BF16 (k/16, |k| ≤ 32). */
function exactHalf(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = ((((i * 7 + seed * 13) % 65) + 65) % 65) / 16 - 2;
  return out;
}

function writeJson(path: string, value: unknown): void {
  writeFileSync(path, JSON.stringify(value, null, 2));
}

const f32 = (shape: number[], data: Float32Array): TensorToWrite => ({ dtype: 'F32', shape, data });

describe('SAELens v6 round trip', () => {
  const cases: [string, Omit<SaeConfigInput, 'dIn' | 'dSae'>][] = [
    ['topk', { architecture: 'topk', k: 4 }],
    ['gsae', { architecture: 'gsae', k: 5, beta: 2, gradNormalization: 'none' }],
    ['topafa', { architecture: 'topafa', k: 16, normalizeActivations: 'layer_norm', afaCoeff: 0.5 }],
    ['relu', { architecture: 'relu', l1Coeff: 3 }],
  ];

  it.each(cases)('%s: save → load gives bitwise-equal tensors and an equal config', async (_, input) => {
    const sae = randomSae(input, 11);
    const dir = fresh();
    const before = tf.memory().numTensors;
    await saveSae(sae, dir);
    expect(tf.memory().numTensors).toBe(before);
    const again = await loadSae(dir);
    expect(tf.memory().numTensors).toBe(before + 4);
    expect(again.cfg).toEqual(sae.cfg);
    expectSameParams(sae, again);
    expect(again.params.bEnc.trainable).toBe(sae.cfg.encoderBias);
    again.dispose();
    expect(tf.memory().numTensors).toBe(before);
    sae.dispose();
  });

  it('writes the SAELens v6 cfg.json fields and W_enc as the transpose of the encoder', async () => {
    const sae = randomSae({ architecture: 'topk', k: 4 }, 3);
    const dir = fresh();
    await saveSae(sae, dir);
    expect(readdirSync(dir).sort()).toEqual(['cfg.json', 'sae_weights.safetensors']);
    const cfg = JSON.parse(readFileSync(join(dir, 'cfg.json'), 'utf8'));
    expect(Object.keys(cfg)).toEqual([
      'architecture',
      'd_in',
      'd_sae',
      'dtype',
      'device',
      'apply_b_dec_to_input',
      'normalize_activations',
      'reshape_activations',
      'k',
      'rescale_acts_by_decoder_norm',
      'metadata',
      'mechlens',
    ]);
    expect(cfg).toMatchObject({
      architecture: 'topk',
      d_in: D_IN,
      d_sae: D_SAE,
      dtype: 'float32',
      device: 'cpu',
      apply_b_dec_to_input: true,
      normalize_activations: 'none',
      reshape_activations: 'none',
      k: 4,
      rescale_acts_by_decoder_norm: false,
    });
    expect(cfg.metadata).toStrictEqual({
      sae_lens_version: '6.0.0',
      model_name: 'demo-model',
      hook_name: 'blocks.1.hook_resid_post',
      hook_head_index: null,
      context_size: 64,
      prepend_bos: false,
      dataset_path: 'demo-corpus',
      seqpos_slice: [null],
      model_from_pretrained_kwargs: {},
      exclude_special_tokens: false,
      neuronpedia_id: null,
    });
    expect(cfg.mechlens).toEqual(JSON.parse(JSON.stringify(sae.cfg)));

    const file = openSafetensors(join(dir, 'sae_weights.safetensors'));
    try {
      expect([...file.entries.keys()].sort()).toEqual(['W_dec', 'W_enc', 'b_dec', 'b_enc']);
      for (const e of file.entries.values()) expect(e.dtype).toBe('F32');
      const wEnc = file.readF32('W_enc', [D_IN, D_SAE]).data;
      expect(bits(wEnc)).toEqual(bits(transpose(sae.params.encoder.dataSync() as Float32Array, D_SAE, D_IN)));
      expect(bits(file.readF32('W_dec', [D_SAE, D_IN]).data)).toEqual(bits(sae.params.decoder));
      expect(bits(file.readF32('b_enc', [D_SAE]).data)).toEqual(bits(sae.params.bEnc));
      expect(bits(file.readF32('b_dec', [D_IN]).data)).toEqual(bits(sae.params.bDec));
    } finally {
      file.close();
    }
    sae.dispose();
  });

  it('maps the architecture name SAELens can run (gsae → topk, relu → standard, topafa kept)', async () => {
    const want: [Omit<SaeConfigInput, 'dIn' | 'dSae'>, string, boolean][] = [
      [{ architecture: 'gsae', k: 4 }, 'topk', true],
      [{ architecture: 'relu' }, 'standard', false],
      [{ architecture: 'topafa', k: 8 }, 'topafa', true],
    ];
    for (const [input, arch, hasK] of want) {
      const sae = randomSae(input, 5);
      const dir = fresh();
      await saveSae(sae, dir);
      const cfg = JSON.parse(readFileSync(join(dir, 'cfg.json'), 'utf8'));
      expect(cfg.architecture).toBe(arch);
      expect('k' in cfg).toBe(hasK);
      expect(cfg.normalize_activations).toBe(sae.cfg.normalizeActivations);
      sae.dispose();
    }
  });

  it('without the mechlens block, a v6 topk / standard folder reads as topk / relu', async () => {
    for (const [input, arch] of [
      [{ architecture: 'gsae', k: 4, beta: 3 }, 'topk'],
      [{ architecture: 'relu' }, 'relu'],
    ] as const) {
      const sae = randomSae(input, 9);
      const dir = fresh();
      await saveSae(sae, dir);
      const cfgPath = join(dir, 'cfg.json');
      const cfg = JSON.parse(readFileSync(cfgPath, 'utf8'));
      delete cfg.mechlens;
      writeJson(cfgPath, cfg);
      const again = await loadSae(dir);
      expect(again.cfg).toEqual(
        saeConfig({ architecture: arch, dIn: D_IN, dSae: D_SAE, k: sae.cfg.k, metadata: META }),
      );
      expectSameParams(sae, again);
      again.dispose();
      sae.dispose();
    }
  });
});

describe('atomic folder writes', () => {
  it('leaves no temporary folder behind and replaces an existing SAE folder', async () => {
    const dir = fresh('my-sae');
    const parent = join(dir, '..');
    const a = randomSae({ architecture: 'topk', k: 4 }, 1);
    await saveSae(a, dir, { sparsity: new Float32Array(D_SAE).fill(0.5) });
    expect(readdirSync(parent)).toEqual(['my-sae']);
    const b = randomSae({ architecture: 'relu' }, 2);
    await saveSae(b, dir);
    expect(readdirSync(parent)).toEqual(['my-sae']);
    // the replaced folder is the new SAE's, whole: no stale sparsity file from the first save
    expect(readdirSync(dir).sort()).toEqual(['cfg.json', 'sae_weights.safetensors']);
    const again = await loadSae(dir);
    expect(again.cfg).toEqual(b.cfg);
    expectSameParams(b, again);
    for (const s of [a, b, again]) s.dispose();
  });

  it('refuses to replace a folder holding other files, and leaves it untouched', async () => {
    const dir = fresh('busy');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'notes.txt'), 'keep me');
    const sae = randomSae({ architecture: 'topk', k: 4 }, 1);
    await expect(saveSae(sae, dir)).rejects.toThrow(/refusing to replace .*notes\.txt/);
    expect(readdirSync(dir)).toEqual(['notes.txt']);
    expect(readdirSync(join(dir, '..'))).toEqual(['busy']);
    sae.dispose();
  });

  it('a rejected save writes nothing', async () => {
    const dir = fresh('bad');
    mkdirSync(join(dir, '..'), { recursive: true });
    const sae = randomSae({ architecture: 'topk', k: 4 }, 1);
    await expect(saveSae(sae, dir, { sparsity: new Float32Array(3) })).rejects.toThrow(/3 entries.*32/);
    await expect(saveSae(sae, dir, { sparsity: new Float32Array(D_SAE).fill(2) })).rejects.toThrow(
      /\[0, 1\]/,
    );
    expect(readdirSync(join(dir, '..'))).toEqual([]);
    sae.dispose();
  });
});

describe('sparsity', () => {
  it('round trips firing frequencies through log10 (SAELens sparsity.safetensors)', async () => {
    const sae = randomSae({ architecture: 'topk', k: 4 }, 4);
    const freq = new Float32Array(D_SAE);
    for (let i = 0; i < D_SAE; i++) freq[i] = i === 0 ? 0 : i === 1 ? 1 : 10 ** -(i / 4);
    const dir = fresh();
    await saveSae(sae, dir, { sparsity: freq });
    const file = openSafetensors(join(dir, 'sparsity.safetensors'));
    expect([...file.entries.keys()]).toEqual(['sparsity']);
    const stored = file.readF32('sparsity', [D_SAE]).data;
    file.close();
    expect(stored[0]).toBe(-10);
    expect(stored[1]).toBe(0);
    expect(stored[8]).toBeCloseTo(-2, 6);

    const back = await loadSparsity(dir);
    expect(back).not.toBeNull();
    expect(back![0]).toBeCloseTo(1e-10, 15);
    for (let i = 1; i < D_SAE; i++) expect(Math.abs(back![i] - freq[i]) / freq[i]).toBeLessThan(1e-5);
    expect(bits((await loadSparsity(dir, { log: true }))!)).toEqual(bits(stored));

    const none = fresh();
    await saveSae(sae, none);
    expect(await loadSparsity(none)).toBeNull();
    sae.dispose();
  });
});

describe('SAELens configs older than 6.0', () => {
  it('reads a flat TopK config (hook_point, activation_fn_str, F16 weights)', async () => {
    const dir = fresh('pre6-topk');
    mkdirSync(dir, { recursive: true });
    writeJson(join(dir, 'cfg.json'), {
      model_name: 'gpt2-small',
      hook_point: 'blocks.3.hook_resid_pre',
      hook_point_layer: 3,
      hook_point_head_index: null,
      d_in: D_IN,
      d_sae: D_SAE,
      dtype: 'float32',
      device: 'cuda',
      context_size: 128,
      prepend_bos: true,
      dataset_path: 'Skylion007/openwebtext',
      activation_fn_str: 'topk',
      activation_fn_kwargs: { k: 3 },
      apply_b_dec_to_input: true,
      normalize_activations: 'none',
      sae_lens_training_version: '3.13.0',
      finetuning_scaling_factor: false,
      l1_coefficient: 0,
    });
    const wEnc = exactHalf(D_IN * D_SAE, 1);
    const bEnc = exactHalf(D_SAE, 2);
    const wDec = exactHalf(D_SAE * D_IN, 3);
    const bDec = exactHalf(D_IN, 4);
    writeSafetensors(join(dir, 'sae_weights.safetensors'), {
      W_enc: { dtype: 'F16', shape: [D_IN, D_SAE], data: wEnc },
      b_enc: f32([D_SAE], bEnc),
      W_dec: { dtype: 'BF16', shape: [D_SAE, D_IN], data: wDec },
      b_dec: f32([D_IN], bDec),
    });
    const before = tf.memory().numTensors;
    const sae = await loadSae(dir);
    expect(sae.cfg).toEqual(
      saeConfig({
        architecture: 'topk',
        dIn: D_IN,
        dSae: D_SAE,
        k: 3,
        metadata: {
          modelName: 'gpt2-small',
          hookName: 'blocks.3.hook_resid_pre',
          contextSize: 128,
          prependBos: true,
          datasetPath: 'Skylion007/openwebtext',
          excludeSpecialTokens: false,
        },
      }),
    );
    expect(bits(sae.params.encoder)).toEqual(bits(transpose(wEnc, D_IN, D_SAE)));
    expect(bits(sae.params.bEnc)).toEqual(bits(bEnc));
    expect(bits(sae.params.decoder)).toEqual(bits(wDec));
    expect(bits(sae.params.bDec)).toEqual(bits(bDec));
    sae.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('reads a flat ReLU config and folds apply_b_dec_to_input = false into the encoder bias', async () => {
    const dir = fresh('pre6-relu');
    mkdirSync(dir, { recursive: true });
    writeJson(join(dir, 'cfg.json'), {
      model_name: 'pythia-70m-deduped',
      hook_name: 'blocks.2.hook_mlp_out',
      d_in: D_IN,
      d_sae: D_SAE,
      activation_fn_str: 'relu',
      architecture: 'standard',
      apply_b_dec_to_input: false,
      normalize_activations: false,
      context_size: 256,
    });
    const wEnc = exactHalf(D_IN * D_SAE, 5);
    const bEnc = exactHalf(D_SAE, 6);
    const bDec = exactHalf(D_IN, 7);
    writeSafetensors(join(dir, 'sae_weights.safetensors'), {
      W_enc: f32([D_IN, D_SAE], wEnc),
      b_enc: f32([D_SAE], bEnc),
      W_dec: f32([D_SAE, D_IN], exactHalf(D_SAE * D_IN, 8)),
      b_dec: f32([D_IN], bDec),
    });
    const sae = await loadSae(dir);
    expect(sae.cfg.architecture).toBe('relu');
    expect(sae.cfg.normalizeActivations).toBe('none');
    expect(sae.cfg.metadata).toMatchObject({
      hookName: 'blocks.2.hook_mlp_out',
      contextSize: 256,
      prependBos: true,
    });
    // SAELens: z = x W_enc + b_enc; ours: z = (x − b_dec) W_encᵀ... + b_enc', equal for every x
    const x = tf.randomNormal([5, D_IN], 0, 1, 'float32', 3);
    const want = tf.tidy(() =>
      tf.relu(tf.add(tf.matMul(x, tf.tensor2d(wEnc, [D_IN, D_SAE])), tf.tensor1d(bEnc))),
    );
    const got = sae.features(x);
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(got, want))).dataSync()[0]);
    expect(diff).toBeLessThan(1e-5);
    tf.dispose([x, want, got]);
    sae.dispose();
  });
});

describe('sparsify', () => {
  it('maps hookpoints to TransformerLens hook names', () => {
    const table: [string, string][] = [
      ['layers.0', 'blocks.0.hook_resid_post'],
      ['layers.11', 'blocks.11.hook_resid_post'],
      ['layers.4.mlp', 'blocks.4.hook_mlp_out'],
      ['layers.4.self_attn', 'blocks.4.hook_attn_out'],
      ['layers.4.attn', 'blocks.4.hook_attn_out'],
      ['embed_tokens', 'hook_embed'],
      ['h.3', 'blocks.3.hook_resid_post'],
      ['layers_7', 'blocks.7.hook_resid_post'],
      ['model.layers.2', 'blocks.2.hook_resid_post'],
      ['gpt_neox.layers.5.mlp', 'blocks.5.hook_mlp_out'],
      ['layers.4.mlp.act_fn', 'layers.4.mlp.act_fn'],
      ['something_else', 'something_else'],
    ];
    for (const [hookpoint, hook] of table) expect(sparsifyHookName(hookpoint), hookpoint).toBe(hook);
  });

  it('reads a sparsify run folder (root config.json, F16/BF16 tensors, d_in inferred)', async () => {
    const run = fresh('run');
    mkdirSync(join(run, 'layers.2'), { recursive: true });
    mkdirSync(join(run, 'layers.10.mlp'), { recursive: true });
    mkdirSync(join(run, 'wandb'), { recursive: true }); // not an SAE: skipped
    writeJson(join(run, 'config.json'), {
      sae: { expansion_factor: 4, k: 4 },
      model: 'EleutherAI/pythia-70m',
      dataset: 'EleutherAI/SmolLM2-135M-10B',
      ctx_len: 2048,
      exclude_tokens: [0],
      batch_size: 8,
    });
    writeJson(join(run, 'layers.2', 'cfg.json'), {
      activation: 'topk',
      expansion_factor: 4,
      normalize_decoder: true,
      num_latents: 0,
      k: 4,
      multi_topk: false,
      skip_connection: false,
      transcode: false,
      d_in: D_IN,
    });
    writeJson(join(run, 'layers.10.mlp', 'cfg.json'), { expansion_factor: 32, num_latents: 16, k: 2 });
    const tensors = (n: number, seed: number) => ({
      enc: exactHalf(n * D_IN, seed),
      bEnc: exactHalf(n, seed + 1),
      dec: exactHalf(n * D_IN, seed + 2),
      bDec: exactHalf(D_IN, seed + 3),
    });
    const t2 = tensors(D_SAE, 10);
    writeSafetensors(
      join(run, 'layers.2', 'sae.safetensors'),
      {
        'encoder.weight': { dtype: 'BF16', shape: [D_SAE, D_IN], data: t2.enc },
        'encoder.bias': { dtype: 'BF16', shape: [D_SAE], data: t2.bEnc },
        W_dec: { dtype: 'F16', shape: [D_SAE, D_IN], data: t2.dec },
        b_dec: { dtype: 'BF16', shape: [D_IN], data: t2.bDec },
      },
      { format: 'pt' },
    );
    const t10 = tensors(16, 20);
    writeSafetensors(join(run, 'layers.10.mlp', 'sae.safetensors'), {
      'encoder.weight': f32([16, D_IN], t10.enc),
      'encoder.bias': f32([16], t10.bEnc),
      W_dec: f32([16, D_IN], t10.dec),
      b_dec: f32([D_IN], t10.bDec),
    });

    const before = tf.memory().numTensors;
    const saes = await loadSparsifySaes(run);
    expect([...saes.keys()]).toEqual(['blocks.2.hook_resid_post', 'blocks.10.hook_mlp_out']);
    const s2 = saes.get('blocks.2.hook_resid_post')!;
    expect(s2.cfg).toEqual(
      saeConfig({
        architecture: 'topk',
        dIn: D_IN,
        dSae: D_SAE,
        k: 4,
        normalizeActivations: 'none',
        encoderBias: true,
        metadata: {
          modelName: 'EleutherAI/pythia-70m',
          hookName: 'blocks.2.hook_resid_post',
          contextSize: 2048,
          prependBos: true,
          datasetPath: 'EleutherAI/SmolLM2-135M-10B',
          excludeSpecialTokens: true,
        },
      }),
    );
    expect(bits(s2.params.encoder)).toEqual(bits(t2.enc));
    expect(bits(s2.params.bEnc)).toEqual(bits(t2.bEnc));
    expect(bits(s2.params.decoder)).toEqual(bits(t2.dec));
    expect(bits(s2.params.bDec)).toEqual(bits(t2.bDec));
    const s10 = saes.get('blocks.10.hook_mlp_out')!;
    expect(s10.cfg).toMatchObject({ architecture: 'topk', dIn: D_IN, dSae: 16, k: 2 });
    expect(bits(s10.params.decoder)).toEqual(bits(t10.dec));
    for (const s of saes.values()) s.dispose();
    expect(tf.memory().numTensors).toBe(before);

    const one = await loadSae(join(run, 'layers.2'));
    expect(one.cfg).toEqual(s2.cfg);
    one.dispose();
    await expect(loadSae(run)).rejects.toThrow(/layers\.10\.mlp, layers\.2|layers\.2, layers\.10\.mlp/);
  });

  it('saveSparsifySae writes the sparsify layout and round trips TopK and g-SAE', async () => {
    for (const input of [
      { architecture: 'topk', k: 4 },
      { architecture: 'gsae', k: 6, beta: 2, gradNormalization: 'none' },
    ] as const) {
      const sae = randomSae(input, 21);
      const run = fresh('run');
      const dir = join(run, 'layers.1');
      await saveSparsifySae(sae, dir);
      expect(readdirSync(run)).toEqual(['layers.1']);
      const cfg = JSON.parse(readFileSync(join(dir, 'cfg.json'), 'utf8'));
      expect(cfg).toMatchObject({
        activation: 'topk',
        num_latents: D_SAE,
        k: input.k,
        d_in: D_IN,
        transcode: false,
      });
      const file = openSafetensors(join(dir, 'sae.safetensors'));
      expect(Object.fromEntries([...file.entries.values()].map((e) => [e.name, e.shape]))).toEqual({
        'encoder.weight': [D_SAE, D_IN],
        'encoder.bias': [D_SAE],
        W_dec: [D_SAE, D_IN],
        b_dec: [D_IN],
      });
      expect(bits(file.readF32('encoder.weight').data)).toEqual(bits(sae.params.encoder));
      file.close();

      const again = await loadSae(dir);
      expect(again.cfg).toEqual(sae.cfg);
      expectSameParams(sae, again);
      again.dispose();

      // what sparsify itself would see: TopK, hook name from the folder name
      delete cfg.mechlens;
      writeJson(join(dir, 'cfg.json'), cfg);
      const saes = await loadSparsifySaes(run);
      const plain = saes.get('blocks.1.hook_resid_post')!;
      expect(plain.cfg).toMatchObject({ architecture: 'topk', k: input.k, dIn: D_IN, dSae: D_SAE });
      expectSameParams(sae, plain);
      plain.dispose();
      sae.dispose();
    }
  });

  it('saveSparsifySae rejects architectures sparsify cannot run', async () => {
    const relu = randomSae({ architecture: 'relu' }, 1);
    await expect(saveSparsifySae(relu, fresh())).rejects.toThrow(/TopK.*'relu'/);
    const afa = randomSae({ architecture: 'topafa', k: 8 }, 1);
    await expect(saveSparsifySae(afa, fresh())).rejects.toThrow(/'topafa'/);
    relu.dispose();
    afa.dispose();
  });
});

describe('clear errors', () => {
  async function saved(): Promise<string> {
    const sae = randomSae({ architecture: 'topk', k: 4 }, 7);
    const dir = fresh();
    await saveSae(sae, dir);
    sae.dispose();
    return dir;
  }

  it('a missing folder, cfg.json or weights file', async () => {
    await expect(loadSae(join(root, 'nope'))).rejects.toThrow(/folder '.*nope' does not exist/);
    const empty = fresh();
    mkdirSync(empty, { recursive: true });
    await expect(loadSae(empty)).rejects.toThrow(/no cfg\.json.*sae_weights\.safetensors/);
    const dir = await saved();
    rmSync(join(dir, 'sae_weights.safetensors'));
    await expect(loadSae(dir)).rejects.toThrow(
      /no sae_weights\.safetensors \(expected tensors W_enc \[d_in, d_sae\]/,
    );
  });

  it('a missing tensor or a wrong shape names the tensor and both shapes', async () => {
    const dir = await saved();
    const weights = join(dir, 'sae_weights.safetensors');
    const file = openSafetensors(weights);
    const t = Object.fromEntries([...file.entries.keys()].map((n) => [n, file.readF32(n)]));
    file.close();
    writeSafetensors(weights, {
      W_enc: f32([D_SAE, D_IN], t.W_enc.data), // transposed
      b_enc: f32([D_SAE], t.b_enc.data),
      W_dec: f32([D_SAE, D_IN], t.W_dec.data),
      b_dec: f32([D_IN], t.b_dec.data),
    });
    const before = tf.memory().numTensors;
    await expect(loadSae(dir)).rejects.toThrow(
      /tensor 'W_enc' \(encoder, \[d_in, d_sae\]\) has shape \[32, 8\], expected \[8, 32\] \(it looks transposed\)/,
    );
    writeSafetensors(weights, {
      W_enc: f32([D_IN, D_SAE], t.W_enc.data),
      b_enc: f32([D_SAE], t.b_enc.data),
      b_dec: f32([D_IN], t.b_dec.data),
    });
    await expect(loadSae(dir)).rejects.toThrow(/missing tensor 'W_dec' .*expected shape \[32, 8\]/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('an architecture mechlens cannot run (jumprelu) is named, with the supported ones', async () => {
    const dir = await saved();
    const cfgPath = join(dir, 'cfg.json');
    const cfg = JSON.parse(readFileSync(cfgPath, 'utf8'));
    delete cfg.mechlens;
    cfg.architecture = 'jumprelu';
    writeJson(cfgPath, cfg);
    await expect(loadSae(dir)).rejects.toThrow(
      /architecture 'jumprelu' is not supported.*'standard', 'topk'/,
    );
  });

  it('other settings mechlens cannot run', async () => {
    const dir = await saved();
    const cfgPath = join(dir, 'cfg.json');
    const base = JSON.parse(readFileSync(cfgPath, 'utf8'));
    delete base.mechlens;
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ normalize_activations: 'constant_norm_rescale' }, /constant_norm_rescale/],
      [{ rescale_acts_by_decoder_norm: true }, /rescale_acts_by_decoder_norm/],
      [{ reshape_activations: 'hook_z' }, /hook_z/],
      [{ k: undefined }, /needs 'k'/],
    ];
    for (const [patch, re] of bad) {
      writeJson(cfgPath, { ...base, ...patch });
      await expect(loadSae(dir)).rejects.toThrow(re);
    }
    expect(existsSync(cfgPath)).toBe(true);
  });
});
