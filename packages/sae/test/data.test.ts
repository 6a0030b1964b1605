import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type HookedTransformer, initEngine, loadModel, tf } from '@mechlens/core';
import { DEMO_MODEL_DIR } from '@mechlens/demo';
import { parquetWriteFile } from 'hyparquet-writer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ActivationStore,
  type ActivationStoreOptions,
  contextStream,
  DEMO_CORPUS,
  documentStream,
  packTokens,
  permutation,
} from '../src/index.js';

await initEngine();
let model: HookedTransformer;
let dir: string;
beforeAll(async () => {
  model = await loadModel(DEMO_MODEL_DIR);
  model.forward([[0, 5, 6]]).dispose(); // the model's lazily built caches are its own
  dir = mkdtempSync(join(tmpdir(), 'mechlens-sae-data-'));
});
afterAll(() => {
  model.dispose();
  rmSync(dir, { recursive: true, force: true });
});

async function all<T>(it: AsyncIterable<T>, max = 1e9): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) {
    out.push(x);
    if (out.length >= max) break;
  }
  return out;
}

describe('documents and contexts', () => {
  it('reads .txt paragraphs, .jsonl fields and Parquet text columns (snappy, several row groups)', async () => {
    const txt = join(dir, 'a.txt');
    writeFileSync(txt, 'first line\nsame paragraph\n\n\nsecond paragraph\r\n');
    expect(await all(documentStream(txt))).toEqual(['first line\nsame paragraph', 'second paragraph']);
    const jsonl = join(dir, 'a.jsonl');
    writeFileSync(jsonl, '{"content": "one"}\n\n{"content": "two", "id": 3}\n');
    expect(await all(documentStream(jsonl, { field: 'content' }))).toEqual(['one', 'two']);
    await expect(all(documentStream(jsonl))).rejects.toThrow(/no string field 'text' \(fields: content\)/);
    const pq = join(dir, 'a.parquet');
    const texts = Array.from({ length: 25 }, (_, i) => `document number ${i}`);
    parquetWriteFile({
      filename: pq,
      columnData: [
        { name: 'text', data: texts, type: 'STRING' },
        { name: 'id', data: texts.map((_, i) => i), type: 'INT32' },
      ],
      rowGroupSize: 10,
    });
    expect(await all(documentStream(pq))).toEqual(texts);
    await expect(all(documentStream(pq, { field: 'body' }))).rejects.toThrow(
      /no column 'body' \(columns: text, id\)/,
    );
    await expect(all(documentStream(join(dir, 'missing.txt')))).rejects.toThrow(/does not exist/);
    await expect(all(documentStream(join(dir, 'a.csv')))).rejects.toThrow(/does not exist|unknown extension/);
  });

  it('packs documents into BOS-led contexts with separators, and skips to a start index', async () => {
    const enc = (t: string) => t.split(' ').map(Number);
    const docs = ['1 2 3', '4 5', '6 7 8 9 10'];
    const ctx = await all(packTokens(docs, enc, { contextSize: 4, bosId: 0, sepId: 99 }));
    expect(ctx).toEqual([
      [0, 1, 2, 3],
      [0, 99, 4, 5],
      [0, 99, 6, 7],
      [0, 8, 9, 10],
    ]);
    expect(await all(packTokens(docs, enc, { contextSize: 4, bosId: 0, sepId: 99, start: 2 }))).toEqual(
      ctx.slice(2),
    );
    expect(await all(packTokens(docs, enc, { contextSize: 3, bosId: null, sepId: null }))).toEqual([
      [1, 2, 3],
      [4, 5, 6],
      [7, 8, 9],
    ]);
  });

  it('permutations are seeded and complete', () => {
    const p = permutation(1000, 5);
    expect(new Set(p).size).toBe(1000);
    expect(Array.from(permutation(1000, 5))).toEqual(Array.from(p));
    expect(Array.from(permutation(1000, 6))).not.toEqual(Array.from(p));
  });
});

describe('ActivationStore', () => {
  const opts = (extra: Partial<ActivationStoreOptions> = {}): ActivationStoreOptions => ({
    model,
    hooks: ['blocks.1.hook_resid_post', 'blocks.2.hook_mlp_out'],
    contexts: contextStream(model, DEMO_CORPUS, 32),
    contextSize: 32,
    batchSize: 256,
    bufferBatches: 4,
    seed: 1,
    ...extra,
  });

  it('serves several hook points from one forward pass, rows matching the model, special tokens dropped', async () => {
    const store = new ActivationStore(opts());
    const before = tf.memory().numTensors;
    const b = await store.next();
    expect(Object.keys(b.acts)).toEqual(['blocks.1.hook_resid_post', 'blocks.2.hook_mlp_out']);
    expect(b.acts['blocks.1.hook_resid_post'].shape).toEqual([256, 128]);
    // every served resid row is some (non-special) position of the first contexts
    const ctx = (await all(
      { [Symbol.asyncIterator]: () => contextStream(model, DEMO_CORPUS, 32)(0) },
      store.contextsPerGroup,
    )) as number[][];
    const { cache, logits } = model.runWithCache(ctx, { names: ['blocks.1.hook_resid_post'] });
    const ref = tf.tidy(
      () => cache.get('blocks.1.hook_resid_post').reshape([-1, 128]).arraySync() as number[][],
    );
    const ids = ctx.flat();
    const special = new Set([model.tokenizer?.bosTokenId, model.tokenizer?.eosTokenId]);
    const row = b.acts['blocks.1.hook_resid_post'].arraySync()[0];
    const match = ref.findIndex((r) => r.every((v, i) => Math.abs(v - row[i]) < 1e-4));
    expect(match).toBeGreaterThanOrEqual(0);
    expect(special.has(ids[match])).toBe(false);
    tf.dispose([...Object.values(b.acts), logits]);
    cache.dispose();
    expect(tf.memory().numTensors).toBe(before);
    await store.close();
  });

  it('resumes at a position with the same batches', async () => {
    const a = new ActivationStore(opts());
    const seen: string[] = [];
    let at = a.position();
    for (let i = 0; i < 5; i++) {
      if (i === 3) at = a.position();
      const b = await a.next();
      seen.push(Buffer.from(b.acts['blocks.2.hook_mlp_out'].dataSync().buffer).toString('base64'));
      tf.dispose(Object.values(b.acts));
    }
    const b2 = new ActivationStore(opts());
    expect(a.position().group).toBeGreaterThan(0); // the five batches spanned more than one group
    b2.seek(at);
    const x = await b2.next();
    expect(Buffer.from(x.acts['blocks.2.hook_mlp_out'].dataSync().buffer).toString('base64')).toBe(seen[3]);
    tf.dispose(Object.values(x.acts));
    await a.close();
    await b2.close();
  });

  it('an on-disk cache filled by two shards serves exactly the live batches, and refuses other settings', async () => {
    const cacheDir = join(dir, 'cache');
    for (const shard of [0, 1]) {
      const s = new ActivationStore(
        opts({ cache: { dir: cacheDir, write: true, describe: { data: 'demo' } } }),
      );
      for (let g = shard; g < 3; g += 2) await s.cacheGroup(g);
      await s.close();
    }
    expect(readdirSync(cacheDir).sort()).toEqual([
      'cache.json',
      'group-000000.safetensors',
      'group-000001.safetensors',
      'group-000002.safetensors',
    ]);
    const live = new ActivationStore(opts());
    const cached = new ActivationStore(
      opts({
        cache: { dir: cacheDir, describe: { data: 'demo' } },
        contexts: () => {
          throw new Error('a cached group was recomputed');
        },
      }),
    );
    for (let i = 0; i < 5; i++) {
      const [p, q] = [await live.next(), await cached.next()];
      for (const h of ['blocks.1.hook_resid_post', 'blocks.2.hook_mlp_out'])
        expect(
          Buffer.from(q.acts[h].dataSync().buffer).equals(Buffer.from(p.acts[h].dataSync().buffer)),
        ).toBe(true);
      tf.dispose([...Object.values(p.acts), ...Object.values(q.acts)]);
    }
    await expect(
      new ActivationStore(opts({ contextSize: 16, cache: { dir: cacheDir } })).next(),
    ).rejects.toThrow(/written for other data or settings/);
    await live.close();
    await cached.close();
  });

  it('bad hook points are clear errors', () => {
    expect(() => new ActivationStore(opts({ hooks: ['blocks.1.hook_resid_pots' as never] }))).toThrow(
      /did you mean/,
    );
    expect(() => new ActivationStore(opts({ hooks: ['blocks.1.attn.hook_pattern'] }))).toThrow(
      /\[batch, pos, d\]/,
    );
  });
});
