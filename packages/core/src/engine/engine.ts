import { loadBinding, registerNativeKernels, setNativeThreads } from '@mechlens/kernels';
import { tf } from './tf.js';

/** Which engine runs the tensors. */
export type BackendKind = 'tensorflow' | 'native' | 'cpu' | 'wasm';

/** What {@link initEngine} chose, and why. */
export interface EngineInfo {
  /** `tensorflow` (tfjs-node / tfjs-node-gpu), `native` (tfjs cpu + our C++ kernels), `cpu` (pure JS) or `wasm`. */
  backend: BackendKind;
  /** True when our native kernels are registered. */
  native: boolean;
  /** SIMD level of the native kernels (`avx512`, `avx2`, `generic`), or null without them. */
  simd: string | null;
  /** Native thread-pool size (1 for pure-JS engines). */
  threads: number;
  /** One sentence on why this engine was chosen. */
  reason: string;
}

/** Options for {@link initEngine}; the environment variables are the defaults. */
export interface EngineOptions {
  /** Overrides `MECHLENS_BACKEND`. */
  backend?: BackendKind;
  /** Overrides `MECHLENS_THREADS` for the native engine. */
  threads?: number;
  /** Print the one-line fallback warning (default true). */
  warn?: boolean;
}

let current: EngineInfo | undefined;
let pending: Promise<EngineInfo> | undefined;
let warned = false;

const BACKENDS: readonly BackendKind[] = ['tensorflow', 'native', 'cpu', 'wasm'];

async function tryImport(name: string): Promise<boolean> {
  try {
    await import(/* @vite-ignore */ name);
    return true;
  } catch {
    return false;
  }
}

async function tryTensorflow(): Promise<string | null> {
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    if ((await tryImport(pkg)) && tf.findBackend('tensorflow')) {
      await tf.setBackend('tensorflow');
      return pkg;
    }
  }
  return null;
}

function useNative(threads: number | undefined): EngineInfo | { failed: string } {
  const status = registerNativeKernels('cpu');
  if (!status.ok) return { failed: status.reason };
  if (threads !== undefined) setNativeThreads(threads);
  const info = loadBinding();
  const t = info.ok ? info.binding.info().threads : status.threads;
  return {
    backend: 'native',
    native: true,
    simd: status.simd,
    threads: t,
    reason: `tfjs cpu with ${status.kernels.length} native kernels (${status.simd}, ${t} threads)`,
  };
}

async function choose(opts: EngineOptions): Promise<EngineInfo> {
  const envBackend = process.env.MECHLENS_BACKEND?.trim().toLowerCase();
  const requested = opts.backend ?? (envBackend ? (envBackend as BackendKind) : undefined);
  if (requested !== undefined && !BACKENDS.includes(requested)) {
    throw new Error(
      `MECHLENS_BACKEND=${requested} is not an engine; use one of ${BACKENDS.join(', ')} (or leave it unset to choose automatically)`,
    );
  }
  const envThreads = process.env.MECHLENS_THREADS ? Number(process.env.MECHLENS_THREADS) : undefined;
  const threads = opts.threads ?? envThreads;
  if (threads !== undefined && (!Number.isInteger(threads) || threads < 1)) {
    throw new Error(`MECHLENS_THREADS must be an integer >= 1, got ${threads}`);
  }
  const why = requested ? `requested by ${opts.backend ? 'initEngine({backend})' : 'MECHLENS_BACKEND'}` : '';

  if (requested === 'tensorflow' || requested === undefined) {
    const pkg = await tryTensorflow();
    if (pkg) {
      return {
        backend: 'tensorflow',
        native: false,
        simd: null,
        threads: 1,
        reason: `${pkg} is installed${why ? `; ${why}` : ''}`,
      };
    }
    if (requested === 'tensorflow') {
      throw new Error(
        'MECHLENS_BACKEND=tensorflow but neither @tensorflow/tfjs-node-gpu nor @tensorflow/tfjs-node could be loaded; install one (it downloads libtensorflow) or unset MECHLENS_BACKEND',
      );
    }
  }
  if (requested === 'wasm') {
    await import('@tensorflow/tfjs-backend-wasm');
    await tf.setBackend('wasm');
    return { backend: 'wasm', native: false, simd: null, threads: 1, reason: why };
  }
  await tf.setBackend('cpu');
  // tfjs's cpu backend prints a "install tfjs-node" banner on first use; initEngine reports the engine itself.
  (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
  if (requested === 'cpu') {
    return { backend: 'cpu', native: false, simd: null, threads: 1, reason: `pure-JS tfjs cpu ${why}` };
  }
  const n = useNative(threads);
  if ('failed' in n) {
    if (requested === 'native') throw new Error(`MECHLENS_BACKEND=native but ${n.failed}`);
    if (opts.warn !== false && !warned) {
      warned = true;
      console.warn(
        `[mechlens] ${n.failed}: running on pure-JS tfjs cpu, which is 100x slower. Rebuild with \`pnpm --filter @mechlens/kernels build:native\` (needs a C++17 compiler).`,
      );
    }
    return { backend: 'cpu', native: false, simd: null, threads: 1, reason: `fallback: ${n.failed}` };
  }
  if (why) n.reason = `${n.reason}; ${why}`;
  else n.reason = `${n.reason}; tfjs-node not installed`;
  return n;
}

/**
 * Chooses and starts the tensor engine: `@tensorflow/tfjs-node-gpu`, then `@tensorflow/tfjs-node` when
 * installed; otherwise tfjs `cpu` with mechlens's native kernels; pure-JS `cpu` if the addon is missing
 * (with one warning). `MECHLENS_BACKEND=tensorflow|native|cpu|wasm` overrides. Idempotent: later calls
 * return the first result (pass a different `backend` to switch).
 *
 * @example
 * import { initEngine } from '@mechlens/core';
 * const info = await initEngine();
 * console.log(info.backend, info.simd, info.threads, info.reason);
 */
export async function initEngine(opts: EngineOptions = {}): Promise<EngineInfo> {
  if (current && (opts.backend === undefined || opts.backend === current.backend)) return current;
  if (pending && opts.backend === undefined) return pending;
  pending = choose(opts).then(
    (info) => {
      current = info;
      pending = undefined;
      return info;
    },
    (err) => {
      pending = undefined;
      throw err;
    },
  );
  return pending;
}

/**
 * What the engine is (after {@link initEngine}); before it, a report of the tfjs default with
 * `reason: 'initEngine() not called yet'`.
 *
 * @example
 * await initEngine();
 * const { backend, native, simd, threads, reason } = engineInfo();
 */
export function engineInfo(): EngineInfo {
  if (current) return { ...current };
  return { backend: 'cpu', native: false, simd: null, threads: 1, reason: 'initEngine() not called yet' };
}

/** True when a fused native kernel named `name` is registered on the active backend. */
export function hasKernel(name: string): boolean {
  return tf.getKernel(name, tf.getBackend()) !== undefined;
}
