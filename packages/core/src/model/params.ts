/**
 * The canonical parameter set every architecture is mapped to (TransformerLens naming, `[in, out]` layouts
 * so that `y = x · W + b`), as host arrays (what adapters produce) and as tensors (what the forward reads).
 */
import { tf } from '../engine/tf.js';
import type { ModelConfig } from './config.js';

/**
 * A host-side float32 array with its shape.
 *
 * @example
 * const t: HostTensor = { shape: [2], data: Float32Array.of(1, 2) };
 */
export interface HostTensor {
  shape: number[];
  data: Float32Array;
}

/**
 * Norm weights (`b` is null for RMSNorm or bias-free LayerNorm).
 *
 * @example
 * const { w, b } = model.params.blocks[0].ln1;
 */
export interface NormParams<T> {
  w: T;
  b: T | null;
}

/**
 * One transformer block's parameters. Shapes with H heads, K kv heads, head width h, model width d.
 *
 * @example
 * const { W_Q, W_K, W_V, W_O } = model.params.blocks[0]; // [d, H·dh], ..., [H·dh, d]
 */
export interface BlockParams<T> {
  ln1: NormParams<T>;
  ln2: NormParams<T>;
  /** `[d, H·h]`, head-major columns (head i owns columns i·h..(i+1)·h). */
  W_Q: T;
  b_Q: T | null;
  /** `[d, K·h]`. */
  W_K: T;
  b_K: T | null;
  /** `[d, K·h]`. */
  W_V: T;
  b_V: T | null;
  /** `[H·h, d]`. */
  W_O: T;
  b_O: T | null;
  /** `[d, d_mlp]`: the MLP input (the "up" projection in gated MLPs). */
  W_in: T;
  b_in: T | null;
  /** `[d, d_mlp]` gate projection of gated MLPs, else null. */
  W_gate: T | null;
  b_gate: T | null;
  /** `[d_mlp, d]`. */
  W_out: T;
  b_out: T | null;
}

/**
 * All parameters of a model.
 *
 * @example
 * const { W_E, W_U } = model.params;
 */
export interface ModelParams<T> {
  /** Token embedding `[vocab, d]`. */
  W_E: T;
  /** Learned positions `[n_ctx, d]`, or null for rotary models. */
  W_pos: T | null;
  blocks: BlockParams<T>[];
  lnFinal: NormParams<T>;
  /** Unembedding `[d, vocab]` (the transpose of W_E for tied models). */
  W_U: T;
  b_U: T | null;
}

/**
 * Canonical parameters as tfjs tensors.
 *
 * @example
 * const p: TensorParams = model.params;
 */
export type TensorParams = ModelParams<tf.Tensor>;

/**
 * Expected shapes of every canonical parameter for a config (null entries are absent).
 *
 * @example
 * expectedShapes(model.config).blocks[0].W_Q; // [dModel, nHeads * dHead]
 */
export function expectedShapes(cfg: ModelConfig): ModelParams<number[]> {
  const { dModel: d, nHeads: H, nKVHeads: K, dHead: h, dMLP: m, dVocab: V } = cfg;
  const b = cfg.biases;
  const norm = (): NormParams<number[]> => ({
    w: [d],
    b: cfg.normType === 'layernorm' && b.norm ? [d] : null,
  });
  const block = (): BlockParams<number[]> => ({
    ln1: norm(),
    ln2: norm(),
    W_Q: [d, H * h],
    b_Q: b.qkv ? [H * h] : null,
    W_K: [d, K * h],
    b_K: b.qkv ? [K * h] : null,
    W_V: [d, K * h],
    b_V: b.qkv ? [K * h] : null,
    W_O: [H * h, d],
    b_O: b.attnOut ? [d] : null,
    W_in: [d, m],
    b_in: b.mlp ? [m] : null,
    W_gate: cfg.gatedMLP ? [d, m] : null,
    b_gate: cfg.gatedMLP && b.mlp ? [m] : null,
    W_out: [m, d],
    b_out: b.mlp ? [d] : null,
  });
  return {
    W_E: [V, d],
    W_pos: cfg.positional === 'learned' ? [cfg.nCtx, d] : null,
    blocks: Array.from({ length: cfg.nLayers }, block),
    lnFinal: norm(),
    W_U: [d, V],
    b_U: b.unembed ? [V] : null,
  };
}

const sameShape = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((x, i) => x === b[i]);

/** Walks two parallel parameter trees, calling `fn(path, a, b)` for every leaf. */
function zipLeaves<A, B>(
  a: ModelParams<A>,
  b: ModelParams<B>,
  fn: (path: string, x: A | null, y: B | null) => void,
): void {
  const norm = (p: string, x: NormParams<A>, y: NormParams<B>) => {
    fn(`${p}.w`, x.w, y.w);
    fn(`${p}.b`, x.b, y.b);
  };
  fn('W_E', a.W_E, b.W_E);
  fn('W_pos', a.W_pos, b.W_pos);
  a.blocks.forEach((blk, l) => {
    const other = b.blocks[l];
    norm(`blocks.${l}.ln1`, blk.ln1, other.ln1);
    norm(`blocks.${l}.ln2`, blk.ln2, other.ln2);
    for (const k of [
      'W_Q',
      'b_Q',
      'W_K',
      'b_K',
      'W_V',
      'b_V',
      'W_O',
      'b_O',
      'W_in',
      'b_in',
      'W_gate',
      'b_gate',
      'W_out',
      'b_out',
    ] as const) {
      fn(`blocks.${l}.${k}`, blk[k], other[k]);
    }
  });
  norm('lnFinal', a.lnFinal, b.lnFinal);
  fn('W_U', a.W_U, b.W_U);
  fn('b_U', a.b_U, b.b_U);
}

/**
 * Checks host parameters against the config's expected shapes and uploads them as tensors.
 *
 * @example
 * const params = uploadParams(adapter.weights(ckpt, cfg), cfg);
 */
export function uploadParams(host: ModelParams<HostTensor>, cfg: ModelConfig): TensorParams {
  const expected = expectedShapes(cfg);
  if (host.blocks.length !== cfg.nLayers) {
    throw new Error(`parameters have ${host.blocks.length} blocks, config says nLayers = ${cfg.nLayers}`);
  }
  zipLeaves(host, expected, (path, x, shape) => {
    if ((x === null) !== (shape === null)) {
      throw new Error(
        shape === null
          ? `parameter ${path} is present but the config says it should not exist`
          : `parameter ${path} is missing (expected shape [${shape}])`,
      );
    }
    if (x && shape && !sameShape(x.shape, shape)) {
      throw new Error(`parameter ${path} has shape [${x.shape}], expected [${shape}]`);
    }
    if (x && x.data.length !== x.shape.reduce((p, q) => p * q, 1)) {
      throw new Error(`parameter ${path}: ${x.data.length} values for shape [${x.shape}]`);
    }
  });
  const up = (x: HostTensor): tf.Tensor => tf.tensor(x.data, x.shape, 'float32');
  const upN = (x: HostTensor | null): tf.Tensor | null => (x ? up(x) : null);
  const norm = (n: NormParams<HostTensor>): NormParams<tf.Tensor> => ({ w: up(n.w), b: upN(n.b) });
  return {
    W_E: up(host.W_E),
    W_pos: upN(host.W_pos),
    blocks: host.blocks.map((b) => ({
      ln1: norm(b.ln1),
      ln2: norm(b.ln2),
      W_Q: up(b.W_Q),
      b_Q: upN(b.b_Q),
      W_K: up(b.W_K),
      b_K: upN(b.b_K),
      W_V: up(b.W_V),
      b_V: upN(b.b_V),
      W_O: up(b.W_O),
      b_O: upN(b.b_O),
      W_in: up(b.W_in),
      b_in: upN(b.b_in),
      W_gate: upN(b.W_gate),
      b_gate: upN(b.b_gate),
      W_out: up(b.W_out),
      b_out: upN(b.b_out),
    })),
    lnFinal: norm(host.lnFinal),
    W_U: up(host.W_U),
    b_U: upN(host.b_U),
  };
}

/**
 * Every parameter tensor with its canonical path (`blocks.3.W_Q`, `lnFinal.w`, ...).
 *
 * @example
 * for (const [path, t] of paramEntries(model.params)) console.log(path, t.shape);
 */
export function paramEntries(params: TensorParams): [string, tf.Tensor][] {
  const out: [string, tf.Tensor][] = [];
  zipLeaves(params, params, (path, x) => {
    if (x) out.push([path, x]);
  });
  return out;
}

/**
 * Disposes every parameter tensor.
 *
 * @example
 * disposeParams(params);
 */
export function disposeParams(params: TensorParams): void {
  for (const [, t] of paramEntries(params)) t.dispose();
}
