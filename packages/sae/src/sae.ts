/**
 * A sparse autoencoder: parameters, encoding (through the configured architecture's selection) and
 * sparse decoding.
 *
 * Layout: the encoder and decoder are both stored one row per latent, `[dSae, dIn]` (sparsify's encoder
 * layout; SAELens's `W_dec`; SAELens's `W_enc` is the transpose). The pre-encoder bias is the decoder
 * bias `b_dec` (SAELens `apply_b_dec_to_input = true`): `z = W_enc(x̃ − b_dec) + b_enc`,
 * `x̂ = Σ_i a_i W_dec,i + b_dec`.
 */
import { sparseDecode, tf } from '@mechlens/core';
import { architecture } from './architectures/registry.js';
import type { Architecture, Code } from './architectures/types.js';
import { checkSaeConfig, type SaeConfig } from './config.js';

/**
 * The trainable tensors of an SAE.
 *
 * @example
 * sae.params.decoder.shape; // [dSae, dIn]
 */
export interface SaeParams {
  /** `[dSae, dIn]`: row i is latent i's encoder direction. */
  encoder: tf.Variable;
  /** `[dSae]` (all zeros and untrained when `cfg.encoderBias` is false). */
  bEnc: tf.Variable;
  /** `[dSae, dIn]`: row i is latent i's dictionary atom (unit norm for the TopK family). */
  decoder: tf.Variable;
  /** `[dIn]`: the pre-encoder / decoder bias. */
  bDec: tf.Variable;
}

/** Per-row normalisation statistics (`layer_norm` input normalisation), `[rows, 1]` each. */
export interface NormStats {
  mu: tf.Tensor2D;
  std: tf.Tensor2D;
}

/**
 * Everything an encode step computed for a batch of rows.
 *
 * @example
 * const enc = sae.encodeRows(x); // x [rows, dIn]
 * enc.code.values.print();
 */
export interface Encoded {
  code: Code;
  /** The (normalised) input the SAE reconstructs, `[rows, dIn]`. */
  input: tf.Tensor2D;
  /** The centred encoder input `u = x̃ − b_dec`. */
  u: tf.Tensor2D;
  /** ReLU'd pre-activations `ReLU(z)` `[rows, dSae]`. */
  a: tf.Tensor2D;
  /** Normalisation statistics, or null without input normalisation. */
  norm: NormStats | null;
}

/**
 * Options of {@link Sae.encode} and {@link Sae.forward}.
 *
 * @example
 * sae.forward(x, { grad: g }); // g-SAE selection with the LM-loss gradient g (same shape as x)
 */
export interface EncodeOptions {
  /** g-SAE: the LM-loss gradient at the activation, same shape as `x`. */
  grad?: tf.Tensor;
}

/**
 * Result of {@link Sae.forward}.
 *
 * @example
 * const { recons, code } = sae.forward(x);
 */
export interface SaeOutput {
  /** The reconstruction, same shape as the input (normalisation undone). */
  recons: tf.Tensor;
  /** The code of the flattened rows. */
  code: Code;
}

/** Layer-norm style standardisation with the unbiased std (as OpenAI's TopK code). */
export function layerNormStats(x: tf.Tensor2D): NormStats {
  return tf.tidy(() => {
    const d = x.shape[1];
    const mu = tf.mean(x, 1, true) as tf.Tensor2D;
    const c = tf.sub(x, mu);
    const variance = tf.div(tf.sum(tf.square(c), 1, true), Math.max(1, d - 1));
    return { mu, std: tf.sqrt(variance) as tf.Tensor2D };
  });
}

const LN_EPS = 1e-5;

/**
 * A sparse autoencoder of any registered architecture. Create with {@link Sae.init} (training), from
 * files ({@link loadSae}), or from tensors. Every method leaves no tensors behind but what it returns.
 *
 * @example
 * const sae = Sae.init(saeConfig({ architecture: 'topk', dIn: 128, dSae: 1024, k: 16 }), { seed: 0 });
 * const { recons } = sae.forward(tf.randomNormal([4, 128]));
 * sae.dispose();
 */
export class Sae {
  readonly cfg: SaeConfig;
  readonly params: SaeParams;
  readonly arch: Architecture;
  private disposed = false;

  constructor(cfg: SaeConfig, params: SaeParams) {
    checkSaeConfig(cfg);
    const want: Record<keyof SaeParams, number[]> = {
      encoder: [cfg.dSae, cfg.dIn],
      bEnc: [cfg.dSae],
      decoder: [cfg.dSae, cfg.dIn],
      bDec: [cfg.dIn],
    };
    for (const key of Object.keys(want) as (keyof SaeParams)[]) {
      const t = params[key];
      if (!t) throw new Error(`SAE parameters: missing '${key}'`);
      if (t.shape.length !== want[key].length || t.shape.some((v, i) => v !== want[key][i]))
        throw new Error(
          `SAE parameters: '${key}' has shape [${t.shape}], expected [${want[key]}] for this config`,
        );
      if (t.dtype !== 'float32') throw new Error(`SAE parameters: '${key}' must be float32, got ${t.dtype}`);
    }
    this.cfg = cfg;
    this.params = params;
    this.arch = architecture(cfg.architecture);
  }

  /**
   * A freshly initialised SAE (sparsify / OpenAI "tied" init): encoder rows uniform in ±1/sqrt(dIn),
   * decoder = encoder rows scaled to unit norm, biases zero. Seeded.
   *
   * @example
   * const sae = Sae.init(cfg, { seed: 1 });
   */
  static init(cfg: SaeConfig, opts: { seed?: number } = {}): Sae {
    checkSaeConfig(cfg);
    const params = tf.tidy(() => {
      const bound = 1 / Math.sqrt(cfg.dIn);
      const enc = tf.randomUniform([cfg.dSae, cfg.dIn], -bound, bound, 'float32', opts.seed ?? 0);
      const dec = tf.div(enc, tf.norm(enc, 2, 1, true));
      return {
        encoder: tf.variable(enc, true, undefined, 'float32'),
        bEnc: tf.variable(tf.zeros([cfg.dSae]), cfg.encoderBias),
        decoder: tf.variable(dec, true),
        bDec: tf.variable(tf.zeros([cfg.dIn]), true),
      };
    });
    return new Sae(cfg, params);
  }

  /** Rows `[rows, dIn]` of any `[..., dIn]` input. */
  private rows(x: tf.Tensor, what: string): tf.Tensor2D {
    if (x.shape[x.rank - 1] !== this.cfg.dIn)
      throw new Error(`SAE: ${what} has shape [${x.shape}], but this SAE's d_in is ${this.cfg.dIn}`);
    return x.reshape([-1, this.cfg.dIn]) as tf.Tensor2D;
  }

  /**
   * The SAE's input space: rows `[rows, dIn]` of `x`, standardised per row with `layer_norm`
   * normalisation (then `norm` holds the statistics to undo it), else unchanged.
   *
   * @example
   * const { input, norm } = sae.normalizeInput(x);
   */
  normalizeInput(x: tf.Tensor): { input: tf.Tensor2D; norm: NormStats | null } {
    return tf.tidy(() => {
      const xr = this.rows(x, 'the input');
      if (this.cfg.normalizeActivations !== 'layer_norm')
        return { input: xr.clone(), norm: null } as unknown as tf.TensorContainerObject;
      const norm = layerNormStats(xr);
      const input = tf.div(tf.sub(xr, norm.mu), tf.add(norm.std, LN_EPS)) as tf.Tensor2D;
      return { input, norm } as unknown as tf.TensorContainerObject;
    }) as unknown as { input: tf.Tensor2D; norm: NormStats | null };
  }

  /**
   * Normalises and encodes rows `[rows, dIn]`, keeping the intermediate tensors the trainer needs.
   * (Callers own every returned tensor.)
   *
   * @example
   * const enc = tf.tidy(() => sae.encodeRows(x));
   */
  encodeRows(x: tf.Tensor2D, opts: EncodeOptions = {}): Encoded {
    this.checkAlive();
    const { encoder, bEnc, decoder, bDec } = this.params;
    return tf.tidy(() => {
      const { input, norm } = this.normalizeInput(x);
      const u = tf.sub(input, bDec) as tf.Tensor2D;
      // one fused product: ReLU(u W_encᵀ + b_enc)
      const a = tf.fused.matMul({
        a: u,
        b: encoder,
        transposeB: true,
        bias: this.cfg.encoderBias ? bEnc : undefined,
        activation: 'relu',
      }) as tf.Tensor2D;
      const grad = opts.grad ? this.rows(opts.grad, 'the gradient') : undefined;
      const code = this.arch.select({ cfg: this.cfg, a, u, decoder: decoder as tf.Tensor2D, grad });
      return { code, input, u, a, norm } as unknown as tf.TensorContainerObject;
    }) as unknown as Encoded;
  }

  /**
   * Pre-activations `z = W_enc(x̃ − b_dec) + b_enc` `[..., dSae]` (before ReLU; SAELens's
   * `hook_sae_acts_pre`).
   *
   * @example
   * const z = sae.preActivations(x);
   */
  preActivations(x: tf.Tensor): tf.Tensor {
    this.rows(x, 'the input').dispose();
    return tf.tidy(() => {
      const { input } = this.normalizeInput(x);
      let z = tf.matMul(tf.sub(input, this.params.bDec), this.params.encoder, false, true);
      if (this.cfg.encoderBias) z = tf.add(z, this.params.bEnc);
      return z.reshape([...x.shape.slice(0, -1), this.cfg.dSae]);
    });
  }

  /**
   * The code of `x` `[..., dIn]` (rows flattened).
   *
   * @example
   * const { values, indices } = sae.encode(x);
   */
  encode(x: tf.Tensor, opts: EncodeOptions = {}): Code {
    this.rows(x, 'the input').dispose();
    return tf.tidy(() => {
      const enc = this.encodeRows(x.reshape([-1, this.cfg.dIn]) as tf.Tensor2D, opts);
      return { values: enc.code.values, indices: enc.code.indices } as unknown as tf.TensorContainerObject;
    }) as unknown as Code;
  }

  /**
   * Decodes a code to the SAE's (normalised) input space, `[rows, dIn]`; with `norm`, back to the
   * activation's scale.
   *
   * @example
   * const xhat = sae.decode(sae.encode(x));
   */
  decode(code: Code, norm: NormStats | null = null): tf.Tensor2D {
    this.checkAlive();
    const { decoder, bDec } = this.params;
    return tf.tidy(() => {
      const body = code.indices
        ? sparseDecode(code.values, code.indices, decoder)
        : tf.matMul(code.values, decoder);
      let out = tf.add(body, bDec) as tf.Tensor2D;
      // undone with the plain std (as OpenAI's code and SAELens do; the encoder divided by std + eps)
      if (norm) out = tf.add(tf.mul(out, norm.std), norm.mu) as tf.Tensor2D;
      return out;
    });
  }

  /**
   * Encodes and decodes `x` `[..., dIn]`; the reconstruction has `x`'s shape and scale.
   *
   * @example
   * const { recons, code } = sae.forward(resid); // resid [batch, pos, dIn]
   */
  forward(x: tf.Tensor, opts: EncodeOptions = {}): SaeOutput {
    this.rows(x, 'the input').dispose();
    return tf.tidy(() => {
      const enc = this.encodeRows(x.reshape([-1, this.cfg.dIn]) as tf.Tensor2D, opts);
      const recons = this.decode(enc.code, enc.norm).reshape(x.shape);
      return { recons, code: enc.code } as unknown as tf.TensorContainerObject;
    }) as unknown as SaeOutput;
  }

  /**
   * Dense latent activations `[..., dSae]` (SAELens's `hook_sae_acts_post`).
   *
   * @example
   * const acts = sae.features(x); // [batch, pos, dSae]
   */
  features(x: tf.Tensor, opts: EncodeOptions = {}): tf.Tensor {
    return tf.tidy(() => {
      const code = this.encode(x, opts);
      const dense = denseCode(code, this.cfg.dSae);
      return dense.reshape([...x.shape.slice(0, -1), this.cfg.dSae]);
    });
  }

  /** Releases the parameters. */
  dispose(): void {
    if (this.disposed) return;
    for (const t of Object.values(this.params)) t.dispose();
    this.disposed = true;
  }

  private checkAlive(): void {
    if (this.disposed) throw new Error('this SAE has been disposed');
  }
}

/**
 * The dense `[rows, n]` form of a code.
 *
 * @example
 * denseCode({ values, indices }, 4);
 */
export function denseCode(code: Code, n: number): tf.Tensor2D {
  if (!code.indices) return code.values.clone();
  const { values, indices } = code;
  return tf.tidy(() => {
    const [rows, k] = values.shape;
    const offsets = tf.mul(tf.range(0, rows, 1, 'int32'), tf.scalar(n, 'int32')).reshape([rows, 1]);
    const flat = tf.add(indices, offsets).reshape([rows * k]);
    return tf
      .unsortedSegmentSum(values.reshape([rows * k]), flat as tf.Tensor1D, rows * n)
      .reshape([rows, n]) as tf.Tensor2D;
  });
}
