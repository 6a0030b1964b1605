/**
 * The SAE training loop: Adam with warm-up and linear decay (latent-count scaled default rate), AuxK
 * revival of latents dead for `deadTokens` tokens, unit-norm decoder rows with gradient projection,
 * geometric-median (or mean) initialisation of `b_dec`, atomic checkpoints that resume bit for bit,
 * NaN/Inf detection that keeps the last good checkpoint, a progress bar and a JSONL metrics log.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { normalizeRows, ProgressBar, projectRows, tf } from '@mechlens/core';
import type { SaeConfig } from '../config.js';
import type { ActivationSource } from '../data/store.js';
import { Sae, type SaeParams } from '../sae.js';
import { Adam } from './adam.js';
import { readCheckpoint, writeCheckpoint } from './checkpoint.js';
import { DeadTracker } from './dead.js';
import { stepGradients } from './gradients.js';
import { geometricMedian } from './init.js';
import { defaultLearningRate, learningRateAt } from './schedule.js';

/**
 * Options of {@link trainSae}.
 *
 * @example
 * await trainSae({ cfg, store, tokens: 2_000_000, checkpointDir: 'out/ckpt', logPath: 'out/log.jsonl' });
 */
export interface TrainSaeOptions {
  cfg: SaeConfig;
  /** Activations for `cfg.metadata.hookName` (with gradients for g-SAE), e.g. an `ActivationStore`. */
  store: ActivationSource;
  /** Training tokens (rows); steps = ceil(tokens / batch size). */
  tokens: number;
  /** Peak learning rate (default `2e-4 / sqrt(dSae / 2^14)`). */
  lr?: number;
  /** Linear warm-up steps (default min(1000, 5% of the steps)). */
  warmupSteps?: number;
  /** Final fraction of the steps with linear decay to 0 (default 0.2). */
  decayFraction?: number;
  /** Adam β1, β2, ε (defaults 0.9, 0.999, 6.25e-10). */
  adam?: { beta1?: number; beta2?: number; eps?: number };
  /** AuxK weight (default 1/32; 0 turns AuxK off). */
  auxAlpha?: number;
  /** AuxK width (default min(512, dIn / 2)). */
  kAux?: number;
  /**
   * Tokens without firing after which a latent counts as dead (default 10M as in the TopK paper, but at
   * most a fifth of the run, so short runs still revive latents).
   */
  deadTokens?: number;
  /**
   * `b_dec` initialisation: the `geometric-median` of the first batch (default; OpenAI's TopK code), its
   * `mean` (sparsify) or `zero` (top-AFA's reference code, and the default for top-AFA: its selection
   * matches the code's norm to `‖x̃ − b_dec‖` while its loss matches it to `‖x̃‖`, and a large initial
   * `b_dec` sets the two against each other).
   */
  bDecInit?: 'geometric-median' | 'mean' | 'zero';
  /** Parameter seed (default 0). */
  seed?: number;
  /** Checkpoint folder (none: no checkpoints, no resume). */
  checkpointDir?: string;
  /** Steps between checkpoints (default: ~20 per run, at least every 50 steps). */
  checkpointEvery?: number;
  /** Continue from the checkpoint in `checkpointDir` if there is one (its config must match). */
  resume?: boolean;
  /** JSONL metrics log (one line per logged step). */
  logPath?: string;
  /** Steps between log lines (default 10). */
  logEvery?: number;
  /** Show a progress bar (default: when stderr is a TTY). */
  progress?: boolean;
  /** Stop after this many steps of this call (testing resume; the schedule still spans all steps). */
  stopAfterSteps?: number;
  /** Called after every step. */
  onStep?: (m: StepMetrics) => void;
}

/**
 * Metrics of one step.
 *
 * @example
 * onStep: (m) => console.log(m.step, m.fvu, m.l0, m.deadFraction)
 */
export interface StepMetrics {
  step: number;
  tokens: number;
  lr: number;
  loss: number;
  fvu: number;
  auxLoss: number;
  sparsityLoss: number;
  /** Mean active latents per token. */
  l0: number;
  /** Fraction of latents dead (by the token threshold). */
  deadFraction: number;
  tokensPerSecond: number;
}

/**
 * Result of {@link trainSae}.
 *
 * @example
 * const { sae, last } = await trainSae(opts);
 */
export interface TrainSaeResult {
  sae: Sae;
  steps: number;
  tokens: number;
  last: StepMetrics | null;
  seconds: number;
  /** Per-latent firing frequency over the steps of this call (for `sparsity.safetensors`). */
  firingFrequency: Float32Array;
  /** Whether the run stopped early (`stopAfterSteps`). */
  stoppedEarly: boolean;
}

/** Raised when the loss becomes NaN or infinite. */
export class TrainingDivergedError extends Error {}

function fingerprint(cfg: SaeConfig, o: TrainSaeOptions, steps: number, batch: number): string {
  return JSON.stringify({
    cfg,
    steps,
    batch,
    lr: o.lr ?? null,
    warm: o.warmupSteps ?? null,
    decay: o.decayFraction ?? null,
    adam: o.adam ?? null,
    aux: [o.auxAlpha ?? null, o.kAux ?? null, o.deadTokens ?? null],
    init: o.bDecInit ?? null,
    seed: o.seed ?? 0,
  });
}

/** Scales each decoder row to unit norm, in place. */
function renormalize(v: tf.Variable): void {
  const next = normalizeRows(v as tf.Tensor2D);
  v.assign(next);
  next.dispose();
}

/**
 * Trains an SAE on activations from `store`. Leaves no tensors behind except the returned SAE.
 *
 * @example
 * const store = new ActivationStore({ model, hooks: [hook], contexts, contextSize: 128 });
 * const { sae, last } = await trainSae({ cfg, store, tokens: 4_000_000, checkpointDir: 'ckpt' });
 * console.log(last?.fvu);
 */
export async function trainSae(o: TrainSaeOptions): Promise<TrainSaeResult> {
  const { cfg, store } = o;
  const hook = cfg.metadata.hookName;
  if (!store.hooks.includes(hook as never))
    throw new Error(`trainSae: the store does not capture '${hook}' (it has ${store.hooks.join(', ')})`);
  if (store.dims[hook] !== cfg.dIn)
    throw new Error(`trainSae: '${hook}' has width ${store.dims[hook]}, but the SAE's dIn is ${cfg.dIn}`);
  const batch = store.batchSize;
  const steps = Math.max(1, Math.ceil(o.tokens / batch));
  const lr = o.lr ?? defaultLearningRate(cfg.dSae);
  const schedule = {
    lr,
    steps,
    warmupSteps: o.warmupSteps ?? Math.min(1000, Math.floor(steps * 0.05)),
    decayFraction: o.decayFraction ?? 0.2,
  };
  const deadTokens = o.deadTokens ?? Math.max(batch, Math.min(10_000_000, Math.floor((steps * batch) / 5)));
  const sparse = cfg.architecture !== 'relu';
  const auxAlpha = sparse ? (o.auxAlpha ?? 1 / 32) : 0;
  const fp = fingerprint(cfg, o, steps, batch);
  const needGrads = cfg.architecture === 'gsae' && cfg.beta > 0;

  const sae = Sae.init(cfg, { seed: o.seed ?? 0 });
  const opt = new Adam(o.adam);
  const dead = new DeadTracker(cfg.dSae, deadTokens);
  const fired = new Float64Array(cfg.dSae);
  let step = 0;
  let seconds = 0;
  const vars = sae.params as unknown as Record<string, tf.Variable>;

  const ck = o.resume && o.checkpointDir ? await readCheckpoint(o.checkpointDir) : null;
  if (ck) {
    if (ck.state.fingerprint !== fp) {
      tf.dispose(Object.values(ck.tensors));
      sae.dispose();
      throw new Error(
        `cannot resume from ${ck.path}: it was written by a run with a different configuration or options; use another checkpoint folder or drop --resume`,
      );
    }
    for (const key of Object.keys(sae.params) as (keyof SaeParams)[]) {
      sae.params[key].assign(ck.tensors[`sae.${key}`]);
      ck.tensors[`sae.${key}`].dispose();
    }
    const adamTensors: Record<string, tf.Tensor> = {};
    for (const [k, t] of Object.entries(ck.tensors)) if (k.startsWith('adam.')) adamTensors[k.slice(5)] = t;
    opt.restore(ck.state.adamT, adamTensors);
    dead.since.set(ck.state.deadSince);
    dead.everFired.set(ck.state.everFired);
    step = ck.state.step;
    seconds = ck.state.seconds;
    store.seek(ck.state.store);
  }

  const checkpointEvery = o.checkpointEvery ?? Math.max(1, Math.min(50, Math.ceil(steps / 20)));
  const save = async () => {
    if (!o.checkpointDir) return;
    const tensors: Record<string, tf.Tensor> = {};
    for (const [k, t] of Object.entries(sae.params)) tensors[`sae.${k}`] = t;
    for (const [k, t] of Object.entries(opt.state().tensors)) tensors[`adam.${k}`] = t;
    await writeCheckpoint(o.checkpointDir, tensors, {
      step,
      tokens: step * batch,
      adamT: opt.t,
      store: store.position(),
      deadSince: Array.from(dead.since),
      everFired: Array.from(dead.everFired),
      fingerprint: fp,
      seconds,
    });
  };
  if (o.logPath) {
    mkdirSync(dirname(o.logPath), { recursive: true });
    if (!ck && existsSync(o.logPath)) rmSync(o.logPath);
    if (ck && existsSync(o.logPath)) {
      // lines written after the checkpoint (before a crash) are replayed by this run: drop them
      const kept = readFileSync(o.logPath, 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '' && (JSON.parse(l) as StepMetrics).step <= step);
      writeFileSync(o.logPath, kept.map((l) => `${l}\n`).join(''));
    }
  }

  const bar = new ProgressBar({
    total: steps * batch,
    label: `train-sae ${cfg.architecture}`,
    unit: 'tok',
    enabled: o.progress,
  });
  bar.update(step * batch);
  let last: StepMetrics | null = null;
  let stoppedEarly = false;
  const t0 = performance.now();
  let tLast = t0;
  let stepsThisCall = 0;
  try {
    while (step < steps) {
      if (o.stopAfterSteps !== undefined && stepsThisCall >= o.stopAfterSteps) {
        stoppedEarly = true;
        break;
      }
      const b = await store.next();
      const x = b.acts[hook];
      const g = b.grads?.[hook];
      try {
        const bDecInit = o.bDecInit ?? (cfg.architecture === 'topafa' ? 'zero' : 'geometric-median');
        if (step === 0 && bDecInit !== 'zero') {
          const center = tf.tidy(() => {
            const { input } = sae.normalizeInput(x);
            return bDecInit === 'mean' ? tf.mean(input, 0) : geometricMedian(input as tf.Tensor2D);
          });
          sae.params.bDec.assign(center);
          center.dispose();
        }
        const deadCount = dead.count();
        const deadMask = sparse && deadCount > 0 && auxAlpha > 0 ? dead.mask() : null;
        const r = stepGradients(sae, x, {
          grad: needGrads ? g : undefined,
          deadMask,
          deadCount,
          kAux: o.kAux,
          auxAlpha,
        });
        deadMask?.dispose();
        if (!Number.isFinite(r.loss)) {
          tf.dispose([...Object.values(r.grads), r.code.values, ...(r.code.indices ? [r.code.indices] : [])]);
          throw new TrainingDivergedError(
            `training diverged at step ${step + 1}: the loss is ${r.loss}. ${o.checkpointDir ? `The last good checkpoint (step ${Math.floor(step / checkpointEvery) * checkpointEvery}) is in ${o.checkpointDir}; ` : ''}try a lower learning rate (now ${lr.toExponential(2)}).`,
          );
        }
        if (sparse) {
          // remove each row's radial component: g_i ← g_i − (g_i·w_i) w_i
          const projected = projectRows(r.grads.decoder as tf.Tensor2D, sae.params.decoder as tf.Tensor2D);
          r.grads.decoder.dispose();
          r.grads.decoder = projected;
        }
        const grads: Record<string, tf.Tensor> = { ...r.grads };
        if (!cfg.encoderBias) delete grads.bEnc;
        const lrNow = learningRateAt(step, schedule);
        opt.step(vars, grads, lrNow);
        if (sparse) renormalize(sae.params.decoder);
        // L0 and dead tracking
        const v = r.code.values.dataSync();
        let active = 0;
        for (let i = 0; i < v.length; i++) if (v[i] > 0) active++;
        if (r.code.indices) {
          const idx = r.code.indices.dataSync();
          for (let i = 0; i < v.length; i++) if (v[i] > 0) fired[idx[i]]++;
        } else for (let i = 0; i < v.length; i++) if (v[i] > 0) fired[i % cfg.dSae]++;
        dead.update(r.code, batch);
        tf.dispose([...Object.values(r.grads), r.code.values, ...(r.code.indices ? [r.code.indices] : [])]);
        step++;
        stepsThisCall++;
        const now = performance.now();
        seconds += (now - tLast) / 1000;
        tLast = now;
        last = {
          step,
          tokens: step * batch,
          lr: lrNow,
          loss: r.loss,
          fvu: r.fvu,
          auxLoss: r.auxLoss,
          sparsityLoss: r.sparsityLoss,
          l0: active / batch,
          deadFraction: dead.count() / cfg.dSae,
          tokensPerSecond: (stepsThisCall * batch) / ((now - t0) / 1000),
        };
        o.onStep?.(last);
        bar.update(step * batch);
        bar.setStatus(
          `loss ${last.loss.toFixed(4)} FVU ${last.fvu.toFixed(3)} L0 ${last.l0.toFixed(1)} dead ${(100 * last.deadFraction).toFixed(1)}%`,
        );
        if (o.logPath && (step % (o.logEvery ?? 10) === 0 || step === steps))
          appendFileSync(o.logPath, `${JSON.stringify(last)}\n`);
        if (step % checkpointEvery === 0 || step === steps) await save();
        // let timers and I/O run between steps (progress output, signal handlers, test runners)
        await new Promise((r) => setImmediate(r));
      } finally {
        tf.dispose([...Object.values(b.acts), ...(b.grads ? Object.values(b.grads) : [])]);
      }
    }
  } catch (e) {
    opt.dispose();
    sae.dispose();
    throw e;
  } finally {
    bar.finish();
  }
  opt.dispose();
  const firingFrequency = new Float32Array(cfg.dSae);
  const seen = Math.max(1, stepsThisCall * batch);
  for (let i = 0; i < cfg.dSae; i++) firingFrequency[i] = fired[i] / seen;
  return { sae, steps: step, tokens: step * batch, last, seconds, firingFrequency, stoppedEarly };
}
