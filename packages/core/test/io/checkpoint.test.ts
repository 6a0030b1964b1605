import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CheckpointError,
  closeMatches,
  openCheckpoint,
  openSafetensors,
  resolveSource,
  writeSafetensors,
} from '../../src/io/index.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures');
const tmp = mkdtempSync(join(tmpdir(), 'mechlens-ckpt-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function expectCkptError(fn: () => unknown, code: string, message: RegExp) {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(CheckpointError);
    expect((e as CheckpointError).code).toBe(code);
    expect((e as Error).message).toMatch(message);
    return;
  }
  throw new Error(`expected ${code}`);
}

/** A copy of a fixture folder with model.safetensors split into two shards + an index. */
function shardedCopy(model: string): string {
  const dir = mkdtempSync(join(tmp, `${model}-sharded-`));
  for (const f of ['config.json', 'generation_config.json']) cpSync(join(FIXTURES, model, f), join(dir, f));
  const src = openSafetensors(join(FIXTURES, model, 'model.safetensors'));
  const names = [...src.entries.keys()];
  const shards = [names.slice(0, names.length >> 1), names.slice(names.length >> 1)];
  const weightMap: Record<string, string> = {};
  shards.forEach((part, i) => {
    const file = `model-0000${i + 1}-of-00002.safetensors`;
    const tensors: Parameters<typeof writeSafetensors>[1] = {};
    for (const n of part) {
      const { shape, data } = src.readF32(n);
      tensors[n] = { dtype: i === 0 ? 'F32' : 'BF16', shape, data };
      weightMap[n] = file;
    }
    writeSafetensors(join(dir, file), tensors, { format: 'pt' });
  });
  src.close();
  writeFileSync(
    join(dir, 'model.safetensors.index.json'),
    JSON.stringify({ metadata: { total_size: 0 }, weight_map: weightMap }),
  );
  return dir;
}

describe('openCheckpoint on the fixtures', () => {
  for (const model of ['gpt2', 'gpt_neox', 'llama', 'qwen2']) {
    it(`${model}: config, every tensor, generation config`, () => {
      const dir = join(FIXTURES, model);
      const ckpt = openCheckpoint(dir);
      try {
        expect(ckpt.dir).toBe(resolve(dir));
        expect(ckpt.config).toEqual(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')));
        expect(ckpt.generationConfig).toEqual(
          JSON.parse(readFileSync(join(dir, 'generation_config.json'), 'utf8')),
        );
        expect(ckpt.tokenizerPath).toBeNull();
        const f = openSafetensors(join(dir, 'model.safetensors'));
        expect(ckpt.tensorNames.sort()).toEqual([...f.entries.keys()].sort());
        for (const name of ckpt.tensorNames) {
          const got = ckpt.read(name);
          const want = f.readF32(name);
          expect(got.shape).toEqual(want.shape);
          expect(Buffer.from(got.data.buffer).equals(Buffer.from(want.data.buffer))).toBe(true);
          expect(ckpt.info(name)).toEqual({
            dtype: 'F32',
            shape: want.shape,
            file: join(resolve(dir), 'model.safetensors'),
          });
        }
        f.close();
      } finally {
        ckpt.close();
      }
    });
  }

  it('names close matches for a missing tensor and checks expected shapes', () => {
    const ckpt = openCheckpoint(join(FIXTURES, 'gpt2'));
    expect(ckpt.has('transformer.wte.weight')).toBe(true);
    expect(ckpt.has('lm_head.weight')).toBe(false);
    expectCkptError(
      () => ckpt.read('transformer.h.0.attn.c_atn.weight'),
      'MISSING_TENSOR',
      /tensor 'transformer\.h\.0\.attn\.c_atn\.weight' not found in checkpoint .*gpt2 \(28 tensors\); close matches: transformer\.h\.0\.attn\.c_attn\.weight/,
    );
    expectCkptError(
      () => ckpt.read('h.1.ln_2.bias'),
      'MISSING_TENSOR',
      /close matches: transformer\.h\.1\.ln_2\.bias/,
    );
    expectCkptError(
      () => ckpt.read('zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz'),
      'MISSING_TENSOR',
      /it has e\.g\. /,
    );
    expectCkptError(
      () => ckpt.read('transformer.wte.weight', [64, 211]),
      'WRONG_SHAPE',
      /'transformer\.wte\.weight' .* has shape \[211, 64\], expected \[64, 211\]/,
    );
    expect(ckpt.read('transformer.wte.weight', [211, 64]).data.length).toBe(211 * 64);
    ckpt.close();
  });
});

describe('sharded checkpoints', () => {
  it('reads every tensor across two shards (one of them BF16)', () => {
    const dir = shardedCopy('llama');
    const ckpt = openCheckpoint(dir);
    const ref = openCheckpoint(join(FIXTURES, 'llama'));
    expect(ckpt.tensorNames.sort()).toEqual(ref.tensorNames.sort());
    const dtypes = new Set(ckpt.tensorNames.map((n) => ckpt.info(n).dtype));
    expect(dtypes).toEqual(new Set(['F32', 'BF16']));
    for (const name of ckpt.tensorNames) {
      const a = ckpt.read(name).data;
      const b = ref.read(name).data;
      const tol = ckpt.info(name).dtype === 'BF16' ? 2 ** -8 : 0;
      for (let i = 0; i < a.length; i++) {
        if (Math.abs(a[i] - b[i]) > tol * Math.abs(b[i])) throw new Error(`${name}[${i}]`);
      }
    }
    ckpt.close();
    ref.close();
  });

  it('reports a missing shard, an index that lies, and paths escaping the folder', () => {
    const dir = shardedCopy('gpt2');
    const index = JSON.parse(readFileSync(join(dir, 'model.safetensors.index.json'), 'utf8'));
    rmSync(join(dir, 'model-00002-of-00002.safetensors'));
    expectCkptError(
      () => openCheckpoint(dir),
      'MISSING_SHARD',
      /missing from .*: model-00002-of-00002\.safetensors/,
    );

    const dir2 = shardedCopy('gpt2');
    const idx2 = {
      ...index,
      weight_map: { ...index.weight_map, 'extra.weight': 'model-00001-of-00002.safetensors' },
    };
    writeFileSync(join(dir2, 'model.safetensors.index.json'), JSON.stringify(idx2));
    expectCkptError(
      () => openCheckpoint(dir2),
      'BAD_INDEX',
      /shards do not contain: extra\.weight \(in model-00001/,
    );

    writeFileSync(
      join(dir2, 'model.safetensors.index.json'),
      JSON.stringify({ weight_map: { a: '../x.safetensors' } }),
    );
    expectCkptError(
      () => openCheckpoint(dir2),
      'BAD_INDEX',
      /'a' maps to "\.\.\/x\.safetensors", not a file in/,
    );
    writeFileSync(join(dir2, 'model.safetensors.index.json'), '{"metadata":{}}');
    expectCkptError(() => openCheckpoint(dir2), 'BAD_INDEX', /no "weight_map" object/);
    writeFileSync(join(dir2, 'model.safetensors.index.json'), '{oops');
    expectCkptError(() => openCheckpoint(dir2), 'BAD_INDEX', /cannot parse the shard index/);
  });
});

describe('folders that are not usable checkpoints', () => {
  const folder = (files: Record<string, string>) => {
    const dir = mkdtempSync(join(tmp, 'bad-'));
    for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text);
    return dir;
  };

  it('refuses pickle checkpoints and explains how to convert', () => {
    const dir = folder({ 'config.json': '{}', 'pytorch_model.bin': 'PK\x03\x04' });
    expectCkptError(
      () => openCheckpoint(dir),
      'PICKLE_REFUSED',
      /pytorch_model\.bin, a PyTorch pickle checkpoint/,
    );
    expectCkptError(() => openCheckpoint(dir), 'PICKLE_REFUSED', /arbitrary code/);
    expectCkptError(
      () => openCheckpoint(dir),
      'PICKLE_REFUSED',
      /python -c "from transformers import AutoModelForCausalLM; AutoModelForCausalLM\.from_pretrained\('.*'\)\.save_pretrained\('.*', safe_serialization=True\)"/,
    );
    const sharded = folder({ 'config.json': '{}', 'pytorch_model.bin.index.json': '{}' });
    expectCkptError(() => openCheckpoint(sharded), 'PICKLE_REFUSED', /pytorch_model\.bin\.index\.json/);
  });

  it('missing config.json, bad config, no weights, missing folder, a file', () => {
    expectCkptError(
      () => openCheckpoint(folder({ 'model.safetensors': '' })),
      'MISSING_CONFIG',
      /no config\.json in .* \(found only: model\.safetensors\)/,
    );
    expectCkptError(() => openCheckpoint(folder({})), 'MISSING_CONFIG', /the folder is empty/);
    expectCkptError(
      () => openCheckpoint(folder({ 'config.json': '[1]' })),
      'BAD_CONFIG',
      /not a JSON object/,
    );
    expectCkptError(
      () => openCheckpoint(folder({ 'config.json': '{' })),
      'BAD_CONFIG',
      /cannot parse config\.json/,
    );
    expectCkptError(
      () => openCheckpoint(folder({ 'config.json': '{}', 'tf_model.h5': '' })),
      'NO_WEIGHTS',
      /expected model\.safetensors or model\.safetensors\.index\.json \(found tf_model\.h5/,
    );
    expectCkptError(() => openCheckpoint(join(tmp, 'nope')), 'NOT_FOUND', /does not exist/);
    expectCkptError(
      () => openCheckpoint(join(FIXTURES, 'gpt2', 'config.json')),
      'NOT_FOUND',
      /is a file; pass the folder/,
    );
  });

  it('a corrupt model.safetensors surfaces the safetensors error', () => {
    const dir = folder({ 'config.json': '{}', 'model.safetensors': 'abc' });
    expect(() => openCheckpoint(dir)).toThrow(/too short/);
  });

  it('finds tokenizer.json when present', () => {
    const dir = mkdtempSync(join(tmp, 'tok-'));
    cpSync(join(FIXTURES, 'gpt2'), dir, { recursive: true });
    writeFileSync(join(dir, 'tokenizer.json'), '{}');
    const ckpt = openCheckpoint(dir);
    expect(ckpt.tokenizerPath).toBe(join(dir, 'tokenizer.json'));
    ckpt.close();
  });
});

describe('resolveSource with local paths', () => {
  it('returns an existing folder, rejects missing paths and files without touching the network', async () => {
    expect(await resolveSource(join(FIXTURES, 'gpt2'))).toBe(resolve(FIXTURES, 'gpt2'));
    await expect(resolveSource('./definitely-not-here')).rejects.toThrow(
      /folder .*definitely-not-here does not exist/,
    );
    await expect(resolveSource('/no/such/dir')).rejects.toThrow(/does not exist/);
    await expect(resolveSource(join(FIXTURES, 'gpt2', 'config.json'))).rejects.toThrow(/is a file/);
    await expect(resolveSource('bad id with spaces')).rejects.toThrow(
      /neither an existing folder nor a valid hub model id/,
    );
    await expect(resolveSource('a--b/c')).rejects.toThrow(/valid hub model id/);
  });
});

describe('closeMatches', () => {
  it('ranks by edit distance and by dotted suffix', () => {
    const names = [
      'model.layers.0.mlp.up_proj.weight',
      'model.layers.0.mlp.down_proj.weight',
      'lm_head.weight',
    ];
    expect(closeMatches('layers.0.mlp.up_proj.weight', names)[0]).toBe('model.layers.0.mlp.up_proj.weight');
    expect(closeMatches('model.layers.0.mlp.dwn_proj.weight', names)[0]).toBe(
      'model.layers.0.mlp.down_proj.weight',
    );
    expect(closeMatches('completely.unrelated.name.here', names)).toEqual([]);
  });
});
