/**
 * `@mechlens/core` end-to-end timings on a GPT-2-small-sized checkpoint (random weights written as a
 * real HF folder and read back with `loadModel`): load, forward, `runWithCache` of every hook, and
 * `generate` of 32 tokens with the KV cache.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModel, saveModel, tf } from '@mechlens/core';
import { type Gpt2Shape, makeGpt2 } from './gpt2.js';
import { median } from './table.js';

export interface CoreBenchRow {
  measure: string;
  seconds: number;
  /** Tokens per second where it applies (forward: prompt tokens; generate: new tokens). */
  tokensPerSecond: number | null;
  note: string;
}

function timeMedian(reps: number, f: () => void): number {
  f();
  const t: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    f();
    t.push((performance.now() - t0) / 1000);
  }
  return median(t);
}

/** Runs the core measurements; the checkpoint lives in a temporary folder removed at the end. */
export async function benchCore(shape: Gpt2Shape, reps: number): Promise<CoreBenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'mechlens-bench-gpt2-'));
  try {
    const { model: random, ids } = await makeGpt2(shape);
    saveModel(random, dir);
    random.dispose();
    const t0 = performance.now();
    const model = await loadModel(dir);
    const loadS = (performance.now() - t0) / 1000;
    const rows: CoreBenchRow[] = [
      { measure: 'loadModel', seconds: loadS, tokensPerSecond: null, note: '~500 MB F32 safetensors' },
    ];
    const T = ids[0].length;
    const fwd = timeMedian(reps, () => {
      tf.tidy(() => {
        model.forward(ids).dataSync();
      });
    });
    rows.push({ measure: `forward (seq ${T})`, seconds: fwd, tokensPerSecond: T / fwd, note: '' });
    const nHooks = model.hookNames().length;
    const cached = timeMedian(reps, () => {
      const { logits, cache } = model.runWithCache(ids);
      logits.dataSync();
      logits.dispose();
      cache.dispose();
    });
    rows.push({
      measure: `runWithCache, all hooks (seq ${T})`,
      seconds: cached,
      tokensPerSecond: T / cached,
      note: `${nHooks} hook points cached`,
    });
    const prompt = [ids[0].slice(0, 16)];
    const newTokens = 32;
    const times: number[] = [];
    for (let r = 0; r < Math.max(2, reps - 1); r++) {
      const g0 = performance.now();
      const out = await model.generate(prompt, { maxNewTokens: newTokens, temperature: 0 });
      times.push((performance.now() - g0) / 1000);
      if (out[0].length !== prompt[0].length + newTokens)
        throw new Error('generate returned the wrong length');
    }
    const genS = median(times.slice(1).length ? times.slice(1) : times);
    rows.push({
      measure: `generate ${newTokens} tokens (greedy, KV cache, prompt 16)`,
      seconds: genS,
      tokensPerSecond: newTokens / genS,
      note: '',
    });
    model.dispose();
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
