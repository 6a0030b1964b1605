/**
 * Native GatherV2 (attrs axis, batchDims) and GatherNd: each gathered slice is one memcpy, e.g. an
 * embedding lookup `[vocab, d]` by `[B, T]` ids copies one `d`-row per id. Out-of-range indices throw
 * tfjs's own error messages.
 */
import { backend_util, util } from '@tensorflow/tfjs-core';
import type { NativeKernel } from '../register.js';
import { sizeOf } from '../register.js';
import { allocWords, layoutBinding, wordsOf } from './layout-binding.js';

function gatherIndexError(value: number, axisDim: number): Error {
  return new Error(`GatherV2: the index value ${value} is not in [0, ${axisDim - 1}]`);
}

/** GatherV2: x viewed as `[batch, outer, dim, slice]`, indices as `[batch, n]`. */
export const gatherV2Kernel: NativeKernel = ({ inputs, backend, attrs }) => {
  const { x, indices } = inputs;
  const xv = wordsOf(backend, x);
  const iv = backend.data.get(indices.dataId).values;
  if (xv === null || !(iv instanceof Int32Array)) return null;
  const axis = util.parseAxisParam(attrs?.axis as number, x.shape)[0];
  const axisDim = x.shape[axis];
  let info: ReturnType<typeof backend_util.segment_util.collectGatherOpShapeInfo>;
  try {
    info = backend_util.segment_util.collectGatherOpShapeInfo(
      x,
      indices,
      axis,
      (attrs?.batchDims as number | undefined) ?? 0,
    );
  } catch {
    return null; // let tfjs report bad shapes (after its own index check)
  }
  const n = sizeOf(info.outputShape);
  const out = allocWords(x.dtype, n);
  const nIdx = sizeOf(indices.shape);
  if (n === 0 || info.batchSize === 0) {
    for (let i = 0; i < nIdx; i++)
      if (iv[i] < 0 || iv[i] > axisDim - 1) throw gatherIndexError(iv[i], axisDim);
  } else {
    const idx = iv.length === nIdx ? iv : iv.subarray(0, nIdx);
    const bad = layoutBinding().gather(
      xv,
      idx,
      out,
      info.batchSize,
      info.outerSize,
      info.dimSize,
      info.sliceSize,
    );
    if (bad >= 0) throw gatherIndexError(idx[bad], axisDim);
  }
  return backend.makeTensorInfo(info.outputShape, x.dtype, out);
};

/** GatherNd: validates like tfjs (the flat slice index only) and copies one slice per index row. */
export const gatherNdKernel: NativeKernel = ({ inputs, backend }) => {
  const { params, indices } = inputs;
  const pv = wordsOf(backend, params);
  const iv = backend.data.get(indices.dataId).values;
  if (pv === null || !(iv instanceof Int32Array)) return null;
  const sliceRank = indices.shape[indices.shape.length - 1];
  const [resultShape, numSlices, sliceSize, strides] = backend_util.prepareAndValidate(params, indices);
  if (numSlices === 0 || sliceSize === 0) return null;
  const out = allocWords(params.dtype, numSlices * sliceSize);
  const bad = layoutBinding().gatherNd(pv, iv, out, numSlices, sliceRank, sliceSize, strides);
  if (bad >= 0) {
    const index = Array.from(iv.subarray(bad * sliceRank, (bad + 1) * sliceRank));
    throw new Error(`Invalid indices: ${index} does not index into ${params.shape}`);
  }
  return backend.makeTensorInfo(resultShape, params.dtype, out);
};
