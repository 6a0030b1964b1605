import {
  type DataType,
  getKernel,
  type KernelConfig,
  type KernelFunc,
  registerKernel,
  type TensorInfo,
  type TypedArray,
  unregisterKernel,
} from '@tensorflow/tfjs-core';
import { pooledF32 } from './buffer-pool.js';

/** The subset of tfjs's `MathBackendCPU` the native kernels use. */
export interface CpuBackendLike {
  data: { get(dataId: object): { values?: unknown } };
  makeTensorInfo(shape: number[], dtype: DataType, values?: TypedArray): TensorInfo;
  readSync(dataId: object): unknown;
}

/** Arguments tfjs passes to a kernel function. */
export interface KernelArgs {
  inputs: Record<string, TensorInfo>;
  backend: CpuBackendLike;
  // biome-ignore lint/suspicious/noExplicitAny: tfjs attrs are heterogeneous per kernel
  attrs?: Record<string, any>;
}

/** A native kernel: returns outputs, or `null` to defer to tfjs's original kernel for this call. */
export type NativeKernel = (args: KernelArgs) => TensorInfo | TensorInfo[] | null;

const originals = new Map<string, KernelConfig | undefined>();
const overridden = new Set<string>();

/** Float32 values of a tensor on the cpu backend (a view, never copied). */
export function f32(backend: CpuBackendLike, t: TensorInfo): Float32Array {
  return backend.data.get(t.dataId).values as Float32Array;
}

/** Int32 values of a tensor on the cpu backend (a view, never copied). */
export function i32(backend: CpuBackendLike, t: TensorInfo): Int32Array {
  return backend.data.get(t.dataId).values as Int32Array;
}

/** Number of elements of a shape. */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** A new float32 tensor on the backend, with a freshly allocated output buffer handed to `fill`. */
export function makeF32(
  backend: CpuBackendLike,
  shape: number[],
  fill: (out: Float32Array) => void,
): TensorInfo {
  const out = new Float32Array(sizeOf(shape));
  fill(out);
  return backend.makeTensorInfo(shape, 'float32', out);
}

/**
 * Like {@link makeF32}, for kernels that write every output element: the array may be a recycled one
 * (see `buffer-pool.ts`), so `fill` must not read it.
 */
export function makeF32Overwrite(
  backend: CpuBackendLike,
  shape: number[],
  fill: (out: Float32Array) => void,
): TensorInfo {
  const out = pooledF32(backend, sizeOf(shape));
  fill(out);
  return backend.makeTensorInfo(shape, 'float32', out);
}

/**
 * Registers `impl` for `kernelName` on `backendName`, over tfjs's own kernel. When `impl` returns
 * `null` (an unsupported dtype or layout), tfjs's original kernel runs instead. Idempotent.
 */
export function overrideKernel(kernelName: string, backendName: string, impl: NativeKernel): void {
  const key = `${backendName}/${kernelName}`;
  if (overridden.has(key)) return;
  const original = getKernel(kernelName, backendName);
  originals.set(key, original);
  if (original) unregisterKernel(kernelName, backendName);
  const fallback = original?.kernelFunc;
  const kernelFunc = ((args: KernelArgs) => {
    const r = impl(args);
    if (r !== null) return r;
    if (!fallback) throw new Error(`no fallback kernel for ${kernelName} on ${backendName}`);
    return (fallback as unknown as (a: KernelArgs) => TensorInfo | TensorInfo[])(args);
  }) as unknown as KernelFunc;
  registerKernel({
    kernelName,
    backendName,
    kernelFunc,
    setupFunc: original?.setupFunc,
    disposeFunc: original?.disposeFunc,
  });
  overridden.add(key);
}

/** Registers a kernel that tfjs does not have (our fused kernels). Idempotent. */
export function addKernel(kernelName: string, backendName: string, impl: NativeKernel): void {
  const key = `${backendName}/${kernelName}`;
  if (overridden.has(key) || getKernel(kernelName, backendName)) return;
  registerKernel({ kernelName, backendName, kernelFunc: impl as unknown as KernelFunc });
  overridden.add(key);
}

/** Restores tfjs's original kernels (used by tests and the benchmark to compare against pure tfjs). */
export function restoreKernels(backendName: string): void {
  for (const key of [...overridden]) {
    const [b, name] = [key.slice(0, key.indexOf('/')), key.slice(key.indexOf('/') + 1)];
    if (b !== backendName) continue;
    unregisterKernel(name, b);
    const orig = originals.get(key);
    if (orig) registerKernel(orig);
    overridden.delete(key);
    originals.delete(key);
  }
}

/** Names of the kernels currently overridden or added on `backendName`. */
export function nativeKernelNames(backendName: string): string[] {
  return [...overridden]
    .filter((k) => k.startsWith(`${backendName}/`))
    .map((k) => k.slice(backendName.length + 1));
}
