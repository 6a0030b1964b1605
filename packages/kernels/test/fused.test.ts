// The fused kernels vs composite tfjs-op references (run on tfjs's pure-JS kernels by runBoth), and
// their native gradients vs the composites' tfjs gradients.
import { describe, expect, it } from 'vitest';
import { FUSED_KERNELS } from '../src/kernels/fused-names.js';
import { expectSameAsReference, randn, tf, useNative } from './helpers.js';

useNative();

type T = tf.Tensor;

const fused = (name: string) => tf.getKernel(name, tf.getBackend()) !== undefined;
const run = (name: string, inputs: Record<string, T>, attrs: Record<string, number | boolean>) =>
  tf.engine().runKernel(name, inputs, attrs) as T;

// Each op: the fused kernel when registered (native run), else the composite (reference run).
function layerNorm(x: T, g: T, b: T, eps: number): T {
  if (fused(FUSED_KERNELS.layerNorm)) return run(FUSED_KERNELS.layerNorm, { x, gamma: g, beta: b }, { eps });
  // (tf.moments is not differentiable in tfjs 4.22: its Cast node gets a null gradient)
  const mean = tf.mean(x, -1, true);
  const centred = x.sub(mean);
  const variance = tf.mean(centred.square(), -1, true);
  return centred
    .mul(tf.rsqrt(variance.add(eps)))
    .mul(g)
    .add(b);
}

function rmsNorm(x: T, g: T, eps: number): T {
  if (fused(FUSED_KERNELS.rmsNorm)) return run(FUSED_KERNELS.rmsNorm, { x, gamma: g }, { eps });
  return x.mul(tf.rsqrt(tf.mean(x.square(), -1, true).add(eps))).mul(g);
}

function gelu(x: T, approximate: boolean): T {
  if (fused(FUSED_KERNELS.gelu)) return run(FUSED_KERNELS.gelu, { x }, { approximate });
  if (approximate) {
    const inner = x.add(x.mul(x).mul(x).mul(0.044715)).mul(Math.sqrt(2 / Math.PI));
    return x.mul(0.5).mul(tf.tanh(inner).add(1));
  }
  return x.mul(0.5).mul(tf.erf(x.mul(Math.SQRT1_2)).add(1));
}

function siluMul(gate: T, up: T): T {
  if (fused(FUSED_KERNELS.siluMul)) return run(FUSED_KERNELS.siluMul, { gate, up }, {});
  return gate.mul(tf.sigmoid(gate)).mul(up);
}

function causalMask(q: number, k: number, offset: number): T {
  const m = new Int32Array(q * k);
  for (let i = 0; i < q; i++) for (let j = 0; j < k; j++) m[i * k + j] = j <= i + offset ? 1 : 0;
  return tf.tensor(m, [q, k], 'bool');
}

/**
 * The composite masks with -Inf (exact semantics: a row with only -Inf kept scores is NaN, as softmax);
 * gradient references pass a finite `maskValue` because tfjs's Select gradient multiplies by the mask
 * (NaN * 0 = NaN) in rows that see no key at all.
 */
function causalSoftmax(s: T, scale: number, offset: number, maskValue = Number.NEGATIVE_INFINITY): T {
  if (fused(FUSED_KERNELS.causalSoftmax))
    return run(FUSED_KERNELS.causalSoftmax, { scores: s }, { scale, offset });
  const [q, k] = s.shape.slice(-2);
  const mask = tf.broadcastTo(causalMask(q, k, offset), s.shape);
  const masked = tf.where(mask, s.mul(scale), tf.fill(s.shape, maskValue));
  return tf.where(mask, tf.softmax(masked), tf.zerosLike(s));
}

function rotateHalf(v: T): T {
  const half = v.shape[3]! / 2;
  const [lo, hi] = tf.split(v, [half, half], 3);
  return tf.concat([tf.neg(hi), lo], 3);
}

function rotary(x: T, cos: T, sin: T, rotDim: number): T {
  if (fused(FUSED_KERNELS.rotary)) return run(FUSED_KERNELS.rotary, { x, cos, sin }, { rotDim });
  const [B, Tn, H, D] = x.shape;
  const c = cos.rank === 2 ? cos.reshape([1, Tn, 1, rotDim]) : cos.reshape([cos.shape[0], Tn, 1, rotDim]);
  const s = sin.rank === 2 ? sin.reshape([1, Tn, 1, rotDim]) : sin.reshape([sin.shape[0], Tn, 1, rotDim]);
  const xr = x.slice([0, 0, 0, 0], [B, Tn, H, rotDim]);
  const rotated = xr.mul(c).add(rotateHalf(xr).mul(s));
  if (rotDim === D) return rotated;
  return tf.concat([rotated, x.slice([0, 0, 0, rotDim], [B, Tn, H, D - rotDim])], 3);
}

/** Gradients of sum(f(inputs) * w) with respect to every input (w fixed random weights). */
function gradsOf(f: (...xs: T[]) => T, inputs: T[], outShape: number[], seed: number): T[] {
  const w = randn(outShape, seed);
  return tf.grads((...xs: T[]) => tf.sum(f(...xs).mul(w)))(inputs);
}

// Deterministic shape picker.
function rng(seed: number): (lo: number, hi: number) => number {
  let s = seed >>> 0;
  return (lo, hi) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return lo + (s % (hi - lo + 1));
  };
}

function withSpecials(shape: number[], seed: number, scale = 1): T {
  const t = randn(shape, seed, scale);
  const v = t.dataSync().slice();
  t.dispose();
  const specials = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
  for (let i = 0; i < specials.length && i * 7 < v.length; i++) v[i * 7] = specials[i];
  return tf.tensor(v, shape);
}

const ROW_SHAPES: number[][] = [
  [1, 1],
  [3, 1],
  [0, 5],
  [2, 0],
  [1, 7],
  [5],
  [2, 3, 17],
  [300, 64],
  [16, 1000],
  [4, 768],
];
function randomRowShapes(seed: number, n: number): number[][] {
  const r = rng(seed);
  const out: number[][] = [];
  for (let i = 0; i < n; i++) out.push([r(1, 300), r(1, 1000)]);
  return out;
}

describe('MechlensLayerNorm', () => {
  it('matches the composite on random and edge shapes', () => {
    for (const [i, shape] of [...ROW_SHAPES, ...randomRowShapes(11, 4)].entries()) {
      const d = shape[shape.length - 1];
      expectSameAsReference(
        () => layerNorm(randn(shape, i + 1), randn([d], i + 100), randn([d], i + 200), 1e-5),
        2e-5,
        2e-5,
      );
    }
  });

  it('honours eps, propagates NaN/Inf and reads views at an offset', () => {
    for (const eps of [1e-5, 1e-6, 0.1]) {
      // tiny variance: eps dominates the denominator
      expectSameAsReference(
        () => layerNorm(randn([6, 33], 5, 1e-3), tf.ones([33]), tf.zeros([33]), eps),
        2e-5,
        2e-5,
      );
    }
    expectSameAsReference(() => layerNorm(withSpecials([9, 20], 3), randn([20], 4), randn([20], 5), 1e-5));
    expectSameAsReference(() => {
      const big = randn([10, 48], 6);
      return layerNorm(big.slice([3, 0], [4, 48]), randn([48], 7), randn([48], 8), 1e-5);
    });
  });

  it('is accurate with a large mean offset (vs a float64 reference)', () => {
    useNative();
    const rows = 37;
    const d = 4099;
    const x = randn([rows, d], 21).add(1000);
    const g = randn([d], 22);
    const b = randn([d], 23);
    const y = layerNorm(x, g, b, 1e-5);
    const [xv, gv, bv, yv] = [x, g, b, y].map((t) => t.dataSync());
    let worst = 0;
    for (let r = 0; r < rows; r++) {
      let m = 0;
      for (let j = 0; j < d; j++) m += xv[r * d + j];
      m /= d;
      let v = 0;
      for (let j = 0; j < d; j++) v += (xv[r * d + j] - m) ** 2;
      const rs = 1 / Math.sqrt(v / d + 1e-5);
      for (let j = 0; j < d; j++) {
        const ref = (xv[r * d + j] - m) * rs * gv[j] + bv[j];
        worst = Math.max(worst, Math.abs(yv[r * d + j] - ref) / (1 + Math.abs(ref)));
      }
    }
    expect(worst).toBeLessThan(2e-6);
    tf.dispose([x, g, b, y]);
  });

  it('gradients wrt x, gamma and beta match the composite', () => {
    for (const [i, shape] of [
      [1, 1],
      [4, 1],
      [0, 6],
      [3, 5, 24],
      [64, 300],
      ...randomRowShapes(12, 2),
    ].entries()) {
      const d = shape[shape.length - 1];
      expectSameAsReference(
        () =>
          gradsOf(
            (x, g, b) => layerNorm(x, g, b, 1e-5),
            [randn(shape, i + 1), randn([d], i + 2), randn([d], i + 3)],
            shape,
            i + 4,
          ),
        1e-4,
        1e-4,
      );
    }
  });

  it('gradient wrt x is accurate with a large mean offset (vs float64)', () => {
    useNative();
    const rows = 5;
    const d = 777;
    const x = randn([rows, d], 31).add(1000);
    const g = randn([d], 32);
    const dy = randn([rows, d], 33);
    const dx = tf.grad((xx: T) => tf.sum(layerNorm(xx, g, tf.zeros([d]), 1e-5).mul(dy)))(x);
    const [xv, gv, dyv, dxv] = [x, g, dy, dx].map((t) => t.dataSync());
    let worst = 0;
    for (let r = 0; r < rows; r++) {
      let m = 0;
      for (let j = 0; j < d; j++) m += xv[r * d + j];
      m /= d;
      let v = 0;
      for (let j = 0; j < d; j++) v += (xv[r * d + j] - m) ** 2;
      const rs = 1 / Math.sqrt(v / d + 1e-5);
      let mg = 0;
      let mgx = 0;
      for (let j = 0; j < d; j++) {
        const gg = dyv[r * d + j] * gv[j];
        mg += gg / d;
        mgx += (gg * (xv[r * d + j] - m) * rs) / d;
      }
      for (let j = 0; j < d; j++) {
        const ref = rs * (dyv[r * d + j] * gv[j] - mg - (xv[r * d + j] - m) * rs * mgx);
        worst = Math.max(worst, Math.abs(dxv[r * d + j] - ref) / (1 + Math.abs(ref)));
      }
    }
    expect(worst).toBeLessThan(5e-6);
    tf.dispose([x, g, dy, dx]);
  });

  it('rejects a gamma of the wrong size', () => {
    useNative();
    expect(() => tf.tidy(() => layerNorm(tf.ones([2, 4]), tf.ones([3]), tf.ones([4]), 1e-5))).toThrow(
      /gamma/,
    );
  });
});

describe('MechlensRMSNorm', () => {
  it('matches the composite (random shapes, eps, NaN/Inf, views) and its gradients', () => {
    for (const [i, shape] of [...ROW_SHAPES, ...randomRowShapes(13, 3)].entries()) {
      const d = shape[shape.length - 1];
      expectSameAsReference(() => rmsNorm(randn(shape, i + 1), randn([d], i + 50), 1e-6), 2e-5, 2e-5);
    }
    for (const eps of [1e-5, 1e-6, 0.1])
      expectSameAsReference(() => rmsNorm(randn([5, 40], 9, 1e-3), randn([40], 10), eps), 2e-5, 2e-5);
    expectSameAsReference(() => rmsNorm(withSpecials([7, 30], 11), randn([30], 12), 1e-5));
    expectSameAsReference(() => rmsNorm(randn([6, 16], 13).slice([2, 0], [3, 16]), randn([16], 14), 1e-5));
    for (const [i, shape] of [[1, 1], [0, 4], [3, 2, 40], [50, 256], ...randomRowShapes(14, 1)].entries()) {
      const d = shape[shape.length - 1];
      expectSameAsReference(
        () => gradsOf((x, g) => rmsNorm(x, g, 1e-5), [randn(shape, i + 1), randn([d], i + 2)], shape, i + 3),
        1e-4,
        1e-4,
      );
    }
  });
});

describe('MechlensGelu', () => {
  for (const approximate of [true, false]) {
    it(`approximate=${approximate}: forward, specials and gradient match the composite`, () => {
      for (const [i, shape] of [[1], [0, 3], [7, 1], [128, 307], [2, 3, 1000]].entries())
        expectSameAsReference(() => gelu(randn(shape, i + 1, 3), approximate), 2e-6, 2e-5);
      const specials = [
        0,
        -0,
        1e-8,
        -1e-8,
        5,
        -5,
        9,
        -9,
        20,
        -20,
        1e20,
        -1e20,
        Number.NaN,
        Infinity,
        -Infinity,
      ];
      expectSameAsReference(() => gelu(tf.tensor(specials), approximate), 2e-6, 2e-5);
      expectSameAsReference(() => gelu(randn([40], 2).slice([7], [20]), approximate), 2e-6, 2e-5);
      for (const [i, shape] of [[1], [0, 2], [64, 129], [3, 4, 50]].entries())
        expectSameAsReference(
          () => gradsOf((x) => gelu(x, approximate), [randn(shape, i + 10, 2.5)], shape, i + 20),
          2e-5,
          1e-4,
        );
    });
  }
});

describe('MechlensSiluMul', () => {
  it('forward, specials and gradients wrt gate and up match the composite', () => {
    for (const [i, shape] of [[1], [0, 3], [5, 1], [64, 176], [2, 3, 1000]].entries())
      expectSameAsReference(() => siluMul(randn(shape, i + 1, 3), randn(shape, i + 2)), 2e-6, 2e-5);
    expectSameAsReference(() => siluMul(withSpecials([30], 3, 4), randn([30], 4)), 2e-6, 2e-5);
    for (const [i, shape] of [[1], [0, 2], [32, 176], [2, 5, 33]].entries())
      expectSameAsReference(
        () => gradsOf(siluMul, [randn(shape, i + 5, 3), randn(shape, i + 6)], shape, i + 7),
        2e-5,
        1e-4,
      );
    useNative();
    expect(() => tf.tidy(() => siluMul(tf.ones([2, 3]), tf.ones([3, 2])))).toThrow(/shapes/);
  });
});

describe('MechlensCausalSoftmax', () => {
  const cases: { shape: number[]; scale: number; offset: number }[] = [
    { shape: [1, 1], scale: 1, offset: 0 },
    { shape: [2, 3, 5, 5], scale: 0.25, offset: 0 },
    { shape: [1, 4, 3, 8], scale: 0.125, offset: 5 }, // KV cache: 5 earlier keys
    { shape: [2, 1, 20], scale: 0.3, offset: 19 }, // one generation step
    { shape: [3, 6, 6], scale: -0.7, offset: 2 },
    { shape: [2, 4, 4], scale: 1, offset: -2 }, // rows 0 and 1 see no key: all zeros
    { shape: [0, 4, 4], scale: 1, offset: 0 },
    { shape: [3, 0, 0], scale: 1, offset: 0 },
    { shape: [12, 128, 128], scale: 0.125, offset: 0 },
    { shape: [2, 37, 300], scale: 0.2, offset: 263 },
  ];

  it('matches the composite (masked softmax, masked entries exactly 0)', () => {
    for (const [i, c] of cases.entries()) {
      expectSameAsReference(() => causalSoftmax(randn(c.shape, i + 1, 3), c.scale, c.offset), 1e-6, 1e-5);
    }
  });

  it('ignores NaN in masked entries, propagates NaN/Inf in kept ones, reads views', () => {
    const v = randn([2, 4, 6], 40).dataSync().slice();
    v[0 * 6 + 3] = Number.NaN; // row 0 (keys 0..1 kept at offset 1), masked key 3
    v[1 * 6 + 5] = Number.POSITIVE_INFINITY; // row 1, masked
    v[2 * 6 + 1] = Number.NaN; // row 2, kept key 1: whole row NaN
    v[4 * 6 + 0] = Number.POSITIVE_INFINITY; // batch 1 row 0, kept: NaN row (Inf - Inf)
    v[5 * 6 + 2] = Number.NEGATIVE_INFINITY; // kept: probability 0
    expectSameAsReference(() => causalSoftmax(tf.tensor(v, [2, 4, 6]), 0.5, 1), 1e-6, 1e-5);
    expectSameAsReference(
      () => causalSoftmax(randn([5, 3, 3], 41).slice([1, 0, 0], [2, 3, 3]), 1, 0),
      1e-6,
      1e-5,
    );
    useNative();
    const p = tf.tidy(() => causalSoftmax(randn([3, 5, 9], 42), 1, 2).arraySync() as number[][][]);
    for (const row of p.flat()) expect(row.every((x) => x >= 0)).toBe(true);
    expect(p[0][0].slice(3)).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('gradient matches the composite', () => {
    for (const [i, c] of cases.filter((c) => c.shape[0] !== 12).entries()) {
      expectSameAsReference(
        () =>
          gradsOf(
            (s) => causalSoftmax(s, c.scale, c.offset, -1e30),
            [randn(c.shape, i + 1, 2)],
            c.shape,
            i + 9,
          ),
        1e-5,
        1e-4,
      );
    }
  });
});

describe('MechlensRotary', () => {
  function tables(rows: number, rotDim: number, base: number, seed: number): [T, T] {
    // cat(freqs, freqs) tables at absolute positions seed.., as a model builds them
    const half = rotDim / 2;
    const c = new Float32Array(rows * rotDim);
    const s = new Float32Array(rows * rotDim);
    for (let t = 0; t < rows; t++)
      for (let j = 0; j < half; j++) {
        const a = (t + seed) * base ** ((-2 * j) / rotDim);
        c[t * rotDim + j] = c[t * rotDim + j + half] = Math.cos(a);
        s[t * rotDim + j] = s[t * rotDim + j + half] = Math.sin(a);
      }
    return [tf.tensor(c, [rows, rotDim]), tf.tensor(s, [rows, rotDim])];
  }
  const cases = [
    { x: [2, 5, 4, 16], rot: 16 },
    { x: [1, 7, 3, 16], rot: 4 }, // neox partial rotary
    { x: [1, 1, 2, 8], rot: 8 },
    { x: [0, 3, 2, 8], rot: 8 },
    { x: [3, 9, 2, 64], rot: 32 },
    { x: [2, 4, 1, 6], rot: 0 },
  ];

  it('matches the composite (rotate_half), incl. per-batch tables and random tables', () => {
    for (const [i, c] of cases.entries()) {
      expectSameAsReference(() => {
        const [cos, sin] = tables(c.x[1], c.rot, 10000, i);
        return rotary(randn(c.x, i + 1), cos, sin, c.rot);
      });
      // arbitrary (non rotate_half-symmetric) tables, batch axis
      expectSameAsReference(() => {
        const tb = [c.x[0], c.x[1], c.rot];
        return rotary(randn(c.x, i + 1), randn(tb, i + 2), randn(tb, i + 3), c.rot);
      });
    }
    expectSameAsReference(() => rotary(withSpecials([1, 3, 2, 8], 5), randn([3, 8], 6), randn([3, 8], 7), 8));
  });

  it('gradients wrt x, cos and sin match the composite', () => {
    // (B = 0 is checked natively below: tfjs's own Multiply gradient fails to reshape an empty sum)
    for (const [i, c] of cases.filter((c) => c.x[0] > 0).entries()) {
      expectSameAsReference(
        () =>
          gradsOf(
            (x, cos, sin) => rotary(x, cos, sin, c.rot),
            [randn(c.x, i + 1), randn([c.x[1], c.rot], i + 2), randn([c.x[1], c.rot], i + 3)],
            c.x,
            i + 4,
          ),
        1e-5,
        1e-4,
      );
      const tb = [c.x[0], c.x[1], c.rot];
      expectSameAsReference(
        () =>
          gradsOf(
            (x, cos, sin) => rotary(x, cos, sin, c.rot),
            [randn(c.x, i + 1), randn(tb, i + 2), randn(tb, i + 3)],
            c.x,
            i + 4,
          ),
        1e-5,
        1e-4,
      );
    }
    useNative();
    tf.tidy(() => {
      const [cos, sin] = tables(3, 8, 10000, 0);
      const gs = gradsOf(
        (x, c, s) => rotary(x, c, s, 8),
        [tf.zeros([0, 3, 2, 8]), cos, sin],
        [0, 3, 2, 8],
        1,
      );
      expect(gs.map((g) => g.shape)).toEqual([
        [0, 3, 2, 8],
        [3, 8],
        [3, 8],
      ]);
      expect(Array.from(gs[1].dataSync()).every((v) => v === 0)).toBe(true);
    });
  });
});

describe('fused kernels inside one graph', () => {
  it('a small pre-LN block (LN → GELU MLP, causal attention) has the composite gradients and does not leak', () => {
    const d = 32;
    const Tn = 9;
    const H = 4;
    expectSameAsReference(
      () => {
        const x = randn([2, Tn, d], 1);
        const wq = randn([d, d], 2, 0.2);
        const wk = randn([d, d], 3, 0.2);
        const w1 = randn([d, 4 * d], 4, 0.2);
        const g = randn([d], 5);
        const b = randn([d], 6);
        return gradsOf(
          (xx, gg, bb) => {
            const h = layerNorm(xx, gg, bb, 1e-5);
            const q = h
              .reshape([2 * Tn, d])
              .matMul(wq)
              .reshape([2, Tn, H, d / H])
              .transpose([0, 2, 1, 3]);
            const k = h
              .reshape([2 * Tn, d])
              .matMul(wk)
              .reshape([2, Tn, H, d / H])
              .transpose([0, 2, 3, 1]);
            const p = causalSoftmax(tf.matMul(q, k), 1 / Math.sqrt(d / H), 0);
            const mlp = gelu(h.reshape([2 * Tn, d]).matMul(w1), true);
            return tf.concat([p.reshape([2, -1]), mlp.reshape([2, -1])], 1);
          },
          [x, g, b],
          [2, H * Tn * Tn + Tn * 4 * d],
          7,
        );
      },
      1e-4,
      1e-4,
    );
  });
});
