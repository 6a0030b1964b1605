import { describe, expect, it } from 'vitest';
import { compositeSparse } from '../../src/engine/sparse-code.js';
import {
  adamStep,
  initEngine,
  normalizeRows,
  projectRows,
  scatterRows,
  sparseDecode,
  sparseRowDot,
  tf,
} from '../../src/index.js';

await initEngine();

const W = tf.tensor2d([
  [1, 0],
  [0, 1],
  [1, 1],
]);
const values = tf.tensor2d([
  [2, 3],
  [0, -1],
]);
const indices = tf.tensor2d(
  [
    [0, 2],
    [1, 0],
  ],
  undefined,
  'int32',
);

describe('sparse-code ops', () => {
  it('decode, row dot and scatter give the hand-computed answers', () => {
    expect(sparseDecode(values, indices, W).arraySync()).toEqual([
      [5, 3],
      [-1, 0],
    ]);
    const g = tf.tensor2d([
      [1, 2],
      [3, 4],
    ]);
    expect(sparseRowDot(g, indices, W).arraySync()).toEqual([
      [1, 3],
      [4, 3],
    ]);
    expect(scatterRows(g, values, indices, 3).arraySync()).toEqual([
      [2 * 1 - 1 * 3, 2 * 2 - 1 * 4],
      [0, 0],
      [3, 6],
    ]);
  });

  it('the composite fallbacks agree with the engine path', () => {
    const g = tf.randomNormal([6, 4, 8], 0, 1, 'float32', 1);
    const Wr = tf.randomNormal([20, 8], 0, 1, 'float32', 2);
    const v = tf.randomNormal([6, 4, 3], 0, 1, 'float32', 3);
    const idx = tf.randomUniform([6, 4, 3], 0, 20, 'int32', 4);
    const pairs: [tf.Tensor, tf.Tensor][] = [
      [sparseDecode(v, idx, Wr), compositeSparse.decode(v, idx, Wr)],
      [sparseRowDot(g, idx, Wr), compositeSparse.rowDot(g, idx, Wr)],
      [scatterRows(g, v, idx, 20), compositeSparse.scatterRows(g, v, idx, 20)],
    ];
    for (const [a, b] of pairs) {
      expect(a.shape).toEqual(b.shape);
      const diff = tf.max(tf.abs(tf.sub(a, b))).dataSync()[0];
      expect(diff).toBeLessThan(1e-4);
    }
  });

  it('rejects float indices and a dictionary of the wrong rank', () => {
    expect(() => sparseDecode(values, tf.zeros([2, 2]), W)).toThrow(/int32/);
    expect(() => sparseDecode(values, indices, tf.zeros([3]))).toThrow(/\[n, d\]/);
    expect(() => scatterRows(values, values, indices, -1)).toThrow(/n must be/);
  });
});

describe('optimiser ops', () => {
  it('adamStep equals the textbook update (native and composite paths)', () => {
    const p = tf.tensor1d([1, -2, 3]);
    const g = tf.tensor1d([0.5, -1, 0]);
    const m = tf.tensor1d([0.1, 0, -0.2]);
    const v = tf.tensor1d([0.01, 0.04, 0.0009]);
    const h = { lr: 0.1, beta1: 0.9, beta2: 0.99, eps: 1e-8, step: 3 };
    const before = tf.memory().numTensors;
    const r = adamStep(p, g, m, v, h);
    expect(tf.memory().numTensors).toBe(before + 3);
    const pv = [1, -2, 3];
    const gv = [0.5, -1, 0];
    const mv = [0.1, 0, -0.2];
    const vv = [0.01, 0.04, 0.0009];
    const want = pv.map((x, i) => {
      const m2 = 0.9 * mv[i] + 0.1 * gv[i];
      const v2 = 0.99 * vv[i] + 0.01 * gv[i] ** 2;
      return x - (0.1 * (m2 / (1 - 0.9 ** 3))) / (Math.sqrt(v2 / (1 - 0.99 ** 3)) + 1e-8);
    });
    const got = r.param.dataSync();
    want.forEach((w, i) => {
      expect(got[i]).toBeCloseTo(w, 5);
    });
    tf.dispose([r.param, r.m, r.v]);
  });

  it('normalizeRows and projectRows (hand examples)', () => {
    expect(
      Array.from(
        normalizeRows(
          tf.tensor2d([
            [3, 4],
            [0, 0],
          ]),
        ).dataSync(),
      ),
    ).toEqual([0.6000000238418579, 0.800000011920929, 0, 0]);
    expect(Array.from(projectRows(tf.tensor2d([[1, 1]]), tf.tensor2d([[1, 0]])).dataSync())).toEqual([0, 1]);
    expect(() => projectRows(tf.zeros([2, 3]) as tf.Tensor2D, tf.zeros([3, 2]) as tf.Tensor2D)).toThrow(
      /same \[rows, d\]/,
    );
  });
});
