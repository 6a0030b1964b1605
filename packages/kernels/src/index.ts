/**
 * @mechlens/kernels — native C++ kernels registered over tfjs's `cpu` backend through tfjs's kernel
 * registry. Load once with {@link registerNativeKernels}; every kernel falls back to tfjs's own for
 * dtypes or layouts it does not handle.
 *
 * @example
 * import { registerNativeKernels } from '@mechlens/kernels';
 * const status = registerNativeKernels('cpu');
 * if (!status.ok) console.warn(status.reason);
 */
import { loadBinding } from './binding.js';
import { registerElementwiseKernels } from './kernels/elementwise.js';
import { registerFusedKernels } from './kernels/fused.js';
import { registerLayoutKernels } from './kernels/layout.js';
import { registerMatmulKernels } from './kernels/matmul.js';
import { registerReduceKernels } from './kernels/reduce.js';
import { registerSparseKernels } from './kernels/sparse.js';
import { nativeKernelNames, restoreKernels } from './register.js';

export type { BindingLoad, CoreBinding } from './binding.js';
export { loadBinding } from './binding.js';
export { FUSED_KERNELS, SPARSE_KERNELS } from './kernels/fused-names.js';
export { nativeKernelNames, restoreKernels } from './register.js';

/** What {@link registerNativeKernels} did. */
export type NativeStatus =
  | { ok: true; simd: 'avx512' | 'avx2' | 'generic'; threads: number; kernels: string[] }
  | { ok: false; reason: string };

/**
 * Loads the addon and registers every native kernel on `backendName` (normally `'cpu'`). Idempotent.
 *
 * @example
 * const s = registerNativeKernels();
 * console.log(s.ok ? `${s.kernels.length} native kernels, ${s.simd}, ${s.threads} threads` : s.reason);
 */
export function registerNativeKernels(backendName = 'cpu'): NativeStatus {
  const load = loadBinding();
  if (!load.ok) return { ok: false, reason: load.reason };
  registerMatmulKernels(backendName);
  registerElementwiseKernels(backendName);
  registerReduceKernels(backendName);
  registerLayoutKernels(backendName);
  registerFusedKernels(backendName);
  registerSparseKernels(backendName);
  const info = load.binding.info();
  return { ok: true, simd: info.simd, threads: info.threads, kernels: nativeKernelNames(backendName) };
}

/** Sets the native thread pool size (also read from `MECHLENS_THREADS` at load). */
export function setNativeThreads(n: number): void {
  const load = loadBinding();
  if (!load.ok) throw new Error(load.reason);
  if (!Number.isInteger(n) || n < 1) throw new Error(`setNativeThreads: expected an integer >= 1, got ${n}`);
  load.binding.setThreads(n);
}

/** Unregisters the native kernels on `backendName`, restoring tfjs's originals (benchmarks, tests). */
export function unregisterNativeKernels(backendName = 'cpu'): void {
  restoreKernels(backendName);
}
export { bufferPoolStats, clearBufferPool } from './buffer-pool.js';
