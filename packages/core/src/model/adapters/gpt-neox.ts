/**
 * GPT-NeoX / Pythia (`model_type: gpt_neox`): rotary (rotate_half) on the first `rotary_pct · d_head` dims
 * of each head, parallel residual, exact-erf GELU, fused `query_key_value` interleaved per head
 * (`[head][q|k|v][d_head]` rows), separate `embed_out` unembedding at the top level.
 */
import { completeConfig, type ModelConfig } from '../config.js';
import type { BlockParams, HostTensor, ModelParams } from '../params.js';
import {
  type Adapter,
  cfgBool,
  cfgNum,
  cfgStr,
  cfgTokenId,
  TensorReader,
  transpose2d,
  type WeightSource,
} from './common.js';
import { hfActivation } from './gpt2.js';
import { parseRopeScaling } from './rope.js';

function config(hf: Record<string, unknown>): ModelConfig {
  const a = 'gpt_neox';
  const d = cfgNum(hf, a, ['hidden_size']);
  const nHeads = cfgNum(hf, a, ['num_attention_heads']);
  const nLayers = cfgNum(hf, a, ['num_hidden_layers']);
  const dHead = d / nHeads;
  const rotaryDim = Math.floor(dHead * cfgNum(hf, a, ['rotary_pct', 'partial_rotary_factor'], 0.25));
  const bias = cfgBool(hf, 'attention_bias', true);
  return completeConfig({
    arch: 'gpt_neox',
    nLayers,
    dModel: d,
    nHeads,
    nKVHeads: nHeads,
    dHead,
    dMLP: cfgNum(hf, a, ['intermediate_size']),
    dVocab: cfgNum(hf, a, ['vocab_size']),
    nCtx: cfgNum(hf, a, ['max_position_embeddings']),
    normType: 'layernorm',
    eps: cfgNum(hf, a, ['layer_norm_eps'], 1e-5),
    act: hfActivation(cfgStr(hf, 'hidden_act', 'gelu'), a),
    gatedMLP: false,
    positional: 'rotary',
    rotary: {
      dim: rotaryDim,
      base: cfgNum(hf, a, ['rotary_emb_base', 'rope_theta'], 10000),
      scaling: parseRopeScaling(hf.rope_scaling, a),
    },
    parallelResidual: cfgBool(hf, 'use_parallel_residual', true),
    tiedEmbeddings: cfgBool(hf, 'tie_word_embeddings', false),
    biases: { qkv: bias, attnOut: bias, mlp: true, norm: true, unembed: false },
    attnScale: new Array(nLayers).fill(1 / Math.sqrt(dHead)),
    slidingWindow: null,
    bosTokenId: cfgTokenId(hf, 'bos_token_id'),
    eosTokenId: cfgTokenId(hf, 'eos_token_id'),
    hfConfig: hf,
  });
}

/** Rows `[head][part][d_head]` of the fused weight `[3·H·h, d]` → one part as `[d, H·h]`. */
function qkvPart(w: HostTensor, part: number, nHeads: number, dHead: number): HostTensor {
  const dIn = w.shape[1];
  const rows = new Float32Array(nHeads * dHead * dIn);
  for (let h = 0; h < nHeads; h++) {
    const srcRow = (h * 3 + part) * dHead;
    rows.set(w.data.subarray(srcRow * dIn, (srcRow + dHead) * dIn), h * dHead * dIn);
  }
  return transpose2d({ shape: [nHeads * dHead, dIn], data: rows });
}

function qkvBias(b: HostTensor, part: number, nHeads: number, dHead: number): HostTensor {
  const out = new Float32Array(nHeads * dHead);
  for (let h = 0; h < nHeads; h++) {
    out.set(b.data.subarray((h * 3 + part) * dHead, (h * 3 + part + 1) * dHead), h * dHead);
  }
  return { shape: [nHeads * dHead], data: out };
}

function weights(src: WeightSource, cfg: ModelConfig): ModelParams<HostTensor> {
  const { dModel: d, dMLP: m, dVocab: V, nHeads: H, dHead: h } = cfg;
  const r = new TensorReader(src, 'gpt_neox', ['gpt_neox.', ''], 'embed_in.weight');
  const ln = (p: string) => ({ w: r.take(`${p}.weight`, [d]), b: r.take(`${p}.bias`, [d]) });
  const bias = cfg.biases.qkv;
  const blocks: BlockParams<HostTensor>[] = [];
  for (let l = 0; l < cfg.nLayers; l++) {
    const p = `layers.${l}.`;
    const qkvW = r.take(`${p}attention.query_key_value.weight`, [3 * H * h, d]);
    const qkvB = bias ? r.take(`${p}attention.query_key_value.bias`, [3 * H * h]) : null;
    blocks.push({
      ln1: ln(`${p}input_layernorm`),
      ln2: ln(`${p}post_attention_layernorm`),
      W_Q: qkvPart(qkvW, 0, H, h),
      b_Q: qkvB && qkvBias(qkvB, 0, H, h),
      W_K: qkvPart(qkvW, 1, H, h),
      b_K: qkvB && qkvBias(qkvB, 1, H, h),
      W_V: qkvPart(qkvW, 2, H, h),
      b_V: qkvB && qkvBias(qkvB, 2, H, h),
      W_O: r.linear(`${p}attention.dense.weight`, d, H * h),
      b_O: cfg.biases.attnOut ? r.take(`${p}attention.dense.bias`, [d]) : null,
      W_in: r.linear(`${p}mlp.dense_h_to_4h.weight`, m, d),
      b_in: r.take(`${p}mlp.dense_h_to_4h.bias`, [m]),
      W_gate: null,
      b_gate: null,
      W_out: r.linear(`${p}mlp.dense_4h_to_h.weight`, d, m),
      b_out: r.take(`${p}mlp.dense_4h_to_h.bias`, [d]),
    });
  }
  const W_E = r.take('embed_in.weight', [V, d]);
  return {
    W_E,
    W_pos: null,
    blocks,
    lnFinal: ln('final_layer_norm'),
    W_U: cfg.tiedEmbeddings ? transpose2d(W_E) : r.linear('embed_out.weight', V, d, true),
    b_U: null,
  };
}

/**
 * The GPT-NeoX (Pythia) adapter.
 *
 * @example
 * const cfg = gptNeoxAdapter.config(hfConfig); // cfg.rotary.dim === d_head * rotary_pct
 */
export const gptNeoxAdapter: Adapter = { modelTypes: ['gpt_neox'], config, weights };
