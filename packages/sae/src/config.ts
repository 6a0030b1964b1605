/**
 * The configuration of a sparse autoencoder: its architecture, sizes, selection options and where its
 * activations come from. Field names are camelCase here; the SAELens writer maps them to its snake_case.
 */

/** Architectures with a registered implementation (see `architectures/registry.ts`). */
export const ARCHITECTURES = ['topk', 'gsae', 'topafa', 'relu'] as const;

/**
 * An SAE architecture: `topk` (Gao et al. 2024), `gsae` (gradient-aware TopK, Olmo et al. 2024),
 * `topafa` (top-AFA, Lee et al. 2025: per-input k from a norm match) or `relu` (ReLU with an L1 penalty).
 */
export type ArchitectureName = (typeof ARCHITECTURES)[number];

/**
 * Input normalisation before the SAE. `none`; `layer_norm`: OpenAI's released TopK SAEs (and top-AFA's
 * `input_unit_norm`): `x̃ = (x − mean(x)) / (std(x) + 1e-5)` per token with the unbiased std, undone
 * after decoding (SAELens calls it `layer_norm` too).
 */
export type InputNormalization = 'none' | 'layer_norm';

/**
 * How g-SAE scales the projected gradient `ĝ = W_dec g` before it enters the selection score
 * `s_i = ReLU(z_i)·(1 + β|ĝ_i|)`: `none` uses it raw; `mean-abs` divides it by its mean absolute value over
 * the latents of that token, which makes β scale-free (the default here; the paper does not say).
 */
export type GradNormalization = 'none' | 'mean-abs';

/** Where the SAE's activations come from (SAELens's `metadata`). */
export interface SaeMetadata {
  /** The model (a hub id or folder name). */
  modelName: string;
  /** The hook point, e.g. `blocks.2.hook_resid_post`. */
  hookName: string;
  /** Tokens per context used in training. */
  contextSize: number;
  /** Whether contexts started with BOS. */
  prependBos: boolean;
  /** Training data (a path, a hub dataset id or `demo-corpus`). */
  datasetPath: string;
  /** Special tokens whose positions were left out of training. */
  excludeSpecialTokens: boolean;
}

/**
 * Everything that defines an SAE's computation.
 *
 * @example
 * const cfg = saeConfig({ architecture: 'topk', dIn: 128, dSae: 2048, k: 32 });
 */
export interface SaeConfig {
  architecture: ArchitectureName;
  /** Width of the activations (d_in). */
  dIn: number;
  /** Number of latents (d_sae). */
  dSae: number;
  /**
   * Latents kept per token: TopK and g-SAE select exactly `k`; top-AFA searches its per-token count among the
   * `k` largest contributions (a cap; default 1024); unused by `relu`.
   */
  k: number;
  normalizeActivations: InputNormalization;
  /** Whether the encoder has a bias `b_enc` (top-AFA's reference code has none). */
  encoderBias: boolean;
  /** g-SAE: weight of the gradient term in the selection score (β = 0 is TopK exactly). */
  beta: number;
  /** g-SAE: scaling of the projected gradient. */
  gradNormalization: GradNormalization;
  /** top-AFA: coefficient of the norm-matching loss `(‖a‖ − ‖x‖)²`. */
  afaCoeff: number;
  /** ReLU: coefficient of the L1 penalty `Σ_i a_i ‖W_dec,i‖`. */
  l1Coeff: number;
  metadata: SaeMetadata;
}

/** The fields of {@link SaeConfig} a caller must give; the rest have defaults. */
export type SaeConfigInput = Pick<SaeConfig, 'dIn' | 'dSae'> &
  Partial<Omit<SaeConfig, 'dIn' | 'dSae' | 'metadata'>> & { metadata?: Partial<SaeMetadata> };

const DEFAULT_METADATA: SaeMetadata = {
  modelName: 'unknown',
  hookName: 'unknown',
  contextSize: 128,
  prependBos: true,
  datasetPath: 'unknown',
  excludeSpecialTokens: true,
};

/**
 * Completes and validates an SAE config: TopK-family defaults k = 32 (top-AFA: a cap of 1024), no input
 * normalisation (top-AFA: `layer_norm`), encoder bias on (top-AFA: off), β = 0.1 with `mean-abs`
 * gradient scaling, afaCoeff 1/32, l1Coeff 5.
 *
 * @example
 * saeConfig({ architecture: 'gsae', dIn: 768, dSae: 24576, beta: 2 });
 */
export function saeConfig(input: SaeConfigInput): SaeConfig {
  const architecture = input.architecture ?? 'topk';
  if (!(ARCHITECTURES as readonly string[]).includes(architecture))
    throw new Error(
      `unknown SAE architecture '${architecture}': expected one of ${ARCHITECTURES.join(', ')}`,
    );
  const afa = architecture === 'topafa';
  const cfg: SaeConfig = {
    architecture,
    dIn: input.dIn,
    dSae: input.dSae,
    k: input.k ?? (afa ? Math.min(1024, input.dSae) : architecture === 'relu' ? 0 : 32),
    normalizeActivations: input.normalizeActivations ?? (afa ? 'layer_norm' : 'none'),
    encoderBias: input.encoderBias ?? !afa,
    beta: input.beta ?? 0.1,
    gradNormalization: input.gradNormalization ?? 'mean-abs',
    afaCoeff: input.afaCoeff ?? 1 / 32,
    l1Coeff: input.l1Coeff ?? 5,
    metadata: { ...DEFAULT_METADATA, ...input.metadata },
  };
  checkSaeConfig(cfg);
  return cfg;
}

function positiveInt(v: number, name: string): void {
  if (!Number.isInteger(v) || v < 1)
    throw new Error(`SAE config: ${name} must be a positive integer, got ${v}`);
}

/**
 * Throws a clear error for an inconsistent config.
 *
 * @example
 * checkSaeConfig(cfg);
 */
export function checkSaeConfig(cfg: SaeConfig): void {
  positiveInt(cfg.dIn, 'dIn');
  positiveInt(cfg.dSae, 'dSae');
  if (cfg.architecture !== 'relu') {
    positiveInt(cfg.k, 'k');
    if (cfg.k > cfg.dSae)
      throw new Error(`SAE config: k = ${cfg.k} exceeds the number of latents dSae = ${cfg.dSae}`);
  }
  if (!['none', 'layer_norm'].includes(cfg.normalizeActivations))
    throw new Error(
      `SAE config: normalizeActivations must be 'none' or 'layer_norm', got '${cfg.normalizeActivations}'`,
    );
  if (!['none', 'mean-abs'].includes(cfg.gradNormalization))
    throw new Error(
      `SAE config: gradNormalization must be 'none' or 'mean-abs', got '${cfg.gradNormalization}'`,
    );
  for (const key of ['beta', 'afaCoeff', 'l1Coeff'] as const)
    if (!Number.isFinite(cfg[key]) || cfg[key] < 0)
      throw new Error(`SAE config: ${key} must be a finite number >= 0, got ${cfg[key]}`);
}
