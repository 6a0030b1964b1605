import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const script = join(dirname(fileURLToPath(import.meta.url)), 'reference.py');
/** Debian's python3 is where numpy/torch live here (the python3 first on PATH may be a bare pyenv one). */
const pythons = ['/usr/bin/python3', 'python3'];

function run(args: string[], env: Record<string, string> = {}): unknown | null {
  for (const py of pythons) {
    const r = spawnSync(py, [script, ...args], {
      encoding: 'utf8',
      env: { ...process.env, ...env },
      timeout: 600_000,
      maxBuffer: 1 << 24,
    });
    if (r.status === 0 && r.stdout.trim()) return JSON.parse(r.stdout.trim().split('\n').pop()!);
  }
  return null;
}

/** Which reference modules a python3 here has. */
export function pythonHas(mod: 'numpy' | 'torch'): boolean {
  return pythons.some((py) => spawnSync(py, ['-c', `import ${mod}`]).status === 0);
}

export interface NumpySgemm {
  numpy: string;
  sgemm: { shape: [number, number, number, number]; seconds: number; gflops: number }[];
}

/** numpy's matmul GFLOP/s for shapes [M, K, N, batch]; null without numpy. */
export function numpySgemm(shapes: [number, number, number, number][], reps: number): NumpySgemm | null {
  return run(['sgemm', JSON.stringify(shapes), String(reps)]) as NumpySgemm | null;
}

export interface TorchGpt2 {
  torch: string;
  threads: number;
  openblasThreads: number;
  forward: number;
  grad_resid6: number;
  grad_all: number;
}

/**
 * PyTorch forward / backward times of the same GPT-2-shaped model, at each thread setting tried;
 * the best setting per measurement is what the benchmark reports. null without torch.
 */
export function torchGpt2(cfg: Record<string, number>, reps: number): TorchGpt2[] | null {
  const settings = [
    { threads: 1, openblas: 2 },
    { threads: 2, openblas: 1 },
    { threads: 2, openblas: 2 },
  ];
  const out: TorchGpt2[] = [];
  for (const s of settings) {
    const r = run(['gpt2', JSON.stringify(cfg), String(reps), String(s.threads)], {
      OPENBLAS_NUM_THREADS: String(s.openblas),
      OMP_NUM_THREADS: String(s.threads),
    }) as Omit<TorchGpt2, 'openblasThreads'> | null;
    if (!r) return null;
    out.push({ ...r, openblasThreads: s.openblas });
  }
  return out;
}

export interface TorchSaeStep {
  torch: string;
  threads: number;
  seconds: number;
  tokensPerSecond: number;
}

/**
 * PyTorch's dense-decoder TopK SAE training step at each thread setting tried (tokens/s); null without
 * torch.
 */
export function torchSaeStep(
  cfg: { d: number; n: number; k: number; batch: number },
  reps: number,
): TorchSaeStep[] | null {
  const settings = [
    { threads: 1, openblas: 2 },
    { threads: 2, openblas: 1 },
  ];
  const out: TorchSaeStep[] = [];
  for (const s of settings) {
    const r = run(['sae_topk', JSON.stringify(cfg), String(reps), String(s.threads)], {
      OPENBLAS_NUM_THREADS: String(s.openblas),
      OMP_NUM_THREADS: String(s.threads),
    }) as TorchSaeStep | null;
    if (r) out.push(r);
  }
  return out.length ? out : null;
}
