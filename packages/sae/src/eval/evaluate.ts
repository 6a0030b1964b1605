/**
 * SAE evaluation on held-out token contexts: reconstruction (FVU, MSE), sparsity (L0, dead latents),
 * downstream faithfulness (next-token cross-entropy and KL with the SAE spliced in, against the clean
 * model and against zero-ablating the hook point), and the data of top-AFA's ZF plot (for any SAE).
 *
 * Definitions (stated once, used everywhere):
 * - FVU = `Σ_t ‖x_t − x̂_t‖² / Σ_t ‖x_t − x̄‖²` over all evaluated tokens t, x̄ their mean, at the
 *   activation's own scale (normalisation undone). 1 = no better than predicting the mean.
 * - L0 = mean number of latents with a value > 0 per token.
 * - dead fraction = latents with no value > 0 on any evaluated token.
 * - CE = mean next-token cross-entropy (nats) over every position that has a next token.
 * - CE-loss score = `(CE_zero − CE_sae) / (CE_zero − CE_clean)` (SAEBench's "loss recovered").
 * - KL = mean over positions of KL(clean ‖ spliced) of the next-token distributions.
 * - g-SAE is evaluated with its gradient-aware selection (the gradient of the summed next-token CE at the
 *   clean activation, as in training) unless `gsaeSelection: 'topk'`.
 * - ZF data (Lee et al. 2025): per token, `‖z‖` of the SAE's input (after its normalisation) and `‖f̃‖` with
 *   `f̃ = [a_i ‖W_dec,i‖]_i ++ [‖b_dec‖]`; `εLBO = |‖z‖² − ‖f̃‖²| / ((h − 1)‖f̃‖²)` with h = dSae + 1 (b_dec counted as a feature).
 */
import { type HookedTransformer, type HookName, hookInfo, ProgressBar, tf } from '@mechlens/core';
import { nextTokenLogProbs, summedNextTokenLoss } from '../data/store.js';
import type { Sae } from '../sae.js';
import { saeHook } from './splice.js';

/**
 * Options of {@link evaluateSae}.
 *
 * @example
 * await evaluateSae(model, sae, contexts, { batchSize: 16 });
 */
export interface EvaluateSaeOptions {
  /** Contexts per model call (default 16). */
  batchSize?: number;
  /** Token ids whose positions are left out of the reconstruction metrics (default: BOS/EOS/PAD). */
  exclude?: readonly number[];
  /** Skip the three extra model runs for CE/KL (default false). */
  skipDownstream?: boolean;
  /** Show a progress bar (default: when stderr is a TTY). */
  progress?: boolean;
  /**
   * g-SAE selection during evaluation: `gradient` (default) computes the LM-loss gradient at the clean
   * activation for every context (one extra backward pass) and selects as in training; `topk` uses
   * the plain TopK selection (g-SAE's "β = 0 at inference" mode, needing no targets).
   */
  gsaeSelection?: 'gradient' | 'topk';
}

/**
 * The numbers {@link evaluateSae} reports.
 *
 * @example
 * const r = await evaluateSae(model, sae, contexts);
 * console.log(r.fvu, r.l0, r.ceLossScore);
 */
export interface SaeEvalReport {
  tokens: number;
  fvu: number;
  /** Mean squared error per element. */
  mse: number;
  l0: number;
  deadFraction: number;
  ceClean: number | null;
  ceSpliced: number | null;
  ceZeroAblation: number | null;
  ceLossScore: number | null;
  klSpliced: number | null;
  /** Per-latent fraction of evaluated tokens on which it fired. */
  firingFrequency: Float32Array;
  /** ZF-plot data per evaluated token. */
  zf: { zNorm: Float32Array; fNorm: Float32Array; epsLbo: Float32Array };
  seconds: number;
}

/** Sum of next-token CE and of KL(clean ‖ other) over positions with a next token. */
function ceSum(logits: tf.Tensor3D, ids: number[][]): number {
  return tf.tidy(() => -tf.sum(nextTokenLogProbs(logits, ids)).dataSync()[0]);
}

function klSum(clean: tf.Tensor3D, other: tf.Tensor3D): number {
  return tf.tidy(() => {
    const [B, T, V] = clean.shape;
    const p = tf.logSoftmax(clean.slice([0, 0, 0], [B, T - 1, V]));
    const q = tf.logSoftmax(other.slice([0, 0, 0], [B, T - 1, V]));
    return tf.sum(tf.mul(tf.exp(p), tf.sub(p, q))).dataSync()[0];
  });
}

/**
 * Evaluates `sae` (at its `metadata.hookName`) on token contexts.
 *
 * @example
 * const contexts = []; for await (const c of contextStream(model, 'held-out.txt', 128)(0)) { contexts.push(c); if (contexts.length === 64) break; }
 * const report = await evaluateSae(model, sae, contexts);
 */
export async function evaluateSae(
  model: HookedTransformer,
  sae: Sae,
  contexts: readonly number[][],
  opts: EvaluateSaeOptions = {},
): Promise<SaeEvalReport> {
  const t0 = performance.now();
  const hook = sae.cfg.metadata.hookName as HookName;
  model.hookShape(hook, 1, 1); // validates the name against the model
  const tok = model.tokenizer;
  const special = [
    tok?.bosTokenId ?? model.cfg.bosTokenId,
    tok?.eosTokenId ?? model.cfg.eosTokenId,
    tok?.padTokenId,
  ];
  const exclude = new Set(opts.exclude ?? special.filter((v): v is number => v !== null && v !== undefined));
  const bs = opts.batchSize ?? 16;
  const { dIn, dSae } = sae.cfg;
  let tokens = 0;
  let errSum = 0;
  const xSum = new Float64Array(dIn);
  let xSqSum = 0;
  let active = 0;
  const fired = new Float64Array(dSae);
  const zNorm: number[] = [];
  const fNorm: number[] = [];
  let ceClean = 0;
  let ceSae = 0;
  let ceZero = 0;
  let kl = 0;
  let positions = 0;
  const normsT = tf.norm(sae.params.decoder, 2, 1);
  const atomNorms = normsT.dataSync() as Float32Array;
  normsT.dispose();
  const bDecNorm2 = tf.tidy(() => tf.sum(tf.square(sae.params.bDec)).dataSync()[0]);
  const bar = new ProgressBar({
    total: contexts.length,
    label: 'eval-sae',
    unit: 'ctx',
    enabled: opts.progress,
  });
  const downstream = !opts.skipDownstream;
  const useGrad =
    sae.cfg.architecture === 'gsae' && sae.cfg.beta > 0 && (opts.gsaeSelection ?? 'gradient') === 'gradient';
  const layer = hookInfo(model.cfg, hook).layer;
  const stopAtLayer = !downstream && layer !== null && layer + 1 < model.cfg.nLayers ? layer + 1 : undefined;
  for (let c0 = 0; c0 < contexts.length; c0 += bs) {
    const ids = contexts.slice(c0, c0 + bs) as number[][];
    const T = ids[0].length;
    const { logits, cache } = model.runWithCache(ids, { names: [hook], stopAtLayer });
    const x = cache.get(hook);
    const grad = useGrad
      ? (() => {
          const { value, grads } = model.gradOfHooks(ids, [hook], (lg) => summedNextTokenLoss(lg, ids));
          value.dispose();
          return grads.get(hook) as tf.Tensor;
        })()
      : null;
    const d = x.shape[x.rank - 1];
    if (d !== dIn) {
      cache.dispose();
      logits.dispose();
      throw new Error(`evaluateSae: '${hook}' has width ${d}, but the SAE's dIn is ${dIn}`);
    }
    const keep: number[] = [];
    ids.forEach((row, b) => {
      row.forEach((id, t) => {
        if (!exclude.has(id)) keep.push(b * T + t);
      });
    });
    const parts = tf.tidy(() => {
      const keepIdx = tf.tensor1d(keep, 'int32');
      const rows = tf.gather(x.reshape([-1, dIn]), keepIdx) as tf.Tensor2D;
      const g = grad ? (tf.gather(grad.reshape([-1, dIn]), keepIdx) as tf.Tensor2D) : undefined;
      const enc = sae.encodeRows(rows, { grad: g });
      return {
        rows,
        recons: sae.decode(enc.code, enc.norm),
        values: enc.code.values,
        indices: enc.code.indices,
        inNorm: tf.norm(enc.input, 2, 1),
      } as unknown as tf.TensorContainerObject;
    }) as unknown as Record<'rows' | 'recons' | 'values' | 'inNorm', tf.Tensor> & {
      indices: tf.Tensor | null;
    };
    const xv = parts.rows.dataSync();
    const rv = parts.recons.dataSync();
    const vals = parts.values.dataSync();
    const idx = parts.indices ? parts.indices.dataSync() : null;
    const inNorm = parts.inNorm.dataSync();
    tf.dispose([
      parts.rows,
      parts.recons,
      parts.values,
      parts.inNorm,
      ...(parts.indices ? [parts.indices] : []),
    ]);
    const n = keep.length;
    const w = vals.length / Math.max(1, n);
    for (let r = 0; r < n; r++) {
      let f2 = bDecNorm2;
      for (let j = 0; j < w; j++) {
        const v = vals[r * w + j];
        if (v > 0) {
          const latent = idx ? idx[r * w + j] : j;
          active++;
          fired[latent]++;
          const s = v * atomNorms[latent];
          f2 += s * s;
        }
      }
      for (let i = 0; i < dIn; i++) {
        const a = xv[r * dIn + i];
        const e = a - rv[r * dIn + i];
        errSum += e * e;
        xSum[i] += a;
        xSqSum += a * a;
      }
      zNorm.push(inNorm[r]);
      fNorm.push(Math.sqrt(f2));
    }
    tokens += n;
    if (downstream) {
      const spliced = model.runWithHooks(ids, [saeHook(sae, { grad: grad ?? undefined })]);
      const zeroed = model.runWithHooks(ids, [{ name: hook, fn: (a) => tf.zerosLike(a) }]);
      ceClean += ceSum(logits, ids);
      ceSae += ceSum(spliced, ids);
      ceZero += ceSum(zeroed, ids);
      kl += klSum(logits, spliced);
      positions += ids.length * (T - 1);
      spliced.dispose();
      zeroed.dispose();
    }
    logits.dispose();
    cache.dispose();
    grad?.dispose();
    bar.update(Math.min(contexts.length, c0 + bs));
    await new Promise((r) => setImmediate(r));
  }
  bar.finish();
  if (tokens === 0)
    throw new Error('evaluateSae: no tokens to evaluate (every position was excluded or no contexts given)');
  let meanSq = 0;
  for (let i = 0; i < dIn; i++) meanSq += (xSum[i] / tokens) ** 2;
  const totalVar = xSqSum - tokens * meanSq;
  const h = dSae + 1;
  const epsLbo = new Float32Array(tokens);
  for (let t = 0; t < tokens; t++) {
    const f2 = fNorm[t] ** 2;
    epsLbo[t] = Math.abs(zNorm[t] ** 2 - f2) / ((h - 1) * Math.max(f2, 1e-30));
  }
  const firingFrequency = new Float32Array(dSae);
  let dead = 0;
  for (let i = 0; i < dSae; i++) {
    firingFrequency[i] = fired[i] / tokens;
    if (fired[i] === 0) dead++;
  }
  const ce = (s: number) => (downstream ? s / positions : null);
  const score = downstream && ceZero !== ceClean ? (ceZero - ceSae) / (ceZero - ceClean) : null;
  return {
    tokens,
    fvu: errSum / Math.max(totalVar, 1e-30),
    mse: errSum / (tokens * dIn),
    l0: active / tokens,
    deadFraction: dead / dSae,
    ceClean: ce(ceClean),
    ceSpliced: ce(ceSae),
    ceZeroAblation: ce(ceZero),
    ceLossScore: score,
    klSpliced: ce(kl),
    firingFrequency,
    zf: { zNorm: Float32Array.from(zNorm), fNorm: Float32Array.from(fNorm), epsLbo },
    seconds: (performance.now() - t0) / 1000,
  };
}
