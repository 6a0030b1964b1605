import { describe, expect, it } from 'vitest';
import { expectSameAsReference, randn, runBoth, tf, useNative } from './helpers.js';

useNative();

/** Copies `t` and sets the flat positions in `at` to the given values. */
function withValues(t: tf.Tensor, at: [number, number][]): tf.Tensor {
  const v = t.dataSync().slice();
  for (const [i, x] of at) if (i < v.length) v[i] = x;
  return tf.tensor(v, t.shape, t.dtype);
}

/** A random tensor with NaN, ±Inf, large and tiny values planted at fixed positions. */
function spiky(shape: number[], seed: number, scale = 1): tf.Tensor {
  return tf.tidy(() =>
    withValues(randn(shape, seed, scale), [
      [0, Number.NaN],
      [3, Number.POSITIVE_INFINITY],
      [5, Number.NEGATIVE_INFINITY],
      [7, 3e38],
      [9, -1e-30],
      [11, 0],
    ]),
  );
}

/** Broadcasting pairs: equal shapes, scalars, size-1 dims both sides, size-0 dims, rank mismatch. */
const PAIRS: [number[], number[]][] = [
  [[37], [37]],
  [
    [4, 5, 6],
    [4, 5, 6],
  ],
  [[], [3, 4]],
  [[3, 4], []],
  [
    [4, 1],
    [1, 5],
  ],
  [
    [2, 3, 1, 5],
    [3, 4, 1],
  ],
  [[128, 768], [768]],
  [
    [6, 1, 7],
    [6, 5, 7],
  ],
  [[1], [0, 3]],
  [[0, 3], [3]],
  [
    [1, 1, 1],
    [2, 1, 3],
  ],
  [[1000], [1000]],
];

type Binary = (a: tf.Tensor, b: tf.Tensor) => tf.Tensor;
const FLOAT_BINARY: Record<string, Binary> = {
  add: tf.add,
  sub: tf.sub,
  mul: tf.mul,
  div: tf.div,
  maximum: tf.maximum,
  minimum: tf.minimum,
  squaredDifference: tf.squaredDifference,
  atan2: tf.atan2,
  equal: tf.equal,
  notEqual: tf.notEqual,
  greater: tf.greater,
  greaterEqual: tf.greaterEqual,
  less: tf.less,
  lessEqual: tf.lessEqual,
};

describe('binary elementwise kernels', () => {
  it('match tfjs on float32 over every broadcasting pattern, with NaN/Inf/huge values', () => {
    PAIRS.forEach(([sa, sb], i) => {
      const a = spiky(sa, 100 + i);
      const b = spiky(sb, 200 + i);
      for (const [name, f] of Object.entries(FLOAT_BINARY)) {
        try {
          expectSameAsReference(() => f(a, b), 1e-6, 2e-6);
        } catch (e) {
          throw new Error(`${name} ${JSON.stringify(sa)} x ${JSON.stringify(sb)}: ${(e as Error).message}`);
        }
      }
      a.dispose();
      b.dispose();
    });
  });

  it('pow, mod and floorDiv match tfjs on their usual domains', () => {
    const base = tf.tidy(() => tf.add(tf.abs(randn([5, 8], 1)), 0.1));
    const expo = randn([8], 2);
    const ints = tf.tensor([3, -7, 8, 0, 5, -2, 9, 11], [8], 'int32');
    const divs = tf.tensor([2, 3, -3, 4, 5, 7, -2, 3], [8], 'int32');
    expectSameAsReference(() => tf.pow(base, expo), 1e-5, 1e-5);
    expectSameAsReference(() => tf.pow(base, 2), 1e-6, 1e-6);
    expectSameAsReference(() => tf.mod(randn([5, 8], 3, 10), tf.add(tf.abs(expo), 0.5)), 1e-5, 1e-5);
    expectSameAsReference(() => tf.mod(ints, divs));
    expectSameAsReference(() => tf.floorDiv(ints, divs));
    expectSameAsReference(() => tf.floorDiv(randn([5, 8], 4, 10), tf.add(tf.abs(expo), 0.5)));
    tf.dispose([base, expo, ints, divs]);
  });

  it('int32 arithmetic and comparisons, bool logic, and mixed broadcasting', () => {
    const a = tf.tensor(
      [
        [1, -2, 3],
        [40000, 5, -6],
      ],
      [2, 3],
      'int32',
    );
    const b = tf.tensor([7, -2, 0], [3], 'int32');
    for (const f of [
      tf.add,
      tf.sub,
      tf.mul,
      tf.maximum,
      tf.minimum,
      tf.squaredDifference,
      tf.equal,
      tf.less,
    ]) {
      expectSameAsReference(() => f(a, b));
    }
    const p = tf.tensor(
      [
        [true, false, true],
        [false, false, true],
      ],
      [2, 3],
      'bool',
    );
    const q = tf.tensor([true, false, false], [3], 'bool');
    expectSameAsReference(() => tf.logicalAnd(p, q));
    expectSameAsReference(() => tf.logicalOr(p, q));
    expectSameAsReference(() => tf.logicalNot(p));
    expectSameAsReference(() => tf.equal(p, q));
    tf.dispose([a, b, p, q]);
  });

  it('non-contiguous operands (transposed views) and prelu', () => {
    const x = randn([6, 9], 5);
    const y = randn([9, 6], 6);
    expectSameAsReference(() => tf.add(x, tf.transpose(y)), 1e-6, 1e-6);
    expectSameAsReference(() => tf.mul(tf.transpose(x), y), 1e-6, 1e-6);
    expectSameAsReference(() => tf.prelu(x, tf.fill([9], 0.25)), 1e-6, 1e-6);
    tf.dispose([x, y]);
  });

  it('select, addN, zerosLike and onesLike', () => {
    const c = tf.tidy(() => tf.greater(randn([4, 7], 7), 0));
    const t = spiky([4, 7], 8);
    const e = randn([4, 7], 9);
    expectSameAsReference(() => tf.where(c, t, e));
    expectSameAsReference(() =>
      tf.where(tf.tensor([true, false, true, false, true, true, false], [7], 'bool'), t, e),
    );
    expectSameAsReference(() => tf.addN([t, e, e, t]), 1e-6, 1e-6);
    expectSameAsReference(() => tf.zerosLike(t));
    expectSameAsReference(() => tf.onesLike(tf.cast(t, 'int32')));
    tf.dispose([c, t, e]);
  });
});

type Unary = (x: tf.Tensor) => tf.Tensor;
const UNARY: Record<string, [Unary, 'any' | 'positive' | 'unit']> = {
  exp: [tf.exp, 'any'],
  log: [tf.log, 'positive'],
  log1p: [tf.log1p, 'positive'],
  expm1: [tf.expm1, 'any'],
  tanh: [tf.tanh, 'any'],
  erf: [tf.erf, 'any'],
  sqrt: [tf.sqrt, 'positive'],
  rsqrt: [tf.rsqrt, 'positive'],
  sigmoid: [tf.sigmoid, 'any'],
  relu: [tf.relu, 'any'],
  relu6: [tf.relu6, 'any'],
  elu: [tf.elu, 'any'],
  leakyRelu: [(x) => tf.leakyRelu(x, 0.1), 'any'],
  neg: [tf.neg, 'any'],
  square: [tf.square, 'any'],
  abs: [tf.abs, 'any'],
  sign: [tf.sign, 'any'],
  step: [(x) => tf.step(x, 0.5), 'any'],
  reciprocal: [tf.reciprocal, 'any'],
  sin: [tf.sin, 'any'],
  cos: [tf.cos, 'any'],
  softplus: [tf.softplus, 'any'],
  clip: [(x) => tf.clipByValue(x, -0.7, 1.3), 'any'],
  floor: [tf.floor, 'any'],
  ceil: [tf.ceil, 'any'],
  round: [tf.round, 'any'],
  isNaN: [tf.isNaN, 'any'],
  isInf: [tf.isInf, 'any'],
  isFinite: [tf.isFinite, 'any'],
  castInt: [(x) => tf.cast(x, 'int32'), 'unit'],
  castBool: [(x) => tf.cast(x, 'bool'), 'any'],
};

describe('unary elementwise kernels', () => {
  const shapes = [[0], [1], [17], [3, 5, 7], [1024 + 3]];

  it('match tfjs on random inputs of every shape, incl. NaN/±Inf and ±0', () => {
    shapes.forEach((shape, si) => {
      const raw = spiky(shape, 300 + si, 3);
      const positive = tf.tidy(() => tf.add(tf.abs(raw), 1e-3));
      const unit = tf.tidy(() => tf.clipByValue(tf.mul(randn(shape, 400 + si), 1000), -1e6, 1e6));
      for (const [name, [f, domain]] of Object.entries(UNARY)) {
        const x = domain === 'positive' ? positive : domain === 'unit' ? unit : raw;
        try {
          expectSameAsReference(() => f(x), 1e-6, 4e-6);
        } catch (e) {
          throw new Error(`${name} on ${JSON.stringify(shape)}: ${(e as Error).message}`);
        }
      }
      tf.dispose([raw, positive, unit]);
    });
  });

  it('the transcendental functions stay accurate across wide ranges', () => {
    const wide = tf.linspace(-90, 90, 4001);
    const tiny = tf.linspace(-1e-4, 1e-4, 101);
    for (const f of [tf.exp, tf.expm1, tf.tanh, tf.erf, tf.sigmoid, tf.softplus, tf.elu]) {
      expectSameAsReference(() => f(wide), 1e-6, 4e-6);
      // tfjs's erf is the Abramowitz-Stegun fit (absolute error ~1e-7), so near 0 compare with the series
      if (f !== tf.erf) expectSameAsReference(() => f(tiny), 1e-9, 4e-6);
    }
    const xs = tiny.dataSync();
    const erfTiny = tf.erf(tiny);
    const got = erfTiny.dataSync();
    for (let i = 0; i < xs.length; i++) {
      const exact = (2 / Math.sqrt(Math.PI)) * (xs[i] - xs[i] ** 3 / 3);
      expect(Math.abs(got[i] - exact)).toBeLessThanOrEqual(1e-12 + 2e-7 * Math.abs(exact));
    }
    erfTiny.dispose();
    const pos = tf.linspace(1e-6, 1e4, 4001);
    for (const f of [tf.log, tf.log1p, tf.sqrt, tf.rsqrt]) expectSameAsReference(() => f(pos), 1e-6, 4e-6);
    tf.dispose([wide, tiny, pos]);
  });
});

describe('gradients through native elementwise kernels', () => {
  it('match tfjs for a composite of unary and broadcast binary ops', () => {
    const x = randn([8, 16], 11);
    const w = randn([16], 12);
    const loss = (a: tf.Tensor, b: tf.Tensor) =>
      tf.sum(
        tf.add(
          tf.mul(tf.tanh(tf.mul(a, b)), tf.sigmoid(a)),
          tf.add(
            tf.mul(tf.erf(a), tf.exp(tf.neg(tf.square(b)))),
            tf.div(tf.softplus(a), tf.add(tf.abs(b), 1)),
          ),
        ),
      );
    const grads = () => tf.grads(loss)([x, w]);
    expectSameAsReference(grads, 1e-5, 1e-5);
    const geluTanh = (a: tf.Tensor) => {
      const inner = tf.mul(0.7978845608, tf.add(a, tf.mul(0.044715, tf.pow(a, 3))));
      return tf.sum(tf.mul(tf.mul(a, 0.5), tf.add(1, tf.tanh(inner))));
    };
    const gelu = () => tf.grad(geluTanh)(x);
    expectSameAsReference(gelu, 1e-5, 1e-5);
    tf.dispose([x, w]);
  });

  it('leave no tensors behind in a forward+backward loop', () => {
    const x = randn([32, 64], 13);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) {
      const g = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.relu(a), tf.log1p(tf.square(a)))))(x);
      g.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
    const { native, reference } = runBoth(() => tf.grad((a: tf.Tensor) => tf.sum(tf.exp(a)))(x));
    expect(native[0].data.length).toBe(reference[0].data.length);
    x.dispose();
  });
});
