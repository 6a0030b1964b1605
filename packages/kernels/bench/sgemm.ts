/**
 * SGEMM benchmark of the native matmul engine (GFLOP/s), called through the addon's `matmul` entry on
 * preallocated buffers (no tfjs in the loop). Run directly:
 *
 *   node --conditions=mechlens-source --import tsx packages/kernels/bench/sgemm.ts [--threads N] [--reps N]
 *        [--isa auto|avx512|avx2|generic] [--tf] [shape ...]
 *
 * Shapes are `MxKxN` or `BxMxKxN` (batched, both operands batched), e.g. `256x768x3072`.
 */
import { pathToFileURL } from 'node:url';
import { bindingAs } from '../src/binding.js';
import type { MatmulBinding } from '../src/kernels/matmul.js';

/** Default shapes: GPT-2-small projections, MLP, attention scores (batched), unembedding. */
export const DEFAULT_SGEMM_SHAPES: readonly string[] = [
  '256x768x3072',
  '1024x768x768',
  '512x768x24576',
  '12x128x64x128',
  '128x768x50257',
];

/** One benchmark result: `shape` as `[MxK]x[KxN]` (with a `B x` prefix when batched). */
export interface SgemmBenchResult {
  shape: string;
  gflops: number;
  /** GFLOP/s through `tf.matMul` (allocation and tfjs dispatch included), when requested. */
  tfGflops?: number;
}

/** Options of {@link benchSgemm}. */
export interface SgemmBenchOptions {
  /** Micro-kernel family for the raw calls (unbatched shapes only); default the best available. */
  isa?: 'auto' | 'avx512' | 'avx2' | 'generic';
  /** Also time `tf.matMul` with the native kernels registered. */
  viaTf?: boolean;
}

interface Parsed {
  batch: number;
  m: number;
  k: number;
  n: number;
  label: string;
}

function parseShape(s: string): Parsed {
  const d = s.split('x').map((v) => Number.parseInt(v, 10));
  if (d.some((v) => !Number.isInteger(v) || v < 1) || (d.length !== 3 && d.length !== 4))
    throw new Error(`bad shape '${s}': expected MxKxN or BxMxKxN`);
  const [batch, m, k, n] = d.length === 4 ? d : [1, ...d];
  const label = batch > 1 ? `[${batch}x${m}x${k}]x[${batch}x${k}x${n}]` : `[${m}x${k}]x[${k}x${n}]`;
  return { batch, m, k, n, label };
}

function randomArray(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = s / 4294967296 - 0.5;
  }
  return a;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/**
 * Times each shape `reps` times (after one warm-up call, and at least ~0.3 s of calls) and returns the
 * median GFLOP/s per shape.
 *
 * @example
 * const rows = await benchSgemm(['256x768x3072', '12x128x64x128'], 10);
 * console.table(rows);
 */
export async function benchSgemm(
  shapes: readonly string[],
  reps: number,
  options: SgemmBenchOptions = {},
): Promise<SgemmBenchResult[]> {
  const b = bindingAs<MatmulBinding>();
  const isa = options.isa ?? 'auto';
  const results: SgemmBenchResult[] = [];
  let tf: typeof import('@tensorflow/tfjs-core') | undefined;
  if (options.viaTf) {
    tf = await import('@tensorflow/tfjs-core');
    await import('@tensorflow/tfjs-backend-cpu');
    const { registerNativeKernels } = await import('../src/index.js');
    await tf.setBackend('cpu');
    registerNativeKernels('cpu');
  }
  for (const s of shapes) {
    const { batch, m, k, n, label } = parseShape(s);
    const a = randomArray(batch * m * k, 1);
    const w = randomArray(batch * k * n, 2);
    const c = new Float32Array(batch * m * n);
    const aShape = batch > 1 ? [batch, m, k] : [m, k];
    const bShape = batch > 1 ? [batch, k, n] : [k, n];
    const call =
      batch === 1 && isa !== 'auto'
        ? () => b.sgemmRaw(isa, false, false, m, n, k, 1, a, k, w, n, 0, c, n)
        : () => b.matmul(a, aShape, w, bShape, false, false, c, null, null, 0, 0, null, null);
    const flop = 2 * batch * m * n * k;
    call();
    const times: number[] = [];
    const t0 = performance.now();
    while (times.length < reps || (performance.now() - t0 < 300 && times.length < 50 * reps)) {
      const t = performance.now();
      call();
      times.push(performance.now() - t);
    }
    const row: SgemmBenchResult = { shape: label, gflops: flop / median(times) / 1e6 };
    if (tf) {
      const tfm = tf;
      const ta = tfm.tensor(a, aShape);
      const tw = tfm.tensor(w, bShape);
      // (a tidy that returns a typed array would walk every element looking for tensors)
      const once = () =>
        tfm.tidy(() => {
          tfm.matMul(ta, tw).dataSync();
        });
      once();
      const tt: number[] = [];
      for (let r = 0; r < reps; r++) {
        const t = performance.now();
        once();
        tt.push(performance.now() - t);
      }
      row.tfGflops = flop / median(tt) / 1e6;
      ta.dispose();
      tw.dispose();
    }
    results.push(row);
  }
  return results;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const opt = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    if (i < 0) return undefined;
    const v = argv[i + 1];
    argv.splice(i, 2);
    return v;
  };
  const threads = opt('--threads');
  const reps = Number(opt('--reps') ?? 10);
  const isa = (opt('--isa') ?? 'auto') as SgemmBenchOptions['isa'];
  const viaTf = argv.includes('--tf');
  const shapes = argv.filter((x) => !x.startsWith('--'));
  const b = bindingAs<MatmulBinding>();
  if (threads) b.setThreads(Number(threads));
  const info = b.info();
  const rows = await benchSgemm(shapes.length ? shapes : DEFAULT_SGEMM_SHAPES, reps, { isa, viaTf });
  console.log(`sgemm: simd ${info.simd}, isa ${isa}, threads ${b.info().threads}`);
  for (const r of rows)
    console.log(
      `${r.shape.padEnd(28)} ${r.gflops.toFixed(1).padStart(7)} GFLOP/s${r.tfGflops ? `   tf.matMul ${r.tfGflops.toFixed(1)}` : ''}`,
    );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
