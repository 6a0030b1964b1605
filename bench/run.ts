/**
 * `pnpm bench`: engine benchmarks, printed as tables with ratios and as JSON (last line of stdout, and
 * bench/results/latest.json). Not part of `pnpm test`.
 *
 *   pnpm bench [--quick] [--full] [--skip-cpu] [--skip-python] [--only sgemm,gpt2,core,sae,patching]
 *
 * --quick: fewer repetitions. --full: also the all-weights gradient on pure-JS tfjs cpu (minutes).
 * --skip-cpu: no pure-JS tfjs runs. --skip-python: no numpy/PyTorch reference.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { engineInfo, initEngine, tf } from '@mechlens/core';
import { registerNativeKernels, unregisterNativeKernels } from '@mechlens/kernels';
import { benchSgemm, DEFAULT_SGEMM_SHAPES } from '../packages/kernels/bench/sgemm.js';
import { benchCore } from './core.js';
import { GPT2_SMALL, type Gpt2Measure, makeGpt2, timeIt } from './gpt2.js';
import { benchPatching } from './patching.js';
import { numpySgemm, pythonHas, torchGpt2, torchSaeStep } from './python.js';
import { benchSaeStep, SAE_BENCH_SHAPE } from './sae.js';
import { median, table } from './table.js';

const argv = process.argv.slice(2);
const flag = (f: string) => argv.includes(f);
const only = (() => {
  const i = argv.indexOf('--only');
  return i >= 0 ? new Set(argv[i + 1].split(',')) : null;
})();
const want = (s: string) => !only || only.has(s);
const quick = flag('--quick');
const report: Record<string, unknown> = { date: new Date().toISOString() };

function log(s = ''): void {
  process.stdout.write(`${s}\n`);
}

async function sgemmSection(): Promise<void> {
  log('\n## SGEMM (GFLOP/s, 2 threads unless MECHLENS_THREADS; median of interleaved rounds)');
  const shapes = [...DEFAULT_SGEMM_SHAPES];
  const npShapes = shapes.map((s) => {
    const d = s.split('x').map(Number);
    const [b, m, k, n] = d.length === 4 ? d : [1, ...d];
    return [m, k, n, b] as [number, number, number, number];
  });
  const rounds = quick ? 2 : 4;
  const ours: number[][] = shapes.map(() => []);
  const viaTf: number[][] = shapes.map(() => []);
  const numpy: number[][] = shapes.map(() => []);
  const haveNumpy = !flag('--skip-python') && pythonHas('numpy');
  for (let r = 0; r < rounds; r++) {
    const res = await benchSgemm(shapes, quick ? 5 : 10, { viaTf: true });
    res.forEach((x, i) => {
      ours[i].push(x.gflops);
      viaTf[i].push(x.tfGflops ?? Number.NaN);
    });
    if (haveNumpy) {
      const np = numpySgemm(npShapes, quick ? 5 : 10);
      np?.sgemm.forEach((x, i) => {
        numpy[i].push(x.gflops);
      });
    }
  }
  const rows = shapes.map((s, i) => {
    const o = median(ours[i]);
    const n = numpy[i].length ? median(numpy[i]) : Number.NaN;
    return { shape: s, native: o, viaTfMatMul: median(viaTf[i]), numpy: n, ratio: o / n };
  });
  log(
    table(
      ['shape [BxMxKxN]', 'native', 'tf.matMul', 'numpy', 'native/numpy'],
      rows.map((r) => [r.shape, r.native, r.viaTfMatMul, r.numpy, r.ratio]),
    ),
  );
  report.sgemm = rows;
}

async function gpt2Section(): Promise<void> {
  const shape = GPT2_SMALL;
  log(`\n## GPT-2-small-shaped model (random weights, batch 1, seq ${shape.seq}): seconds`);
  const { model, ids } = await makeGpt2(shape);
  const measures: Gpt2Measure[] = ['forward', 'grad_resid6', 'grad_all'];
  const reps = quick ? 3 : 5;
  const native: Record<string, number> = {};
  for (const m of measures)
    native[m] = timeIt(model, ids, m, m === 'grad_all' ? Math.max(2, reps - 2) : reps);

  const torch: Record<string, number> = {};
  let torchSettings: unknown = null;
  if (!flag('--skip-python') && pythonHas('torch')) {
    const runs = torchGpt2({ ...shape }, reps);
    if (runs) {
      torchSettings = runs;
      for (const m of measures) torch[m] = Math.min(...runs.map((r) => r[m]));
    }
  }
  // Native again, interleaved after the reference, to damp the VM's drift.
  for (const m of measures) {
    native[m] = Math.min(native[m], timeIt(model, ids, m, m === 'grad_all' ? 2 : reps));
  }

  const cpu: Record<string, number> = {};
  if (!flag('--skip-cpu')) {
    unregisterNativeKernels('cpu');
    try {
      log('  (pure-JS tfjs cpu: one run each, this takes minutes)');
      cpu.forward = timeIt(model, ids, 'forward', 1);
      cpu.grad_resid6 = timeIt(model, ids, 'grad_resid6', 1);
      if (flag('--full')) cpu.grad_all = timeIt(model, ids, 'grad_all', 1);
    } finally {
      registerNativeKernels('cpu');
    }
  }
  model.dispose();
  const rows = measures.map((m) => ({
    measure: m,
    native: native[m],
    pureCpu: cpu[m] ?? Number.NaN,
    speedupVsCpu: (cpu[m] ?? Number.NaN) / native[m],
    torchBest: torch[m] ?? Number.NaN,
    nativeOverTorch: native[m] / (torch[m] ?? Number.NaN),
  }));
  log(
    table(
      ['measure', 'native s', 'pure tfjs cpu s', 'cpu/native', 'PyTorch best s', 'native/PyTorch'],
      rows.map((r) => [r.measure, r.native, r.pureCpu, r.speedupVsCpu, r.torchBest, r.nativeOverTorch]),
    ),
  );
  if (!cpu.grad_all) log('  grad_all on pure-JS cpu skipped (pass --full; it runs for many minutes)');
  report.gpt2 = { shape, rows, torchSettings };
}

async function coreSection(): Promise<void> {
  log(`\n## @mechlens/core on a GPT-2-small-sized checkpoint (random weights, saved and loaded as HF files)`);
  const rows = await benchCore(GPT2_SMALL, quick ? 3 : 5);
  log(
    table(
      ['measure', 'seconds', 'tokens/s', 'note'],
      rows.map((r) => [r.measure, r.seconds, r.tokensPerSecond ?? Number.NaN, r.note]),
    ),
  );
  report.core = rows;
}

async function saeSection(): Promise<void> {
  const s = SAE_BENCH_SHAPE;
  log(
    `\n## SAE training step (d_in ${s.d}, ${s.n} latents, k ${s.k}, batch ${s.batch} activations): tokens/s`,
  );
  const steps = quick ? 4 : 8;
  const ours = await benchSaeStep(s, steps, 'topk');
  let torch: { tokensPerSecond: number; threads: number } | null = null;
  if (!flag('--skip-python') && pythonHas('torch')) {
    const runs = torchSaeStep(s, quick ? 3 : 5);
    if (runs) torch = runs.reduce((a, b) => (b.tokensPerSecond > a.tokensPerSecond ? b : a));
  }
  const again = await benchSaeStep(s, steps, 'topk'); // interleaved, to damp the VM's drift
  const best = ours.tokensPerSecond > again.tokensPerSecond ? ours : again;
  const aux = await benchSaeStep(s, steps, 'topk', true);
  const gsae = await benchSaeStep(s, steps, 'gsae');
  const row = (measure: string, r: { seconds: number; tokensPerSecond: number }) => ({
    measure,
    seconds: r.seconds,
    tokensPerSecond: r.tokensPerSecond,
    torchTokensPerSecond: torch?.tokensPerSecond ?? Number.NaN,
    ratio: r.tokensPerSecond / (torch?.tokensPerSecond ?? Number.NaN),
  });
  const rows = [
    row('TopK step (sparse decode, hand-written backward)', best),
    row('TopK step with AuxK every step (k_aux 384)', aux),
    row('g-SAE step (+ the W_dec g product; gradients given)', gsae),
  ];
  log(
    table(
      ['measure', 's/step', 'tokens/s', 'PyTorch dense-decoder tokens/s', 'ours/PyTorch'],
      rows.map((r) => [r.measure, r.seconds, r.tokensPerSecond, r.torchTokensPerSecond, r.ratio]),
    ),
  );
  report.sae = { shape: s, rows, torch };
}

async function patchingSection(): Promise<void> {
  const { rows, seq, prompts } = await benchPatching(quick);
  log(
    `\n## Patching sweeps, GPT-2-small-sized random model, ${prompts} prompts × ${seq} positions: seconds per full sweep`,
  );
  log(
    table(
      [
        'component',
        'patches',
        'naive loop (1 forward/patch)',
        'activation patching',
        'AtP',
        'RelP',
        'naive/activation',
        'activation/AtP',
        'RelP/AtP',
      ],
      rows.map((r) => [
        r.component,
        r.patches,
        r.naiveSeconds,
        r.activationSeconds,
        r.attributionSeconds,
        r.relevanceSeconds,
        r.naiveSeconds / r.activationSeconds,
        r.activationSeconds / r.attributionSeconds,
        r.relevanceSeconds / r.attributionSeconds,
      ]),
    ),
  );
  report.patching = { seq, prompts, rows };
}

async function main(): Promise<void> {
  const info = await initEngine();
  log(`# mechlens bench\nengine: ${JSON.stringify(info)}`);
  report.engine = info;
  if (want('sgemm')) await sgemmSection();
  if (want('gpt2')) await gpt2Section();
  if (want('core')) await coreSection();
  if (want('sae')) await saeSection();
  if (want('patching')) await patchingSection();
  const leaked = tf.memory().numTensors;
  report.tensorsAlive = leaked;
  const dir = join(dirname(fileURLToPath(import.meta.url)), 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
  log(`\nengine: ${engineInfo().reason}`);
  log(JSON.stringify(report));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
