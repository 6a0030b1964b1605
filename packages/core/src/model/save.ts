/**
 * Saving a {@link HookedTransformer} as a Hugging Face checkpoint folder (`config.json`,
 * `model.safetensors`, and `tokenizer.json` / `tokenizer_config.json` when the model has a tokenizer),
 * loadable by `loadModel` here and by `transformers`' `AutoModelForCausalLM` in Python.
 */
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { tf } from '../engine/tf.js';
import { type TensorToWrite, writeSafetensors } from '../io/index.js';
import type { ModelConfig } from './config.js';
import type { HookedTransformer } from './hooked-transformer.js';
import type { TensorParams } from './params.js';

/**
 * Options of {@link saveModel}.
 *
 * @example
 * await saveModel(model, 'models/my-model', { dtype: 'F32', metadata: { step: '2000' } });
 */
export interface SaveModelOptions {
  /** Float storage type of `model.safetensors` (default F32). */
  dtype?: 'F32' | 'F16' | 'BF16';
  /** Extra string metadata for the safetensors header (`format: pt` is always set). */
  metadata?: Record<string, string>;
  /** Extra fields merged into `config.json` (e.g. `{ "mechlens": {...} }` provenance). */
  extraConfig?: Record<string, unknown>;
}

function host(t: tf.Tensor): Float32Array {
  return t.dataSync() as Float32Array;
}

/** Concatenates `[d, a]`, `[d, b]`, ... row-major host matrices along columns. */
function concatCols(parts: { data: Float32Array; cols: number }[], rows: number): Float32Array {
  const total = parts.reduce((s, p) => s + p.cols, 0);
  const out = new Float32Array(rows * total);
  for (let r = 0; r < rows; r++) {
    let off = r * total;
    for (const p of parts) {
      out.set(p.data.subarray(r * p.cols, (r + 1) * p.cols), off);
      off += p.cols;
    }
  }
  return out;
}

function transposeHost(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = data[i * cols + j];
  return out;
}

function gpt2HfConfig(cfg: ModelConfig): Record<string, unknown> {
  const actName: Record<string, string> = { gelu_new: 'gelu_new', gelu: 'gelu', relu: 'relu', silu: 'silu' };
  const act = actName[cfg.act];
  if (!act) throw new Error(`saveModel: gpt2 checkpoints cannot express activation '${cfg.act}'`);
  const base = 1 / Math.sqrt(cfg.dHead);
  const close = (a: number, b: number) => Math.abs(a - b) <= 1e-7 * Math.abs(b);
  const plain = cfg.attnScale.every((s) => close(s, base));
  const layerScaled = !plain && cfg.attnScale.every((s, l) => close(s, base / (l + 1)));
  if (!plain && !layerScaled) {
    throw new Error(
      'saveModel: per-layer attention scales other than 1/sqrt(dHead) (or its 1/(layer+1) variant) cannot be written to a gpt2 config',
    );
  }
  return {
    ...cfg.hfConfig,
    model_type: 'gpt2',
    architectures: ['GPT2LMHeadModel'],
    n_embd: cfg.dModel,
    n_head: cfg.nHeads,
    n_layer: cfg.nLayers,
    n_inner: cfg.dMLP,
    n_positions: cfg.nCtx,
    n_ctx: cfg.nCtx,
    vocab_size: cfg.dVocab,
    layer_norm_epsilon: cfg.eps,
    activation_function: act,
    tie_word_embeddings: cfg.tiedEmbeddings,
    scale_attn_weights: true,
    scale_attn_by_inverse_layer_idx: layerScaled,
    bos_token_id: cfg.bosTokenId,
    eos_token_id: cfg.eosTokenId,
    torch_dtype: 'float32',
  };
}

function gpt2Tensors(
  cfg: ModelConfig,
  p: TensorParams,
  dtype: TensorToWrite['dtype'],
): Record<string, TensorToWrite> {
  const { dModel: d, dMLP: m, dVocab: V, nCtx } = cfg;
  const out: Record<string, TensorToWrite> = {};
  const put = (name: string, shape: number[], data: Float32Array): void => {
    out[name] = { dtype, shape, data };
  };
  const need = (t: tf.Tensor | null, what: string): Float32Array => {
    if (!t) throw new Error(`saveModel: gpt2 needs ${what}, which this model does not have`);
    return host(t);
  };
  put('transformer.wte.weight', [V, d], host(p.W_E));
  put('transformer.wpe.weight', [nCtx, d], need(p.W_pos, 'learned positions (W_pos)'));
  p.blocks.forEach((b, l) => {
    const pre = `transformer.h.${l}.`;
    put(`${pre}ln_1.weight`, [d], host(b.ln1.w));
    put(`${pre}ln_1.bias`, [d], need(b.ln1.b, 'LayerNorm biases'));
    put(`${pre}ln_2.weight`, [d], host(b.ln2.w));
    put(`${pre}ln_2.bias`, [d], need(b.ln2.b, 'LayerNorm biases'));
    const qkv = [b.W_Q, b.W_K, b.W_V].map((w) => ({ data: host(w), cols: d }));
    put(`${pre}attn.c_attn.weight`, [d, 3 * d], concatCols(qkv, d));
    const qkvB = new Float32Array(3 * d);
    qkvB.set(need(b.b_Q, 'q bias'), 0);
    qkvB.set(need(b.b_K, 'k bias'), d);
    qkvB.set(need(b.b_V, 'v bias'), 2 * d);
    put(`${pre}attn.c_attn.bias`, [3 * d], qkvB);
    put(`${pre}attn.c_proj.weight`, [d, d], host(b.W_O));
    put(`${pre}attn.c_proj.bias`, [d], need(b.b_O, 'attention output bias'));
    put(`${pre}mlp.c_fc.weight`, [d, m], host(b.W_in));
    put(`${pre}mlp.c_fc.bias`, [m], need(b.b_in, 'MLP biases'));
    put(`${pre}mlp.c_proj.weight`, [m, d], host(b.W_out));
    put(`${pre}mlp.c_proj.bias`, [d], need(b.b_out, 'MLP biases'));
  });
  put('transformer.ln_f.weight', [d], host(p.lnFinal.w));
  put('transformer.ln_f.bias', [d], need(p.lnFinal.b, 'LayerNorm biases'));
  if (!cfg.tiedEmbeddings) put('lm_head.weight', [V, d], transposeHost(host(p.W_U), d, V));
  return out;
}

function writeJsonAtomic(path: string, value: unknown): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
    renameSync(tmp, path);
  } catch (e) {
    if (existsSync(tmp)) unlinkSync(tmp);
    throw e;
  }
}

/**
 * Saves `model` as a Hugging Face checkpoint folder. GPT-2-architecture models are supported (the
 * demo model and models trained here); other architectures throw a clear error. Every file is written
 * to a temporary name and renamed, so a failed save never leaves a half-written checkpoint.
 *
 * @example
 * const model = await createRandomModel({ arch: 'gpt2', nLayers: 2, dModel: 64, nHeads: 4, dVocab: 100, nCtx: 32 });
 * saveModel(model, '/tmp/tiny-gpt2');
 * const again = await loadModel('/tmp/tiny-gpt2');
 */
export function saveModel(model: HookedTransformer, dir: string, options: SaveModelOptions = {}): void {
  const cfg = model.config;
  if (cfg.arch !== 'gpt2') {
    throw new Error(
      `saveModel: writing '${cfg.arch}' checkpoints is not implemented (supported: gpt2); ` +
        'convert the model with transformers in Python, or save the parameters with writeSafetensors',
    );
  }
  if (cfg.parallelResidual || cfg.gatedMLP || cfg.normType !== 'layernorm' || cfg.positional !== 'learned') {
    throw new Error(
      'saveModel: this model has features a gpt2 checkpoint cannot express (parallel residual, gated MLP, RMSNorm or rotary)',
    );
  }
  if (cfg.tiedEmbeddings) {
    const gap = tf.tidy(
      () => tf.max(tf.abs(tf.sub(model.params.W_U, tf.transpose(model.params.W_E)))).dataSync()[0],
    );
    if (gap > 0) {
      throw new Error(
        `saveModel: the config says tied embeddings but W_U differs from W_Eᵀ (max |Δ| ${gap}); ` +
          'untie them (config.tiedEmbeddings = false) to save both',
      );
    }
  }
  mkdirSync(dir, { recursive: true });
  const tensors = gpt2Tensors(cfg, model.params, options.dtype ?? 'F32');
  writeSafetensors(join(dir, 'model.safetensors'), tensors, { format: 'pt', ...options.metadata });
  writeJsonAtomic(join(dir, 'config.json'), { ...gpt2HfConfig(cfg), ...options.extraConfig });
  const tok = model.tokenizer;
  if (tok && tok.path !== join(dir, 'tokenizer.json')) {
    const tmp = join(dir, `.tokenizer.json.${process.pid}.tmp`);
    copyFileSync(tok.path, tmp);
    renameSync(tmp, join(dir, 'tokenizer.json'));
    const tc = join(dirname(tok.path), 'tokenizer_config.json');
    if (existsSync(tc))
      writeJsonAtomic(join(dir, 'tokenizer_config.json'), JSON.parse(readFileSync(tc, 'utf8')));
  }
}
