/**
 * Attribution patching (AtP) and its relevance-patching variant (RelP): the first-order estimate
 * `(a_source − a_target) · ∂M/∂a`, with the gradient taken on the target run (the run patched into), for
 * every cell at once: two forward passes and one backward pass. RelP is the same product with the
 * backward pass rewritten by LRP rules (see `relevance.ts`).
 */
import { type Hook, type HookName, type OpsTable, tf } from '@mechlens/core';
import { type Cell, type ComponentType, componentHook } from './components.js';
import { cacheRun, type PatchingPair } from './runs.js';

/**
 * Estimated metric changes per cell plus the unpatched source and target values.
 *
 * @example
 * const { estimates } = attributionPatching(pair, { type: 'attn_out', cells });
 */
export interface EstimatedValues {
  source: number;
  target: number;
  /** Estimated `M_patched − M_target`, one per cell. */
  estimates: Float64Array;
}

/**
 * Options of {@link attributionPatching}.
 *
 * @example
 * const o: AttributionOptions = { type: 'head', cells };
 */
export interface AttributionOptions {
  type: ComponentType;
  cells: readonly Cell[];
  /** Ops replacements for the backward run only (RelP's LRP rules); on top of the pair's own ops. */
  backwardOps?: Partial<OpsTable>;
}

/**
 * Reduces `(src − tgt) ⊙ grad` of one layer to per-cell numbers: `[T]` (positions) or `[T, H]` (heads),
 * summed over the batch and the hidden dimension.
 */
function perPositionProducts(diff: tf.Tensor, grad: tf.Tensor): Float32Array {
  return tf.tidy(() => {
    const prod = tf.mul(diff, grad);
    return tf.sum(prod, [0, prod.rank - 1]).dataSync() as Float32Array;
  });
}

/**
 * Reads per-cell sums out of a layer's `[T]` or `[T, H]` product table.
 *
 * @example
 * cellValue(products, { layer: 0, pos: null, head: 2 }, T, H);
 */
export function cellValue(products: Float32Array, c: Cell, T: number, H: number): number {
  let total = 0;
  for (let t = 0; t < T; t++) {
    if (c.pos !== null && c.pos !== t) continue;
    if (c.head === null) {
      if (products.length === T) total += products[t];
      else for (let h = 0; h < H; h++) total += products[t * H + h];
    } else {
      total += products[t * H + c.head];
    }
  }
  return total;
}

/**
 * Attribution patching: gradient of the metric on the target run at every layer's component, times the
 * source-minus-target activation difference, summed over the batch and hidden units per cell.
 *
 * @example
 * const pair = preparePair(model, { clean, corrupt, metric });
 * const { estimates } = attributionPatching(pair, { type: 'resid_pre', cells: enumerateCells(model.cfg, 'resid_pre', pair.T, true) });
 */
export function attributionPatching(pair: PatchingPair, o: AttributionOptions): EstimatedValues {
  const { model, T } = pair;
  const H = model.cfg.nHeads;
  const layers = [...new Set(o.cells.map((c) => c.layer))].sort((a, b) => a - b);
  const names: HookName[] = layers.map((l) => componentHook(o.type, l));
  const src = cacheRun(pair, 'source', names);
  const kept = new Map<HookName, tf.Tensor>();
  const capture: Hook[] = names.map((name) => ({
    name,
    fn: (a: tf.Tensor) => {
      kept.get(name)?.dispose();
      kept.set(name, tf.keep(a.clone()));
    },
  }));
  const ops = o.backwardOps ? { ...pair.ops, ...o.backwardOps } : pair.ops;
  let grads: Map<HookName, tf.Tensor> | null = null;
  let value: tf.Scalar | null = null;
  try {
    const r = model.gradOfHooks(pair.target, names, pair.metric, {
      hooks: [...pair.targetHooks, ...capture],
      ops,
    });
    grads = r.grads;
    value = r.value;
    const products = new Map<number, Float32Array>();
    for (const [i, l] of layers.entries()) {
      const name = names[i];
      const diff = tf.sub(src.cache.get(name), kept.get(name) as tf.Tensor);
      products.set(l, perPositionProducts(diff, grads.get(name) as tf.Tensor));
      diff.dispose();
    }
    const estimates = Float64Array.from(o.cells, (c) =>
      cellValue(products.get(c.layer) as Float32Array, c, T, H),
    );
    return { source: src.value, target: value.dataSync()[0], estimates };
  } finally {
    src.cache.dispose();
    for (const t of kept.values()) t.dispose();
    if (grads) for (const t of grads.values()) t.dispose();
    value?.dispose();
  }
}
