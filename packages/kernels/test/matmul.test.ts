// Native SGEMM and the BatchMatMul / _FusedMatMul kernels vs tfjs's pure-JS kernels and a float64 reference.
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bindingAs, loadBinding } from '../src/binding.js';
import { type MatmulBinding, matmulOutShape } from '../src/kernels/matmul.js';
import { expectSameAsReference, randn, runBoth, tf, useNative } from './helpers.js';

type Isa = 'avx512' | 'avx2' | 'generic';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296 - 0.5;
  };
}

function randArray(n: number, r: () => number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = r();
  return a;
}

/** float64 reference of C = alpha·op(A)·op(B) + beta·C (beta == 0: C not read). */
function refGemm(
  ta: boolean,
  tb: boolean,
  m: number,
  n: number,
  k: number,
  alpha: number,
  a: Float32Array,
  lda: number,
  b: Float32Array,
  ldb: number,
  beta: number,
  c: Float32Array,
  ldc: number,
): Float64Array {
  const out = new Float64Array(c.length);
  const row = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    row.fill(0);
    for (let p = 0; p < k; p++) {
      const av = ta ? a[p * lda + i] : a[i * lda + p];
      if (tb) for (let j = 0; j < n; j++) row[j] += av * b[j * ldb + p];
      else {
        const o = p * ldb;
        for (let j = 0; j < n; j++) row[j] += av * b[o + j];
      }
    }
    for (let j = 0; j < n; j++) out[i * ldc + j] = alpha * row[j] + (beta === 0 ? 0 : beta * c[i * ldc + j]);
  }
  return out;
}

function checkGemm(
  isa: Isa,
  ta: boolean,
  tb: boolean,
  m: number,
  n: number,
  k: number,
  opts: { alpha?: number; beta?: number; pad?: number; seed?: number } = {},
): void {
  const b = bindingAs<MatmulBinding>();
  const r = rng(opts.seed ?? m * 131 + n * 7 + k);
  const pad = opts.pad ?? 0;
  const alpha = opts.alpha ?? 1;
  const beta = opts.beta ?? 0;
  const lda = (ta ? m : k) + pad;
  const ldb = (tb ? k : n) + pad;
  const ldc = n + pad;
  const A = randArray((ta ? k : m) * lda, r);
  const B = randArray((tb ? n : k) * ldb, r);
  const C = beta === 0 ? new Float32Array(m * ldc).fill(Number.NaN) : randArray(m * ldc, r);
  const expected = refGemm(ta, tb, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
  b.sgemmRaw(isa, ta, tb, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
  const tol = 2e-6 * (8 + k);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      const x = C[i * ldc + j];
      const y = expected[i * ldc + j];
      if (!(Math.abs(x - y) <= tol * (1 + Math.abs(y))))
        expect.fail(`${isa} ta=${ta} tb=${tb} ${m}x${n}x${k} pad=${pad} C[${i},${j}] = ${x}, expected ${y}`);
    }
}

const TRANS: [boolean, boolean][] = [
  [false, false],
  [false, true],
  [true, false],
  [true, true],
];

beforeAll(() => useNative());

describe('sgemm (raw binding, every micro-kernel family)', () => {
  const b = () => bindingAs<MatmulBinding>();
  const supported: Isa[] = (['avx512', 'avx2', 'generic'] as Isa[]).filter(
    (isa) =>
      b().sgemmRaw(
        isa,
        false,
        false,
        1,
        1,
        1,
        1,
        new Float32Array(1),
        1,
        new Float32Array(1),
        1,
        0,
        new Float32Array(1),
        1,
      ) === isa,
  );

  it('runs on at least the generic kernel', () => {
    expect(supported).toContain('generic');
  });

  for (const isa of ['avx512', 'avx2', 'generic'] as Isa[]) {
    it(`${isa}: random shapes, all transposes, strides, alpha/beta, edge tiles`, () => {
      if (!supported.includes(isa)) return;
      const r = rng(99);
      for (let t = 0; t < 24; t++) {
        const m = 1 + Math.floor((r() + 0.5) * 45);
        const n = 1 + Math.floor((r() + 0.5) * 75);
        const k = Math.floor((r() + 0.5) * 70);
        const [ta, tb] = TRANS[t % 4];
        checkGemm(isa, ta, tb, m, n, k, {
          pad: t % 3,
          alpha: [1, 0.5, -2][t % 3],
          beta: [0, 1, 0.25][Math.floor(t / 3) % 3],
          seed: t,
        });
      }
      // Tile edges: every row count 1..16 and column tails around 8/16/32.
      for (const m of [1, 2, 3, 5, 6, 7, 13, 14, 15, 16, 29])
        for (const n of [1, 7, 9, 17, 31, 33]) checkGemm(isa, false, false, m, n, 19);
      // K over several k-blocks, GEMV shapes, K = 0.
      for (const [ta, tb] of TRANS) {
        checkGemm(isa, ta, tb, 37, 45, 600, { seed: 5 });
        checkGemm(isa, ta, tb, 1, 300, 700, { seed: 6, pad: 1 });
        checkGemm(isa, ta, tb, 300, 1, 700, { seed: 7, pad: 1 });
        checkGemm(isa, ta, tb, 1, 1, 40, { seed: 8, pad: 2 });
        checkGemm(isa, ta, tb, 9, 11, 0, { beta: 0.5 });
        checkGemm(isa, ta, tb, 9, 11, 0);
      }
    });
  }

  it('avx512: shapes spanning several shared-operand super-blocks and threads (both split directions)', () => {
    const isa: Isa = supported.includes('avx512')
      ? 'avx512'
      : supported.includes('avx2')
        ? 'avx2'
        : 'generic';
    checkGemm(isa, false, false, 1100, 1150, 256, { seed: 11 }); // N >= M: packed A in 2 row super-blocks
    checkGemm(isa, true, true, 1200, 1100, 256, { seed: 12 }); // M > N: packed B in 2 column super-blocks
  });

  it('gives bit-identical results with 1 thread (child process) and the pool', () => {
    const load = loadBinding();
    if (!load.ok) throw new Error(load.reason);
    const script = `
      const b = require(${JSON.stringify(load.path)});
      const [m, n, k] = [200, 300, 530];
      const A = Float32Array.from({ length: m * k }, (_, i) => Math.sin(i * 0.37));
      const B = Float32Array.from({ length: k * n }, (_, i) => Math.cos(i * 0.11));
      const C = new Float32Array(m * n);
      b.sgemmRaw('auto', false, true, m, n, k, 1, A, k, B, k, 0, C, n);
      process.stdout.write(JSON.stringify({ threads: b.info().threads, c: Buffer.from(C.buffer).toString('base64') }));`;
    const single = spawnSync(process.execPath, ['-e', script], {
      env: { ...process.env, MECHLENS_THREADS: '1' },
      encoding: 'utf8',
      maxBuffer: 1 << 24,
    });
    expect(single.status, single.stderr).toBe(0);
    const res = JSON.parse(single.stdout) as { threads: number; c: string };
    expect(res.threads).toBe(1);
    const [m, n, k] = [200, 300, 530];
    const A = Float32Array.from({ length: m * k }, (_, i) => Math.sin(i * 0.37));
    const B = Float32Array.from({ length: k * n }, (_, i) => Math.cos(i * 0.11));
    const C = new Float32Array(m * n);
    b().sgemmRaw('auto', false, true, m, n, k, 1, A, k, B, k, 0, C, n);
    expect(Buffer.from(C.buffer).toString('base64') === res.c).toBe(true);
  });

  it('propagates NaN and ±Inf like a naive loop', () => {
    for (const isa of supported) {
      const bb = b();
      const [m, n, k] = [20, 40, 300];
      const r = rng(4);
      const A = randArray(m * k, r);
      const B = randArray(k * n, r);
      A[3 * k + 100] = Number.NaN; // row 3 → all NaN
      A[5 * k + 7] = Number.POSITIVE_INFINITY; // row 5 → ±Inf (or NaN where B is 0)
      B[250 * n + 9] = Number.NEGATIVE_INFINITY; // column 9 → ±Inf
      B[7 * n + 11] = 0; // row 5, column 11: Inf * 0 = NaN
      const C = new Float32Array(m * n);
      bb.sgemmRaw(isa, false, false, m, n, k, 1, A, k, B, n, 0, C, n);
      const e = refGemm(false, false, m, n, k, 1, A, k, B, n, 0, C, n);
      for (let i = 0; i < m * n; i++) {
        if (Number.isNaN(e[i])) expect(C[i]).toBeNaN();
        else if (!Number.isFinite(e[i])) expect(C[i]).toBe(e[i]);
        else expect(Math.abs(C[i] - e[i])).toBeLessThan(1e-3);
      }
      expect(C[3 * n + 0]).toBeNaN();
      expect(C[5 * n + 11]).toBeNaN();
    }
  });

  it('rejects buffers too small for the sizes and leading dimensions', () => {
    const z = new Float32Array(10);
    expect(() =>
      b().sgemmRaw(
        'auto',
        false,
        false,
        4,
        4,
        4,
        1,
        z,
        4,
        new Float32Array(16),
        4,
        0,
        new Float32Array(16),
        4,
      ),
    ).toThrow(/A too small/);
    expect(() => b().sgemmRaw('auto', false, false, 2, 2, 2, 1, z, 1, z, 2, 0, z, 2)).toThrow(/A too small/);
  });

  it('uses the requested micro-kernel under MECHLENS_SIMD (child process)', () => {
    const load = loadBinding();
    if (!load.ok) throw new Error(load.reason);
    const script = `
      const b = require(${JSON.stringify(load.path)});
      const A = Float32Array.from({length: 35*23}, (_, i) => Math.sin(i));
      const B = Float32Array.from({length: 23*41}, (_, i) => Math.cos(i));
      const C = new Float32Array(35*41);
      const isa = b.sgemmRaw('auto', false, false, 35, 41, 23, 1, A, 23, B, 41, 0, C, 41);
      let err = 0;
      for (let i = 0; i < 35; i++) for (let j = 0; j < 41; j++) {
        let s = 0; for (let k = 0; k < 23; k++) s += A[i*23+k] * B[k*41+j];
        err = Math.max(err, Math.abs(s - C[i*41+j]));
      }
      console.log(JSON.stringify({ simd: b.info().simd, isa, err }));`;
    for (const level of ['generic', 'avx2']) {
      const out = spawnSync(process.execPath, ['-e', script], {
        env: { ...process.env, MECHLENS_SIMD: level },
        encoding: 'utf8',
      });
      expect(out.status, out.stderr).toBe(0);
      const res = JSON.parse(out.stdout.trim()) as { simd: string; isa: string; err: number };
      expect(res.isa).toBe(res.simd);
      if (level === 'generic') expect(res.isa).toBe('generic');
      expect(res.err).toBeLessThan(1e-4);
    }
  });
});

describe('BatchMatMul kernel', () => {
  it('matches tfjs for every transpose combination on random shapes', () => {
    const r = rng(21);
    for (let t = 0; t < 12; t++) {
      const m = 1 + Math.floor((r() + 0.5) * 40);
      const n = 1 + Math.floor((r() + 0.5) * 50);
      const k = 1 + Math.floor((r() + 0.5) * 60);
      const [ta, tb] = TRANS[t % 4];
      expectSameAsReference(
        () => tf.matMul(randn(ta ? [k, m] : [m, k], t), randn(tb ? [n, k] : [k, n], t + 100), ta, tb),
        2e-5 * k,
        1e-5,
      );
    }
  });

  it('handles K beyond the k-block and M/N beyond the register tile', () => {
    for (const [ta, tb] of TRANS)
      expectSameAsReference(
        () => tf.matMul(randn(ta ? [700, 45] : [45, 700], 1), randn(tb ? [67, 700] : [700, 67], 2), ta, tb),
        2e-3,
        1e-4,
      );
  });

  it('broadcasts batch dims like tfjs (rank 2 x rank 3, batch dims of 1, rank 4)', () => {
    const cases: [number[], number[], boolean, boolean][] = [
      [[3, 5, 7], [7, 4], false, false],
      [[5, 7], [3, 7, 4], false, false],
      [[3, 7, 5], [4, 7], true, true],
      [[1, 5, 7], [4, 7, 6], false, false],
      [[4, 5, 7], [1, 6, 7], false, true],
      [[2, 3, 5, 7], [7, 6], false, false],
      [[2, 3, 5, 7], [1, 3, 7, 6], false, false],
      [[2, 1, 7, 5], [1, 1, 7, 6], true, false],
      [[6, 5, 7], [6, 7, 4], false, false],
      [[1, 1, 5, 7], [1, 7, 4], false, false],
    ];
    for (const [as, bs, ta, tb] of cases)
      expectSameAsReference(() => tf.matMul(randn(as, 3), randn(bs, 4), ta, tb), 1e-4, 1e-5);
  });

  it('broadcasts batch dims numpy-style where both sides broadcast ([2,1] x [1,3])', () => {
    // tfjs's cpu kernel indexes batches modulo their sizes, which is wrong here; compare with explicit tiling.
    const { native } = runBoth(() => tf.matMul(randn([2, 1, 4, 5], 5), randn([1, 3, 5, 6], 6)));
    const { reference } = runBoth(() =>
      tf.matMul(tf.tile(randn([2, 1, 4, 5], 5), [1, 3, 1, 1]), tf.tile(randn([1, 3, 5, 6], 6), [2, 1, 1, 1])),
    );
    expect(native[0].shape).toEqual([2, 3, 4, 6]);
    const d = native[0].data;
    const e = reference[0].data;
    for (let i = 0; i < d.length; i++) expect(Math.abs(d[i] - e[i])).toBeLessThan(1e-4);
  });

  it('handles size-0 and size-1 dims', () => {
    const cases: [number[], number[]][] = [
      [
        [0, 4],
        [4, 3],
      ],
      [
        [3, 4],
        [4, 0],
      ],
      [
        [3, 0],
        [0, 5],
      ],
      [
        [0, 3, 4],
        [0, 4, 5],
      ],
      [
        [1, 1],
        [1, 1],
      ],
      [
        [1, 9],
        [9, 1],
      ],
      [
        [9, 1],
        [1, 9],
      ],
      [
        [1, 1, 9],
        [5, 9, 1],
      ],
      [
        [7, 1, 300],
        [7, 300, 1],
      ],
    ];
    for (const [as, bs] of cases)
      expectSameAsReference(() => tf.matMul(randn(as, 7), randn(bs, 8)), 1e-4, 1e-5);
    // An empty batch broadcast against a batch of 1 (tfjs's kernel returns 15 values for this empty shape).
    const { native } = runBoth(() => tf.matMul(randn([0, 3, 4], 7), randn([1, 4, 5], 8)));
    expect(native[0].shape).toEqual([0, 3, 5]);
    expect(native[0].data.length).toBe(0);
  });

  it('reads views (slices of bigger tensors, split outputs) and transposed inputs', () => {
    expectSameAsReference(() => {
      const big = randn([40, 33], 9);
      const a = tf.slice(big, [3, 0], [20, 33]); // contiguous rows → a subarray view with an offset
      const [w1, w2] = tf.split(randn([33, 48], 10), 2, 1);
      const at = tf.transpose(randn([33, 20], 11));
      return [tf.matMul(a, w1), tf.matMul(at, w2, false, false), tf.matMul(a, tf.transpose(w2), false, true)];
    }, 1e-4);
  });

  it('propagates NaN / ±Inf and large values like tfjs', () => {
    expectSameAsReference(
      () => {
        const a = tf.buffer([6, 40], 'float32', randn([6, 40], 12).dataSync() as Float32Array);
        a.set(Number.NaN, 1, 3);
        a.set(Number.POSITIVE_INFINITY, 2, 5);
        a.set(Number.NEGATIVE_INFINITY, 4, 0);
        const b = tf.buffer([40, 20], 'float32', randn([40, 20], 13).dataSync() as Float32Array);
        b.set(Number.POSITIVE_INFINITY, 7, 2);
        b.set(0, 5, 4);
        return [
          tf.matMul(a.toTensor(), b.toTensor()),
          tf.matMul(randn([8, 30], 14, 1e17), randn([30, 9], 15, 1e17)),
        ];
      },
      1e-4,
      1e-5,
    );
  });

  it('falls back to tfjs for non-float32 inputs', () => {
    expectSameAsReference(() =>
      tf.matMul(tf.tensor2d([1, 2, 3, 4], [2, 2], 'int32'), tf.tensor2d([5, 6, 7, 8], [2, 2], 'int32')),
    );
  });

  it('matmulOutShape validates shapes', () => {
    expect(matmulOutShape([3, 4, 5], [5, 6], false, false)).toEqual([3, 4, 6]);
    expect(matmulOutShape([4, 5], [6, 5], false, true)).toEqual([4, 6]);
    expect(matmulOutShape([4, 5], [4, 5], false, false)).toBeNull();
    expect(matmulOutShape([2, 4, 5], [3, 5, 6], false, false)).toBeNull();
    expect(matmulOutShape([5], [5, 6], false, false)).toBeNull();
  });
});

describe('_FusedMatMul kernel', () => {
  const acts = ['linear', 'relu', 'relu6', 'elu', 'leakyrelu', 'sigmoid', 'prelu'] as const;

  it('fuses every activation with every bias shape', () => {
    const biasShapes: number[][] = [[], [24], [1, 24], [17, 24], [17, 1], [3, 1, 24], [3, 17, 24], [1]];
    for (const activation of acts)
      for (const bs of [null, ...biasShapes]) {
        expectSameAsReference(
          () =>
            tf.fused.matMul({
              a: randn([3, 17, 31], 20, 2),
              b: randn([31, 24], 21),
              bias: bs ? randn(bs, 22, 3) : undefined,
              activation,
              preluActivationWeights: activation === 'prelu' ? randn([24], 23) : undefined,
              leakyreluAlpha: 0.15,
            }),
          1e-4,
          1e-5,
        );
      }
  });

  it('handles transposes, prelu weight shapes, NaN and the fallback for output-enlarging bias', () => {
    for (const [ta, tb] of TRANS)
      expectSameAsReference(
        () =>
          tf.fused.matMul({
            a: randn(ta ? [40, 9] : [9, 40], 24),
            b: randn(tb ? [33, 40] : [40, 33], 25),
            transposeA: ta,
            transposeB: tb,
            bias: randn([33], 26),
            activation: 'prelu',
            preluActivationWeights: randn([9, 33], 27),
          }),
        1e-4,
        1e-5,
      );
    expectSameAsReference(() => {
      const a = tf.buffer([4, 8], 'float32', randn([4, 8], 28).dataSync() as Float32Array);
      a.set(Number.NaN, 1, 1);
      a.set(Number.POSITIVE_INFINITY, 2, 2);
      return acts
        .filter((x) => x !== 'prelu')
        .map((activation) =>
          tf.fused.matMul({ a: a.toTensor(), b: randn([8, 5], 29), bias: randn([5], 30), activation }),
        );
    }, 1e-5);
    // bias [2, 1, 4, 5] would enlarge the [1, 4, 5] kernel output: deferred to tfjs's own kernel.
    expectSameAsReference(
      () =>
        tf
          .engine()
          .runKernel(
            '_FusedMatMul',
            { a: randn([1, 4, 8], 31), b: randn([1, 8, 5], 32), bias: randn([2, 1, 4, 5], 33) },
            { transposeA: false, transposeB: false, activation: 'linear', leakyreluAlpha: 0.2 },
          ) as tf.Tensor,
    );
  });
});

describe('gradients', () => {
  afterAll(() => useNative());

  it('matMul gradients (all transposes) match tfjs', () => {
    for (const [ta, tb] of TRANS)
      expectSameAsReference(
        () => {
          const a = randn(ta ? [30, 12] : [12, 30], 40);
          const b = randn(tb ? [17, 30] : [30, 17], 41);
          const g = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.square(tf.matMul(x, y, ta, tb))));
          return g([a, b]);
        },
        1e-3,
        1e-4,
      );
  });

  it('fused matMul gradients (bias, linear and relu) match tfjs', () => {
    for (const activation of ['linear', 'relu'] as const)
      expectSameAsReference(
        () => {
          const g = tf.grads((x: tf.Tensor, y: tf.Tensor, z: tf.Tensor) =>
            tf.sum(tf.square(tf.fused.matMul({ a: x, b: y, bias: z, activation, transposeB: true }))),
          );
          return g([randn([2, 9, 20], 42), randn([2, 11, 20], 43), randn([11], 44)]);
        },
        1e-3,
        1e-4,
      );
  });

  it('broadcast batch dims: gradients sum over the broadcast axes (tfjs 4.22 throws here)', () => {
    const cases: [number[], number[], boolean, boolean][] = [
      [[3, 5, 7], [7, 4], false, false],
      [[3, 5, 7], [4, 7], false, true],
      [[3, 7, 5], [7, 4], true, false],
      [[5, 7], [3, 7, 4], false, false],
      [[2, 1, 5, 7], [1, 3, 4, 7], false, true],
    ];
    for (const [as, bs, ta, tb] of cases) {
      const f = (x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.sin(tf.matMul(x, y, ta, tb)));
      // Reference: tile both operands to the full batch shape explicitly, so no broadcasting is involved.
      const tiled = (x: tf.Tensor, y: tf.Tensor) => {
        const out = matmulOutShape(as, bs, ta, tb) as number[];
        const batch = out.slice(0, -2);
        const full = (t: tf.Tensor) => {
          const lead = batch.length - (t.rank - 2);
          let r = lead > 0 ? tf.reshape(t, [...new Array(lead).fill(1), ...t.shape]) : t;
          r = tf.tile(r, [...batch.map((d, i) => d / r.shape[i]), 1, 1]);
          return r;
        };
        return tf.sum(tf.sin(tf.matMul(full(x), full(y), ta, tb)));
      };
      const { native } = runBoth(() => tf.grads(f)([randn(as, 50), randn(bs, 51)]));
      const { reference } = runBoth(() => tf.grads(tiled)([randn(as, 50), randn(bs, 51)]));
      for (let i = 0; i < 2; i++) {
        expect(native[i].shape).toEqual(i === 0 ? as : bs);
        expect(native[i].shape).toEqual(reference[i].shape);
        for (let j = 0; j < native[i].data.length; j++)
          expect(Math.abs(native[i].data[j] - reference[i].data[j])).toBeLessThan(1e-4);
      }
    }
  });

  it('broadcast-batch gradient agrees with finite differences', () => {
    const a = randn([2, 3, 4], 60);
    const b = randn([4, 2], 61);
    const f = (x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.square(tf.matMul(x, y)));
    const [ga, gb] = tf.grads(f)([a, b]);
    const av = a.dataSync().slice();
    const bv = b.dataSync().slice();
    const val = (x: Float32Array, y: Float32Array) =>
      tf.tidy(() => f(tf.tensor(x, [2, 3, 4]), tf.tensor(y, [4, 2])).dataSync()[0]);
    const eps = 1e-2;
    const gad = ga.dataSync();
    const gbd = gb.dataSync();
    for (const i of [0, 5, 13, 23]) {
      const p = av.slice();
      const q = av.slice();
      p[i] += eps;
      q[i] -= eps;
      expect(Math.abs((val(p, bv) - val(q, bv)) / (2 * eps) - gad[i])).toBeLessThan(
        2e-2 * (1 + Math.abs(gad[i])),
      );
    }
    for (const i of [0, 3, 7]) {
      const p = bv.slice();
      const q = bv.slice();
      p[i] += eps;
      q[i] -= eps;
      expect(Math.abs((val(av, p) - val(av, q)) / (2 * eps) - gbd[i])).toBeLessThan(
        2e-2 * (1 + Math.abs(gbd[i])),
      );
    }
    tf.dispose([a, b, ga, gb]);
  });
});
