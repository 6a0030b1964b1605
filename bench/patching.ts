/**
 * Patching cost on a GPT-2-small-sized random model at 32 positions: a full activation-patching sweep
 * (batched, each patch resuming at its block) against AtP and RelP on the same prompts, and against the
 * naive loop (one full forward per patch) timed on a sample of its patches in the same process.
 */
import { type HookedTransformer, type HookName, tf } from '@mechlens/core';
import {
  type ComponentType,
  componentHook,
  enumerateCells,
  metrics,
  patchingSweep,
} from '@mechlens/patching';
import { GPT2_SMALL, makeGpt2 } from './gpt2.js';

/** One component type's timings in seconds. */
export interface PatchingBenchRow {
  component: ComponentType;
  patches: number;
  naiveSeconds: number;
  activationSeconds: number;
  attributionSeconds: number;
  relevanceSeconds: number;
}

function seconds(f: () => unknown): number {
  const t0 = performance.now();
  f();
  return (performance.now() - t0) / 1000;
}

/** The naive sweep's time, extrapolated from every `stride`-th patch (one full forward each). */
function naiveSweep(
  model: HookedTransformer,
  clean: number[][],
  corrupt: number[][],
  component: ComponentType,
  stride: number,
): number {
  const metric = metrics.logitDiff([7, 7], [13, 13]);
  const T = clean[0].length;
  const cells = enumerateCells(model.cfg, component, T, component !== 'head');
  const names = [...new Set(cells.map((c) => componentHook(component, c.layer)))];
  const { logits, cache } = model.runWithCache(clean, { names });
  logits.dispose();
  const sample = cells.filter((_, i) => i % stride === 0);
  const s = seconds(() => {
    for (const c of sample) {
      const name: HookName = componentHook(component, c.layer);
      const src = cache.get(name);
      const v = tf.tidy(() => {
        const out = model.runWithHooks(corrupt, [
          {
            name,
            fn: () => src,
            positions: c.pos === null ? undefined : [c.pos],
            heads: c.head === null ? undefined : [c.head],
          },
        ]);
        return metric(out);
      });
      v.dataSync();
      v.dispose();
    }
  });
  cache.dispose();
  return (s * cells.length) / sample.length;
}

/** Runs the section's measurements (two prompts of 32 tokens). */
export async function benchPatching(
  quick: boolean,
): Promise<{ rows: PatchingBenchRow[]; seq: number; prompts: number }> {
  const seq = 32;
  const { model } = await makeGpt2({ ...GPT2_SMALL, seq });
  let s = 4242;
  const next = () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s % GPT2_SMALL.vocab;
  };
  const clean = [0, 1].map(() => Array.from({ length: seq }, next));
  const corrupt = clean.map((r) => r.map((t, i) => (i % 5 === 2 ? next() : t)));
  const metric = metrics.logitDiff([7, 7], [13, 13]);
  const rows: PatchingBenchRow[] = [];
  try {
    for (const component of ['resid_pre', 'head'] as ComponentType[]) {
      const o = { clean, corrupt, metric, component, normalize: false };
      patchingSweep(model, { ...o, method: 'attribution' }); // warm-up
      const attributionSeconds = seconds(() => patchingSweep(model, { ...o, method: 'attribution' }));
      const relevanceSeconds = seconds(() => patchingSweep(model, { ...o, method: 'relevance' }));
      const activation = seconds(() => patchingSweep(model, { ...o, method: 'activation' }));
      const patches = model.cfg.nLayers * (component === 'head' ? model.cfg.nHeads : seq);
      const naiveSeconds = naiveSweep(model, clean, corrupt, component, quick ? 32 : 8);
      rows.push({
        component,
        patches,
        naiveSeconds,
        activationSeconds: activation,
        attributionSeconds,
        relevanceSeconds,
      });
    }
  } finally {
    model.dispose();
  }
  return { rows, seq, prompts: clean.length };
}
