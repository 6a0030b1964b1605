/**
 * One training step's losses and gradients for every architecture, written out by hand for the sparse
 * ones so that nothing of size `[rows, dSae]` is differentiated: the encoder, decoder and biases receive
 * their gradients through the k selected latents per token only (sparse decode, row dot products and
 * row scatters), which is what makes a 24576-latent step cheap on a CPU. The dense ReLU-L1 baseline uses
 * `tf.grad`. A test checks the hand-written gradients against `tf.grad` of the same loss.
 *
 * Losses (all in the SAE's normalised input space):
 * - reconstruction: batch FVU `Σ‖x − x̂‖² / Σ‖x − x̄‖²` (x̄ the batch mean; sparsify's definition);
 * - AuxK (Gao et al.): the `kAux` largest pre-activations among dead latents decode, without the bias,
 *   the detached residual `x − x̂`; loss `Σ‖ê − (x − x̂)‖² / Σ‖(x − x̂) − mean‖²`, weight `auxAlpha`;
 * - top-AFA: `afaCoeff · mean_rows (‖a_sparse‖ − ‖x‖)²`;
 * - ReLU: `l1Coeff · mean_rows Σ_i a_i ‖W_dec,i‖`.
 */
import { scatterRows, sparseDecode, sparseRowDot, tf } from '@mechlens/core';
import type { Code } from '../architectures/types.js';
import type { Sae, SaeParams } from '../sae.js';

/** Gradients for each parameter (bEnc is zero when the SAE has no encoder bias). */
export type ParamGrads = Record<keyof SaeParams, tf.Tensor>;

/**
 * Options of {@link stepGradients}.
 *
 * @example
 * stepGradients(sae, x, { deadMask, kAux: 64, auxAlpha: 1 / 32 });
 */
export interface StepGradientOptions {
  /** g-SAE: LM-loss gradients at the activations `[rows, dIn]`. */
  grad?: tf.Tensor2D;
  /** 1 for dead latents, 0 for live ones `[dSae]` (AuxK runs only when some are dead). */
  deadMask?: tf.Tensor1D | null;
  /** Number of dead latents in `deadMask`. */
  deadCount?: number;
  /** AuxK width (default min(512, dIn / 2)). */
  kAux?: number;
  /** AuxK weight (default 1/32). */
  auxAlpha?: number;
}

/**
 * What {@link stepGradients} computed. Scalars are plain numbers; `code` is the batch's code (values
 * and indices for sparse architectures), owned by the caller.
 *
 * @example
 * const { loss, fvu, grads } = stepGradients(sae, x);
 */
export interface StepResult {
  grads: ParamGrads;
  code: Code;
  /** Total loss. */
  loss: number;
  /** Batch FVU of the reconstruction. */
  fvu: number;
  /** AuxK loss before its weight (0 without dead latents). */
  auxLoss: number;
  /** top-AFA norm loss or ReLU L1 penalty, after its coefficient. */
  sparsityLoss: number;
}

/** Σ‖y − mean_rows(y)‖² as a scalar tensor. */
function totalVariance(y: tf.Tensor2D): tf.Scalar {
  return tf.sum(tf.square(tf.sub(y, tf.mean(y, 0, true)))) as tf.Scalar;
}

/** Adds the gradients of a term whose value gradient is `dv` at code `(v, idx)` to the encoder-side sums. */
interface EncoderSide {
  encoder: tf.Tensor[];
  bEnc: tf.Tensor[];
  du: tf.Tensor[];
}

function encoderTerms(
  side: EncoderSide,
  dv: tf.Tensor2D,
  values: tf.Tensor2D,
  indices: tf.Tensor2D,
  u: tf.Tensor2D,
  params: SaeParams,
): void {
  // ReLU'd selection: a selected value of 0 (ReLU off, or padding) passes no gradient.
  const dz = tf.mul(dv, tf.cast(tf.greater(values, 0), 'float32')) as tf.Tensor2D;
  const n = params.encoder.shape[0];
  side.encoder.push(scatterRows(u, dz, indices, n));
  side.bEnc.push(tf.unsortedSegmentSum(dz.reshape([-1]), indices.reshape([-1]) as tf.Tensor1D, n));
  side.du.push(tf.sum(sparseDecode(dz, indices, params.encoder), 0));
}

const sumAll = (ts: tf.Tensor[]): tf.Tensor => (ts.length === 1 ? ts[0] : tf.addN(ts));

/**
 * Losses and parameter gradients of one batch `x` `[rows, dIn]` (raw activations; the SAE normalises).
 * Leaves only the returned tensors behind.
 *
 * @example
 * const r = stepGradients(sae, x);
 * optimizer.apply(r.grads);
 * tf.dispose([...Object.values(r.grads), r.code.values, r.code.indices]);
 */
export function stepGradients(sae: Sae, x: tf.Tensor2D, opts: StepGradientOptions = {}): StepResult {
  if (sae.arch.kind === 'dense') return denseStep(sae, x);
  const { cfg, params } = sae;
  const scalars: tf.Scalar[] = [];
  const out = tf.tidy(() => {
    const enc = sae.encodeRows(x, { grad: opts.grad });
    const values = enc.code.values;
    const indices = enc.code.indices as tf.Tensor2D;
    const input = enc.input;
    const rows = input.shape[0];
    const xhat = sparseDecode(values, indices, params.decoder).add(params.bDec) as tf.Tensor2D;
    const e = tf.sub(xhat, input) as tf.Tensor2D;
    const denom = tf.maximum(totalVariance(input), 1e-30);
    const fvu = tf.div(tf.sum(tf.square(e)), denom) as tf.Scalar;
    const G = tf.div(tf.mul(e, 2), denom) as tf.Tensor2D;

    let dv = sparseRowDot(G, indices, params.decoder) as tf.Tensor2D;
    const decoderGrads: tf.Tensor[] = [scatterRows(G, values, indices, cfg.dSae)];
    let sparsity = tf.scalar(0);
    if (cfg.architecture === 'topafa') {
      // afaCoeff · mean_rows (‖a‖ − ‖x‖)², x the (normalised) input
      const aNorm = tf.norm(values, 2, 1, true);
      const xNorm = tf.norm(input, 2, 1, true);
      const gap = tf.sub(aNorm, xNorm);
      sparsity = tf.mul(tf.mean(tf.square(gap)), cfg.afaCoeff) as tf.Scalar;
      const coef = tf.div(tf.mul(gap, (2 * cfg.afaCoeff) / rows), tf.maximum(aNorm, 1e-30));
      dv = tf.add(dv, tf.mul(values, coef)) as tf.Tensor2D;
    }
    const side: EncoderSide = { encoder: [], bEnc: [], du: [] };
    encoderTerms(side, dv, values, indices, enc.u, params);

    let aux = tf.scalar(0);
    const alpha = opts.auxAlpha ?? 1 / 32;
    if (opts.deadMask && (opts.deadCount ?? 1) > 0 && alpha > 0) {
      const kAux = Math.min(opts.kAux ?? Math.min(512, Math.floor(cfg.dIn / 2)), cfg.dSae);
      const aDead = tf.mul(enc.a, opts.deadMask) as tf.Tensor2D;
      const { values: va, indices: ia } = tf.topk(aDead, kAux);
      const vAux = va as tf.Tensor2D;
      const iAux = ia as tf.Tensor2D;
      const ehat = sparseDecode(vAux, iAux, params.decoder) as tf.Tensor2D;
      const target = tf.neg(e); // x − x̂, a constant here
      const auxDenom = tf.maximum(totalVariance(target as tf.Tensor2D), 1e-30);
      const r = tf.sub(ehat, target) as tf.Tensor2D;
      aux = tf.div(tf.sum(tf.square(r)), auxDenom) as tf.Scalar;
      const Gaux = tf.div(tf.mul(r, 2 * alpha), auxDenom) as tf.Tensor2D;
      decoderGrads.push(scatterRows(Gaux, vAux, iAux, cfg.dSae));
      encoderTerms(side, sparseRowDot(Gaux, iAux, params.decoder) as tf.Tensor2D, vAux, iAux, enc.u, params);
    }
    // b_dec: + Σ G from the decoder bias, − Σ du from u = x̃ − b_dec
    const bDec = tf.sub(tf.sum(G, 0), sumAll(side.du));
    const grads: ParamGrads = {
      encoder: sumAll(side.encoder),
      bEnc: cfg.encoderBias ? sumAll(side.bEnc) : tf.zeros([cfg.dSae]),
      decoder: sumAll(decoderGrads),
      bDec,
    };
    const loss = tf.addN([fvu, tf.mul(aux, alpha), sparsity]) as tf.Scalar;
    scalars.push(loss, fvu, aux, sparsity);
    return { grads, code: { values, indices }, scalars } as unknown as tf.TensorContainerObject;
  }) as unknown as { grads: ParamGrads; code: Code; scalars: tf.Scalar[] };
  const [loss, fvu, aux, sparsity] = out.scalars.map((s) => s.dataSync()[0]);
  tf.dispose(out.scalars);
  return { grads: out.grads, code: out.code, loss, fvu, auxLoss: aux, sparsityLoss: sparsity };
}

/** Disposes `t` and returns zeros of its shape. */
function zeroed(t: tf.Tensor): tf.Tensor {
  const z = tf.zerosLike(t);
  t.dispose();
  return z;
}

/** ReLU-L1: dense forward, `tf.grad` backward. */
function denseStep(sae: Sae, x: tf.Tensor2D): StepResult {
  const { cfg, params } = sae;
  const vars = [params.encoder, params.bEnc, params.decoder, params.bDec];
  const res = tf.tidy(() => {
    let fvuT: tf.Scalar = tf.scalar(0);
    let l1T: tf.Scalar = tf.scalar(0);
    let codeT: tf.Tensor2D = tf.zeros([0, 0]);
    const f = (enc: tf.Tensor, bEnc: tf.Tensor, dec: tf.Tensor, bDec: tf.Tensor): tf.Scalar => {
      const { input } = sae.normalizeInput(x); // normalisation has no parameters
      const u = tf.sub(input, bDec);
      let z = tf.matMul(u, enc, false, true);
      if (cfg.encoderBias) z = tf.add(z, bEnc);
      const a = tf.relu(z) as tf.Tensor2D;
      const xhat = tf.add(tf.matMul(a, dec), bDec);
      const fvu = tf.div(tf.sum(tf.square(tf.sub(xhat, input))), tf.maximum(totalVariance(input), 1e-30));
      const l1 = tf.mul(tf.mean(tf.sum(tf.mul(a, tf.norm(dec, 2, 1)), 1)), cfg.l1Coeff);
      fvuT = tf.keep(fvu) as tf.Scalar;
      l1T = tf.keep(l1) as tf.Scalar;
      codeT = tf.keep(a);
      return tf.add(fvu, l1) as tf.Scalar;
    };
    const { value, grads } = tf.valueAndGrads(f)(vars);
    return { value, grads, fvuT, l1T, codeT };
  });
  const [enc, bEnc, dec, bDec] = res.grads;
  const loss = res.value.dataSync()[0];
  const fvu = res.fvuT.dataSync()[0];
  const l1 = res.l1T.dataSync()[0];
  tf.dispose([res.value, res.fvuT, res.l1T]);
  const grads: ParamGrads = {
    encoder: enc,
    bEnc: cfg.encoderBias ? bEnc : zeroed(bEnc),
    decoder: dec,
    bDec,
  };
  return { grads, code: { values: res.codeT, indices: null }, loss, fvu, auxLoss: 0, sparsityLoss: l1 };
}
