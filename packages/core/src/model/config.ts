/**
 * The normalized model configuration: one shape for every architecture family, filled from a Hugging
 * Face `config.json` by the family's adapter (or from defaults by {@link createRandomModel}).
 */

/**
 * Architecture families the forward pass knows. `mistral` is the llama family with its own model_type.
 *
 * @example
 * if (model.config.arch === 'gpt_neox') console.log('parallel residual');
 */
export type Arch = 'gpt2' | 'gpt_neox' | 'llama' | 'mistral' | 'qwen2';

/**
 * Normalization layer type.
 *
 * @example
 * const t: NormType = model.config.normType; // 'layernorm' | 'rmsnorm'
 */
export type NormType = 'layernorm' | 'rmsnorm';

/**
 * Activation functions: `gelu_new` (tanh approximation, also HF's `gelu_pytorch_tanh`/`gelu_fast`), `gelu`
 * (exact erf), `relu`, `silu`, `quick_gelu` (x·sigmoid(1.702x)).
 *
 * @example
 * const act: ActName = 'gelu_new';
 */
export type ActName = 'gelu_new' | 'gelu' | 'relu' | 'silu' | 'quick_gelu';

/**
 * Rotary position embedding settings (rotate_half convention, HF/GPT-NeoX style).
 *
 * @example
 * const r: RotaryConfig = { dim: 16, base: 10000, scaling: null };
 */
export interface RotaryConfig {
  /** Number of rotated dims per head (even; `dHead` unless partial rotary, e.g. Pythia's rotary_pct). */
  dim: number;
  /** Frequency base (rope_theta / rotary_emb_base). */
  base: number;
  /** HF `rope_scaling` that changes the frequencies (linear or llama3), or null. */
  scaling: RopeScaling | null;
}

/**
 * Supported HF `rope_scaling` variants.
 *
 * @example
 * const s: RopeScaling = { type: 'linear', factor: 2 };
 */
export type RopeScaling =
  | { type: 'linear'; factor: number }
  | {
      type: 'llama3';
      factor: number;
      lowFreqFactor: number;
      highFreqFactor: number;
      originalMaxPositionEmbeddings: number;
    };

/**
 * Which linear layers carry a bias.
 *
 * @example
 * model.config.biases.qkv; // true for gpt2/neox/qwen2
 */
export interface BiasConfig {
  /** q/k/v projections. */
  qkv: boolean;
  /** Attention output projection. */
  attnOut: boolean;
  /** MLP input/gate/output projections. */
  mlp: boolean;
  /** Norm layers (LayerNorm's beta). */
  norm: boolean;
  /** Unembedding bias. */
  unembed: boolean;
}

/**
 * Normalized configuration of a hooked transformer.
 *
 * @example
 * const model = await loadModel('packages/core/test/fixtures/gpt2');
 * const { nLayers, dModel, nHeads, dHead, dVocab, nCtx } = model.config;
 */
export interface ModelConfig {
  /** Architecture family. */
  arch: Arch;
  /** Number of transformer blocks. */
  nLayers: number;
  /** Residual stream width. */
  dModel: number;
  /** Query heads. */
  nHeads: number;
  /** Key/value heads (< nHeads for grouped-query attention; query head h uses kv head h // (nHeads/nKVHeads)). */
  nKVHeads: number;
  /** Width of one head. */
  dHead: number;
  /** MLP hidden width. */
  dMLP: number;
  /** Vocabulary size (rows of W_E, columns of W_U). */
  dVocab: number;
  /** Maximum sequence length. */
  nCtx: number;
  /** LayerNorm (centred, with bias) or RMSNorm. */
  normType: NormType;
  /** Norm epsilon (added to the variance). */
  eps: number;
  /** MLP activation (applied to the gate in gated MLPs). */
  act: ActName;
  /** True for SwiGLU-style MLPs: post = act(x·W_gate) * (x·W_in). */
  gatedMLP: boolean;
  /** Learned absolute positions (`W_pos`) or rotary. */
  positional: 'learned' | 'rotary';
  /** Rotary settings when `positional` is `'rotary'`, else null. */
  rotary: RotaryConfig | null;
  /** GPT-NeoX/GPT-J parallel residual: resid_post = resid_pre + attn(ln1(x)) + mlp(ln2(x)). */
  parallelResidual: boolean;
  /** Unembedding tied to the token embedding (W_U = W_Eᵀ). */
  tiedEmbeddings: boolean;
  /** Which linears carry biases. */
  biases: BiasConfig;
  /** Attention score scale per layer (1/sqrt(dHead) unless the checkpoint says otherwise). */
  attnScale: number[];
  /** Sliding-window attention length (Mistral/Qwen2 when enabled), or null. */
  slidingWindow: number | null;
  /** Beginning-of-sequence token id, or null. */
  bosTokenId: number | null;
  /** End-of-sequence token id, or null. */
  eosTokenId: number | null;
  /** The HF config this came from (empty for random models). */
  hfConfig: Record<string, unknown>;
}

/**
 * Layers, heads and widths needed to build a config; everything else has gpt2-style defaults.
 *
 * @example
 * const input: ModelConfigInput = { arch: 'llama', nLayers: 2, dModel: 64, nHeads: 4, nKVHeads: 2, dVocab: 100, nCtx: 64 };
 */
export type ModelConfigInput = Partial<ModelConfig> &
  Pick<ModelConfig, 'nLayers' | 'dModel' | 'nHeads' | 'dVocab' | 'nCtx'>;

/**
 * Completes a partial config with defaults for its architecture (gpt2 unless `arch` is given) and checks it.
 *
 * @example
 * const cfg = completeConfig({ nLayers: 2, dModel: 64, nHeads: 4, dVocab: 211, nCtx: 64 });
 * cfg.dHead; // 16
 */
export function completeConfig(input: ModelConfigInput): ModelConfig {
  const arch: Arch = input.arch ?? 'gpt2';
  const llamaLike = arch === 'llama' || arch === 'mistral' || arch === 'qwen2';
  const dHead = input.dHead ?? input.dModel / input.nHeads;
  const positional = input.positional ?? (arch === 'gpt2' ? 'learned' : 'rotary');
  const cfg: ModelConfig = {
    arch,
    nLayers: input.nLayers,
    dModel: input.dModel,
    nHeads: input.nHeads,
    nKVHeads: input.nKVHeads ?? input.nHeads,
    dHead,
    dMLP: input.dMLP ?? 4 * input.dModel,
    dVocab: input.dVocab,
    nCtx: input.nCtx,
    normType: input.normType ?? (llamaLike ? 'rmsnorm' : 'layernorm'),
    eps: input.eps ?? (llamaLike ? 1e-6 : 1e-5),
    act: input.act ?? (llamaLike ? 'silu' : arch === 'gpt_neox' ? 'gelu' : 'gelu_new'),
    gatedMLP: input.gatedMLP ?? llamaLike,
    positional,
    rotary:
      positional === 'rotary'
        ? (input.rotary ?? { dim: dHead, base: arch === 'gpt_neox' ? 10000 : 10000, scaling: null })
        : null,
    parallelResidual: input.parallelResidual ?? arch === 'gpt_neox',
    tiedEmbeddings: input.tiedEmbeddings ?? arch === 'gpt2',
    biases: input.biases ?? {
      qkv: !llamaLike || arch === 'qwen2',
      attnOut: !llamaLike,
      mlp: !llamaLike,
      norm: !llamaLike,
      unembed: false,
    },
    attnScale: input.attnScale ?? new Array(input.nLayers).fill(1 / Math.sqrt(dHead)),
    slidingWindow: input.slidingWindow ?? null,
    bosTokenId: input.bosTokenId ?? null,
    eosTokenId: input.eosTokenId ?? null,
    hfConfig: input.hfConfig ?? {},
  };
  checkConfig(cfg);
  return cfg;
}

function positiveInt(cfg: ModelConfig, key: keyof ModelConfig): void {
  const v = cfg[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    throw new Error(`model config: ${key} must be a positive integer, got ${String(v)}`);
  }
}

/**
 * Throws a descriptive error when a config is inconsistent (non-integer sizes, heads not dividing, odd rotary dim).
 *
 * @example
 * checkConfig(model.config); // no throw
 */
export function checkConfig(cfg: ModelConfig): void {
  for (const k of ['nLayers', 'dModel', 'nHeads', 'nKVHeads', 'dHead', 'dMLP', 'dVocab', 'nCtx'] as const) {
    positiveInt(cfg, k);
  }
  if (cfg.nHeads % cfg.nKVHeads !== 0) {
    throw new Error(`model config: nHeads (${cfg.nHeads}) must be a multiple of nKVHeads (${cfg.nKVHeads})`);
  }
  if (cfg.positional === 'rotary') {
    const r = cfg.rotary;
    if (!r) throw new Error('model config: positional is rotary but rotary settings are missing');
    if (!Number.isInteger(r.dim) || r.dim < 2 || r.dim % 2 !== 0 || r.dim > cfg.dHead) {
      throw new Error(`model config: rotary dim must be even and in [2, dHead=${cfg.dHead}], got ${r.dim}`);
    }
    if (!(r.base > 0)) throw new Error(`model config: rotary base must be > 0, got ${r.base}`);
  }
  if (!(cfg.eps > 0)) throw new Error(`model config: eps must be > 0, got ${cfg.eps}`);
  if (cfg.attnScale.length !== cfg.nLayers) {
    throw new Error(`model config: attnScale has ${cfg.attnScale.length} entries for ${cfg.nLayers} layers`);
  }
}
