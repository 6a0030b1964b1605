import { describe, expect, it } from 'vitest';
import { unregisterNativeKernels } from '../src/index.js';
import { expectSameAsReference, randn, tf, useNative } from './helpers.js';

useNative();

/** Deterministic uniform [0, 1) generator (mulberry32). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const randInt = (r: () => number, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));

/** A random shape of `rank` dims in [lo, hi], with occasional size-1 dims. */
function randShape(r: () => number, rank: number, lo = 1, hi = 5): number[] {
  return Array.from({ length: rank }, () => (r() < 0.15 ? 1 : randInt(r, lo, hi)));
}

function shuffle<T>(r: () => number, a: T[]): T[] {
  const b = a.slice();
  for (let i = b.length - 1; i > 0; i--) {
    const j = randInt(r, 0, i);
    [b[i], b[j]] = [b[j], b[i]];
  }
  return b;
}

/** Random float32 values with some NaN, ±Inf and large values sprinkled in. */
function special(shape: number[], seed: number): tf.Tensor {
  const x = randn(shape, seed, 3);
  const v = x.dataSync().slice() as Float32Array;
  x.dispose();
  const r = rng(seed + 99);
  for (let i = 0; i < v.length; i++) {
    const u = r();
    if (u < 0.03) v[i] = Number.NaN;
    else if (u < 0.05) v[i] = Number.POSITIVE_INFINITY;
    else if (u < 0.07) v[i] = Number.NEGATIVE_INFINITY;
    else if (u < 0.09) v[i] = 3e38;
  }
  return tf.tensor(v, shape);
}

function ints(shape: number[], seed: number): tf.Tensor {
  const r = rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    Int32Array.from({ length: n }, () => randInt(r, -2e9, 2e9)),
    shape,
    'int32',
  );
}

function bools(shape: number[], seed: number): tf.Tensor {
  const r = rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    Uint8Array.from({ length: n }, () => (r() < 0.5 ? 1 : 0)),
    shape,
    'bool',
  );
}

/** One tensor per dtype the layout kernels handle. */
function allDtypes(shape: number[], seed: number): tf.Tensor[] {
  return [special(shape, seed), ints(shape, seed + 1), bools(shape, seed + 2)];
}

const exact = (fn: () => tf.Tensor | tf.Tensor[]) => expectSameAsReference(fn, 0, 0);

describe('Transpose', () => {
  it('matches tfjs on random ranks 1-6, perms, size-0/1 dims and every dtype', () => {
    const r = rng(1);
    for (let t = 0; t < 60; t++) {
      const rank = randInt(r, 1, 6);
      const shape = randShape(r, rank, t % 10 === 0 ? 0 : 1, rank > 4 ? 4 : 6);
      const perm = shuffle(
        r,
        Array.from({ length: rank }, (_, i) => i),
      );
      for (const x of allDtypes(shape, t)) {
        exact(() => tf.transpose(x, perm));
        x.dispose();
      }
    }
  });

  it('2-D tiles with ragged edges, large parallel copies and the head-split patterns', () => {
    const cases: [number[], number[]][] = [
      [
        [67, 133],
        [1, 0],
      ],
      [
        [8, 8],
        [1, 0],
      ],
      [
        [9, 17],
        [1, 0],
      ],
      [
        [300, 260],
        [1, 0],
      ],
      [
        [3, 40, 50],
        [0, 2, 1],
      ],
      [
        [1, 128, 12, 64],
        [0, 2, 1, 3],
      ],
      [
        [2, 12, 128, 64],
        [0, 2, 1, 3],
      ],
      [
        [2, 16, 12, 64],
        [0, 2, 3, 1],
      ],
      [
        [5, 1000],
        [1, 0],
      ],
      [
        [1000, 3],
        [1, 0],
      ],
    ];
    for (const [shape, perm] of cases) {
      const x = randn(shape, shape.length);
      const xi = ints(shape, 7);
      exact(() => tf.transpose(x, perm));
      exact(() => tf.transpose(xi, perm));
      x.dispose();
      xi.dispose();
    }
  });

  it('preserves NaN payloads bit for bit and int32 extremes', () => {
    const bits = new Uint32Array(64 * 24);
    const r = rng(5);
    for (let i = 0; i < bits.length; i++) bits[i] = (r() * 2 ** 32) >>> 0;
    bits[3] = 0x7fc00001; // quiet NaN with payload
    bits[10] = 0x7f800001; // signalling NaN
    bits[11] = 0xffffffff; // negative NaN
    bits[12] = 0x80000000; // -0
    const x = tf.tensor(new Float32Array(bits.buffer), [64, 24]);
    const y = tf.transpose(x);
    const got = new Uint32Array((y.dataSync() as Float32Array).slice().buffer);
    for (let i = 0; i < 64; i++) for (let j = 0; j < 24; j++) expect(got[j * 64 + i]).toBe(bits[i * 24 + j]);
    const xi = tf.tensor(new Int32Array([2147483647, -2147483648, 0, -1, 5, 7]), [2, 3], 'int32');
    expect(Array.from(tf.transpose(xi).dataSync())).toEqual([2147483647, -1, -2147483648, 5, 0, 7]);
    tf.dispose([x, y, xi]);
  });
});

describe('Slice and StridedSlice', () => {
  it('Slice matches tfjs on random boxes of rank 1-6 and every dtype', () => {
    const r = rng(2);
    for (let t = 0; t < 60; t++) {
      const rank = randInt(r, 1, 6);
      const shape = randShape(r, rank, 1, rank > 4 ? 4 : 6);
      const begin = shape.map((d) => randInt(r, 0, d));
      const size = shape.map((d, i) => (r() < 0.2 ? -1 : randInt(r, 0, d - begin[i])));
      for (const x of allDtypes(shape, 100 + t)) {
        exact(() => tf.slice(x, begin, size));
        x.dispose();
      }
    }
  });

  it('contiguous slices (views) stay valid after the source is disposed, and are exact', () => {
    const x = randn([64, 32, 8], 3);
    exact(() => tf.slice(x, [10, 0, 0], [40, -1, -1]));
    exact(() => tf.slice(x, [3, 5, 0], [1, 4, 8]));
    const big = tf.slice(x, [8, 0, 0], [48, 32, 8]);
    const small = tf.slice(x, [63, 31, 0], [1, 1, 8]);
    const want = x.arraySync() as number[][][];
    x.dispose();
    expect(big.arraySync()).toEqual(want.slice(8, 56));
    expect(small.arraySync()).toEqual([[want[63][31]]]);
    tf.dispose([big, small]);
  });

  it('StridedSlice matches tfjs on random begin/end/strides (negative too) and masks', () => {
    const r = rng(3);
    let checked = 0;
    for (let t = 0; t < 200 && checked < 70; t++) {
      const rank = randInt(r, 1, 5);
      const shape = randShape(r, rank, 1, 6);
      const begin = shape.map((d) => randInt(r, -d, d));
      const end = shape.map((d) => randInt(r, -d - 1, d + 1));
      const strides = shape.map(() => (r() < 0.5 ? 1 : r() < 0.5 ? randInt(r, 2, 3) : -randInt(r, 1, 3)));
      const beginMask = randInt(r, 0, (1 << rank) - 1) & randInt(r, 0, (1 << rank) - 1);
      const endMask = randInt(r, 0, (1 << rank) - 1) & randInt(r, 0, (1 << rank) - 1);
      const newAxisMask = r() < 0.2 ? 1 << randInt(r, 0, rank - 1) : 0;
      let shrinkMask = r() < 0.3 ? 1 << randInt(r, 0, rank - 1) : 0;
      shrinkMask &= ~newAxisMask;
      if (shrinkMask) {
        const a = Math.log2(shrinkMask);
        strides[a] = 1;
        const d = shape[a];
        begin[a] = randInt(r, -d, d - 1);
      }
      const ellipsisMask = r() < 0.15 ? 1 << randInt(r, 0, rank - 1) : 0;
      const args = [begin, end, strides, beginMask, endMask, ellipsisMask, newAxisMask, shrinkMask] as const;
      let info: ReturnType<typeof tf.slice_util.sliceInfo>;
      try {
        info = tf.slice_util.sliceInfo(shape, ...args);
      } catch {
        continue;
      }
      // Skip the two cases where tfjs's cpu kernel is wrong (tested separately below): a shrunk axis
      // with a non-unit stride elsewhere (misindexed) and unit-stride slices with end < begin (throws).
      const unit = info.strides.every((s) => s === 1);
      if (shrinkMask && !unit) continue;
      if (unit && info.begin.some((b, i) => info.end[i] < b)) continue;
      checked++;
      const x = randn(shape, t);
      const xi = ints(shape, t);
      exact(() => tf.stridedSlice(x, ...args));
      exact(() => tf.stridedSlice(xi, ...args));
      tf.dispose([x, xi]);
    }
    expect(checked).toBeGreaterThan(40);
  });

  it('StridedSlice gives TensorFlow semantics where tfjs cpu is wrong', () => {
    const x = tf.reshape(tf.range(0, 12), [3, 4]);
    // x[1, ::2]: tfjs cpu returns [1, 2]
    expect(Array.from(tf.stridedSlice(x, [1, 0], [2, 4], [1, 2], 0, 0, 0, 0, 1).dataSync())).toEqual([4, 6]);
    // x[1, ::-1]
    expect(Array.from(tf.stridedSlice(x, [1, -1], [2, -5], [1, -1], 0, 0, 0, 0, 1).dataSync())).toEqual([
      7, 6, 5, 4,
    ]);
    // x[2:1]: tfjs cpu throws; TensorFlow gives an empty [0, 4]
    const e = tf.stridedSlice(x, [2, 0], [1, 4], [1, 1]);
    expect(e.shape).toEqual([0, 4]);
    // x[::-2, 1:3] (non-simple, reference path is fine): [[9, 10], [1, 2]]
    expect(tf.stridedSlice(x, [-1, 1], [-4, 3], [-2, 1]).arraySync()).toEqual([
      [9, 10],
      [1, 2],
    ]);
    tf.dispose([x, e]);
  });
});

describe('Reverse, Tile, PadV2, MirrorPad', () => {
  it('Reverse matches tfjs for every axis subset on random shapes', () => {
    const r = rng(4);
    for (let t = 0; t < 25; t++) {
      const rank = randInt(r, 1, 5);
      const shape = randShape(r, rank, t % 8 === 0 ? 0 : 1, 5);
      const axes = Array.from({ length: rank }, (_, i) => i).filter(() => r() < 0.5);
      for (const x of allDtypes(shape, 200 + t)) {
        exact(() => tf.reverse(x, axes.length ? axes : undefined));
        x.dispose();
      }
    }
  });

  it('Tile matches tfjs including zero reps and size-1 dims', () => {
    const r = rng(5);
    for (let t = 0; t < 25; t++) {
      const rank = randInt(r, 1, 5);
      const shape = randShape(r, rank, 1, 4);
      const reps = shape.map(() => (r() < 0.1 ? 0 : randInt(r, 1, 3)));
      for (const x of allDtypes(shape, 300 + t)) {
        exact(() => tf.tile(x, reps));
        x.dispose();
      }
    }
    const big = randn([1, 3, 1000], 6);
    exact(() => tf.tile(big, [40, 2, 1]));
    big.dispose();
  });

  it('PadV2 matches tfjs with zero and non-zero constants and every dtype', () => {
    const r = rng(6);
    for (let t = 0; t < 25; t++) {
      const rank = randInt(r, 1, 5);
      const shape = randShape(r, rank, t % 9 === 0 ? 0 : 1, 5);
      const paddings = shape.map(() => [randInt(r, 0, 2), randInt(r, 0, 2)] as [number, number]);
      const [xf, xi, xb] = allDtypes(shape, 400 + t);
      exact(() => tf.pad(xf, paddings, t % 2 ? 0 : -2.5));
      exact(() => tf.pad(xi, paddings, t % 2 ? 0 : 7));
      exact(() => tf.pad(xb, paddings, t % 2));
      tf.dispose([xf, xi, xb]);
    }
  });

  it('MirrorPad matches tfjs in reflect and symmetric modes', () => {
    const r = rng(7);
    for (let t = 0; t < 20; t++) {
      const rank = randInt(r, 1, 4);
      const shape = randShape(r, rank, 2, 5);
      for (const mode of ['reflect', 'symmetric'] as const) {
        const paddings = shape.map(
          (d) =>
            [
              randInt(r, 0, mode === 'reflect' ? d - 1 : d),
              randInt(r, 0, mode === 'reflect' ? d - 1 : d),
            ] as [number, number],
        );
        const x = special(shape, 500 + t);
        const xi = ints(shape, 600 + t);
        exact(() => tf.mirrorPad(x, paddings, mode));
        exact(() => tf.mirrorPad(xi, paddings, mode));
        tf.dispose([x, xi]);
      }
    }
  });
});

describe('SplitV, Unpack, Concat, Pack', () => {
  it('SplitV matches tfjs on random axes and sizes (0 and -1 included)', () => {
    const r = rng(8);
    for (let t = 0; t < 40; t++) {
      const rank = randInt(r, 1, 5);
      const shape = randShape(r, rank, 1, 6);
      const axis = randInt(r, -rank, rank - 1);
      const d = shape[(axis + rank) % rank];
      const sizes: number[] = [];
      let left = d;
      while (left > 0 && sizes.length < 4) {
        const s = r() < 0.15 ? 0 : randInt(r, 1, left);
        sizes.push(s);
        left -= s;
      }
      if (left > 0 || sizes.length === 0) sizes.push(left);
      // (-1 not first: tfjs's prepareSplitSize miscounts a leading -1)
      if (sizes.length > 1 && r() < 0.4) sizes[randInt(r, 1, sizes.length - 1)] = -1;
      const useNum = r() < 0.25 && d % 2 === 0;
      for (const x of allDtypes(shape, 700 + t)) {
        exact(() => tf.split(x, useNum ? 2 : sizes.map((s) => s), axis));
        x.dispose();
      }
    }
  });

  it('SplitV of a fused qkv [128, 2304] along axis 1 and along axis 0 (contiguous views)', () => {
    const x = randn([128, 2304], 9);
    exact(() => tf.split(x, 3, 1));
    exact(() => tf.split(x, [100, 28], 0));
    exact(() => tf.split(x, [1, 127], 0));
    x.dispose();
  });

  it('Unpack and Pack match tfjs on every axis', () => {
    const r = rng(10);
    for (let t = 0; t < 25; t++) {
      const rank = randInt(r, 1, 4);
      const shape = randShape(r, rank, 1, 5);
      for (const x of allDtypes(shape, 800 + t)) {
        const axis = randInt(r, 0, rank - 1);
        exact(() => tf.unstack(x, axis));
        const n = randInt(r, 2, 4);
        const parts = Array.from({ length: n }, (_, k) => tf.tidy(() => tf.reverse(x, k % rank)));
        const sa = randInt(r, -rank - 1, rank);
        exact(() => tf.stack(parts, sa));
        tf.dispose([x, ...parts]);
      }
    }
  });

  it('Concat matches tfjs with inputs of various sizes along the axis, 0-size inputs included', () => {
    const r = rng(11);
    for (let t = 0; t < 40; t++) {
      const rank = randInt(r, 1, 5);
      const shape = randShape(r, rank, 1, 5);
      const axis = randInt(r, -rank, rank - 1);
      const a = (axis + rank) % rank;
      const n = randInt(r, 1, 4);
      for (const make of [special, ints, bools]) {
        const parts = Array.from({ length: n }, (_, k) => {
          const s = shape.slice();
          s[a] = r() < 0.2 ? 0 : randInt(r, 1, 4);
          return make(s, 900 + t * 10 + k);
        });
        exact(() => tf.concat(parts, axis));
        tf.dispose(parts);
      }
    }
  });

  it('Concat of large blocks (parallel row copies) and of non-contiguous producers', () => {
    const a = randn([64, 512], 12);
    const b = randn([64, 700], 13);
    exact(() => tf.concat([a, b, a], 1));
    exact(() => tf.concat([tf.transpose(a), tf.slice(b, [0, 100], [64, 512]).transpose()], 0));
    tf.dispose([a, b]);
  });
});

describe('GatherV2 and GatherNd', () => {
  it('GatherV2 matches tfjs on random axes, batchDims and every dtype', () => {
    const r = rng(12);
    for (let t = 0; t < 40; t++) {
      const rank = randInt(r, 1, 4);
      const shape = randShape(r, rank, 1, 5);
      const batchDims = rank > 1 && r() < 0.3 ? 1 : 0;
      const axis = randInt(r, batchDims, rank - 1);
      const idxShape = batchDims ? [shape[0], randInt(r, 0, 4)] : randShape(r, randInt(r, 1, 2), 0, 4);
      const n = idxShape.reduce((p, q) => p * q, 1);
      const idx = tf.tensor(
        Int32Array.from({ length: n }, () => randInt(r, 0, shape[axis] - 1)),
        idxShape,
        'int32',
      );
      for (const x of allDtypes(shape, 1000 + t)) {
        exact(() => tf.gather(x, idx, axis, batchDims));
        x.dispose();
      }
      idx.dispose();
    }
  });

  it('embedding lookup [50257, 64] by [2, 16] ids, and tfjs errors for out-of-range ids', () => {
    const w = randn([50257, 64], 13);
    const r = rng(13);
    const ids = tf.tensor(
      Int32Array.from({ length: 32 }, () => randInt(r, 0, 50256)),
      [2, 16],
      'int32',
    );
    exact(() => tf.gather(w, ids));
    for (const bad of [50257, -1]) {
      const bi = tf.tensor([3, bad, 5], [3], 'int32');
      const msg = `GatherV2: the index value ${bad} is not in [0, 50256]`;
      expect(() => tf.gather(w, bi)).toThrow(msg);
      unregisterNativeKernels('cpu');
      try {
        expect(() => tf.gather(w, bi)).toThrow(msg);
      } finally {
        useNative();
      }
      bi.dispose();
    }
    tf.dispose([w, ids]);
  });

  it('GatherNd matches tfjs, and reports out-of-range rows with tfjs’s message', () => {
    const r = rng(14);
    for (let t = 0; t < 25; t++) {
      const rank = randInt(r, 1, 4);
      const shape = randShape(r, rank, 1, 5);
      const k = randInt(r, 1, rank);
      const m = randInt(r, 1, 6);
      const idx = tf.tensor(
        Int32Array.from({ length: m * k }, (_, i) => randInt(r, 0, shape[i % k] - 1)),
        [m, k],
        'int32',
      );
      for (const x of allDtypes(shape, 1100 + t)) {
        exact(() => tf.gatherND(x, idx));
        x.dispose();
      }
      idx.dispose();
    }
    const x = randn([3, 4], 1);
    const bad = tf.tensor(
      [
        [0, 1],
        [5, 0],
      ],
      [2, 2],
      'int32',
    );
    expect(() => tf.gatherND(x, bad)).toThrow('Invalid indices: 5,0 does not index into 3,4');
    tf.dispose([x, bad]);
  });
});

describe('chains and gradients', () => {
  it('chains over views and strided producers match tfjs', () => {
    const x = special([6, 10, 8], 15);
    exact(() => {
      const a = tf.slice(tf.transpose(x, [2, 0, 1]), [1, 0, 2], [5, 6, 7]);
      const b = tf.reverse(tf.stridedSlice(a, [0, 5, 0], [5, 0, 7], [2, -1, 3]), [0]);
      const [p, q] = tf.split(tf.transpose(a, [1, 0, 2]), [2, 4], 0);
      return [b, tf.concat([q, p], 0), tf.tile(tf.slice(x, [0, 0, 0], [6, 1, 8]), [1, 3, 1])];
    });
    x.dispose();
  });

  it('gradients through Transpose, Slice, Concat, Split, Gather, Tile, Pad, Reverse, Stack, Unstack', () => {
    const x = randn([4, 6, 5], 16);
    const w = randn([10, 5], 17);
    const ids = tf.tensor([3, 1, 3, 9, 0], [5], 'int32');
    const wts = randn([4, 6, 5], 18);
    const loss = (y: tf.Tensor) =>
      tf.sum(tf.mul(y, wts.slice([0, 0, 0], y.shape as [number, number, number])));
    exact(() => tf.grad((a: tf.Tensor) => loss(tf.transpose(tf.transpose(a, [2, 0, 1]), [1, 2, 0])))(x));
    exact(() => tf.grad((a: tf.Tensor) => loss(tf.slice(a, [1, 2, 0], [2, 3, 5])))(x));
    exact(() => tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.concat([a, tf.reverse(a, 1)], 1), 0.5)))(x));
    exact(() =>
      tf.grad((a: tf.Tensor) => {
        const [p, q] = tf.split(a, [2, 4], 1);
        return tf.add(tf.sum(tf.mul(p, 2)), tf.sum(tf.mul(q, q)));
      })(x),
    );
    exact(() => tf.grad((m: tf.Tensor) => tf.sum(tf.mul(tf.gather(m, ids), tf.range(0, 5))))(w));
    exact(() => tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.tile(a, [2, 1, 3]), 1.5)))(x));
    exact(() =>
      tf.grad((a: tf.Tensor) =>
        tf.sum(
          tf.square(
            tf.pad(
              a,
              [
                [1, 0],
                [0, 2],
                [1, 1],
              ],
              3,
            ),
          ),
        ),
      )(x),
    );
    exact(() => tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.stack(tf.unstack(a, 1), 2), tf.range(0, 6))))(x));
    tf.dispose([x, w, ids, wts]);
  });
});
