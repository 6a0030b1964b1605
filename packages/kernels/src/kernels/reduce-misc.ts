/**
 * Native Softmax, TopK, UnsortedSegmentSum, Cumsum and OneHot over tfjs's `cpu` kernels (the row-wise
 * relatives of the reductions in `reduce.ts`). Each returns `null` for cases it does not handle, so
 * tfjs's own kernel runs.
 */
import { Cumsum, OneHot, Softmax, TopK, UnsortedSegmentSum } from '@tensorflow/tfjs-core';
import { bindingAs } from '../binding.js';
import { type CpuBackendLike, type NativeKernel, overrideKernel, sizeOf } from '../register.js';

/** The addon functions of native/softmax.cc, topk.cc, segment.cc and reduce_scan.cc. */
export interface ReduceMiscBinding {
  /** Softmax of each contiguous row of length `n`. */
  softmax(x: Float32Array, rows: number, n: number, out: Float32Array): void;
  /**
   * Top `k` of each row of length `n`, sorted (value descending, lower index first on ties). Returns
   * false when a value is ±Inf or NaN (outputs incomplete: use tfjs's kernel).
   */
  topk(
    x: Float32Array,
    rows: number,
    n: number,
    k: number,
    values: Float32Array,
    indices: Int32Array,
  ): boolean;
  /** out[ids[r], :] += x[r, :] for rows r < n of length `inner`; `out` must be zero-filled. */
  unsortedSegmentSum(
    x: Float32Array,
    ids: Int32Array,
    n: number,
    inner: number,
    numSegments: number,
    out: Float32Array,
  ): void;
  /** Cumulative sum along the middle axis of `[outer, L, inner]`; x and out both float32 or both int32. */
  cumsum(
    x: Float32Array | Int32Array,
    outer: number,
    L: number,
    inner: number,
    exclusive: boolean,
    reverse: boolean,
    out: Float32Array | Int32Array,
  ): void;
  /** Rows of `depth` filled with `offValue`, `onValue` at each valid index. */
  oneHot(
    indices: Int32Array,
    depth: number,
    onValue: number,
    offValue: number,
    out: Float32Array | Int32Array,
  ): void;
}

function valuesOf(backend: CpuBackendLike, t: { dataId: object }): unknown {
  return backend.data.get(t.dataId).values;
}

const softmax: NativeKernel = ({ inputs, backend, attrs }) => {
  const logits = inputs.logits;
  const values = valuesOf(backend, logits);
  const rank = logits.shape.length;
  const dim = attrs?.dim as number;
  if (logits.dtype !== 'float32' || !(values instanceof Float32Array) || rank === 0) return null;
  if (dim !== -1 && dim !== rank - 1) return null;
  const n = logits.shape[rank - 1];
  const size = sizeOf(logits.shape);
  const out = new Float32Array(size);
  if (size > 0) bindingAs<ReduceMiscBinding>().softmax(values, size / n, n, out);
  return backend.makeTensorInfo(logits.shape.slice(), 'float32', out);
};

const topk: NativeKernel = ({ inputs, backend, attrs }) => {
  const x = inputs.x;
  const values = valuesOf(backend, x);
  const rank = x.shape.length;
  const k = attrs?.k as number;
  if (x.dtype !== 'float32' || !(values instanceof Float32Array) || rank === 0) return null;
  const n = x.shape[rank - 1];
  if (!Number.isInteger(k) || k < 0 || k > n) return null;
  const rows = n === 0 ? sizeOf(x.shape.slice(0, -1)) : sizeOf(x.shape) / n;
  const outShape = [...x.shape.slice(0, -1), k];
  const vals = new Float32Array(rows * k);
  const idx = new Int32Array(rows * k);
  if (!bindingAs<ReduceMiscBinding>().topk(values, rows, n, k, vals, idx)) return null;
  return [backend.makeTensorInfo(outShape, 'float32', vals), backend.makeTensorInfo(outShape, 'int32', idx)];
};

const unsortedSegmentSum: NativeKernel = ({ inputs, backend, attrs }) => {
  const { x, segmentIds } = inputs;
  const xv = valuesOf(backend, x);
  const iv = valuesOf(backend, segmentIds);
  const numSegments = attrs?.numSegments as number;
  if (x.dtype !== 'float32' || !(xv instanceof Float32Array) || !(iv instanceof Int32Array)) return null;
  // tfjs broadcasts other id shapes against x; only the embedding-gradient layout is native
  if (x.shape.length === 0 || segmentIds.shape.length !== 1 || segmentIds.shape[0] !== x.shape[0])
    return null;
  if (!Number.isInteger(numSegments) || numSegments < 0) return null;
  const inner = sizeOf(x.shape.slice(1));
  const out = new Float32Array(numSegments * inner);
  bindingAs<ReduceMiscBinding>().unsortedSegmentSum(xv, iv, x.shape[0], inner, numSegments, out);
  return backend.makeTensorInfo([numSegments, ...x.shape.slice(1)], 'float32', out);
};

const cumsum: NativeKernel = ({ inputs, backend, attrs }) => {
  const x = inputs.x;
  const values = valuesOf(backend, x);
  const rank = x.shape.length;
  const axis = attrs?.axis as number;
  const isF32 = x.dtype === 'float32' && values instanceof Float32Array;
  const isI32 = x.dtype === 'int32' && values instanceof Int32Array;
  if ((!isF32 && !isI32) || !Number.isInteger(axis) || axis < 0 || axis >= rank) return null;
  const outer = sizeOf(x.shape.slice(0, axis));
  const inner = sizeOf(x.shape.slice(axis + 1));
  const size = sizeOf(x.shape);
  const out = isF32 ? new Float32Array(size) : new Int32Array(size);
  bindingAs<ReduceMiscBinding>().cumsum(
    values as Float32Array | Int32Array,
    outer,
    x.shape[axis],
    inner,
    Boolean(attrs?.exclusive),
    Boolean(attrs?.reverse),
    out,
  );
  return backend.makeTensorInfo(x.shape.slice(), x.dtype, out);
};

const oneHot: NativeKernel = ({ inputs, backend, attrs }) => {
  const indices = inputs.indices;
  const values = valuesOf(backend, indices);
  const depth = attrs?.depth as number;
  const onValue = attrs?.onValue as number;
  const offValue = attrs?.offValue as number;
  const dtype = attrs?.dtype as string;
  if (!(values instanceof Int32Array) || !Number.isInteger(depth) || depth < 0) return null;
  let out: Float32Array | Int32Array;
  const n = sizeOf(indices.shape);
  if (dtype === 'float32') out = new Float32Array(n * depth);
  else if (dtype === 'int32' && Number.isInteger(onValue) && Number.isInteger(offValue))
    out = new Int32Array(n * depth);
  else return null;
  bindingAs<ReduceMiscBinding>().oneHot(values, depth, onValue, offValue, out);
  return backend.makeTensorInfo([...indices.shape, depth], dtype, out);
};

/**
 * Registers Softmax, TopK, UnsortedSegmentSum, Cumsum and OneHot on `backendName`; returns their names.
 *
 * @example
 * registerReduceMiscKernels('cpu'); // ['Softmax', 'TopK', 'UnsortedSegmentSum', 'Cumsum', 'OneHot']
 */
export function registerReduceMiscKernels(backendName: string): string[] {
  const kernels: [string, NativeKernel][] = [
    [Softmax, softmax],
    [TopK, topk],
    [UnsortedSegmentSum, unsortedSegmentSum],
    [Cumsum, cumsum],
    [OneHot, oneHot],
  ];
  for (const [name, impl] of kernels) overrideKernel(name, backendName, impl);
  return kernels.map(([name]) => name);
}
