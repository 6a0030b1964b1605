/**
 * Native reductions over tfjs's `cpu` kernels: Sum, Mean, Max, Min, Prod, All, Any over any set of
 * axes (no transpose), ArgMax/ArgMin, plus (from `reduce-misc.ts`) Softmax, TopK, UnsortedSegmentSum,
 * Cumsum and OneHot. Dtypes and cases the addon does not handle return `null`, so tfjs's own kernel
 * runs. Float sums accumulate in double like tfjs; Max/Min propagate NaN like tfjs.
 */
import {
  All,
  Any,
  ArgMax,
  ArgMin,
  backend_util,
  type DataType,
  Max,
  Mean,
  Min,
  Prod,
  Sum,
  type TensorInfo,
  util,
} from '@tensorflow/tfjs-core';
import { bindingAs } from '../binding.js';
import { type CpuBackendLike, type NativeKernel, overrideKernel, sizeOf } from '../register.js';
import { registerReduceMiscKernels } from './reduce-misc.js';

/** A typed array the reduction entry points accept. */
export type ReduceArray = Float32Array | Int32Array | Uint8Array;

/** The addon functions of the reduction group (native/reduce.cc). */
export interface ReduceBinding {
  /**
   * Reduces `x` (row-major `shape`) over `axes` into `out` (row-major over the kept axes). `op`: 0 sum,
   * 1 mean, 2 max, 3 min, 4 prod, 5 all, 6 any. Float32 in → float32 out; int32 in → int32 out (sum,
   * max, min); bool (Uint8Array) in → int32 out (sum) or bool out (all, any).
   */
  reduce(op: number, x: ReduceArray, shape: number[], axes: number[], out: ReduceArray): void;
  /** First index of the max (`isMax`) or min of `x` along `axis`, into `out` (shape without `axis`). */
  argReduce(isMax: boolean, x: Float32Array, shape: number[], axis: number, out: Int32Array): void;
}

/** Operation codes of {@link ReduceBinding.reduce}. */
export const REDUCE_OP = { sum: 0, mean: 1, max: 2, min: 3, prod: 4, all: 5, any: 6 } as const;
type ReduceOpName = keyof typeof REDUCE_OP;

function valuesOf(backend: CpuBackendLike, t: TensorInfo): unknown {
  return backend.data.get(t.dataId).values;
}

/** Output dtype of `op` on an input of `dtype`, or null when the addon does not handle the pair. */
function outDtype(op: ReduceOpName, dtype: DataType): 'float32' | 'int32' | 'bool' | null {
  switch (op) {
    case 'sum':
      return dtype === 'float32' ? 'float32' : dtype === 'int32' || dtype === 'bool' ? 'int32' : null;
    case 'max':
    case 'min':
      return dtype === 'float32' || dtype === 'int32' ? dtype : null;
    case 'mean':
    case 'prod':
      return dtype === 'float32' ? 'float32' : null;
    case 'all':
    case 'any':
      return dtype === 'bool' ? 'bool' : null;
  }
}

function inputMatches(values: unknown, dtype: DataType): values is ReduceArray {
  if (dtype === 'float32') return values instanceof Float32Array;
  if (dtype === 'int32') return values instanceof Int32Array;
  if (dtype === 'bool') return values instanceof Uint8Array;
  return false;
}

function newArray(dtype: 'float32' | 'int32' | 'bool', n: number): ReduceArray {
  if (dtype === 'float32') return new Float32Array(n);
  if (dtype === 'int32') return new Int32Array(n);
  return new Uint8Array(n);
}

/** A reduction kernel over the axes in attribute `axisAttr` (`axis`, or `reductionIndices` for Max). */
function reduceKernel(op: ReduceOpName, axisAttr: 'axis' | 'reductionIndices'): NativeKernel {
  const code = REDUCE_OP[op];
  return ({ inputs, backend, attrs }) => {
    const x = inputs.x;
    const dtype = outDtype(op, x.dtype);
    const values = valuesOf(backend, x);
    if (dtype === null || !inputMatches(values, x.dtype)) return null;
    const axes = util.parseAxisParam(attrs?.[axisAttr] as number | number[], x.shape);
    const [outShape] = backend_util.computeOutAndReduceShapes(x.shape, axes);
    const out = newArray(dtype, sizeOf(outShape));
    bindingAs<ReduceBinding>().reduce(code, values, x.shape, axes, out);
    const shape = attrs?.keepDims ? backend_util.expandShapeToKeepDim(outShape, axes) : outShape;
    return backend.makeTensorInfo(shape, dtype, out);
  };
}

function argKernel(isMax: boolean): NativeKernel {
  return ({ inputs, backend, attrs }) => {
    const x = inputs.x;
    const values = valuesOf(backend, x);
    if (x.dtype !== 'float32' || !(values instanceof Float32Array) || x.shape.length === 0) return null;
    const axis = util.parseAxisParam(attrs?.axis as number | number[], x.shape)[0];
    const outShape = x.shape.filter((_, i) => i !== axis);
    const out = new Int32Array(sizeOf(outShape));
    bindingAs<ReduceBinding>().argReduce(isMax, values, x.shape, axis, out);
    return backend.makeTensorInfo(outShape, 'int32', out);
  };
}

/**
 * Registers the native reduction kernels on `backendName` (normally `'cpu'`) and returns their names.
 * Requires the addon to be loaded (see `loadBinding`).
 *
 * @example
 * import { registerReduceKernels } from './kernels/reduce.js';
 * const names = registerReduceKernels('cpu'); // ['Sum', 'Mean', ..., 'OneHot']
 */
export function registerReduceKernels(backendName: string): string[] {
  const kernels: [string, NativeKernel][] = [
    [Sum, reduceKernel('sum', 'axis')],
    [Mean, reduceKernel('mean', 'axis')],
    [Max, reduceKernel('max', 'reductionIndices')],
    [Min, reduceKernel('min', 'axis')],
    [Prod, reduceKernel('prod', 'axis')],
    [All, reduceKernel('all', 'axis')],
    [Any, reduceKernel('any', 'axis')],
    [ArgMax, argKernel(true)],
    [ArgMin, argKernel(false)],
  ];
  for (const [name, impl] of kernels) overrideKernel(name, backendName, impl);
  return [...kernels.map(([name]) => name), ...registerReduceMiscKernels(backendName)];
}
