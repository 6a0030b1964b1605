/**
 * Native SplitV, Unpack, Concat and Pack. All four view the big tensor as `[outer, row]` rows, where
 * `outer` is the product of the dims before the axis, and the pieces as `[outer, width_k]`: one pass
 * of memcpys per row ({@link LayoutBinding.rowsCopy}). When `outer` is 1 the pieces are contiguous
 * runs: views (large) or copies (small) of the input, like tfjs's own views, for splits; `set` for
 * joins.
 */
import { backend_util, type TensorInfo, util } from '@tensorflow/tfjs-core';
import type { CpuBackendLike, NativeKernel } from '../register.js';
import { sizeOf } from '../register.js';
import { allocWords, contiguousPiece, layoutBinding, type Words, wordsOf } from './layout-binding.js';

let widthScratch = new Float64Array(16);

function widthsArray(widths: readonly number[]): Float64Array {
  if (widthScratch.length < widths.length) widthScratch = new Float64Array(widths.length);
  for (let i = 0; i < widths.length; i++) widthScratch[i] = widths[i];
  return widthScratch;
}

/** Splits `v` (`[outer, sum(widths)]`) into pieces `[outer, widths[k]]`. */
function splitRows(v: Words, dtype: TensorInfo['dtype'], outer: number, widths: readonly number[]): Words[] {
  if (outer === 1) {
    let off = 0;
    return widths.map((w) => {
      const piece = w === 0 ? allocWords(dtype, 0) : contiguousPiece(v, off, w);
      off += w;
      return piece;
    });
  }
  const pieces = widths.map((w) => allocWords(dtype, outer * w));
  if (outer > 0) layoutBinding().rowsCopy(true, v, outer, pieces, widthsArray(widths));
  return pieces;
}

/** Joins pieces `[outer, widths[k]]` into a new `[outer, sum(widths)]` array. */
function joinRows(
  pieces: readonly Words[],
  dtype: TensorInfo['dtype'],
  outer: number,
  widths: readonly number[],
): Words {
  let row = 0;
  for (const w of widths) row += w;
  const out = allocWords(dtype, outer * row);
  if (outer === 1) {
    let off = 0;
    for (let k = 0; k < pieces.length; k++) {
      const w = widths[k];
      if (w > 0) out.set(pieces[k].length === w ? pieces[k] : pieces[k].subarray(0, w), off);
      off += w;
    }
  } else if (outer > 0) {
    layoutBinding().rowsCopy(false, out, outer, pieces as Words[], widthsArray(widths));
  }
  return out;
}

/** SplitV (attrs numOrSizeSplits, axis). */
export const splitVKernel: NativeKernel = ({ inputs, backend, attrs }) => {
  const x = inputs.x;
  const v = wordsOf(backend, x);
  if (v === null || x.shape.length === 0) return null;
  const axis = util.parseAxisParam(attrs?.axis as number, x.shape)[0];
  const sizes = backend_util.prepareSplitSize(x, attrs?.numOrSizeSplits as number[] | number, axis);
  const outer = sizeOf(x.shape.slice(0, axis));
  const inner = sizeOf(x.shape.slice(axis + 1));
  const pieces = splitRows(
    v,
    x.dtype,
    outer,
    sizes.map((s) => s * inner),
  );
  return pieces.map((p, k) => {
    const shape = x.shape.slice();
    shape[axis] = sizes[k];
    return backend.makeTensorInfo(shape, x.dtype, p);
  });
};

/** Unpack (attr axis): `shape[axis]` pieces with the axis removed. */
export const unpackKernel: NativeKernel = ({ inputs, backend, attrs }) => {
  const x = inputs.value;
  const v = wordsOf(backend, x);
  if (v === null || x.shape.length === 0) return null;
  let axis = attrs?.axis as number;
  if (axis < 0) axis += x.shape.length;
  const num = x.shape[axis];
  const outShape = x.shape.filter((_, i) => i !== axis);
  const outer = sizeOf(x.shape.slice(0, axis));
  const inner = sizeOf(x.shape.slice(axis + 1));
  const pieces = splitRows(v, x.dtype, outer, new Array<number>(num).fill(inner));
  return pieces.map((p) => backend.makeTensorInfo(outShape.slice(), x.dtype, p));
};

/** The inputs of a list kernel (Concat, Pack) as an array. */
function listOf(inputs: Record<string, TensorInfo>): TensorInfo[] {
  return Array.isArray(inputs) ? (inputs as TensorInfo[]) : Object.values(inputs);
}

/** Values of every input when all share the first input's dtype and are native-movable. */
function valuesOfAll(backend: CpuBackendLike, list: TensorInfo[]): Words[] | null {
  const out: Words[] = [];
  for (const t of list) {
    if (t.dtype !== list[0].dtype) return null;
    const v = wordsOf(backend, t);
    if (v === null) return null;
    out.push(v);
  }
  return out;
}

/** Concat (attr axis): inputs of any sizes along the axis, 0-size inputs allowed. */
export const concatKernel: NativeKernel = ({ inputs, backend, attrs }) => {
  const list = listOf(inputs);
  if (list.length === 0) return null;
  const axis = util.parseAxisParam(attrs?.axis as number, list[0].shape)[0];
  const shapes = list.map((t) => t.shape);
  backend_util.assertParamsConsistent(shapes, axis);
  const outShape = backend_util.computeOutShape(shapes, axis);
  if (sizeOf(outShape) === 0) return null; // tfjs: an empty tensor
  const nonEmpty = list.filter((t) => sizeOf(t.shape) > 0);
  if (nonEmpty.length === 1) return null; // tfjs: identity of the only non-empty input
  const values = valuesOfAll(backend, nonEmpty);
  if (values === null) return null;
  const outer = sizeOf(outShape.slice(0, axis));
  const widths = nonEmpty.map((t) => sizeOf(t.shape.slice(axis)));
  const out = joinRows(values, list[0].dtype, outer, widths);
  return backend.makeTensorInfo(outShape, list[0].dtype, out);
};

/** Pack (attr axis): inputs of one shape stacked along a new axis. */
export const packKernel: NativeKernel = ({ inputs, backend, attrs }) => {
  const list = listOf(inputs);
  if (list.length <= 1) return null; // tfjs: expandDims (a reshape sharing data)
  const shape = list[0].shape;
  const dtype = list[0].dtype;
  for (const t of list) {
    util.assertShapesMatch(shape, t.shape, 'All tensors passed to stack must have matching shapes');
    util.assert(dtype === t.dtype, () => 'All tensors passed to stack must have matching dtypes');
  }
  const rank = shape.length;
  let axis = attrs?.axis as number;
  if (axis < 0) axis += rank + 1;
  if (!(axis >= 0 && axis <= rank)) return null;
  const outShape = shape.slice();
  outShape.splice(axis, 0, list.length);
  if (sizeOf(outShape) === 0) return null;
  const values = valuesOfAll(backend, list);
  if (values === null) return null;
  const outer = sizeOf(shape.slice(0, axis));
  const inner = sizeOf(shape.slice(axis));
  const out = joinRows(values, dtype, outer, new Array<number>(list.length).fill(inner));
  return backend.makeTensorInfo(outShape, dtype, out);
};
