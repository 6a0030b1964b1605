/**
 * The addon functions of the elementwise group (native/elementwise.cc), their op codes (which must
 * match `native/elementwise.h`) and the typed-array helpers the elementwise kernels share.
 */
import type { DataType, TensorInfo } from '@tensorflow/tfjs-core';
import { bindingAs } from '../binding.js';
import type { CpuBackendLike } from '../register.js';

/** A typed array the elementwise entry points accept: float32, int32 or bool (Uint8Array) values. */
export type EwArray = Float32Array | Int32Array | Uint8Array;

/** The dtypes the elementwise kernels handle. */
export type EwDtype = 'float32' | 'int32' | 'bool';

/** The addon functions of the elementwise group. Each returns false when it does not handle the case. */
export interface ElementwiseBinding {
  /**
   * `out = a op b` with tfjs broadcasting (`aShape`, `bShape` row-major; `out` sized to the broadcast
   * shape). `a` and `b` must have the same array type; `op` is an {@link EW_BINARY} code.
   *
   * @example
   * const out = new Float32Array(6);
   * binding.ewBinary(EW_BINARY.Add, a, [2, 3], b, [3], out);
   */
  ewBinary(op: number, a: EwArray, aShape: number[], b: EwArray, bShape: number[], out: EwArray): boolean;
  /** `out[i] = op(x[i])`; `p0`, `p1` carry attributes (alpha, clip bounds). `op`: an {@link EW_UNARY} code. */
  ewUnary(op: number, x: EwArray, out: EwArray, p0?: number, p1?: number): boolean;
  /** `out[i] = cond[i] === 1 ? t[i] : e[i]`, all of one length. */
  ewSelect(cond: Uint8Array, t: EwArray, e: EwArray, out: EwArray): boolean;
  /** `out = xs[0] + xs[1] + ...` elementwise, in order (float32 or int32). */
  ewAddN(xs: EwArray[], out: EwArray): boolean;
}

/** Binary op codes of {@link ElementwiseBinding.ewBinary}. */
export const EW_BINARY = {
  Add: 0,
  Sub: 1,
  Mul: 2,
  Div: 3,
  Max: 4,
  Min: 5,
  Pow: 6,
  SquaredDifference: 7,
  FloorDiv: 8,
  Mod: 9,
  Atan2: 10,
  Prelu: 11,
  Equal: 12,
  NotEqual: 13,
  Greater: 14,
  GreaterEqual: 15,
  Less: 16,
  LessEqual: 17,
  LogicalAnd: 18,
  LogicalOr: 19,
} as const;

/** Unary op codes of {@link ElementwiseBinding.ewUnary}. */
export const EW_UNARY = {
  Exp: 0,
  Log: 1,
  Log1p: 2,
  Expm1: 3,
  Tanh: 4,
  Erf: 5,
  Sqrt: 6,
  Rsqrt: 7,
  Sigmoid: 8,
  Relu: 9,
  Relu6: 10,
  Elu: 11,
  LeakyRelu: 12,
  Neg: 13,
  Square: 14,
  Abs: 15,
  Sign: 16,
  Step: 17,
  Reciprocal: 18,
  Sin: 19,
  Cos: 20,
  Softplus: 21,
  Clip: 22,
  Floor: 23,
  Ceil: 24,
  Round: 25,
  IsNan: 26,
  IsInf: 27,
  IsFinite: 28,
  Cast: 29,
  LogicalNot: 30,
} as const;

let cached: ElementwiseBinding | undefined;

/** The loaded addon typed as the elementwise group (throws if the addon is not loaded). */
export function ewBinding(): ElementwiseBinding {
  cached ??= bindingAs<ElementwiseBinding>();
  return cached;
}

/**
 * The values of `t` when they are the typed array its dtype implies (float32 → Float32Array, int32 →
 * Int32Array, bool → Uint8Array), else null (complex, string, or an unexpected array type).
 *
 * @example
 * const v = ewValues(backend, x); // Float32Array for a float32 tensor
 */
export function ewValues(backend: CpuBackendLike, t: TensorInfo): EwArray | null {
  const v = backend.data.get(t.dataId).values;
  if (t.dtype === 'float32') return v instanceof Float32Array ? v : null;
  if (t.dtype === 'int32') return v instanceof Int32Array ? v : null;
  if (t.dtype === 'bool') return v instanceof Uint8Array ? v : null;
  return null;
}

/**
 * A new zero-filled typed array for `dtype`.
 *
 * @example
 * const out = ewAlloc('bool', 10); // Uint8Array(10)
 */
export function ewAlloc(dtype: EwDtype, n: number): EwArray {
  if (dtype === 'float32') return new Float32Array(n);
  if (dtype === 'int32') return new Int32Array(n);
  return new Uint8Array(n);
}

/** True when `dtype` is one the elementwise kernels handle. */
export function isEwDtype(dtype: DataType): dtype is EwDtype {
  return dtype === 'float32' || dtype === 'int32' || dtype === 'bool';
}
