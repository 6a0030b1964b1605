/**
 * Llama and Mistral (`model_type: llama | mistral`): RMSNorm, rotary on all head dims (rotate_half, HF
 * checkpoints are already in that order), grouped-query attention, SiLU-gated MLP, `nn.Linear` weights
 * stored `[out, in]`, no biases unless `attention_bias` / `mlp_bias`. Qwen2 reuses this with q/k/v biases.
 */
import { type Arch, completeConfig, type ModelConfig } from '../config.js';
import type { BlockParams, HostTensor, ModelParams } from '../params.js';
import {
  type Adapter,
  cfgBool,
  cfgNum,
  cfgNumOrNull,
  cfgStr,
  cfgTokenId,
  TensorReader,
  transpose2d,
  type WeightSource,
} from './common.js';
import { hfActivation } from './gpt2.js';
import { parseRopeScaling } from './rope.js';

/**
 * Family-specific defaults of llama-like configs.
 *
 * @example
 * const def: LlamaLikeDefaults = { arch: 'llama', qkvBias: false, oBiasFollowsAttentionBias: true,
 *   slidingWindow: () => null, rmsEpsDefault: 1e-6 };
 */
export interface LlamaLikeDefaults {
  arch: Arch;
  /** q/k/v biases when the config has no `attention_bias` field. */
  qkvBias: boolean;
  /** Whether `attention_bias` also covers o_proj (llama) or q/k/v only (qwen2 has no field, fixed). */
  oBiasFollowsAttentionBias: boolean;
  /** Sliding-window length from the config (null when disabled). */
  slidingWindow: (hf: Record<string, unknown>) => number | null;
  rmsEpsDefault: number;
}

/**
 * Builds the config of a llama-like model (shared by llama, mistral and qwen2).
 *
 * @example
 * const cfg = llamaLikeConfig(hf, { arch: 'llama', qkvBias: false, oBiasFollowsAttentionBias: true,
 *   slidingWindow: () => null, rmsEpsDefault: 1e-6 });
 */
export function llamaLikeConfig(hf: Record<string, unknown>, def: LlamaLikeDefaults): ModelConfig {
  const a = def.arch;
  const d = cfgNum(hf, a, ['hidden_size']);
  const nHeads = cfgNum(hf, a, ['num_attention_heads']);
  const nLayers = cfgNum(hf, a, ['num_hidden_layers']);
  const dHead = cfgNumOrNull(hf, 'head_dim') ?? d / nHeads;
  const attnBias = typeof hf.attention_bias === 'boolean' ? hf.attention_bias : def.qkvBias;
  const mlpBias = cfgBool(hf, 'mlp_bias', false);
  return completeConfig({
    arch: a,
    nLayers,
    dModel: d,
    nHeads,
    nKVHeads: cfgNum(hf, a, ['num_key_value_heads'], nHeads),
    dHead,
    dMLP: cfgNum(hf, a, ['intermediate_size']),
    dVocab: cfgNum(hf, a, ['vocab_size']),
    nCtx: cfgNum(hf, a, ['max_position_embeddings']),
    normType: 'rmsnorm',
    eps: cfgNum(hf, a, ['rms_norm_eps'], def.rmsEpsDefault),
    act: hfActivation(cfgStr(hf, 'hidden_act', 'silu'), a),
    gatedMLP: true,
    positional: 'rotary',
    rotary: {
      dim: dHead,
      base: cfgNum(hf, a, ['rope_theta'], 10000),
      scaling: parseRopeScaling(hf.rope_scaling, a),
    },
    parallelResidual: false,
    tiedEmbeddings: cfgBool(hf, 'tie_word_embeddings', false),
    biases: {
      qkv: attnBias,
      attnOut: def.oBiasFollowsAttentionBias ? attnBias : false,
      mlp: mlpBias,
      norm: false,
      unembed: false,
    },
    attnScale: new Array(nLayers).fill(1 / Math.sqrt(dHead)),
    slidingWindow: def.slidingWindow(hf),
    bosTokenId: cfgTokenId(hf, 'bos_token_id'),
    eosTokenId: cfgTokenId(hf, 'eos_token_id'),
    hfConfig: hf,
  });
}

/**
 * Reads llama-like weights (`model.layers.L.self_attn.q_proj.weight`, ...) into canonical parameters.
 *
 * @example
 * const host = llamaLikeWeights(src, cfg);
 */
export function llamaLikeWeights(src: WeightSource, cfg: ModelConfig): ModelParams<HostTensor> {
  const { dModel: d, dMLP: m, dVocab: V, nHeads: H, nKVHeads: K, dHead: h } = cfg;
  const r = new TensorReader(src, cfg.arch, ['model.', ''], 'embed_tokens.weight');
  const norm = (p: string) => ({ w: r.take(`${p}.weight`, [d]), b: null });
  const b = cfg.biases;
  const blocks: BlockParams<HostTensor>[] = [];
  for (let l = 0; l < cfg.nLayers; l++) {
    const p = `layers.${l}.`;
    const at = `${p}self_attn.`;
    const mlp = `${p}mlp.`;
    blocks.push({
      ln1: norm(`${p}input_layernorm`),
      ln2: norm(`${p}post_attention_layernorm`),
      W_Q: r.linear(`${at}q_proj.weight`, H * h, d),
      b_Q: b.qkv ? r.take(`${at}q_proj.bias`, [H * h]) : null,
      W_K: r.linear(`${at}k_proj.weight`, K * h, d),
      b_K: b.qkv ? r.take(`${at}k_proj.bias`, [K * h]) : null,
      W_V: r.linear(`${at}v_proj.weight`, K * h, d),
      b_V: b.qkv ? r.take(`${at}v_proj.bias`, [K * h]) : null,
      W_O: r.linear(`${at}o_proj.weight`, d, H * h),
      b_O: b.attnOut ? r.take(`${at}o_proj.bias`, [d]) : null,
      W_in: r.linear(`${mlp}up_proj.weight`, m, d),
      b_in: b.mlp ? r.take(`${mlp}up_proj.bias`, [m]) : null,
      W_gate: r.linear(`${mlp}gate_proj.weight`, m, d),
      b_gate: b.mlp ? r.take(`${mlp}gate_proj.bias`, [m]) : null,
      W_out: r.linear(`${mlp}down_proj.weight`, d, m),
      b_out: b.mlp ? r.take(`${mlp}down_proj.bias`, [d]) : null,
    });
  }
  const W_E = r.take('embed_tokens.weight', [V, d]);
  return {
    W_E,
    W_pos: null,
    blocks,
    lnFinal: norm('norm'),
    W_U: cfg.tiedEmbeddings ? transpose2d(W_E) : r.linear('lm_head.weight', V, d, true),
    b_U: null,
  };
}

const llamaDefaults = (arch: Arch): LlamaLikeDefaults => ({
  arch,
  qkvBias: false,
  oBiasFollowsAttentionBias: true,
  slidingWindow: (hf) => (arch === 'mistral' ? cfgNumOrNull(hf, 'sliding_window') : null),
  rmsEpsDefault: 1e-6,
});

/**
 * The llama / mistral adapter.
 *
 * @example
 * const cfg = llamaAdapter.config(hfConfig); // cfg.nKVHeads < cfg.nHeads for GQA checkpoints
 */
export const llamaAdapter: Adapter = {
  modelTypes: ['llama', 'mistral'],
  config: (hf) => llamaLikeConfig(hf, llamaDefaults(hf.model_type === 'mistral' ? 'mistral' : 'llama')),
  weights: llamaLikeWeights,
};
