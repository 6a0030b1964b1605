/**
 * GPT-2 (`model_type: gpt2`): learned positions, LayerNorm, gelu_new, Conv1D weights stored `[in, out]`
 * (no transpose), fused `c_attn` = [q | k | v] along the output axis, unembedding tied to `wte`.
 */
import { type ActName, completeConfig, type ModelConfig } from '../config.js';
import type { BlockParams, HostTensor, ModelParams } from '../params.js';
import {
  type Adapter,
  cfgBool,
  cfgNum,
  cfgNumOrNull,
  cfgStr,
  cfgTokenId,
  slice1d,
  sliceCols,
  TensorReader,
  transpose2d,
  type WeightSource,
} from './common.js';

/**
 * Maps an HF activation name to ours (shared by the adapters).
 *
 * @example
 * hfActivation('gelu_pytorch_tanh', 'gpt2'); // 'gelu_new'
 */
export function hfActivation(name: string, arch: string): ActName {
  switch (name) {
    case 'gelu_new':
    case 'gelu_fast':
    case 'gelu_pytorch_tanh':
    case 'gelu_approximate':
      return 'gelu_new';
    case 'gelu':
      return 'gelu';
    case 'relu':
      return 'relu';
    case 'silu':
    case 'swish':
      return 'silu';
    case 'quick_gelu':
      return 'quick_gelu';
    default:
      throw new Error(
        `${arch}: unsupported activation '${name}' (supported: gelu_new, gelu_fast, gelu_pytorch_tanh, gelu, relu, silu, swish, quick_gelu)`,
      );
  }
}

function config(hf: Record<string, unknown>): ModelConfig {
  const a = 'gpt2';
  const d = cfgNum(hf, a, ['n_embd', 'hidden_size']);
  const nHeads = cfgNum(hf, a, ['n_head', 'num_attention_heads']);
  const nLayers = cfgNum(hf, a, ['n_layer', 'num_hidden_layers']);
  const dHead = d / nHeads;
  const scaled = cfgBool(hf, 'scale_attn_weights', true);
  const byLayer = cfgBool(hf, 'scale_attn_by_inverse_layer_idx', false);
  return completeConfig({
    arch: 'gpt2',
    nLayers,
    dModel: d,
    nHeads,
    nKVHeads: nHeads,
    dHead,
    dMLP: cfgNumOrNull(hf, 'n_inner') ?? 4 * d,
    dVocab: cfgNum(hf, a, ['vocab_size']),
    nCtx: cfgNum(hf, a, ['n_positions', 'n_ctx', 'max_position_embeddings']),
    normType: 'layernorm',
    eps: cfgNum(hf, a, ['layer_norm_epsilon'], 1e-5),
    act: hfActivation(cfgStr(hf, 'activation_function', 'gelu_new'), a),
    gatedMLP: false,
    positional: 'learned',
    rotary: null,
    parallelResidual: false,
    tiedEmbeddings: cfgBool(hf, 'tie_word_embeddings', true),
    biases: { qkv: true, attnOut: true, mlp: true, norm: true, unembed: false },
    attnScale: Array.from(
      { length: nLayers },
      (_, l) => (scaled ? 1 / Math.sqrt(dHead) : 1) / (byLayer ? l + 1 : 1),
    ),
    slidingWindow: null,
    bosTokenId: cfgTokenId(hf, 'bos_token_id'),
    eosTokenId: cfgTokenId(hf, 'eos_token_id'),
    hfConfig: hf,
  });
}

function weights(src: WeightSource, cfg: ModelConfig): ModelParams<HostTensor> {
  const { dModel: d, dMLP: m, dVocab: V, nCtx } = cfg;
  const r = new TensorReader(src, 'gpt2', ['transformer.', ''], 'wte.weight');
  const ln = (p: string) => ({ w: r.take(`${p}.weight`, [d]), b: r.take(`${p}.bias`, [d]) });
  const blocks: BlockParams<HostTensor>[] = [];
  for (let l = 0; l < cfg.nLayers; l++) {
    const p = `h.${l}.`;
    const qkvW = r.take(`${p}attn.c_attn.weight`, [d, 3 * d]);
    const qkvB = r.take(`${p}attn.c_attn.bias`, [3 * d]);
    blocks.push({
      ln1: ln(`${p}ln_1`),
      ln2: ln(`${p}ln_2`),
      W_Q: sliceCols(qkvW, 0, d),
      b_Q: slice1d(qkvB, 0, d),
      W_K: sliceCols(qkvW, d, d),
      b_K: slice1d(qkvB, d, d),
      W_V: sliceCols(qkvW, 2 * d, d),
      b_V: slice1d(qkvB, 2 * d, d),
      W_O: r.take(`${p}attn.c_proj.weight`, [d, d]),
      b_O: r.take(`${p}attn.c_proj.bias`, [d]),
      W_in: r.take(`${p}mlp.c_fc.weight`, [d, m]),
      b_in: r.take(`${p}mlp.c_fc.bias`, [m]),
      W_gate: null,
      b_gate: null,
      W_out: r.take(`${p}mlp.c_proj.weight`, [m, d]),
      b_out: r.take(`${p}mlp.c_proj.bias`, [d]),
    });
  }
  const W_E = r.take('wte.weight', [V, d]);
  const W_U = cfg.tiedEmbeddings ? transpose2d(W_E) : transpose2d(r.take('lm_head.weight', [V, d], true));
  return {
    W_E,
    W_pos: r.take('wpe.weight', [nCtx, d]),
    blocks,
    lnFinal: ln('ln_f'),
    W_U,
    b_U: null,
  };
}

/**
 * The GPT-2 adapter.
 *
 * @example
 * const cfg = gpt2Adapter.config(JSON.parse(readFileSync('gpt2/config.json', 'utf8')));
 */
export const gpt2Adapter: Adapter = { modelTypes: ['gpt2'], config, weights };
