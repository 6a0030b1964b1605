/**
 * Native Transpose, Slice, StridedSlice, Reverse, Tile, PadV2 and MirrorPad: each is reduced to one
 * (or, for MirrorPad, a few) strided copies by {@link copyStrided}. Float32 and int32 move as 4-byte
 * words (NaN payloads preserved), bool as bytes; other dtypes defer to tfjs.
 */
import { slice_util, type TensorInfo, util } from '@tensorflow/tfjs-core';
import type { CpuBackendLike, NativeKernel } from '../register.js';
import { sizeOf } from '../register.js';
import {
  allocWords,
  contiguousPiece,
  copyStrided,
  rowMajorStrides,
  type Words,
  wordsOf,
} from './layout-binding.js';

/** Transpose: out[i_0..i_r] = x[i at perm^-1]; dims in output order, source strides permuted. */
export const transposeKernel: NativeKernel = ({ inputs, backend, attrs }) => {
  const x = inputs.x;
  const v = wordsOf(backend, x);
  const perm = attrs?.perm as number[] | undefined;
  if (v === null || !perm || perm.length !== x.shape.length) return null;
  const outShape = perm.map((p) => x.shape[p]);
  const n = sizeOf(outShape);
  const out = allocWords(x.dtype, n);
  if (n > 0) {
    const xs = rowMajorStrides(x.shape);
    copyStrided(
      out,
      0,
      v,
      0,
      outShape,
      rowMajorStrides(outShape),
      perm.map((p) => xs[p]),
    );
  }
  return backend.makeTensorInfo(outShape, x.dtype, out);
};

/**
 * The `[begin, begin + size)` box of `x` as a new tensor of shape `outShape` (same element count as
 * `size`): a view or copy of one contiguous run when the box is contiguous (like tfjs), else a strided
 * copy.
 */
function sliceBox(
  backend: CpuBackendLike,
  x: TensorInfo,
  v: Words,
  begin: number[],
  size: number[],
  outShape: number[],
): TensorInfo {
  const n = sizeOf(size);
  const xs = rowMajorStrides(x.shape);
  let offset = 0;
  for (let k = 0; k < begin.length; k++) offset += begin[k] * xs[k];
  let out: Words;
  if (n === 0) {
    out = allocWords(x.dtype, 0);
  } else if (slice_util.isSliceContinous(x.shape, begin, size)) {
    out = contiguousPiece(v, offset, n);
  } else {
    out = allocWords(x.dtype, n);
    copyStrided(out, 0, v, offset, size, rowMajorStrides(size), xs);
  }
  return backend.makeTensorInfo(outShape, x.dtype, out);
}

/** Slice (attrs begin, size; tfjs's own parsing and validation). */
export const sliceKernel: NativeKernel = ({ inputs, backend, attrs }) => {
  const x = inputs.x;
  const v = wordsOf(backend, x);
  if (v === null) return null;
  const [begin, size] = slice_util.parseSliceParams(x, attrs?.begin, attrs?.size);
  slice_util.assertParamsValid(x, begin, size);
  return sliceBox(backend, x, v, begin, size, size);
};

/** Element count of a canonical strided range (tfjs's `processingShape` rule). */
function rangeLength(begin: number, end: number, stride: number): number {
  const interval = end - begin;
  if (interval === 0 || interval < 0 !== stride < 0) return 0;
  return Math.trunc(interval / stride) + (interval % stride !== 0 ? 1 : 0);
}

/**
 * StridedSlice: tfjs's `slice_util.sliceInfo` normalises masks, ellipsis, new and shrunk axes and
 * negative strides into per-input-dim begin/stride; the copy walks those dims (so `x[1, ::2]` and
 * `x[3:2]` give TensorFlow's results, where tfjs's cpu kernel misindexes or throws).
 */
export const stridedSliceKernel: NativeKernel = ({ inputs, backend, attrs }) => {
  const x = inputs.x;
  const v = wordsOf(backend, x);
  if (v === null || !attrs || x.shape.length === 0) return null;
  const info = slice_util.sliceInfo(
    x.shape,
    attrs.begin,
    attrs.end,
    attrs.strides,
    attrs.beginMask,
    attrs.endMask,
    attrs.ellipsisMask,
    attrs.newAxisMask,
    attrs.shrinkAxisMask,
  );
  if (info.isIdentity) return null; // tfjs returns a reshape sharing x's data
  const rank = x.shape.length;
  const sizes = new Array<number>(rank);
  for (let k = 0; k < rank; k++) sizes[k] = rangeLength(info.begin[k], info.end[k], info.strides[k]);
  const n = sizeOf(sizes);
  if (n !== sizeOf(info.finalShape)) return null;
  if (info.strides.every((s) => s === 1)) return sliceBox(backend, x, v, info.begin, sizes, info.finalShape);
  const out = allocWords(x.dtype, n);
  if (n > 0) {
    const xs = rowMajorStrides(x.shape);
    let offset = 0;
    for (let k = 0; k < rank; k++) offset += info.begin[k] * xs[k];
    copyStrided(
      out,
      0,
      v,
      offset,
      sizes,
      rowMajorStrides(sizes),
      xs.map((s, k) => s * info.strides[k]),
    );
  }
  return backend.makeTensorInfo(info.finalShape, x.dtype, out);
};

/** Reverse (attr dims): reversed dims read with negative source strides. */
export const reverseKernel: NativeKernel = ({ inputs, backend, attrs }) => {
  const x = inputs.x;
  const v = wordsOf(backend, x);
  if (v === null || x.shape.length === 0) return null;
  const dims = util.parseAxisParam(attrs?.dims as number | number[], x.shape);
  const n = sizeOf(x.shape);
  const out = allocWords(x.dtype, n);
  if (n > 0) {
    const xs = rowMajorStrides(x.shape);
    const ss = xs.slice();
    let offset = 0;
    for (const d of new Set(dims)) {
      offset += (x.shape[d] - 1) * xs[d];
      ss[d] = -xs[d];
    }
    copyStrided(out, 0, v, offset, x.shape, xs, ss);
  }
  return backend.makeTensorInfo(x.shape.slice(), x.dtype, out);
};

/**
 * Tile (attr reps): the output is viewed as `[reps_0, n_0, reps_1, n_1, ...]` with source stride 0
 * on every reps dim, so each innermost run of x is one memcpy.
 */
export const tileKernel: NativeKernel = ({ inputs, backend, attrs }) => {
  const x = inputs.x;
  const v = wordsOf(backend, x);
  const reps = attrs?.reps as number[] | undefined;
  if (v === null || !reps || reps.length !== x.shape.length) return null;
  const outShape = x.shape.map((d, i) => d * reps[i]);
  const total = sizeOf(outShape);
  const out = allocWords(x.dtype, total);
  if (total > 0) {
    const xs = rowMajorStrides(x.shape);
    const os = rowMajorStrides(outShape);
    const n: number[] = [];
    const ds: number[] = [];
    const ss: number[] = [];
    for (let i = 0; i < x.shape.length; i++) {
      n.push(reps[i], x.shape[i]);
      ds.push(os[i] * x.shape[i], os[i]);
      ss.push(0, xs[i]);
    }
    copyStrided(out, 0, v, 0, n, ds, ss);
  }
  return backend.makeTensorInfo(outShape, x.dtype, out);
};

/** PadV2 (attrs paddings, constantValue): fill, then copy x into the interior. */
export const padV2Kernel: NativeKernel = ({ inputs, backend, attrs }) => {
  const x = inputs.x;
  const v = wordsOf(backend, x);
  const paddings = attrs?.paddings as Array<[number, number]> | undefined;
  if (v === null || !paddings || paddings.length !== x.shape.length) return null;
  const constantValue = attrs?.constantValue as number;
  const outShape = paddings.map((p, i) => p[0] + x.shape[i] + p[1]);
  const out = allocWords(x.dtype, sizeOf(outShape));
  if (constantValue !== 0) out.fill(constantValue);
  if (sizeOf(x.shape) > 0) {
    const os = rowMajorStrides(outShape);
    let offset = 0;
    for (let i = 0; i < paddings.length; i++) offset += paddings[i][0] * os[i];
    copyStrided(out, offset, v, 0, x.shape, os, rowMajorStrides(x.shape));
  }
  return backend.makeTensorInfo(outShape, x.dtype, out);
};

/**
 * MirrorPad (attrs paddings, mode): copy x into the interior, then, from the innermost dim outwards,
 * fill each dim's before/after pads by a reversed copy of the output itself (dims already processed
 * span the full output, dims still to do only the interior).
 */
export const mirrorPadKernel: NativeKernel = ({ inputs, backend, attrs }) => {
  const x = inputs.x;
  const v = wordsOf(backend, x);
  const paddings = attrs?.paddings as Array<[number, number]> | undefined;
  const rank = x.shape.length;
  if (v === null || !paddings || paddings.length !== rank || sizeOf(x.shape) === 0) return null;
  const offset = attrs?.mode === 'reflect' ? 0 : 1;
  const outShape = paddings.map((p, i) => p[0] + x.shape[i] + p[1]);
  const out = allocWords(x.dtype, sizeOf(outShape));
  const os = rowMajorStrides(outShape);
  let interior = 0;
  for (let i = 0; i < rank; i++) interior += paddings[i][0] * os[i];
  copyStrided(out, interior, v, 0, x.shape, os, rowMajorStrides(x.shape));
  for (let d = rank - 1; d >= 0; d--) {
    const [before, after] = paddings[d];
    if (before === 0 && after === 0) continue;
    // Base offset and dims for the region: interior on dims < d, full on dims > d.
    let base = 0;
    const n = new Array<number>(rank);
    for (let k = 0; k < rank; k++) {
      if (k < d) {
        base += paddings[k][0] * os[k];
        n[k] = x.shape[k];
      } else {
        n[k] = outShape[k];
      }
    }
    const ss = os.slice();
    ss[d] = -os[d];
    const start = before;
    const end = before + x.shape[d];
    if (before > 0) {
      n[d] = before;
      copyStrided(out, base, out, base + (2 * start - offset) * os[d], n, os, ss);
    }
    if (after > 0) {
      n[d] = after;
      copyStrided(out, base + end * os[d], out, base + (end - 2 + offset) * os[d], n, os, ss);
    }
  }
  return backend.makeTensorInfo(outShape, x.dtype, out);
};
