/**
 * A free list of float32 output buffers for the native kernels.
 *
 * Every tfjs kernel output is a fresh typed array; for large outputs the operating system hands out
 * new zeroed pages, and the first write into each page faults (measured: a [128x768]x[768x3072]
 * matmul reaches ~290 GFLOP/s into a reused buffer but ~235 into a fresh one). The pool keeps the
 * arrays of disposed tensors and gives them to the next kernel output of the same length.
 *
 * Safety: only arrays the pool itself allocated are recycled, and never one that may still be
 * visible outside tfjs: an array is retired for good once it is read out (`dataSync`, `data`,
 * `arraySync` go through `readSync`/`read`), once a second tensor is made on the same memory (views
 * such as tfjs's contiguous `slice`), or when it is not released whole. Pooled arrays are handed out
 * uninitialised, so only kernels that write every output element use them. `MECHLENS_POOL=0`
 * disables the pool.
 */
import type { DataType } from '@tensorflow/tfjs-core';
import type { CpuBackendLike } from './register.js';

interface PoolableBackend extends CpuBackendLike {
  data: { get(dataId: object): { values?: unknown }; has(dataId: object): boolean };
  disposeData(dataId: object, force?: boolean): boolean;
  read(dataId: object): Promise<unknown>;
  write(values: unknown, shape: number[], dtype: DataType): object;
  move(dataId: object, values: unknown, shape: number[], dtype: DataType, refCount: number): void;
}

/** Outputs smaller than this many floats are left to V8 (small allocations do not fault much). */
const MIN_FLOATS = 16 * 1024;
const maxBytes = (): number => Number(process.env.MECHLENS_POOL_MB ?? 512) * 2 ** 20;
const enabled = process.env.MECHLENS_POOL !== '0';

const installed = new WeakSet<object>();
/** Buffers the pool allocated. */
const ours = new WeakSet<ArrayBuffer>();
/** Buffers currently registered as the values of exactly one tfjs data entry. */
const registered = new WeakSet<ArrayBuffer>();
/** Buffers that may be visible outside tfjs: never recycled. */
const retired = new WeakSet<ArrayBuffer>();
const free = new Map<number, Float32Array[]>();
let freeBytes = 0;
let stats = { allocated: 0, reused: 0, retired: 0 };

function note(values: unknown): void {
  if (!ArrayBuffer.isView(values)) return;
  const buf = values.buffer as ArrayBuffer;
  if (!ours.has(buf)) return;
  if (registered.has(buf)) {
    if (!retired.has(buf)) stats.retired++;
    retired.add(buf);
  } else registered.add(buf);
}

function retire(values: unknown): void {
  if (!ArrayBuffer.isView(values)) return;
  const buf = values.buffer as ArrayBuffer;
  if (ours.has(buf) && !retired.has(buf)) {
    retired.add(buf);
    stats.retired++;
  }
}

function recycle(values: unknown): void {
  if (!(values instanceof Float32Array)) return;
  const buf = values.buffer as ArrayBuffer;
  registered.delete(buf);
  if (!ours.has(buf) || retired.has(buf) || values.byteOffset !== 0 || values.byteLength !== buf.byteLength)
    return;
  if (freeBytes + values.byteLength > maxBytes()) return;
  let list = free.get(values.length);
  if (!list) {
    list = [];
    free.set(values.length, list);
  }
  list.push(values);
  freeBytes += values.byteLength;
}

function install(backend: PoolableBackend): void {
  if (installed.has(backend)) return;
  installed.add(backend);
  const disposeData = backend.disposeData.bind(backend);
  backend.disposeData = (dataId: object, force?: boolean): boolean => {
    const values = backend.data.get(dataId)?.values;
    const r = disposeData(dataId, force);
    if (values !== undefined && !backend.data.has(dataId)) recycle(values);
    return r;
  };
  const readSync = backend.readSync.bind(backend);
  backend.readSync = (dataId: object): unknown => {
    retire(backend.data.get(dataId)?.values);
    return readSync(dataId);
  };
  const read = backend.read.bind(backend);
  backend.read = (dataId: object): Promise<unknown> => {
    retire(backend.data.get(dataId)?.values);
    return read(dataId);
  };
  // (no makeTensorInfo wrapper: the cpu backend's makeTensorInfo goes through write)
  const write = backend.write.bind(backend);
  backend.write = (values: unknown, shape: number[], dtype: DataType): object => {
    note(values);
    return write(values, shape, dtype);
  };
  const move = backend.move.bind(backend);
  backend.move = (
    dataId: object,
    values: unknown,
    shape: number[],
    dtype: DataType,
    refCount: number,
  ): void => {
    note(values);
    move(dataId, values, shape, dtype, refCount);
  };
}

/**
 * A float32 array of length `n` for a kernel output that the kernel overwrites entirely (its contents
 * are arbitrary). Recycled from disposed outputs when possible.
 *
 * @example
 * const out = pooledF32(backend, m * n); // then write every element, then backend.makeTensorInfo(...)
 */
export function pooledF32(backend: CpuBackendLike, n: number): Float32Array {
  if (!enabled || n < MIN_FLOATS || typeof (backend as Partial<PoolableBackend>).disposeData !== 'function') {
    return new Float32Array(n);
  }
  install(backend as PoolableBackend);
  const hit = free.get(n)?.pop();
  if (hit) {
    freeBytes -= hit.byteLength;
    stats.reused++;
    return hit;
  }
  const a = new Float32Array(n);
  ours.add(a.buffer as ArrayBuffer);
  stats.allocated++;
  return a;
}

/**
 * Counters of the pool (allocated, reused, retired arrays; bytes held in the free list).
 *
 * @example
 * console.log(bufferPoolStats()); // { allocated: 120, reused: 4800, retired: 3, freeBytes: 1.6e8 }
 */
export function bufferPoolStats(): { allocated: number; reused: number; retired: number; freeBytes: number } {
  return { ...stats, freeBytes };
}

/**
 * Empties the free list (the arrays become garbage) and resets the counters.
 *
 * @example
 * clearBufferPool();
 */
export function clearBufferPool(): void {
  free.clear();
  freeBytes = 0;
  stats = { allocated: 0, reused: 0, retired: 0 };
}
