/** Models whose parameters are tf.Variables (training): forwards must see in-place updates. */
import { describe, expect, it } from 'vitest';
import {
  createRandomModel,
  HookedTransformer,
  paramEntries,
  type TensorParams,
  tf,
} from '../../src/index.js';
import { maxAbsDiff } from './helpers.js';

describe('variable parameters', () => {
  it('tape-free forwards follow assign() (no stale fused q|k|v cache) and leak nothing', async () => {
    const base = await createRandomModel(
      { nLayers: 2, dModel: 32, nHeads: 4, dVocab: 50, nCtx: 16 },
      { seed: 2, biasStd: 0.1 },
    );
    const vars = paramEntries(base.params).map(([, t]) => t);
    const asVars = JSON.parse(
      JSON.stringify(base.params, (_k, v) => (v instanceof tf.Tensor ? vars.indexOf(v) : v)),
    );
    const revive = (x: unknown): unknown =>
      typeof x === 'number'
        ? tf.variable(vars[x])
        : Array.isArray(x)
          ? x.map(revive)
          : x && typeof x === 'object'
            ? Object.fromEntries(Object.entries(x).map(([k, v]) => [k, revive(v)]))
            : x;
    const model = new HookedTransformer(base.config, revive(asVars) as TensorParams, null);
    const ids = [[1, 2, 3, 4, 5]];
    const a = model.forward(ids);
    const wq = model.params.blocks[0].W_Q as tf.Variable;
    tf.tidy(() => wq.assign(tf.mul(wq, 3)));
    const before = tf.memory().numTensors;
    const b = model.forward(ids);
    expect(tf.memory().numTensors).toBe(before + 1);
    expect(maxAbsDiff(a.dataSync(), b.dataSync())).toBeGreaterThan(1e-4);
    // the same forward on plain tensors with the updated weight agrees
    const plain = new HookedTransformer(
      base.config,
      {
        ...base.params,
        blocks: [
          { ...base.params.blocks[0], W_Q: tf.mul(base.params.blocks[0].W_Q, 3) },
          base.params.blocks[1],
        ],
      },
      null,
    );
    const c = plain.forward(ids);
    expect(maxAbsDiff(b.dataSync(), c.dataSync())).toBeLessThan(1e-5);
    tf.dispose([a, b, c]);
    model.dispose();
    base.dispose();
  });
});
