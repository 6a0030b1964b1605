import { describe, expect, it } from 'vitest';
import { expectSameAsReference, randn, runBoth, tf, useNative } from './helpers.js';

useNative();

/** Every subset of [0, rank). */
function subsets(rank: number): number[][] {
  const out: number[][] = [];
  for (let m = 0; m < 1 << rank; m++) out.push([...Array(rank).keys()].filter((i) => m & (1 << i)));
  return out;
}

/** A tensor of small integers (lots of ties) in [-r, r]. */
function ints(shape: number[], seed: number, r = 3, dtype: 'float32' | 'int32' = 'float32'): tf.Tensor {
  return tf.tidy(() =>
    tf
      .round(tf.mul(randn(shape, seed), r / 2))
      .clipByValue(-r, r)
      .cast(dtype),
  );
}

/** Copies `t` and sets the flat positions in `at` to the given values. */
function withValues(t: tf.Tensor, at: [number, number][]): tf.Tensor {
  const v = t.dataSync().slice();
  for (const [i, x] of at) v[i] = x;
  return tf.tensor(v, t.shape, t.dtype);
}

type ReduceFn = (x: tf.Tensor, axes: number[] | number | undefined, keepDims: boolean) => tf.Tensor;
const reducers: Record<string, ReduceFn> = {
  sum: (x, a, k) => tf.sum(x, a, k),
  mean: (x, a, k) => tf.mean(x, a, k),
  max: (x, a, k) => tf.max(x, a, k),
  min: (x, a, k) => tf.min(x, a, k),
  prod: (x, a, k) => tf.prod(x, a, k),
};

describe('native axis reductions', () => {
  const shapes = [[7], [5, 6], [1, 9], [3, 1, 4], [4, 5, 6], [2, 3, 1, 5], [3, 4, 2, 6]];

  it('Sum/Mean/Max/Min/Prod match tfjs for every axis subset of rank-1..4 shapes, keepDims or not', () => {
    shapes.forEach((shape, si) => {
      const x = randn(shape, 10 + si);
      const near1 = tf.tidy(() => tf.add(1, tf.mul(0.2, x)));
      for (const axes of subsets(shape.length)) {
        for (const keepDims of [false, true]) {
          for (const [name, f] of Object.entries(reducers)) {
            const input = name === 'prod' ? near1 : x;
            expectSameAsReference(() => f(input, axes, keepDims), 1e-5, 1e-5);
          }
        }
      }
      x.dispose();
      near1.dispose();
    });
  });

  it('handles negative axes, the default (all) axis and size-1 dims', () => {
    const x = randn([3, 1, 5, 1], 3);
    for (const f of Object.values(reducers)) {
      expectSameAsReference(() => f(x, -1, false));
      expectSameAsReference(() => f(x, [-2, 0], true));
      expectSameAsReference(() => f(x, undefined, false));
      expectSameAsReference(() => f(x, [1, 3], false));
    }
    x.dispose();
  });

  it('matches on size-0 dims (empty reductions give tfjs values: sum 0, prod 1, max/min NaN)', () => {
    for (const shape of [[0], [0, 3], [3, 0], [2, 0, 4]]) {
      const x = tf.zeros(shape);
      for (const f of Object.values(reducers)) {
        for (const axes of subsets(shape.length)) expectSameAsReference(() => f(x, axes, false));
        expectSameAsReference(() => f(x, undefined, true));
      }
      x.dispose();
    }
  });

  it('column sums (the bias gradient) and large single-axis reductions take the parallel paths', () => {
    const cases: [number[], number[], string[]][] = [
      [[256, 3072], [0], ['sum', 'mean', 'max']], // one column block, split down the rows
      [[40, 5000], [0], ['sum', 'min']], // several column blocks
      [[20000, 8], [0], ['sum', 'max']], // narrow columns: ordered partials over row slices
      [[300000], [0], ['sum', 'max']], // everything: ordered partials over chunks
      [[64, 5000], [1], ['sum', 'mean', 'max', 'min']],
      [[4, 300, 70], [1], ['sum', 'max']],
      [
        [50, 40, 60],
        [0, 2],
        ['sum', 'min'],
      ],
    ];
    for (const [shape, axes, names] of cases) {
      const x = randn(shape, 7);
      for (const name of names) expectSameAsReference(() => reducers[name](x, axes, false), 1e-5, 1e-5);
      x.dispose();
    }
  });

  it('reads inputs made by transposes and by slices (views into a larger buffer)', () => {
    const x = randn([6, 8, 10], 5);
    for (const f of Object.values(reducers)) {
      expectSameAsReference(() => f(tf.transpose(x, [2, 0, 1]), [0, 2], false));
      expectSameAsReference(() => f(tf.slice(x, [2, 0, 0], [3, 8, 10]), [1], true));
      expectSameAsReference(() => f(tf.slice(x, [1, 2, 3], [4, 5, 6]), [0, 2], false));
    }
    x.dispose();
  });

  it('propagates NaN and ±Inf like tfjs; large values do not overflow the accumulator', () => {
    const base = randn([4, 9], 8);
    const x = withValues(base, [
      [3, Number.NaN],
      [10, Number.POSITIVE_INFINITY],
      [20, Number.NEGATIVE_INFINITY],
      [27, Number.NaN],
      [31, Number.POSITIVE_INFINITY],
      [32, Number.NEGATIVE_INFINITY],
    ]);
    for (const f of Object.values(reducers)) {
      for (const axes of [[0], [1], [0, 1]]) expectSameAsReference(() => f(x, axes, false));
    }
    const big = tf.tidy(() => tf.mul(randn([3, 40], 9), 3e37));
    for (const f of [reducers.sum, reducers.mean, reducers.max, reducers.min]) {
      expectSameAsReference(() => f(big, [1], false), 0, 1e-5);
      expectSameAsReference(() => f(big, [0], false), 0, 1e-5);
    }
    tf.dispose([base, x, big]);
  });

  it('int32 Sum/Max/Min stay int32 and wrap like tfjs; bool Sum counts, All/Any reduce', () => {
    const xi = ints([4, 5, 6], 4, 1000, 'int32');
    const huge = tf.tensor([2147483647, 2147483647, 5, -2147483648, -7, -2147483648], [2, 3], 'int32');
    const b = tf.tidy(() => tf.greater(randn([3, 4, 5], 6), 0.3));
    const allTrue = tf.ones([2, 3], 'bool');
    for (const axes of subsets(3)) {
      expectSameAsReference(() => tf.sum(xi, axes));
      expectSameAsReference(() => tf.max(xi, axes, true));
      expectSameAsReference(() => tf.min(xi, axes));
      expectSameAsReference(() => tf.sum(b, axes));
      expectSameAsReference(() => tf.all(b, axes));
      expectSameAsReference(() => tf.any(b, axes, true));
    }
    for (const axes of [[0], [1], [0, 1]]) {
      expectSameAsReference(() => tf.sum(huge, axes));
      expectSameAsReference(() => tf.all(allTrue, axes));
      expectSameAsReference(() => tf.any(tf.zeros([2, 3], 'bool'), axes));
    }
    expectSameAsReference(() => tf.all(tf.zeros([2, 0], 'bool'), 1));
    expectSameAsReference(() => tf.any(tf.zeros([2, 0], 'bool'), 1));
    const { native } = runBoth(() => tf.sum(xi));
    expect(native[0].dtype).toBe('int32');
    tf.dispose([xi, huge, b, allTrue]);
  });

  it('gradients through Sum, Mean, Max and Min', () => {
    const x = randn([3, 4, 5], 11);
    const w = randn([3, 4, 5], 12);
    const xt = ints([4, 6], 13); // ties: Max's gradient goes to every maximal element
    expectSameAsReference(() => tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.sum(a, 1, true), w)))(x));
    expectSameAsReference(() => tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.mean(a, [0, 2], true), w)))(x));
    expectSameAsReference(() => tf.grad((a: tf.Tensor) => tf.sum(tf.max(a, 2)))(x));
    expectSameAsReference(() => tf.grad((a: tf.Tensor) => tf.sum(tf.min(a, 0)))(x));
    expectSameAsReference(() => tf.grad((a: tf.Tensor) => tf.sum(tf.max(a, 1)))(xt));
    tf.dispose([x, w, xt]);
  });
});

describe('native ArgMax / ArgMin', () => {
  it('match tfjs on every axis, with ties (first index wins), and with NaN (first element NaN -> 0)', () => {
    for (const [si, shape] of [[9], [4, 7], [3, 5, 6], [2, 3, 4, 70], [3, 1100]].entries()) {
      const x = ints(shape, 20 + si);
      const r = randn(shape, 30 + si);
      for (let axis = 0; axis < shape.length; axis++) {
        expectSameAsReference(() => tf.argMax(x, axis));
        expectSameAsReference(() => tf.argMin(x, axis));
        expectSameAsReference(() => tf.argMax(r, axis));
        expectSameAsReference(() => tf.argMin(r, -1));
      }
      x.dispose();
      r.dispose();
    }
    const nan = withValues(randn([3, 40], 40), [
      [0, Number.NaN],
      [45, Number.NaN],
      [90, Number.POSITIVE_INFINITY],
      [100, Number.NEGATIVE_INFINITY],
    ]);
    for (const axis of [0, 1]) {
      expectSameAsReference(() => tf.argMax(nan, axis));
      expectSameAsReference(() => tf.argMin(nan, axis));
    }
    expectSameAsReference(() => tf.argMax(tf.zeros([3, 1]), 1));
    expectSameAsReference(() => tf.argMax(tf.zeros([0, 4]), 1));
    expectSameAsReference(() => tf.argMax(tf.transpose(randn([5, 6], 41)), 1));
    nan.dispose();
  });
});

describe('native Softmax (and the composite LogSoftmax)', () => {
  it('matches tfjs on attention-sized inputs, masked rows, NaN/Inf, single elements and empty tensors', () => {
    const x = randn([12, 128, 128], 50, 3);
    expectSameAsReference(() => tf.softmax(x), 1e-6, 1e-5);
    expectSameAsReference(() => tf.softmax(tf.mul(randn([2, 50257], 51), 10)), 1e-7, 1e-5);
    const special = withValues(randn([6, 37], 52), [
      ...Array.from({ length: 20 }, (_, i): [number, number] => [i, Number.NEGATIVE_INFINITY]),
      [40, Number.NaN],
      [80, Number.POSITIVE_INFINITY],
      ...Array.from({ length: 37 }, (_, i): [number, number] => [111 + i, Number.NEGATIVE_INFINITY]),
      [160, 1e30],
      [161, -1e30],
    ]);
    expectSameAsReference(() => tf.softmax(special), 1e-6, 1e-5);
    expectSameAsReference(() => tf.softmax(tf.tensor2d([[3], [-1]])));
    expectSameAsReference(() => tf.softmax(tf.zeros([0, 5])));
    expectSameAsReference(() => tf.softmax(tf.zeros([3, 0])));
    expectSameAsReference(() => tf.softmax(tf.slice(x, [1, 3, 0], [2, 4, 128])), 1e-6, 1e-5);
    expectSameAsReference(() => tf.logSoftmax(special), 1e-5, 1e-5);
    x.dispose();
    special.dispose();
  });

  it('gradients through Softmax and LogSoftmax', () => {
    const x = randn([4, 6, 33], 53, 2);
    const w = randn([4, 6, 33], 54);
    expectSameAsReference(() => tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.softmax(a), w)))(x), 1e-6, 1e-4);
    expectSameAsReference(
      () => tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.logSoftmax(a), w)))(x),
      1e-5,
      1e-4,
    );
    x.dispose();
    w.dispose();
  });
});

describe('native TopK', () => {
  /** Sorts each row's (value, index) pairs by index, to compare unsorted outputs as sets. */
  function byIndex(values: ArrayLike<number>, indices: ArrayLike<number>, k: number): string {
    const rows: string[] = [];
    for (let r = 0; r * k < indices.length; r++) {
      const pairs = Array.from({ length: k }, (_, j) => [indices[r * k + j], values[r * k + j]]);
      pairs.sort((a, b) => a[0] - b[0]);
      rows.push(JSON.stringify(pairs));
    }
    return rows.join('\n');
  }

  it('matches tfjs order (value descending, lower index first on ties) on heap and sort paths', () => {
    const cases: [number[], number][] = [
      [[5, 100], 3],
      [[3, 1000], 32],
      [[2, 64], 40],
      [[7], 7],
      [[4, 9], 0],
      [[2, 3, 300], 5],
      [[2, 5000], 1],
    ];
    cases.forEach(([shape, k], i) => {
      const r = randn(shape, 60 + i);
      const t = ints(shape, 70 + i, 4); // many ties
      for (const x of [r, t]) {
        expectSameAsReference(
          () => {
            const { values, indices } = tf.topk(x, k);
            return [values, indices];
          },
          0,
          0,
        );
      }
      r.dispose();
      t.dispose();
    });
    // ascending input: every element enters the heap
    expectSameAsReference(
      () => {
        const { values, indices } = tf.topk(tf.range(0, 2000).reshape([2, 1000]), 16);
        return [values, indices];
      },
      0,
      0,
    );
    // -0 and +0 tie; the lower index wins
    expectSameAsReference(
      () => {
        const { values, indices } = tf.topk(tf.tensor1d([0, -0, 0, -0, 1]), 3);
        return [values, indices];
      },
      0,
      0,
    );
  });

  it('sorted=false gives the same set; non-finite inputs and int32 defer to tfjs', () => {
    const x = ints([6, 500], 80, 5);
    const { native, reference } = runBoth(() => {
      const { values, indices } = tf.topk(x, 20, false);
      return [values, indices];
    });
    expect(byIndex(native[0].data, native[1].data, 20)).toBe(
      byIndex(reference[0].data, reference[1].data, 20),
    );
    const special = withValues(randn([3, 200], 81), [
      [5, Number.POSITIVE_INFINITY],
      [6, Number.POSITIVE_INFINITY],
      [300, Number.NaN],
    ]);
    expectSameAsReference(
      () => {
        const { values, indices } = tf.topk(special, 4);
        return [values, indices];
      },
      0,
      0,
    );
    const xi = ints([3, 50], 82, 5, 'int32');
    expectSameAsReference(
      () => {
        const { values, indices } = tf.topk(xi, 4);
        return [values, indices];
      },
      0,
      0,
    );
    tf.dispose([x, special, xi]);
  });
});

describe('native UnsortedSegmentSum', () => {
  it('matches tfjs for rank-1..3 x, repeated, negative and out-of-range ids', () => {
    const ids = tf.tensor1d([3, 0, 3, -1, 7, 2, 9, 3, 0, 11], 'int32');
    for (const shape of [[10], [10, 5], [10, 3, 4], [10, 200]]) {
      const x = randn(shape, 90);
      expectSameAsReference(() => tf.unsortedSegmentSum(x, ids, 10));
      expectSameAsReference(() => tf.unsortedSegmentSum(x, ids, 4));
      x.dispose();
    }
    expectSameAsReference(() => tf.unsortedSegmentSum(tf.zeros([0, 3]), tf.tensor1d([], 'int32'), 5));
    const big = randn([3000, 40], 91);
    const bigIds = tf.tidy(() => tf.cast(tf.mul(tf.abs(randn([3000], 92)), 10), 'int32')) as tf.Tensor1D;
    expectSameAsReference(() => tf.unsortedSegmentSum(big, bigIds, 30), 1e-5, 1e-5);
    ids.dispose();
    big.dispose();
    bigIds.dispose();
  });

  it('computes the gpt2-sized embedding gradient (tf.grad of a gather) exactly as a scatter-add', () => {
    const vocab = 50257;
    const d = 64;
    const n = 256;
    const emb = randn([vocab, d], 93, 0.02);
    const idv = new Int32Array(n);
    for (let i = 0; i < n; i++) idv[i] = (i * 7919 + (i % 5) * 50000) % vocab; // some repeats
    idv[5] = idv[17] = idv[200] = 42;
    const ids = tf.tensor1d(idv, 'int32');
    const w = randn([n, d], 94);
    const before = tf.memory().numTensors;
    const g = tf.grad((e: tf.Tensor) => tf.sum(tf.mul(tf.gather(e, ids), w)))(emb);
    expect(g.shape).toEqual([vocab, d]);
    const got = g.dataSync();
    const wv = w.dataSync();
    const want = new Float32Array(vocab * d);
    for (let i = 0; i < n; i++) for (let c = 0; c < d; c++) want[idv[i] * d + c] += wv[i * d + c];
    let maxDiff = 0;
    for (let j = 0; j < want.length; j++) maxDiff = Math.max(maxDiff, Math.abs(got[j] - want[j]));
    expect(maxDiff).toBeLessThan(1e-5);
    g.dispose();
    expect(tf.memory().numTensors).toBe(before);
    // and the same composite against tfjs's own kernels at a vocabulary tfjs can handle quickly
    const small = randn([50, 8], 95);
    const sid = tf.tensor1d([3, 49, 3, 0, 7, 3], 'int32');
    expectSameAsReference(() =>
      tf.grad((e: tf.Tensor) => tf.sum(tf.mul(tf.gather(e, sid), tf.range(0, 48).reshape([6, 8]))))(small),
    );
    tf.dispose([emb, ids, w, small, sid]);
  });
});

describe('native Cumsum and OneHot', () => {
  it('Cumsum matches tfjs bit for bit on every axis, exclusive/reverse, float32 and int32, and its gradient', () => {
    const x = randn([3, 4, 5], 100);
    const xi = ints([3, 4, 5], 101, 100, 'int32');
    const wrap = tf.tensor1d([2147483647, 1, 5], 'int32');
    for (let axis = 0; axis < 3; axis++) {
      for (const exclusive of [false, true]) {
        for (const reverse of [false, true]) {
          expectSameAsReference(() => tf.cumsum(x, axis, exclusive, reverse), 0, 0);
          expectSameAsReference(() => tf.cumsum(xi, axis, exclusive, reverse), 0, 0);
        }
      }
    }
    expectSameAsReference(() => tf.cumsum(wrap), 0, 0);
    expectSameAsReference(() => tf.cumsum(randn([40, 3000], 102), 1), 0, 0);
    expectSameAsReference(() => tf.cumsum(randn([60, 2100], 103), 0, true, true), 0, 0);
    expectSameAsReference(() => tf.cumsum(tf.zeros([0, 3]), 1));
    expectSameAsReference(() => tf.cumsum(withValues(x, [[7, Number.NaN]]), 2), 0, 0);
    // (tfjs's Cumsum gradient is only right for the last axis: it transposes the result otherwise)
    expectSameAsReference(() => tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.cumsum(a, 2), x)))(x), 1e-6, 1e-5);
    expectSameAsReference(
      () => tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.cumsum(a, 2, true, true), x)))(x),
      1e-6,
      1e-5,
    );
    tf.dispose([x, xi, wrap]);
  });

  it('OneHot matches tfjs for float32/int32 dtypes, custom on/off values and out-of-range indices', () => {
    const idx = tf.tensor2d(
      [
        [0, 3, -1],
        [5, 2, 4],
      ],
      [2, 3],
      'int32',
    );
    expectSameAsReference(() => tf.oneHot(idx, 5));
    expectSameAsReference(() => tf.oneHot(idx, 6, 2.5, -0.5, 'float32'));
    expectSameAsReference(() => tf.oneHot(tf.tensor1d([1, 0, 1], 'int32'), 2, 3, 1, 'int32'));
    expectSameAsReference(() => tf.oneHot(tf.tensor1d([], 'int32'), 4));
    const { native } = runBoth(() => tf.oneHot(idx, 5, 1, 0, 'float32'));
    expect(native[0].dtype).toBe('float32');
    idx.dispose();
  });
});
