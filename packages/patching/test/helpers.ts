/** Shared test models and a linearised ops table. */
import { createRandomModel, type HookedTransformer, type OpsTable, tf } from '@mechlens/core';

/** A small GPT-2-style random model (biases on, so every path is exercised). */
export function tinyGpt2(seed = 1): Promise<HookedTransformer> {
  return createRandomModel(
    { arch: 'gpt2', nLayers: 3, dModel: 32, nHeads: 4, dMLP: 64, dVocab: 50, nCtx: 16 },
    { seed, initRange: 0.3, biasStd: 0.05 },
  );
}

/** A small Llama-style random model (RMSNorm, gated SiLU MLP, rotary, GQA). */
export function tinyLlama(seed = 2): Promise<HookedTransformer> {
  return createRandomModel(
    { arch: 'llama', nLayers: 2, dModel: 32, nHeads: 4, nKVHeads: 2, dMLP: 48, dVocab: 50, nCtx: 16 },
    { seed, initRange: 0.3 },
  );
}

/**
 * Ops that make the model linear in every activation: norms without normalisation, identity activation,
 * a fixed uniform causal attention pattern.
 */
export const linearOps: Partial<OpsTable> = {
  layerNorm: (x, w, b) => (b ? tf.add(tf.mul(x, w), b) : tf.mul(x, w)),
  rmsNorm: (x, w) => tf.mul(x, w),
  act: (x) => tf.mul(x, 1),
  causalSoftmax: (scores, _scale, offset) => {
    const [q, k] = scores.shape.slice(-2);
    const data = new Float32Array(q * k);
    for (let i = 0; i < q; i++) {
      const n = Math.min(k, i + offset + 1);
      for (let j = 0; j < n; j++) data[i * k + j] = 1 / n;
    }
    return tf.broadcastTo(tf.tensor2d(data, [q, k]), scores.shape);
  },
};

/** Random token rows. */
export function randomRows(B: number, T: number, V: number, seed: number): number[][] {
  let s = seed >>> 0;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
  return Array.from({ length: B }, () => Array.from({ length: T }, () => Math.floor(next() * V)));
}
