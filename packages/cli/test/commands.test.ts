import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseShard, runCacheActivations, runEvalSae, runTrainSae } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'mechlens-cli-commands-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const quiet = () => {};
const data = { data: 'demo-corpus', textField: 'text', seed: 0, batch: 1024, progress: 'off' as const };

describe('cli commands', () => {
  it('parseShard accepts i/n and rejects the rest', () => {
    expect(parseShard('2/8')).toEqual({ index: 2, count: 8 });
    for (const bad of ['8/8', '1', 'a/b', '1/0'])
      expect(() => parseShard(bad)).toThrow(/--shard: expected i\/n/);
  });

  it('cache-activations fills two shards; train-sae --cache then trains from them without recomputing', async () => {
    const cache = join(dir, 'cache');
    const a = await runCacheActivations(
      { ...data, out: cache, tokens: 8192, shard: '0/2', gradients: false },
      quiet,
    );
    const b = await runCacheActivations(
      { ...data, out: cache, tokens: 8192, shard: '1/2', gradients: false },
      quiet,
    );
    expect([...a.groups, ...b.groups].sort()).toEqual([0, 1, 2]);
    const files = readdirSync(cache).filter((f) => f.startsWith('group-'));
    expect(files.length).toBe(3);
    const r = await runTrainSae(
      {
        ...data,
        architecture: 'topk',
        expansion: 4,
        beta: 0.1,
        afaCoeff: 1 / 32,
        l1Coeff: 5,
        tokens: 4096,
        resume: false,
        evalContexts: 4,
        cache,
        out: join(dir, 'sae'),
      },
      quiet,
    );
    expect(r.steps).toBe(4);
    expect(readdirSync(cache).filter((f) => f.startsWith('group-')).length).toBe(3); // nothing added
    const lines: string[] = [];
    await runEvalSae(join(dir, 'sae'), { ...data, contexts: 4, gsaeSelection: 'gradient', json: true }, (l) =>
      lines.push(l),
    );
    const report = JSON.parse(lines[0]);
    expect(report.l0).toBe(32);
    expect(report.fvu).toBeCloseTo(r.eval?.fvu as number, 4); // same held-out contexts as train-sae's
    expect(report.hook).toBe('blocks.2.hook_resid_pre');
  });

  it('cache-activations needs --out, and eval-sae names a missing folder', async () => {
    await expect(
      runCacheActivations({ ...data, tokens: 10, shard: '0/1', gradients: false }, quiet),
    ).rejects.toThrow(/--out/);
    await expect(
      runEvalSae(join(dir, 'nope'), { ...data, contexts: 1, gsaeSelection: 'topk', json: false }, quiet),
    ).rejects.toThrow(/nope/);
    expect(existsSync(join(dir, 'nope'))).toBe(false);
  });
});
