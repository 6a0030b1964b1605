/**
 * Integrated gradients on a component (a comparison baseline for AtP and RelP): per layer, the
 * component's activation at every position is moved along the straight line from its target value to
 * its source value, the metric's gradient is averaged over `steps` midpoints of that path, and each cell
 * gets `(a_source − a_target) · mean gradient`. Per layer the cells sum (up to the Riemann error) to the
 * effect of patching the whole layer's component at once. Cost: one forward+backward of `steps` copies of
 * the batch per layer.
 */
import { type Hook, tf } from '@mechlens/core';
import { cellValue, type EstimatedValues } from './attribution.js';
import { type Cell, type ComponentType, componentHook } from './components.js';
import type { Metric } from './metrics.js';
import { cacheRun, type PatchingPair } from './runs.js';

/**
 * Options of {@link integratedGradients}.
 *
 * @example
 * const o: IntegratedGradientsOptions = { type: 'mlp_out', cells, steps: 16 };
 */
export interface IntegratedGradientsOptions {
  type: ComponentType;
  cells: readonly Cell[];
  /** Points on the path (midpoint rule; default 16). */
  steps?: number;
}

/** The mean of `metric` over `m` stacked copies of a batch of `B` prompts. */
function tiledMetric(metric: Metric, B: number, m: number): Metric {
  return (logits) =>
    tf.tidy(() => {
      const [, T, V] = logits.shape;
      const parts: tf.Tensor[] = [];
      for (let k = 0; k < m; k++) {
        parts.push(tf.reshape(metric(tf.slice(logits, [k * B, 0, 0], [B, T, V]) as tf.Tensor3D), []));
      }
      return tf.div(tf.addN(parts), m) as tf.Scalar;
    });
}

/**
 * Integrated-gradients estimates of each cell's patching effect (see the module note).
 *
 * @example
 * const { estimates } = integratedGradients(pair, { type: 'attn_out', cells, steps: 8 });
 */
export function integratedGradients(pair: PatchingPair, o: IntegratedGradientsOptions): EstimatedValues {
  const { model, B, T } = pair;
  const m = o.steps ?? 16;
  if (!Number.isInteger(m) || m < 1) throw new Error(`steps must be an integer >= 1, got ${m}`);
  if (pair.targetHooks.length > 0) {
    throw new Error(
      'integrated gradients does not support corruptHooks on the target run; use token corruptions',
    );
  }
  const H = model.cfg.nHeads;
  const layers = [...new Set(o.cells.map((c) => c.layer))].sort((a, b) => a - b);
  const names = layers.map((l) => componentHook(o.type, l));
  const src = cacheRun(pair, 'source', names);
  const tgt = cacheRun(pair, 'target', names);
  const ids: number[][] = [];
  for (let k = 0; k < m; k++) ids.push(...pair.target);
  const metric = tiledMetric(pair.metric, B, m);
  const products = new Map<number, Float32Array>();
  try {
    for (const [i, l] of layers.entries()) {
      const name = names[i];
      const a0 = tgt.cache.get(name);
      const diff = tf.sub(src.cache.get(name), a0);
      const rest = a0.shape.slice(1).map(() => 1);
      const alphas = tf.tensor(
        Float32Array.from({ length: m * B }, (_, r) => (Math.floor(r / B) + 0.5) / m),
        [m * B, ...rest],
      );
      const reps = [m, ...rest];
      const path: Hook = {
        name,
        fn: () => tf.add(tf.tile(a0, reps), tf.mul(alphas, tf.tile(diff, reps))),
      };
      const { value, grads } = model.gradOfHooks(ids, [name], metric, { hooks: [path], ops: pair.ops });
      const g = grads.get(name) as tf.Tensor;
      products.set(
        l,
        tf.tidy(() => {
          const gSum = tf.sum(tf.reshape(g, [m, ...a0.shape]), 0);
          const prod = tf.mul(diff, gSum);
          return tf.sum(prod, [0, prod.rank - 1]).dataSync() as Float32Array;
        }),
      );
      tf.dispose([value, g, diff, alphas]);
    }
    const estimates = Float64Array.from(o.cells, (c) =>
      cellValue(products.get(c.layer) as Float32Array, c, T, H),
    );
    return { source: src.value, target: tgt.value, estimates };
  } finally {
    src.cache.dispose();
    tgt.cache.dispose();
  }
}
