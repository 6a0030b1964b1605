/**
 * TransformerLens's weight processing (`from_pretrained(fold_ln, center_writing_weights, center_unembed,
 * fold_value_biases)`), as an explicit step that returns a new model. mechlens loads raw Hugging Face weights
 * (as TransformerLens v3 does by default); processing is opt-in.
 */
import { tf } from '../engine/tf.js';
import type { ModelConfig } from '../model/config.js';
import { HookedTransformer } from '../model/hooked-transformer.js';
import type { BlockParams, NormParams, TensorParams } from '../model/params.js';

type T = tf.Tensor;

/** Options of {@link processWeights}; each defaults to TransformerLens's `from_pretrained` default. */
export interface ProcessWeightsOptions {
  /**
   * Fold every norm's weight (and LayerNorm's bias) into the linear layers that read it (`W_Q/W_K/W_V` from
   * `ln1`, `W_in/W_gate` from `ln2`, `W_U` from `ln_final`; biases into `b_Q/b_K/b_V`, `b_in/b_gate`, `b_U`).
   * For LayerNorm those reading weights are then also centred over `d_model` (their input has zero mean). The
   * norms are left as pure normalization ("LNPre"): weight 1, no bias. Default true.
   */
  foldLn?: boolean;
  /**
   * Subtract the mean over `d_model` from everything that writes to the residual stream (`W_E`, `W_pos`,
   * `W_O`, `b_O`, `W_out`, `b_out`), so the stream has zero mean. Only valid for LayerNorm models (every
   * reader of the stream centres it); requesting it on an RMSNorm model throws. Default: true for LayerNorm,
   * false for RMSNorm.
   */
  centerWritingWeights?: boolean;
  /**
   * Subtract the mean over the vocabulary from `W_U`'s rows (and `b_U`): every logit moves by the same
   * per-position constant, so softmax/log-probs are unchanged but raw logits are not. Default true.
   */
  centerUnembed?: boolean;
  /**
   * Fold the value bias into the output bias: `b_O += Σ_h b_V[kv(h)] · W_O[h]`, `b_V = 0` (exact because each
   * attention pattern row sums to 1). Changes `hook_v`/`hook_z`, not `hook_attn_out`. Default true.
   */
  foldValueBiases?: boolean;
}

/** A processed parameter set with the config that describes it. */
export interface ProcessedParams {
  config: ModelConfig;
  params: TensorParams;
}

function resolveOptions(cfg: ModelConfig, opts: ProcessWeightsOptions): Required<ProcessWeightsOptions> {
  const isLN = cfg.normType === 'layernorm';
  if (opts.centerWritingWeights && !isLN) {
    throw new Error(
      `processWeights: centerWritingWeights needs LayerNorm, but this ${cfg.arch} model uses RMSNorm, which does not subtract the mean: centring the residual stream would change its outputs`,
    );
  }
  return {
    foldLn: opts.foldLn ?? true,
    centerWritingWeights: opts.centerWritingWeights ?? isLN,
    centerUnembed: opts.centerUnembed ?? true,
    foldValueBiases: opts.foldValueBiases ?? true,
  };
}

const meanOver = (x: T, axis: number): T => tf.mean(x, axis, true);
const centreLast = (x: T): T => tf.sub(x, meanOver(x, x.rank - 1));

/** Folds norm `ln` into a linear layer `x·W + bias` that reads its output. */
function foldInto(W: T, bias: T | null, ln: NormParams<T>, centre: boolean): { W: T; b: T | null } {
  const out = W.shape[1] as number;
  let b = bias;
  if (ln.b) {
    const shift = tf.reshape(tf.matMul(tf.reshape(ln.b, [1, -1]), W), [out]);
    b = b ? tf.add(b, shift) : shift;
  }
  let Wn = tf.mul(W, tf.reshape(ln.w, [-1, 1]));
  if (centre) Wn = tf.sub(Wn, meanOver(Wn, 0));
  return { W: Wn, b };
}

/**
 * The processed parameters and config, as new tensors (the inputs are untouched; the caller owns the
 * result). See {@link processWeights}.
 *
 * @example
 * const { config, params } = processParams(model.config, model.params, { foldLn: true });
 * const folded = new HookedTransformer(config, params, model.tokenizer);
 */
export function processParams(
  config: ModelConfig,
  params: TensorParams,
  opts: ProcessWeightsOptions = {},
): ProcessedParams {
  const o = resolveOptions(config, opts);
  const cfg: ModelConfig = {
    ...config,
    biases: { ...config.biases },
    attnScale: [...config.attnScale],
    rotary: config.rotary ? { ...config.rotary } : null,
  };
  const { dModel: d, nHeads: H, nKVHeads: K, dHead: dh, dMLP: m } = cfg;
  const isLN = cfg.normType === 'layernorm';
  const out = tf.tidy(() => {
    const c = (x: T | null): T | null => (x ? tf.clone(x) : null);
    const cn = (n: NormParams<T>): NormParams<T> => ({ w: tf.clone(n.w), b: c(n.b) });
    const p: TensorParams = {
      W_E: tf.clone(params.W_E),
      W_pos: c(params.W_pos),
      blocks: params.blocks.map(
        (b): BlockParams<T> => ({
          ln1: cn(b.ln1),
          ln2: cn(b.ln2),
          W_Q: tf.clone(b.W_Q),
          b_Q: c(b.b_Q),
          W_K: tf.clone(b.W_K),
          b_K: c(b.b_K),
          W_V: tf.clone(b.W_V),
          b_V: c(b.b_V),
          W_O: tf.clone(b.W_O),
          b_O: c(b.b_O),
          W_in: tf.clone(b.W_in),
          b_in: c(b.b_in),
          W_gate: c(b.W_gate),
          b_gate: c(b.b_gate),
          W_out: tf.clone(b.W_out),
          b_out: c(b.b_out),
        }),
      ),
      lnFinal: cn(params.lnFinal),
      W_U: tf.clone(params.W_U),
      b_U: c(params.b_U),
    };
    let untied = false;

    if (o.foldLn) {
      const identity = (): NormParams<T> => ({ w: tf.ones([d]), b: null });
      for (const b of p.blocks) {
        ({ W: b.W_Q, b: b.b_Q } = foldInto(b.W_Q, b.b_Q, b.ln1, isLN));
        ({ W: b.W_K, b: b.b_K } = foldInto(b.W_K, b.b_K, b.ln1, isLN));
        ({ W: b.W_V, b: b.b_V } = foldInto(b.W_V, b.b_V, b.ln1, isLN));
        ({ W: b.W_in, b: b.b_in } = foldInto(b.W_in, b.b_in, b.ln2, isLN));
        if (b.W_gate) ({ W: b.W_gate, b: b.b_gate } = foldInto(b.W_gate, b.b_gate, b.ln2, isLN));
        b.ln1 = identity();
        b.ln2 = identity();
      }
      ({ W: p.W_U, b: p.b_U } = foldInto(p.W_U, p.b_U, p.lnFinal, isLN));
      p.lnFinal = identity();
      cfg.biases.norm = false;
      untied = true;
    }

    if (o.centerWritingWeights) {
      p.W_E = centreLast(p.W_E);
      if (p.W_pos) p.W_pos = centreLast(p.W_pos);
      for (const b of p.blocks) {
        b.W_O = centreLast(b.W_O);
        if (b.b_O) b.b_O = centreLast(b.b_O);
        b.W_out = centreLast(b.W_out);
        if (b.b_out) b.b_out = centreLast(b.b_out);
      }
      untied = true;
    }

    if (o.centerUnembed) {
      p.W_U = centreLast(p.W_U);
      if (p.b_U) p.b_U = centreLast(p.b_U);
      untied = true;
    }

    if (o.foldValueBiases) {
      const kvOfHead = tf.tensor1d(
        Array.from({ length: H }, (_, h) => Math.floor(h / (H / K))),
        'int32',
      );
      for (const b of p.blocks) {
        if (!b.b_V) continue;
        const bV = tf.reshape(tf.gather(tf.reshape(b.b_V, [K, dh]), kvOfHead), [1, H * dh]);
        const shift = tf.reshape(tf.matMul(bV, b.W_O), [d]);
        b.b_O = b.b_O ? tf.add(b.b_O, shift) : shift;
        b.b_V = tf.zerosLike(b.b_V);
      }
    }

    // Keep the config's bias flags describing the tensors (folding can create biases a model lacked): a
    // group that has any bias anywhere gets zeros for its absent members.
    const some = (f: (b: BlockParams<T>) => T | null) => p.blocks.some((b) => f(b) !== null);
    const qkv = some((b) => b.b_Q) || some((b) => b.b_K) || some((b) => b.b_V);
    const attnOut = some((b) => b.b_O);
    const mlp = some((b) => b.b_in) || some((b) => b.b_gate) || some((b) => b.b_out);
    for (const b of p.blocks) {
      if (qkv) {
        b.b_Q ??= tf.zeros([H * dh]);
        b.b_K ??= tf.zeros([K * dh]);
        b.b_V ??= tf.zeros([K * dh]);
      }
      if (attnOut) b.b_O ??= tf.zeros([d]);
      if (mlp) {
        b.b_in ??= tf.zeros([m]);
        b.b_out ??= tf.zeros([d]);
        if (b.W_gate) b.b_gate ??= tf.zeros([m]);
      }
    }
    cfg.biases.qkv = qkv;
    cfg.biases.attnOut = attnOut;
    cfg.biases.mlp = mlp;
    cfg.biases.unembed = p.b_U !== null;
    if (untied) cfg.tiedEmbeddings = false;
    return p as unknown as tf.TensorContainer;
  }) as unknown as TensorParams;
  return { config: cfg, params: out };
}

/**
 * A new model with processed weights (TransformerLens's weight processing), sharing the tokenizer; the
 * original model is untouched and both must be disposed separately. Every option defaults to
 * TransformerLens's `from_pretrained` default (all on; `centerWritingWeights` only for LayerNorm models).
 *
 * What changes: folding (`foldLn`, `foldValueBiases`) and `centerWritingWeights` leave the logits unchanged
 * up to float32 rounding; `centerUnembed` shifts every logit of a position by the same constant (log-probs
 * unchanged). Hook activations inside the model can change: after `centerWritingWeights` the residual
 * stream has zero mean, after `foldValueBiases` `hook_v`/`hook_z` lack the value bias, after `foldLn` the
 * norm outputs are the plain normalized values (`hook_normalized` and `hook_scale` are unchanged).
 *
 * Representation: folded norms keep their type and are stored as weight 1 with no bias (the forward pass
 * multiplies by ones, which is exact), and `config.biases` is updated where folding created biases; tied
 * embeddings become untied once `W_U` or `W_E` change.
 *
 * @example
 * const raw = await loadModel('packages/core/test/fixtures/gpt2');
 * const model = processWeights(raw, { foldLn: true, centerWritingWeights: true, centerUnembed: true });
 * const { cache } = model.runWithCache(ids);
 * // DLA on a folded model needs no norm weight: ln_final.w is 1
 */
export function processWeights(
  model: HookedTransformer,
  opts: ProcessWeightsOptions = {},
): HookedTransformer {
  const { config, params } = processParams(model.config, model.params, opts);
  return new HookedTransformer(config, params, model.tokenizer);
}
