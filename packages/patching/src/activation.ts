/**
 * Activation patching: rerun the target prompts with one component's activation replaced by its value
 * on the source prompts and measure the metric. Many patches share one forward pass (each patch is a
 * copy of the prompt batch with its own mask), and every patched run resumes from the cached residual
 * stream entering the first patched block, so early blocks are never recomputed.
 */
import { type Hook, ProgressBar, tf } from '@mechlens/core';
import { type Cell, type ComponentType, componentHook } from './components.js';
import { cacheRun, type PatchingPair } from './runs.js';

/**
 * Options of {@link activationPatching}.
 *
 * @example
 * const o: ActivationPatchingOptions = { type: 'attn_out', cells, window: 1 };
 */
export interface ActivationPatchingOptions {
  type: ComponentType;
  cells: readonly Cell[];
  /** Patch the same cell in this many consecutive layers centred on the cell's layer (default 1). */
  window?: number;
  /** Patches per forward pass (default: as many as fit about 8M logits and 16k tokens). */
  batchSize?: number;
  /** Draw a progress bar on stderr (default false). */
  progress?: boolean;
}

/**
 * Metric values of the source run, the target run and each patched run.
 *
 * @example
 * const { patched, source, target } = activationPatching(pair, { type: 'head', cells });
 */
export interface PatchedValues {
  source: number;
  target: number;
  /** One value per cell, in the order given. */
  patched: Float64Array;
}

/** Layers patched for a cell at `layer` with a window of `w` layers, clipped to the model. */
export function windowLayers(layer: number, w: number, nLayers: number): number[] {
  if (!Number.isInteger(w) || w < 1) throw new Error(`window must be an integer >= 1, got ${w}`);
  const lo = Math.max(0, layer - Math.floor((w - 1) / 2));
  const hi = Math.min(nLayers - 1, layer + Math.ceil((w - 1) / 2));
  return Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
}

/** Boolean mask `[P·B, T, (H), 1]` selecting each patch's cell in its copy of the batch. */
function cellMask(cells: readonly Cell[], B: number, T: number, H: number, heads: boolean): tf.Tensor {
  const P = cells.length;
  const inner = heads ? T * H : T;
  const data = new Uint8Array(P * B * inner);
  cells.forEach((c, i) => {
    for (let b = 0; b < B; b++) {
      const base = (i * B + b) * inner;
      for (let t = 0; t < T; t++) {
        if (c.pos !== null && c.pos !== t) continue;
        if (!heads) {
          data[base + t] = 1;
          continue;
        }
        for (let h = 0; h < H; h++) if (c.head === null || c.head === h) data[base + t * H + h] = 1;
      }
    }
  });
  return tf.tensor(data, heads ? [P * B, T, H, 1] : [P * B, T, 1], 'bool');
}

function defaultBatchSize(B: number, T: number, Tl: number, V: number): number {
  const byLogits = Math.floor(8_388_608 / (B * Tl * V));
  const byTokens = Math.floor(16_384 / (B * T));
  return Math.max(1, Math.min(64, byLogits, byTokens));
}

/**
 * Patches every cell (a layer, a position or all, a head or none) from the source run into the target
 * run and returns the metric of each patched run, plus both unpatched values. Leaves no tensors behind.
 *
 * @example
 * const pair = preparePair(model, { clean, corrupt, metric: metrics.logitDiff(c, w) });
 * const cells = enumerateCells(model.cfg, 'resid_pre', pair.T, true);
 * const { patched, source, target } = activationPatching(pair, { type: 'resid_pre', cells });
 */
export function activationPatching(pair: PatchingPair, o: ActivationPatchingOptions): PatchedValues {
  const { model, B, T } = pair;
  const cfg = model.cfg;
  const w = o.window ?? 1;
  const heads = o.type === 'head';
  const L = cfg.nLayers;
  const layerSets = new Map<number, number[]>();
  for (const c of o.cells) if (!layerSets.has(c.layer)) layerSets.set(c.layer, windowLayers(c.layer, w, L));
  const compNames = [...new Set([...layerSets.values()].flat())].map((l) => componentHook(o.type, l));
  const starts = [...new Set([...layerSets.values()].map((ls) => ls[0]))];
  const residNames = starts.map((l) => componentHook('resid_pre', l));

  const src = cacheRun(pair, 'source', compNames);
  const tgt = cacheRun(pair, 'target', residNames);
  const patched = new Float64Array(o.cells.length);
  // Built-in metrics read only the last position: unembed only that one (logits [P·B, 1, V]).
  const lastOnly = pair.metric.lastPositionOnly === true;
  const Tl = lastOnly ? 1 : T;
  const per = o.batchSize ?? defaultBatchSize(B, T, Tl, cfg.dVocab);
  if (!Number.isInteger(per) || per < 1) throw new Error(`batchSize must be an integer >= 1, got ${per}`);
  const bar = new ProgressBar({
    total: o.cells.length,
    label: `patching ${o.type}`,
    unit: 'patches',
    enabled: o.progress ?? false,
  });
  try {
    // Group cells by layer so each forward resumes at one block.
    const byLayer = new Map<number, number[]>();
    o.cells.forEach((c, i) => {
      const list = byLayer.get(c.layer) ?? [];
      list.push(i);
      byLayer.set(c.layer, list);
    });
    for (const [layer, idx] of byLayer) {
      const layers = layerSets.get(layer) as number[];
      const start = layers[0];
      for (let k = 0; k < idx.length; k += per) {
        const chunk = idx.slice(k, k + per);
        const P = chunk.length;
        const values = tf.tidy(() => {
          const cells = chunk.map((i) => o.cells[i]);
          const mask = cellMask(cells, B, T, cfg.nHeads, heads);
          const hooks: Hook[] = layers.map((l) => {
            const name = componentHook(o.type, l);
            const from = src.cache.get(name);
            const reps = heads ? [P, 1, 1, 1] : [P, 1, 1];
            return {
              name,
              fn: (a: tf.Tensor) => tf.where(tf.broadcastTo(mask, a.shape), tf.tile(from, reps), a),
            };
          });
          const residIn = tf.tile(tgt.cache.get(componentHook('resid_pre', start)), [P, 1, 1]);
          const ids: number[][] = [];
          for (let p = 0; p < P; p++) ids.push(...pair.target);
          const logits = model.runWithHooks(ids, hooks, {
            startAtLayer: start,
            residIn,
            ops: pair.ops,
            lastPositionOnly: lastOnly,
          });
          const vals = cells.map((_, p) => {
            const part = tf.slice(logits, [p * B, 0, 0], [B, Tl, cfg.dVocab]) as tf.Tensor3D;
            return tf.reshape(pair.metric(part), []);
          });
          return tf.stack(vals);
        });
        const data = values.dataSync();
        values.dispose();
        chunk.forEach((i, p) => {
          patched[i] = data[p];
        });
        bar.tick(P);
      }
    }
    bar.finish();
    return { source: src.value, target: tgt.value, patched };
  } finally {
    src.cache.dispose();
    tgt.cache.dispose();
  }
}
