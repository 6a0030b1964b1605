/**
 * GPT-2-small-shaped timings on our engine: forward, gradient with respect to the residual stream
 * entering layer 6, and the gradient of a next-token cross-entropy with respect to every weight.
 */
import { createRandomModel, type HookedTransformer, tf } from '@mechlens/core';
import { median } from './table.js';

export interface Gpt2Shape {
  layers: number;
  d: number;
  heads: number;
  dmlp: number;
  vocab: number;
  seq: number;
}

export const GPT2_SMALL: Gpt2Shape = { layers: 12, d: 768, heads: 12, dmlp: 3072, vocab: 50257, seq: 128 };

export type Gpt2Measure = 'forward' | 'grad_resid6' | 'grad_all';

/** Builds the random model and one batch of token ids. */
export async function makeGpt2(shape: Gpt2Shape): Promise<{ model: HookedTransformer; ids: number[][] }> {
  const model = await createRandomModel(
    {
      nLayers: shape.layers,
      dModel: shape.d,
      nHeads: shape.heads,
      dMLP: shape.dmlp,
      dVocab: shape.vocab,
      nCtx: 1024,
    },
    { seed: 1 },
  );
  let s = 12345;
  const next = (): number => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s % shape.vocab;
  };
  const ids = [Array.from({ length: shape.seq }, next)];
  return { model, ids };
}

function metric(logits: tf.Tensor3D): tf.Scalar {
  const T = logits.shape[1];
  const a = tf.slice(logits, [0, T - 1, 7], [-1, 1, 1]);
  const b = tf.slice(logits, [0, T - 1, 13], [-1, 1, 1]);
  return tf.sum(tf.sub(a, b)) as tf.Scalar;
}

function crossEntropy(logits: tf.Tensor3D, ids: number[][]): tf.Scalar {
  const [B, T, V] = logits.shape;
  const logp = tf.reshape(tf.logSoftmax(tf.reshape(logits, [B * T, V])), [-1]);
  const idx: number[] = [];
  for (let b = 0; b < B; b++) for (let t = 0; t < T - 1; t++) idx.push((b * T + t) * V + ids[b][t + 1]);
  return tf.neg(tf.mean(tf.gather(logp, tf.tensor1d(idx, 'int32')))) as tf.Scalar;
}

function allParams(model: HookedTransformer): tf.Tensor[] {
  const out: tf.Tensor[] = [];
  const visit = (v: unknown): void => {
    if (v instanceof tf.Tensor) out.push(v);
    else if (Array.isArray(v)) v.forEach(visit);
    else if (v && typeof v === 'object') Object.values(v).forEach(visit);
  };
  visit(model.params);
  return [...new Set(out)];
}

/** One run of a measurement (the result is materialised and disposed). */
export function runOnce(model: HookedTransformer, ids: number[][], what: Gpt2Measure): void {
  if (what === 'forward') {
    // (the block returns nothing: a tidy returning a typed array would walk every element)
    tf.tidy(() => {
      model.forward(ids).dataSync();
    });
  } else if (what === 'grad_resid6') {
    const layer = Math.min(6, model.config.nLayers - 1);
    const { value, grads } = model.gradOfHooks(ids, [`blocks.${layer}.hook_resid_pre`], metric);
    for (const g of grads.values()) {
      g.dataSync();
      g.dispose();
    }
    value.dispose();
  } else {
    const params = allParams(model);
    tf.tidy(() => {
      const { value, grads } = tf.valueAndGrads((..._ps: tf.Tensor[]) =>
        crossEntropy(model.forward(ids), ids),
      )(params);
      value.dataSync();
      for (const g of grads) g.dataSync();
    });
  }
}

/** Median seconds over `reps` runs after one warm-up (no warm-up when reps is 1). */
export function timeIt(model: HookedTransformer, ids: number[][], what: Gpt2Measure, reps: number): number {
  if (reps > 1) runOnce(model, ids, what);
  const times: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    runOnce(model, ids, what);
    times.push((performance.now() - t0) / 1000);
  }
  return median(times);
}
