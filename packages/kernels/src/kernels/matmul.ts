/**
 * Native matmul kernels: `BatchMatMul` and `_FusedMatMul` on the packed SGEMM of the addon
 * (native/sgemm*.cc), plus a corrected `BatchMatMul` gradient that handles broadcast batch dims.
 */
import {
  _FusedMatMul,
  BatchMatMul,
  type GradConfig,
  matMul,
  type NamedAttrMap,
  registerGradient,
  reshape,
  sum,
  type Tensor,
} from '@tensorflow/tfjs-core';
import { bindingAs } from '../binding.js';
import { f32, type KernelArgs, makeF32Overwrite, overrideKernel } from '../register.js';

/** The addon functions of the matmul group (native/matmul.cc). */
export interface MatmulBinding {
  /**
   * out = act(op(a) · op(b) + bias) with numpy-broadcast batch dims; `out` must hold
   * prod(batch) * M * N floats and is fully overwritten. activation: see {@link ACTIVATION_CODES}.
   */
  matmul(
    a: Float32Array,
    aShape: number[],
    b: Float32Array,
    bShape: number[],
    transposeA: boolean,
    transposeB: boolean,
    out: Float32Array,
    bias: Float32Array | null,
    biasShape: number[] | null,
    activation: number,
    leakyreluAlpha: number,
    prelu: Float32Array | null,
    preluShape: number[] | null,
  ): void;
  /**
   * Raw row-major SGEMM C = alpha·op(A)·op(B) + beta·C with explicit leading dimensions, on a chosen
   * micro-kernel family (lowered to what the CPU supports). Returns the family used. For tests/benchmarks.
   */
  sgemmRaw(
    isa: 'auto' | 'avx512' | 'avx2' | 'generic',
    transA: boolean,
    transB: boolean,
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
  ): string;
}

/** Activation codes understood by {@link MatmulBinding.matmul} (tfjs `_FusedMatMul` names). */
export const ACTIVATION_CODES: Readonly<Record<string, number>> = {
  linear: 0,
  relu: 1,
  relu6: 2,
  elu: 3,
  leakyrelu: 4,
  sigmoid: 5,
  prelu: 6,
};

/**
 * Output shape of a matmul of `aShape` and `bShape` (numpy-broadcast batch dims), or null when the
 * shapes do not fit (rank < 2, inner dims differ, batch dims do not broadcast).
 *
 * @example
 * matmulOutShape([3, 4, 5], [5, 6], false, false); // [3, 4, 6]
 */
export function matmulOutShape(
  aShape: readonly number[],
  bShape: readonly number[],
  transposeA: boolean,
  transposeB: boolean,
): number[] | null {
  const ar = aShape.length;
  const br = bShape.length;
  if (ar < 2 || br < 2) return null;
  const m = transposeA ? aShape[ar - 1] : aShape[ar - 2];
  const k = transposeA ? aShape[ar - 2] : aShape[ar - 1];
  const kb = transposeB ? bShape[br - 1] : bShape[br - 2];
  const n = transposeB ? bShape[br - 2] : bShape[br - 1];
  if (k !== kb) return null;
  const batch = broadcastShapes(aShape.slice(0, -2), bShape.slice(0, -2));
  return batch ? [...batch, m, n] : null;
}

/** numpy broadcast of two shapes, or null when incompatible. */
function broadcastShapes(x: readonly number[], y: readonly number[]): number[] | null {
  const r = Math.max(x.length, y.length);
  const out = new Array<number>(r);
  for (let i = 0; i < r; i++) {
    const a = i < x.length ? x[x.length - 1 - i] : 1;
    const b = i < y.length ? y[y.length - 1 - i] : 1;
    if (a !== b && a !== 1 && b !== 1) return null;
    out[r - 1 - i] = a === 1 ? b : a;
  }
  return out;
}

/** True when `shape` broadcasts to exactly `out` (it never enlarges the output). */
function broadcastsInto(shape: readonly number[], out: readonly number[]): boolean {
  if (shape.length > out.length) return false;
  for (let i = 1; i <= shape.length; i++) {
    const d = shape[shape.length - i];
    if (d !== 1 && d !== out[out.length - i]) return false;
  }
  return true;
}

function runMatmul(args: KernelArgs, fused: boolean) {
  const { inputs, backend, attrs } = args;
  const { a, b } = inputs;
  if (!a || !b || a.dtype !== 'float32' || b.dtype !== 'float32') return null;
  const transposeA = Boolean(attrs?.transposeA);
  const transposeB = Boolean(attrs?.transposeB);
  const outShape = matmulOutShape(a.shape, b.shape, transposeA, transposeB);
  if (!outShape) return null; // tfjs's kernel reports the shape error
  let bias: Float32Array | null = null;
  let biasShape: number[] | null = null;
  let act = 0;
  let leaky = 0.2;
  let prelu: Float32Array | null = null;
  let preluShape: number[] | null = null;
  if (fused) {
    const biasT = inputs.bias;
    if (biasT) {
      if (biasT.dtype !== 'float32' || !broadcastsInto(biasT.shape, outShape)) return null;
      bias = f32(backend, biasT);
      biasShape = biasT.shape;
    }
    const name = (attrs?.activation as string | undefined) ?? 'linear';
    const code = ACTIVATION_CODES[name];
    if (code === undefined) return null;
    act = code;
    leaky = Number(attrs?.leakyreluAlpha ?? 0.2);
    if (name === 'prelu') {
      const w = inputs.preluActivationWeights;
      if (w?.dtype !== 'float32' || !broadcastsInto(w.shape, outShape)) return null;
      prelu = f32(backend, w);
      preluShape = w.shape;
    }
  }
  const binding = bindingAs<MatmulBinding>();
  const av = f32(backend, a);
  const bv = f32(backend, b);
  return makeF32Overwrite(backend, outShape, (out) =>
    binding.matmul(
      av,
      a.shape,
      bv,
      b.shape,
      transposeA,
      transposeB,
      out,
      bias,
      biasShape,
      act,
      leaky,
      prelu,
      preluShape,
    ),
  );
}

/** Sums `x` (shape batch..., r, c) over the batch axes that `shape` broadcast, then reshapes to `shape`. */
function sumToShape(x: Tensor, shape: readonly number[]): Tensor {
  if (x.shape.length === shape.length && x.shape.every((d, i) => d === shape[i])) return x;
  const lead = x.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < x.rank - 2; i++) {
    const j = i - lead;
    if (j < 0 || (shape[j] === 1 && x.shape[i] !== 1)) axes.push(i);
  }
  return reshape(axes.length > 0 ? sum(x, axes) : x, [...shape]);
}

function prodOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * Gradient of `BatchMatMul` that, unlike tfjs 4.22's, supports broadcast batch dims (it sums the
 * broadcast axes back to each input's shape). Built from tfjs ops only, so it works on every backend.
 */
export const batchMatMulGradConfig: GradConfig = {
  kernelName: BatchMatMul,
  inputsToSave: ['a', 'b'],
  gradFunc: (dy: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
    const g = dy as Tensor;
    const [a, b] = saved;
    const tA = Boolean(attrs.transposeA);
    const tB = Boolean(attrs.transposeB);
    const aBatch = prodOf(a.shape.slice(0, -2));
    const bBatch = prodOf(b.shape.slice(0, -2));
    const outBatch = prodOf(g.shape.slice(0, -2));
    const gradA = () => {
      let d: Tensor;
      if (!tA && !tB) d = matMul(g, b, false, true);
      else if (!tA && tB) d = matMul(g, b, false, false);
      else if (tA && !tB) d = matMul(b, g, false, true);
      else d = matMul(b, g, true, true);
      return sumToShape(d, a.shape);
    };
    const gradB = () => {
      if (!tA && bBatch === 1 && aBatch === outBatch && outBatch > 1) {
        // One GEMM over the stacked rows instead of a batched product and a reduction.
        const k = a.shape[a.rank - 1];
        const n = g.shape[g.rank - 1];
        const a2 = reshape(a, [-1, k]);
        const g2 = reshape(g, [-1, n]);
        return reshape(tB ? matMul(g2, a2, true, false) : matMul(a2, g2, true, false), b.shape);
      }
      let d: Tensor;
      if (!tA && !tB) d = matMul(a, g, true, false);
      else if (!tA && tB) d = matMul(g, a, true, false);
      else if (tA && !tB) d = matMul(a, g, false, false);
      else d = matMul(g, a, true, true);
      return sumToShape(d, b.shape);
    };
    return { a: gradA, b: gradB };
  },
};

/**
 * Registers the native matmul kernels (`BatchMatMul`, `_FusedMatMul`; float32, every transpose case,
 * numpy-broadcast batch dims, fused bias + linear/relu/relu6/elu/leakyrelu/sigmoid/prelu) on
 * `backendName`, and the broadcast-aware `BatchMatMul` gradient (global to all backends). Other
 * dtypes or bias/prelu shapes that would enlarge the output fall back to tfjs's kernels.
 *
 * @example
 * registerMatmulKernels('cpu'); // ['BatchMatMul', '_FusedMatMul']
 * tf.matMul(tf.ones([3, 4, 5]), tf.ones([5, 6])); // native
 */
export function registerMatmulKernels(backendName: string): string[] {
  overrideKernel(BatchMatMul, backendName, (args) => runMatmul(args, false));
  overrideKernel(_FusedMatMul, backendName, (args) => runMatmul(args, true));
  registerGradient(batchMatMulGradConfig);
  return [BatchMatMul, _FusedMatMul];
}
