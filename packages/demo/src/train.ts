/**
 * Training a small GPT-2-architecture model on the demo corpus with `@mechlens/core`'s own forward pass:
 * AdamW (decoupled weight decay on matrices), linear warmup + cosine decay, global-norm gradient
 * clipping, resumable checkpoints, a progress bar with the loss and a JSONL log. Deterministic in the
 * seed: the same options give the same weights on the same engine.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  createRandomModel,
  HookedTransformer,
  loadTokenizer,
  type ModelConfigInput,
  type ModelParams,
  openSafetensors,
  ProgressBar,
  paramEntries,
  saveModel,
  type TensorParams,
  tf,
  writeSafetensors,
} from '@mechlens/core';
import { corpusDocuments, EVAL_DOCUMENT_COUNT } from './corpus.js';
import { packContexts } from './pack.js';
import { DEMO_TOKENIZER_PATH } from './paths.js';
import type { Mix, Phenomenon } from './types.js';

/**
 * Options of {@link trainDemoModel}; every field has the shipped recipe's default.
 *
 * @example
 * await trainDemoModel({ out: '/tmp/demo', workDir: '/tmp/demo-train', steps: 50 });
 */
export interface TrainOptions {
  /** Where the final Hugging Face checkpoint goes. */
  out: string;
  /** Resumable training state and `log.jsonl` (default `<out>/../.train-<name>`). */
  workDir?: string;
  seed?: number;
  nLayers?: number;
  dModel?: number;
  nHeads?: number;
  dMLP?: number;
  contextLength?: number;
  batchSize?: number;
  steps?: number;
  /** Peak learning rate (default 3e-3). */
  lr?: number;
  /** Final learning rate as a fraction of the peak (default 0.1). */
  minLrFraction?: number;
  warmupSteps?: number;
  weightDecay?: number;
  beta1?: number;
  beta2?: number;
  /** Global gradient-norm clip (default 1). */
  clip?: number;
  /** Save the training state every this many steps (default 100). */
  checkpointEvery?: number;
  /** Held-out loss every this many steps on `evalContexts` contexts (default 250 and 16). */
  evalEvery?: number;
  evalContexts?: number;
  /** Relative weights of the corpus phenomena (default {@link TRAIN_MIX}). */
  mix?: Mix;
  /**
   * Later phases of training, each switching the data mixture (and optionally restarting the
   * learning rate) at a step (default {@link TRAIN_PHASES}; `[]` trains on `mix` throughout).
   */
  phases?: readonly TrainPhase[];
  /**
   * Initial learned positions: 'sinusoidal' (default; scaled sinusoids of the original Transformer,
   * which make previous-token attention, and so induction, easy to find) or 'normal' (GPT-2's init).
   */
  positionInit?: 'sinusoidal' | 'normal';
  /** Start again even if `workDir` holds a state (default false: resume). */
  fresh?: boolean;
  /** Show a progress bar (default: when stderr is a terminal, or always in the CLI). */
  progress?: boolean;
  /** Called after every step. */
  onStep?: (s: TrainStep) => void;
}

/**
 * A phase of training: from step `from` (0-based) on, contexts come from `mix`; with `lr` the learning
 * rate jumps to `lr` there and decays by a cosine to `lr · minLrFraction` at the last step.
 *
 * @example
 * const phase: TrainPhase = { from: 1000, mix: { ...TRAIN_MIX, repeats: 0.5 }, lr: 2e-3 };
 */
export interface TrainPhase {
  from: number;
  mix: Mix;
  lr?: number;
}

/** One step's numbers (also the JSONL log record). */
export interface TrainStep {
  step: number;
  loss: number;
  lr: number;
  gradNorm: number;
  tokens: number;
  seconds: number;
  evalLoss?: number;
}

/** What {@link trainDemoModel} returns. */
export interface TrainResult {
  out: string;
  steps: number;
  seconds: number;
  finalLoss: number;
  finalEvalLoss: number;
}

/**
 * The shipped model's training mixture until the first of {@link TRAIN_PHASES}: every phenomenon of
 * the default corpus, with more IOI, plus `pairs` (previous-token practice) and 27% `repeats`
 * (long repeated lists, which reward induction on about half their tokens).
 *
 * @example
 * trainDemoModel({ out, mix: { ...TRAIN_MIX, facts: 0.2 } });
 */
export const TRAIN_MIX: Readonly<Record<Phenomenon, number>> = {
  ioi: 0.17,
  induction: 0.15,
  facts: 0.1,
  sentiment: 0.06,
  topics: 0.04,
  style: 0.04,
  requests: 0.07,
  ab: 0.05,
  pairs: 0.05,
  repeats: 0.27,
  drills: 0,
};

const PHASE_BASE: Mix = {
  ioi: 0.14,
  induction: 0.12,
  facts: 0.08,
  sentiment: 0.05,
  topics: 0.03,
  style: 0.03,
  requests: 0.06,
  ab: 0.04,
  pairs: 0.05,
};

/**
 * The later phases of the shipped recipe, a curriculum for the induction head. On {@link TRAIN_MIX}
 * alone the model forms a previous-token head but no induction head (none by step 3,900, nor in 600
 * further steps with 40% `repeats` and the learning rate raised to 1.9e-3). So from step 3,900, 40%
 * of the documents are `drills` (lists repeated with a full stop after each repeat, where the place
 * to copy from can be found by counting positions, so a head learns to copy); from step 5,000 they
 * are `repeats` (no full stops, so that place can be found only by matching tokens: induction).
 * Each phase restarts the learning rate.
 *
 * @example
 * trainDemoModel({ out, phases: [] }); // one phase: TRAIN_MIX throughout
 */
export const TRAIN_PHASES: readonly TrainPhase[] = [
  { from: 3900, mix: { ...PHASE_BASE, drills: 0.4 }, lr: 2.5e-3 },
  { from: 5000, mix: { ...PHASE_BASE, repeats: 0.4 }, lr: 2e-3 },
];

/**
 * The training stream of packed contexts: a pure function of the seed and the mix, so a resumed run
 * skips what it already consumed.
 *
 * @example
 * const it = trainingContexts((t) => tok.encode(t), { seed: 0, mix: TRAIN_MIX, contextLength: 128 });
 */
export function trainingContexts(
  encode: (text: string) => readonly number[],
  o: { seed: number; mix?: Mix; contextLength: number },
): Generator<number[]> {
  return packContexts(corpusDocuments({ seed: o.seed, split: 'train', mix: o.mix }), encode, {
    contextLength: o.contextLength,
  });
}

/**
 * Sinusoidal position table `[n, d]` (sin on even, cos on odd dims) times `scale`.
 *
 * @example
 * sinusoidalPositions(128, 64, 0.05);
 */
export function sinusoidalPositions(n: number, d: number, scale: number): Float32Array {
  const out = new Float32Array(n * d);
  for (let p = 0; p < n; p++) {
    for (let i = 0; i < d; i += 2) {
      const a = p / 10000 ** (i / d);
      out[p * d + i] = scale * Math.sin(a);
      if (i + 1 < d) out[p * d + i + 1] = scale * Math.cos(a);
    }
  }
  return out;
}

const DEFAULTS = {
  mix: TRAIN_MIX as Mix,
  phases: TRAIN_PHASES,
  positionInit: 'sinusoidal' as 'sinusoidal' | 'normal',
  seed: 0,
  nLayers: 4,
  dModel: 128,
  nHeads: 4,
  dMLP: 512,
  contextLength: 128,
  batchSize: 32,
  steps: 6000,
  lr: 3e-3,
  minLrFraction: 0.1,
  warmupSteps: 100,
  weightDecay: 0.1,
  beta1: 0.9,
  beta2: 0.95,
  clip: 1,
  checkpointEvery: 100,
  evalEvery: 250,
  evalContexts: 16,
};

/**
 * The learning rate at `step` (0-based): linear warmup to `lr`, then cosine decay to
 * `lr · minLrFraction` at the last step.
 *
 * @example
 * learningRate(0, { lr: 1e-3, warmupSteps: 10, steps: 100, minLrFraction: 0.1 }); // 1e-4
 */
export function learningRate(
  step: number,
  o: { lr: number; warmupSteps: number; steps: number; minLrFraction: number },
): number {
  if (step < o.warmupSteps) return (o.lr * (step + 1)) / o.warmupSteps;
  return cosineDecay(step, o.lr, o.warmupSteps, o);
}

/** Cosine decay from `peak` at step `from` to `peak · minLrFraction` at the last step. */
function cosineDecay(
  step: number,
  peak: number,
  from: number,
  o: { steps: number; minLrFraction: number },
): number {
  const span = Math.max(1, o.steps - from - 1);
  const p = Math.min(1, (step - from) / span);
  const lo = peak * o.minLrFraction;
  return lo + 0.5 * (peak - lo) * (1 + Math.cos(Math.PI * p));
}

/**
 * The learning rate at `step` with phases: {@link learningRate}, except after the last phase that
 * restarts it (`lr` set), where it falls by a cosine from that phase's `lr` at its first step to
 * `lr · minLrFraction` at the last step.
 *
 * @example
 * phasedLearningRate(50, { lr: 1e-3, warmupSteps: 10, steps: 100, minLrFraction: 0.1 }, [{ from: 50, mix: {}, lr: 2e-3 }]); // 2e-3
 */
export function phasedLearningRate(
  step: number,
  o: { lr: number; warmupSteps: number; steps: number; minLrFraction: number },
  phases: readonly TrainPhase[],
): number {
  const restart = phases.filter((ph) => ph.lr !== undefined && ph.from <= step).pop();
  if (!restart?.lr) return learningRate(step, o);
  return cosineDecay(step, restart.lr, restart.from, o);
}

/** Throws unless `phases` start at increasing steps after step 0, each with a usable mixture. */
function checkPhases(phases: readonly TrainPhase[]): void {
  let last = 0;
  for (const [i, ph] of phases.entries()) {
    if (!Number.isInteger(ph.from) || ph.from <= last) {
      throw new Error(
        `phases[${i}].from is ${ph.from}: phases must start at increasing whole steps after step 0 (step 0 uses mix)`,
      );
    }
    if (ph.lr !== undefined && !(ph.lr > 0))
      throw new Error(`phases[${i}].lr is ${ph.lr}: give a positive rate`);
    if (!Object.values(ph.mix).some((w) => (w ?? 0) > 0)) {
      throw new Error(`phases[${i}].mix has no positive weight: give at least one phenomenon a weight`);
    }
    last = ph.from;
  }
}

/**
 * Mean next-token cross-entropy of `logits` `[B, T, V]` for `ids` `[B, T]` (positions 0..T-2
 * predict 1..T-1).
 *
 * @example
 * const loss = nextTokenLoss(model.forward(ids), ids);
 */
export function nextTokenLoss(logits: tf.Tensor3D, ids: readonly (readonly number[])[]): tf.Scalar {
  return tf.tidy(() => {
    const [B, T, V] = logits.shape;
    const n = B * (T - 1);
    const flat = new Int32Array(n);
    for (let b = 0; b < B; b++)
      for (let t = 0; t < T - 1; t++) flat[b * (T - 1) + t] = (b * (T - 1) + t) * V + ids[b][t + 1];
    const lp = tf.logSoftmax(tf.reshape(tf.slice(logits, [0, 0, 0], [B, T - 1, V]), [n, V]));
    return tf.neg(tf.mean(tf.gather(tf.reshape(lp, [-1]), tf.tensor1d(flat, 'int32')))) as tf.Scalar;
  });
}

function mapParams<A, B>(p: ModelParams<A>, f: (x: A) => B): ModelParams<B> {
  const g = (x: A | null): B | null => (x === null ? null : f(x));
  return {
    W_E: f(p.W_E),
    W_pos: g(p.W_pos),
    blocks: p.blocks.map((b) => ({
      ln1: { w: f(b.ln1.w), b: g(b.ln1.b) },
      ln2: { w: f(b.ln2.w), b: g(b.ln2.b) },
      W_Q: f(b.W_Q),
      b_Q: g(b.b_Q),
      W_K: f(b.W_K),
      b_K: g(b.b_K),
      W_V: f(b.W_V),
      b_V: g(b.b_V),
      W_O: f(b.W_O),
      b_O: g(b.b_O),
      W_in: f(b.W_in),
      b_in: g(b.b_in),
      W_gate: g(b.W_gate),
      b_gate: g(b.b_gate),
      W_out: f(b.W_out),
      b_out: g(b.b_out),
    })),
    lnFinal: { w: f(p.lnFinal.w), b: g(p.lnFinal.b) },
    W_U: f(p.W_U),
    b_U: g(p.b_U),
  };
}

interface State {
  step: number;
  seconds: number;
  options: Record<string, unknown>;
}

function writeJsonAtomic(path: string, v: unknown): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(v, null, 2)}\n`);
  renameSync(tmp, path);
}

/** The held-out contexts used for the eval loss (the first `n` packed eval documents). */
function evalBatch(encode: (t: string) => number[], n: number, T: number): number[][] {
  const out: number[][] = [];
  for (const c of packContexts(
    corpusDocuments({ seed: 0, split: 'eval', count: EVAL_DOCUMENT_COUNT }),
    encode,
    {
      contextLength: T,
    },
  )) {
    out.push(c);
    if (out.length === n) break;
  }
  return out;
}

/**
 * Trains the demo model (or resumes a run in `workDir`) and writes the final checkpoint to `out`
 * (config.json, model.safetensors, tokenizer files, generation_config.json).
 *
 * @example
 * const r = await trainDemoModel({ out: 'models/mechlens-demo' });
 * console.log(r.finalEvalLoss);
 */
export async function trainDemoModel(options: TrainOptions): Promise<TrainResult> {
  const o = {
    ...DEFAULTS,
    ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
  } as typeof DEFAULTS & TrainOptions;
  checkPhases(o.phases);
  const workDir = o.workDir ?? join(o.out, '..', `.train-${o.out.split(/[\\/]/).filter(Boolean).pop()}`);
  mkdirSync(workDir, { recursive: true });
  const tok = await loadTokenizer(DEMO_TOKENIZER_PATH);
  const encode = (t: string): number[] => tok.encode(t);
  const T = o.contextLength;
  const cfg: ModelConfigInput = {
    arch: 'gpt2',
    nLayers: o.nLayers,
    dModel: o.dModel,
    nHeads: o.nHeads,
    dMLP: o.dMLP,
    dVocab: tok.vocabSize,
    nCtx: T,
    tiedEmbeddings: false,
    bosTokenId: tok.bosTokenId,
    eosTokenId: tok.eosTokenId,
  };
  const recipe = {
    seed: o.seed,
    nLayers: o.nLayers,
    dModel: o.dModel,
    nHeads: o.nHeads,
    dMLP: o.dMLP,
    contextLength: T,
    batchSize: o.batchSize,
    steps: o.steps,
    lr: o.lr,
    minLrFraction: o.minLrFraction,
    warmupSteps: o.warmupSteps,
    weightDecay: o.weightDecay,
    beta1: o.beta1,
    beta2: o.beta2,
    clip: o.clip,
    mix: o.mix,
    phases: o.phases,
    positionInit: o.positionInit,
  };
  const statePath = join(workDir, 'state.json');
  const tensorsPath = join(workDir, 'state.safetensors');
  const logPath = join(workDir, 'log.jsonl');
  let state: State = { step: 0, seconds: 0, options: recipe };
  const resume = !o.fresh && existsSync(statePath) && existsSync(tensorsPath);
  if (resume) {
    state = JSON.parse(readFileSync(statePath, 'utf8')) as State;
    const differs = Object.entries(recipe).filter(
      ([k, v]) => JSON.stringify(state.options[k]) !== JSON.stringify(v) && k !== 'steps',
    );
    if (differs.length) {
      throw new Error(
        `${workDir} holds a run with a different recipe (${differs.map(([k]) => k).join(', ')}); pass fresh: true (--fresh) to start over`,
      );
    }
  } else if (existsSync(logPath)) {
    writeFileSync(logPath, '');
  }
  // Parameters as variables; AdamW moments alongside.
  const init = await createRandomModel(cfg, { seed: o.seed, tokenizer: tok });
  const vars = mapParams(init.params, (t) => tf.variable(t, true));
  init.dispose();
  const model = new HookedTransformer(init.config, vars as TensorParams, tok);
  if (o.positionInit === 'sinusoidal' && vars.W_pos) {
    const wp = vars.W_pos;
    tf.tidy(() => wp.assign(tf.tensor(sinusoidalPositions(T, o.dModel, 0.05), [T, o.dModel])));
  }
  const entries = paramEntries(model.params) as [string, tf.Variable][];
  const zeros = (v: tf.Variable): tf.Variable => tf.tidy(() => tf.variable(tf.zerosLike(v), false));
  const m = new Map(entries.map(([k, v]) => [k, zeros(v)]));
  const v2 = new Map(entries.map(([k, v]) => [k, zeros(v)]));
  if (resume) {
    const f = openSafetensors(tensorsPath);
    try {
      for (const [k, p] of entries) {
        tf.tidy(() => {
          p.assign(tf.tensor(f.readF32(`param.${k}`, p.shape).data, p.shape));
          m.get(k)?.assign(tf.tensor(f.readF32(`m.${k}`, p.shape).data, p.shape));
          v2.get(k)?.assign(tf.tensor(f.readF32(`v.${k}`, p.shape).data, p.shape));
        });
      }
    } finally {
      f.close();
    }
  }
  const save = (): void => {
    const tensors: Record<string, { dtype: 'F32'; shape: number[]; data: Float32Array }> = {};
    for (const [k, p] of entries) {
      tensors[`param.${k}`] = { dtype: 'F32', shape: p.shape, data: p.dataSync() as Float32Array };
      tensors[`m.${k}`] = { dtype: 'F32', shape: p.shape, data: m.get(k)?.dataSync() as Float32Array };
      tensors[`v.${k}`] = { dtype: 'F32', shape: p.shape, data: v2.get(k)?.dataSync() as Float32Array };
    }
    writeSafetensors(tensorsPath, tensors);
    writeJsonAtomic(statePath, state);
  };

  // The data stream: phase k's contexts are a pure function of (seed + k, its mix), so resuming skips
  // what the current phase already consumed.
  const starts = [0, ...o.phases.map((ph) => ph.from)];
  const mixes = [o.mix, ...o.phases.map((ph) => ph.mix)];
  const phaseAt = (step: number): number => starts.filter((s) => s <= step).length - 1;
  const streamFor = (k: number, skipSteps: number): Generator<number[]> => {
    const it = trainingContexts(encode, { seed: o.seed + k, mix: mixes[k], contextLength: T });
    for (let i = 0; i < skipSteps * o.batchSize; i++) it.next();
    return it;
  };
  let phase = phaseAt(state.step);
  let contexts = streamFor(phase, state.step - starts[phase]);
  const nextBatch = (step: number): number[][] => {
    if (phaseAt(step) !== phase) {
      phase = phaseAt(step);
      contexts = streamFor(phase, step - starts[phase]);
    }
    return Array.from({ length: o.batchSize }, () => contexts.next().value as number[]);
  };
  const evalIds = evalBatch(encode, o.evalContexts, T);
  const evalLoss = (): number =>
    tf.tidy(() => {
      let s = 0;
      for (let i = 0; i < evalIds.length; i += 8) {
        const chunk = evalIds.slice(i, i + 8);
        s += nextTokenLoss(model.forward(chunk), chunk).dataSync()[0] * chunk.length;
      }
      return s / evalIds.length;
    });

  const bar = new ProgressBar({
    total: o.steps,
    label: 'train',
    unit: 'steps',
    enabled: o.progress ?? process.stderr.isTTY === true,
  });
  bar.update(state.step);
  const varList = entries.map(([, p]) => p);
  let loss = Number.NaN;
  let lastEval = Number.NaN;
  const t0 = performance.now() - state.seconds * 1000;
  while (state.step < o.steps) {
    const step = state.step;
    const ids = nextBatch(step);
    const lr = phasedLearningRate(step, o, o.phases);
    const { value, grads } = tf.variableGrads(() => nextTokenLoss(model.forward(ids), ids), varList);
    loss = value.dataSync()[0];
    value.dispose();
    if (!Number.isFinite(loss)) throw new Error(`training diverged at step ${step} (loss ${loss}); lower lr`);
    const gradNorm = tf.tidy(() =>
      Math.sqrt(tf.addN(varList.map((p) => tf.sum(tf.square(grads[p.name])))).dataSync()[0]),
    );
    const scale = gradNorm > o.clip ? o.clip / gradNorm : 1;
    const t = step + 1;
    const c1 = 1 - o.beta1 ** t;
    const c2 = 1 - o.beta2 ** t;
    tf.tidy(() => {
      for (const [k, p] of entries) {
        const g = tf.mul(grads[p.name], scale);
        const mk = m.get(k) as tf.Variable;
        const vk = v2.get(k) as tf.Variable;
        mk.assign(tf.add(tf.mul(mk, o.beta1), tf.mul(g, 1 - o.beta1)));
        vk.assign(tf.add(tf.mul(vk, o.beta2), tf.mul(tf.square(g), 1 - o.beta2)));
        const upd = tf.div(tf.div(mk, c1), tf.add(tf.sqrt(tf.div(vk, c2)), 1e-8));
        const decay = p.shape.length >= 2 ? o.weightDecay : 0;
        p.assign(tf.sub(tf.mul(p, 1 - lr * decay), tf.mul(upd, lr)));
      }
    });
    tf.dispose(Object.values(grads));
    state.step = t;
    state.seconds = (performance.now() - t0) / 1000;
    const rec: TrainStep = {
      step: t,
      loss,
      lr,
      gradNorm,
      tokens: t * o.batchSize * T,
      seconds: state.seconds,
    };
    if (t % o.evalEvery === 0 || t === o.steps) {
      lastEval = evalLoss();
      rec.evalLoss = lastEval;
    }
    appendFileSync(logPath, `${JSON.stringify(rec)}\n`);
    o.onStep?.(rec);
    bar.setStatus(`loss ${loss.toFixed(3)}${Number.isNaN(lastEval) ? '' : ` eval ${lastEval.toFixed(3)}`}`);
    bar.update(t);
    if (t % o.checkpointEvery === 0 || t === o.steps) save();
  }
  bar.finish();
  if (Number.isNaN(lastEval)) lastEval = evalLoss();
  // Final checkpoint in HF format.
  mkdirSync(o.out, { recursive: true });
  saveModel(model, o.out, {
    metadata: { mechlens_steps: String(state.step) },
    extraConfig: { mechlens: { recipe, trainSeconds: Math.round(state.seconds), evalLoss: lastEval } },
  });
  writeJsonAtomic(join(o.out, 'generation_config.json'), {
    bos_token_id: tok.bosTokenId,
    eos_token_id: tok.eosTokenId,
    do_sample: false,
    max_new_tokens: 32,
  });
  tf.dispose([...m.values(), ...v2.values()]);
  model.dispose();
  return { out: o.out, steps: state.step, seconds: state.seconds, finalLoss: loss, finalEvalLoss: lastEval };
}

/**
 * Writes the parameters of a (running or interrupted) training run's last saved state as a Hugging
 * Face checkpoint folder, e.g. to evaluate an intermediate model while training goes on.
 *
 * @example
 * await exportTrainingState('models/.train-mechlens-demo', '/tmp/demo-step-1000');
 */
export async function exportTrainingState(workDir: string, out: string): Promise<{ step: number }> {
  const statePath = join(workDir, 'state.json');
  if (!existsSync(statePath)) throw new Error(`${workDir} holds no training state (state.json)`);
  const state = JSON.parse(readFileSync(statePath, 'utf8')) as State;
  const r = state.options as Record<string, number>;
  const tok = await loadTokenizer(DEMO_TOKENIZER_PATH);
  const init = await createRandomModel(
    {
      arch: 'gpt2',
      nLayers: r.nLayers,
      dModel: r.dModel,
      nHeads: r.nHeads,
      dMLP: r.dMLP,
      dVocab: tok.vocabSize,
      nCtx: r.contextLength,
      tiedEmbeddings: false,
      bosTokenId: tok.bosTokenId,
      eosTokenId: tok.eosTokenId,
    },
    { seed: r.seed, tokenizer: tok },
  );
  const f = openSafetensors(join(workDir, 'state.safetensors'));
  const byTensor = new Map(paramEntries(init.params).map(([k, t]) => [t, k]));
  let params: TensorParams;
  try {
    params = mapParams(init.params, (t) => {
      const k = byTensor.get(t) as string;
      return tf.tensor(f.readF32(`param.${k}`, t.shape).data, t.shape);
    });
  } finally {
    f.close();
  }
  const model = new HookedTransformer(init.config, params, tok);
  init.dispose();
  mkdirSync(out, { recursive: true });
  saveModel(model, out, {
    metadata: { mechlens_steps: String(state.step) },
    extraConfig: { mechlens: { recipe: r, step: state.step } },
  });
  writeJsonAtomic(join(out, 'generation_config.json'), {
    bos_token_id: tok.bosTokenId,
    eos_token_id: tok.eosTokenId,
    do_sample: false,
    max_new_tokens: 32,
  });
  model.dispose();
  return { step: state.step };
}
