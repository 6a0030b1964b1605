/**
 * What an SAE architecture decides: which latents of each token are active and with what values. The
 * encoder (`z = W_enc(x̃ − b_dec) + b_enc`), decoder, normalisation and training machinery are shared.
 */
import type { tf } from '@mechlens/core';
import type { ArchitectureName, SaeConfig } from '../config.js';

/**
 * The active latents of a batch of tokens (rows): `values[r, j]` of latent `indices[r, j]`. Sparse
 * architectures keep a fixed width `w` per row (entries with value 0 are padding and decode to nothing);
 * dense ones (`relu`) set `indices` to null and `values` to the full `[rows, dSae]` activations.
 */
export interface Code {
  values: tf.Tensor2D;
  indices: tf.Tensor2D | null;
}

/** Inputs of an architecture's selection for one batch of rows. */
export interface SelectInput {
  cfg: SaeConfig;
  /** ReLU'd pre-activations `a = ReLU(z)` `[rows, dSae]` (computed fused with the encoder product). */
  a: tf.Tensor2D;
  /** The centred encoder input `u = x̃ − b_dec` `[rows, dIn]` (top-AFA's target norm). */
  u: tf.Tensor2D;
  /** Decoder `[dSae, dIn]` (row i = atom i). */
  decoder: tf.Tensor2D;
  /** g-SAE: the LM-loss gradient at the (unnormalised) activation `[rows, dIn]`; absent at plain inference. */
  grad?: tf.Tensor2D;
}

/**
 * One architecture behind the registry.
 *
 * @example
 * const arch = architecture('topk');
 * const code = tf.tidy(() => arch.select({ cfg, a, u, decoder }));
 */
export interface Architecture {
  name: ArchitectureName;
  /** One line for `--help` and READMEs. */
  description: string;
  /** `sparse`: codes of fixed width with indices; `dense`: all latents. */
  kind: 'sparse' | 'dense';
  /** The active latents. Called inside a tidy by the SAE. */
  select(input: SelectInput): Code;
  /**
   * SAELens `architecture` string for this SAE's inference (what other tools can run): TopK and g-SAE
   * (with β = 0 at inference) are `topk`; ReLU is `standard`; top-AFA has no SAELens equivalent.
   */
  saelensArchitecture: string | null;
}
