import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type HookedTransformer, initEngine, loadModel, tf } from '@mechlens/core';
import { DEMO_MODEL_DIR } from '@mechlens/demo';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ActivationStore,
  contextStream,
  DEMO_CORPUS,
  readCheckpoint,
  saeConfig,
  trainSae,
} from '../src/index.js';

await initEngine();
const HOOK = 'blocks.2.hook_resid_pre';
let model: HookedTransformer;
let dir: string;

beforeAll(async () => {
  model = await loadModel(DEMO_MODEL_DIR);
  dir = mkdtempSync(join(tmpdir(), 'mechlens-sae-train-'));
});
afterAll(() => {
  model.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const store = (batchSize = 512, withGrads = false) =>
  new ActivationStore({
    model,
    hooks: [HOOK],
    contexts: contextStream(model, DEMO_CORPUS, 64),
    contextSize: 64,
    batchSize,
    bufferBatches: 4,
    seed: 3,
    withGrads,
  });

const cfg = (architecture: 'topk' | 'gsae' = 'topk') =>
  saeConfig({ architecture, dIn: 128, dSae: 512, k: 16, metadata: { hookName: HOOK } });

const bits = (t: tf.Tensor) => Buffer.from((t.dataSync() as Float32Array).slice().buffer).toString('base64');

describe('trainSae on the demo model', () => {
  it('lowers the FVU, keeps decoder rows unit-norm, logs JSONL and leaks no tensors', async () => {
    model.forward([[0, 5, 6]]).dispose(); // the model's lazily built caches (fused q|k|v weights) are its own
    const before = tf.memory().numTensors;
    const fvus: number[] = [];
    const logPath = join(dir, 'log.jsonl');
    const s = store();
    const { sae, last, steps } = await trainSae({
      cfg: cfg(),
      store: s,
      tokens: 512 * 40,
      lr: 2e-3,
      logPath,
      logEvery: 5,
      progress: false,
      onStep: (m) => fvus.push(m.fvu),
    });
    expect(steps).toBe(40);
    expect(last?.l0).toBe(16);
    expect(fvus[fvus.length - 1]).toBeLessThan(0.6 * fvus[0]);
    const norms = tf.tidy(() => tf.norm(sae.params.decoder, 2, 1).dataSync());
    for (const n of norms) expect(n).toBeCloseTo(1, 5);
    const lines = readFileSync(logPath, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.step)).toEqual([5, 10, 15, 20, 25, 30, 35, 40]);
    expect(Object.keys(lines[0])).toEqual(
      expect.arrayContaining(['loss', 'fvu', 'l0', 'deadFraction', 'tokensPerSecond']),
    );
    sae.dispose();
    await s.close();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a run stopped and resumed from its checkpoint ends bit for bit where an uninterrupted run does', async () => {
    const common = {
      cfg: cfg('gsae'),
      tokens: 512 * 9,
      lr: 1e-3,
      checkpointEvery: 1,
      progress: false,
      deadTokens: 1024,
    };
    const full = await trainSae({ ...common, store: store(512, true), checkpointDir: join(dir, 'a') });
    const first = await trainSae({
      ...common,
      store: store(512, true),
      checkpointDir: join(dir, 'b'),
      stopAfterSteps: 4,
    });
    expect(first.stoppedEarly).toBe(true);
    expect(first.steps).toBe(4);
    first.sae.dispose();
    const ck = await readCheckpoint(join(dir, 'b'));
    expect(ck?.state.step).toBe(4);
    tf.dispose(Object.values(ck?.tensors ?? {}));
    const resumed = await trainSae({
      ...common,
      store: store(512, true),
      checkpointDir: join(dir, 'b'),
      resume: true,
    });
    expect(resumed.steps).toBe(9);
    for (const k of ['encoder', 'bEnc', 'decoder', 'bDec'] as const)
      expect(bits(resumed.sae.params[k]), k).toBe(bits(full.sae.params[k]));
    expect(resumed.last?.loss).toBe(full.last?.loss);
    full.sae.dispose();
    resumed.sae.dispose();
  });

  it('trains two SAEs concurrently from one forward pass per group (store views), each as if alone', async () => {
    const hooks = ['blocks.1.hook_resid_post', 'blocks.2.hook_mlp_out'] as const;
    const cfgFor = (h: string) => saeConfig({ dIn: 128, dSae: 256, k: 8, metadata: { hookName: h } });
    const mk = (hs: readonly string[]) =>
      new ActivationStore({
        model,
        hooks: hs as never,
        contexts: contextStream(model, DEMO_CORPUS, 64),
        contextSize: 64,
        batchSize: 512,
        bufferBatches: 4,
        seed: 3,
      });
    let forwards = 0;
    const shared = mk(hooks);
    const counting = shared as unknown as { compute: (i: number) => Promise<unknown> };
    const compute = counting.compute.bind(shared);
    counting.compute = (i: number) => {
      forwards++;
      return compute(i);
    };
    const opts = { tokens: 512 * 10, lr: 1e-3, progress: false };
    const [a, b] = await Promise.all(
      hooks.map((h) => trainSae({ ...opts, cfg: cfgFor(h), store: shared.view(h) })),
    );
    const alone = await trainSae({ ...opts, cfg: cfgFor(hooks[1]), store: mk([hooks[1]]) });
    for (const k of ['encoder', 'decoder', 'bDec'] as const)
      expect(bits(b.sae.params[k])).toBe(bits(alone.sae.params[k]));
    expect(a.last?.fvu).toBeLessThan(1);
    // 10 batches of 512 rows at ~3 batches per group: 4 groups, each computed once for both SAEs
    expect(forwards).toBeLessThanOrEqual(5);
    for (const r of [a, b, alone]) r.sae.dispose();
  });

  it('refuses to resume a checkpoint of a different configuration', async () => {
    await expect(
      trainSae({
        cfg: cfg('topk'),
        store: store(),
        tokens: 512 * 9,
        checkpointDir: join(dir, 'b'),
        resume: true,
        progress: false,
      }),
    ).rejects.toThrow(/different configuration/);
  });

  it('stops on a NaN loss with a clear message and keeps the last good checkpoint', async () => {
    const s = store();
    await expect(
      trainSae({
        cfg: cfg(),
        store: s,
        tokens: 512 * 20,
        lr: 1e30,
        checkpointDir: join(dir, 'nan'),
        checkpointEvery: 1,
        progress: false,
      }),
    ).rejects.toThrow(/diverged at step \d+.*last good checkpoint.*lower learning rate/s);
    const ck = await readCheckpoint(join(dir, 'nan'));
    expect(ck).not.toBeNull();
    const enc = ck?.tensors['sae.encoder'] as tf.Tensor;
    expect(tf.all(tf.isFinite(enc)).dataSync()[0]).toBe(1);
    tf.dispose(Object.values(ck?.tensors ?? {}));
  });
});
