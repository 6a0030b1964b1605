/**
 * The addon functions of the layout group (native/layout.cc, native/gather.cc) and the small helpers
 * the layout kernels share: typed-array access by dtype, row-major strides, and one strided-copy call
 * whose parameters travel in a reused Float64Array (no per-call allocation, one N-API argument).
 */
import type { DataType, TensorInfo } from '@tensorflow/tfjs-core';
import { bindingAs } from '../binding.js';
import type { CpuBackendLike } from '../register.js';

/** Values the layout kernels move: float32 and int32 as 4-byte words, bool as bytes. */
export type Words = Float32Array | Int32Array | Uint8Array;

/** The addon functions of the layout group. */
export interface LayoutBinding {
  /**
   * Strided N-d copy between two arrays of the same element size. `params` is
   * `[rank, dstOffset, srcOffset, n0, dstStride0, srcStride0, n1, ...]`, dims outermost first; source
   * strides may be negative (reversed dims) or zero (broadcast dims). Throws on out-of-bounds access.
   *
   * @example
   * // transpose a [2, 3] matrix: out[j, i] = x[i, j]
   * binding.copyStrided(out, x, new Float64Array([2, 0, 0, 3, 2, 1, 2, 1, 3]));
   */
  copyStrided(dst: Words, src: Words, params: Float64Array): void;
  /**
   * `big` is `[outer, sum(widths)]`, piece k is `[outer, widths[k]]`; copies big → pieces
   * (`toPieces`, SplitV / Unpack) or pieces → big (Concat / Pack).
   *
   * @example
   * binding.rowsCopy(true, qkv, 128, [q, k, v], new Float64Array([768, 768, 768]));
   */
  rowsCopy(toPieces: boolean, big: Words, outer: number, pieces: Words[], widths: Float64Array): void;
  /**
   * GatherV2 on `x` viewed as `[batch, outer, dimSize, slice]` with `indices` `[batch, n]` into `out`
   * `[batch, outer, n, slice]`. Returns -1, or the position of the first index outside `[0, dimSize)`
   * (then nothing is written).
   *
   * @example
   * const bad = binding.gather(wte, ids, out, 1, 1, 50257, 768); // embedding lookup
   */
  gather(
    x: Words,
    indices: Int32Array,
    out: Words,
    batch: number,
    outer: number,
    dimSize: number,
    slice: number,
  ): number;
  /**
   * GatherNd: slice i of `out` is the `sliceSize` run of `params` at flat slice index
   * `sum_k indices[i * sliceRank + k] * strides[k]`. Returns -1, or the first slice whose flat index is
   * out of range (then nothing is written).
   *
   * @example
   * const bad = binding.gatherNd(params, idx, out, numSlices, 2, 4, [3, 1]);
   */
  gatherNd(
    params: Words,
    indices: Int32Array,
    out: Words,
    numSlices: number,
    sliceRank: number,
    sliceSize: number,
    strides: number[],
  ): number;
}

let cached: LayoutBinding | undefined;

/** The loaded addon as a {@link LayoutBinding} (loaded once). */
export function layoutBinding(): LayoutBinding {
  if (!cached) cached = bindingAs<LayoutBinding>();
  return cached;
}

/**
 * The values of `t` when its dtype is one the layout kernels move (float32, int32, bool) and the
 * backend holds them as the matching typed array; otherwise `null` (strings, complex, plain arrays).
 *
 * @example
 * const v = wordsOf(backend, x);
 * if (v === null) return null; // defer to tfjs
 */
export function wordsOf(backend: CpuBackendLike, t: TensorInfo): Words | null {
  const v = backend.data.get(t.dataId).values;
  switch (t.dtype) {
    case 'float32':
      return v instanceof Float32Array ? v : null;
    case 'int32':
      return v instanceof Int32Array ? v : null;
    case 'bool':
      return v instanceof Uint8Array ? v : null;
    default:
      return null;
  }
}

/**
 * A new zeroed array of `n` elements for `dtype` (float32, int32 or bool, as {@link wordsOf} accepts).
 *
 * @example
 * const out = allocWords('int32', 6); // Int32Array(6)
 */
export function allocWords(dtype: DataType, n: number): Words {
  if (dtype === 'float32') return new Float32Array(n);
  if (dtype === 'int32') return new Int32Array(n);
  return new Uint8Array(n);
}

/**
 * Row-major strides of `shape`, in elements (the last is 1; a rank-0 shape gives `[]`).
 *
 * @example
 * rowMajorStrides([2, 3, 4]); // [12, 4, 1]
 */
export function rowMajorStrides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

let scratch = new Float64Array(3 + 3 * 16);

/**
 * Copies with {@link LayoutBinding.copyStrided}: dims `n[k]` with destination strides `ds[k]` and
 * source strides `ss[k]`, outermost first.
 *
 * @example
 * // out[j, i] = x[i, j] for x [2, 3]
 * copyStrided(out, 0, x, 0, [3, 2], [2, 1], [1, 3]);
 */
export function copyStrided(
  dst: Words,
  dstOffset: number,
  src: Words,
  srcOffset: number,
  n: readonly number[],
  ds: readonly number[],
  ss: readonly number[],
): void {
  const rank = n.length;
  if (scratch.length < 3 + 3 * rank) scratch = new Float64Array(3 + 3 * rank);
  const p = scratch;
  p[0] = rank;
  p[1] = dstOffset;
  p[2] = srcOffset;
  for (let k = 0; k < rank; k++) {
    p[3 + 3 * k] = n[k];
    p[4 + 3 * k] = ds[k];
    p[5 + 3 * k] = ss[k];
  }
  layoutBinding().copyStrided(dst, src, p);
}

/**
 * `values[offset, offset + length)` as the output of a contiguous slice: a view sharing memory (as
 * tfjs's own Slice returns) when the slice is at least a quarter of the underlying buffer, otherwise
 * a fresh copy, so that a small slice never keeps a much larger buffer alive.
 *
 * @example
 * const row = contiguousPiece(values, 768 * t, 768);
 */
export function contiguousPiece(values: Words, offset: number, length: number): Words {
  if (length * values.BYTES_PER_ELEMENT * 4 >= values.buffer.byteLength && length > 0) {
    return values.subarray(offset, offset + length);
  }
  return values.slice(offset, offset + length);
}
