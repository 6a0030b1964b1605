/**
 * The forward pass, written once over the canonical parameters for every architecture. Hook points are
 * fired where TransformerLens fires them; the work a hook needs (unfused norms, masked scores, per-head
 * results, rotary transposes) is only done when a hook or the cache asks for that point.
 *
 * Layouts: residual `[B, T, d]`; q/k/v/z hooks `[B, T, heads, dh]`; internally attention runs on
 * `[B, heads, T, dh]`, grouped-query attention by viewing the queries as `[B, kvHeads, group·T, dh]` (no
 * repeat of keys/values).
 */
import { tf } from '../engine/tf.js';
import type { ModelConfig } from './config.js';
import type { HookName } from './hook-names.js';
import type { HookRunner } from './hooks.js';
import type { KVCache } from './kv-cache.js';
import { causalMaskBias, type OpsTable } from './ops.js';
import type { BlockParams, NormParams, TensorParams } from './params.js';
import type { RotaryTables } from './rotary.js';

type Tensor = tf.Tensor;

/**
 * Everything a forward pass reads.
 *
 * @example
 * const fm: ForwardModel = { cfg: model.config, params: model.params, rotary: model.rotary };
 */
export interface ForwardModel {
  cfg: ModelConfig;
  params: TensorParams;
  rotary: RotaryTables | null;
  /** Cached `[d, (H+2K)·dh]` concatenation of W_Q|W_K|W_V (and biases) of a block, for tape-free runs. */
  fusedQKV?: (layer: number) => { W: Tensor; b: Tensor | null };
}

/** Internal switches for measuring alternatives. */
export const TUNING = { fusedQKV: true, tiedUnembedTransposeB: false };

/**
 * Per-call inputs of {@link forwardPass}.
 *
 * @example
 * const args: ForwardArgs = { ids, hooks: new HookRunner(cfg, [], null, 0), ops: defaultOps() };
 */
export interface ForwardArgs {
  /** Token ids `[B, T]`, int32, already validated. */
  ids: tf.Tensor2D;
  hooks: HookRunner;
  ops: OpsTable;
  /** Cache of earlier positions; this call's keys/values are appended. */
  kv?: KVCache;
  /** Return the residual stream entering this block instead of logits. */
  stopAtLayer?: number;
  /**
   * Start at this block with `residIn` (`[B, T, d]`, the residual stream entering it) instead of embedding
   * `ids` (whose shape still gives B and T).
   */
  startAtLayer?: number;
  residIn?: Tensor;
  /** Unembed only the last position (generation); `unembed.*` hooks then see `[B, 1, ...]`. */
  lastPositionOnly?: boolean;
}

interface BlockNames {
  residPre: HookName;
  ln1: { scale: HookName; normalized: HookName };
  q: HookName;
  k: HookName;
  v: HookName;
  rotQ: HookName;
  rotK: HookName;
  scores: HookName;
  pattern: HookName;
  z: HookName;
  result: HookName;
  attnOut: HookName;
  residMid: HookName;
  ln2: { scale: HookName; normalized: HookName };
  pre: HookName;
  preLinear: HookName;
  post: HookName;
  mlpOut: HookName;
  residPost: HookName;
}

const namesCache = new Map<number, BlockNames>();

function blockNames(l: number): BlockNames {
  let n = namesCache.get(l);
  if (!n) {
    const p = `blocks.${l}.` as const;
    n = {
      residPre: `${p}hook_resid_pre`,
      ln1: { scale: `${p}ln1.hook_scale`, normalized: `${p}ln1.hook_normalized` },
      q: `${p}attn.hook_q`,
      k: `${p}attn.hook_k`,
      v: `${p}attn.hook_v`,
      rotQ: `${p}attn.hook_rot_q`,
      rotK: `${p}attn.hook_rot_k`,
      scores: `${p}attn.hook_attn_scores`,
      pattern: `${p}attn.hook_pattern`,
      z: `${p}attn.hook_z`,
      result: `${p}attn.hook_result`,
      attnOut: `${p}hook_attn_out`,
      residMid: `${p}hook_resid_mid`,
      ln2: { scale: `${p}ln2.hook_scale`, normalized: `${p}ln2.hook_normalized` },
      pre: `${p}mlp.hook_pre`,
      preLinear: `${p}mlp.hook_pre_linear`,
      post: `${p}mlp.hook_post`,
      mlpOut: `${p}hook_mlp_out`,
      residPost: `${p}hook_resid_post`,
    };
    namesCache.set(l, n);
  }
  return n;
}

/**
 * `x · W + b` for a 2-D `x`. Without a gradient tape the bias is fused into the matmul kernel; under a
 * tape it is a separate add, because tfjs's fused-matmul gradient also computes the weight and bias
 * gradients, which activation-gradient callers (attribution, probes) never need.
 */
function linear(x: Tensor, W: Tensor, b: Tensor | null): Tensor {
  if (!b) return tf.matMul(x, W);
  if (!tf.engine().isTapeOn()) return tf.fused.matMul({ a: x, b: W, bias: b });
  return tf.add(tf.matMul(x, W), b);
}

const TO_HEADS = [0, 2, 1, 3];

class Forward {
  private readonly cfg: ModelConfig;
  private readonly hooks: HookRunner;
  private readonly ops: OpsTable;
  private readonly B: number;
  private readonly T: number;
  private readonly offset: number;

  constructor(
    private readonly m: ForwardModel,
    private readonly a: ForwardArgs,
  ) {
    this.cfg = m.cfg;
    this.hooks = a.hooks;
    this.ops = a.ops;
    [this.B, this.T] = a.ids.shape;
    this.offset = a.kv ? a.kv.length : 0;
  }

  private fire(name: HookName, t: Tensor, layer: number | null = null): Tensor {
    return this.hooks.fire(name, t, layer);
  }

  private norm(
    x: Tensor,
    p: NormParams<Tensor>,
    names: { scale: HookName; normalized: HookName },
    layer: number | null,
  ) {
    const { cfg, ops, hooks } = this;
    if (hooks.wants(names.scale) || hooks.wants(names.normalized)) {
      const stats = ops.normStats(x, cfg.eps, cfg.normType);
      const scale = this.fire(names.scale, stats.scale, layer);
      const normalized = this.fire(names.normalized, tf.div(stats.centered, scale), layer);
      const y = tf.mul(normalized, p.w);
      return p.b ? tf.add(y, p.b) : y;
    }
    return cfg.normType === 'layernorm' ? ops.layerNorm(x, p.w, p.b, cfg.eps) : ops.rmsNorm(x, p.w, cfg.eps);
  }

  run(): Tensor {
    const { cfg, B, T } = this;
    const { params } = this.m;
    const start = this.a.startAtLayer ?? 0;
    let resid: Tensor;
    if (start > 0 || this.a.residIn) {
      if (!this.a.residIn) throw new Error('forwardPass: startAtLayer needs residIn');
      resid = this.a.residIn;
    } else {
      resid = this.fire('hook_embed', tf.gather(params.W_E, this.a.ids));
      if (params.W_pos) {
        let pos: Tensor = tf.slice(params.W_pos, [this.offset, 0], [T, cfg.dModel]);
        if (this.hooks.wants('hook_pos_embed')) {
          pos = this.fire('hook_pos_embed', tf.broadcastTo(pos, [B, T, cfg.dModel]));
        }
        resid = tf.add(resid, pos);
      }
    }
    const stop = Math.min(this.a.stopAtLayer ?? cfg.nLayers, cfg.nLayers);
    for (let l = start; l < stop; l++) resid = this.block(l, params.blocks[l], resid);
    if (this.a.kv) this.a.kv.advance(T);
    if (this.a.stopAtLayer !== undefined) return resid;

    let x = this.norm(
      resid,
      params.lnFinal,
      { scale: 'ln_final.hook_scale', normalized: 'ln_final.hook_normalized' },
      null,
    );
    const n = this.a.lastPositionOnly ? 1 : T;
    if (n !== T) x = tf.slice(x, [0, T - 1, 0], [B, 1, cfg.dModel]);
    x = this.fire('unembed.hook_in', x);
    const x2 = tf.reshape(x, [B * n, cfg.dModel]);
    const u =
      TUNING.tiedUnembedTransposeB && cfg.tiedEmbeddings && !params.b_U
        ? tf.matMul(x2, params.W_E, false, true)
        : linear(x2, params.W_U, params.b_U);
    const logits = tf.reshape(u, [B, n, cfg.dVocab]);
    return this.fire('unembed.hook_out', logits);
  }

  private block(l: number, p: BlockParams<Tensor>, residIn: Tensor): Tensor {
    const n = blockNames(l);
    const resid = this.fire(n.residPre, residIn, l);
    const attnOut = this.attention(l, p, this.norm(resid, p.ln1, n.ln1, l), n);
    let out: Tensor;
    if (this.cfg.parallelResidual) {
      const mlpOut = this.mlp(l, p, this.norm(resid, p.ln2, n.ln2, l), n);
      out = tf.add(tf.add(mlpOut, attnOut), resid);
    } else {
      const mid = this.fire(n.residMid, tf.add(resid, attnOut), l);
      const mlpOut = this.mlp(l, p, this.norm(mid, p.ln2, n.ln2, l), n);
      out = tf.add(mid, mlpOut);
    }
    return this.fire(n.residPost, out, l);
  }

  private attention(l: number, p: BlockParams<Tensor>, x: Tensor, n: BlockNames): Tensor {
    const { cfg, B, T, hooks, ops } = this;
    const { nHeads: H, nKVHeads: K, dHead: dh, dModel: d } = cfg;
    const x2 = tf.reshape(x, [B * T, d]);
    let q0: Tensor;
    let k0: Tensor;
    let v0: Tensor;
    const fused = TUNING.fusedQKV && !tf.engine().isTapeOn() ? this.m.fusedQKV?.(l) : undefined;
    if (fused) {
      // one matmul for q|k|v (no gradient tape: the fused weight is a cached concatenation)
      const y = tf.reshape(linear(x2, fused.W, fused.b), [B, T, H + 2 * K, dh]);
      [q0, k0, v0] = tf.split(y, [H, K, K], 2);
    } else {
      q0 = tf.reshape(linear(x2, p.W_Q, p.b_Q), [B, T, H, dh]);
      k0 = tf.reshape(linear(x2, p.W_K, p.b_K), [B, T, K, dh]);
      v0 = tf.reshape(linear(x2, p.W_V, p.b_V), [B, T, K, dh]);
    }
    const q = this.fire(n.q, q0, l);
    const k = this.fire(n.k, k0, l);
    const v = this.fire(n.v, v0, l);
    let qh: Tensor;
    let kh: Tensor;
    let vh = tf.transpose(v, TO_HEADS);
    const rot = this.m.rotary;
    if (rot?.fused()) {
      // fused kernel on the [B, T, heads, dh] layout: the rot hooks need no transposes
      qh = tf.transpose(this.fire(n.rotQ, rot.applyFused(q, this.offset), l), TO_HEADS);
      kh = tf.transpose(this.fire(n.rotK, rot.applyFused(k, this.offset), l), TO_HEADS);
    } else if (rot) {
      qh = rot.apply(tf.transpose(q, TO_HEADS), this.offset);
      kh = rot.apply(tf.transpose(k, TO_HEADS), this.offset);
      if (hooks.wants(n.rotQ)) qh = tf.transpose(this.fire(n.rotQ, tf.transpose(qh, TO_HEADS), l), TO_HEADS);
      if (hooks.wants(n.rotK)) kh = tf.transpose(this.fire(n.rotK, tf.transpose(kh, TO_HEADS), l), TO_HEADS);
    } else {
      qh = tf.transpose(q, TO_HEADS);
      kh = tf.transpose(k, TO_HEADS);
    }
    if (this.a.kv) ({ k: kh, v: vh } = this.a.kv.append(l, kh, vh));
    const S = kh.shape[2] as number;
    const pastLen = S - T;
    if (cfg.slidingWindow !== null && S > cfg.slidingWindow) {
      throw new Error(
        `sequence of ${S} positions exceeds the sliding window (${cfg.slidingWindow}) of this ${cfg.arch} model; sliding-window attention is not implemented`,
      );
    }
    const g = H / K;
    const qg = g === 1 ? qh : tf.reshape(qh, [B, K, g * T, dh]);
    let scores = ops.attnScores(qg, kh);
    if (g !== 1) scores = tf.reshape(scores, [B, H, T, S]);
    const scale = cfg.attnScale[l];
    let pattern: Tensor;
    if (hooks.wants(n.scores)) {
      const scaled = scale === 1 ? scores : tf.mul(scores, scale);
      const masked = this.fire(n.scores, tf.add(scaled, causalMaskBias(T, S, pastLen)), l);
      pattern = ops.softmax(masked);
    } else {
      pattern = ops.causalSoftmax(scores, scale, pastLen);
    }
    pattern = this.fire(n.pattern, pattern, l);
    let zh = ops.attnMix(g === 1 ? pattern : tf.reshape(pattern, [B, K, g * T, S]), vh);
    if (g !== 1) zh = tf.reshape(zh, [B, H, T, dh]);
    const z = this.fire(n.z, tf.transpose(zh, TO_HEADS), l);
    let out: Tensor;
    if (hooks.wants(n.result)) {
      // result[b, t, h] = z[b, t, h] · W_O[h]: per-head output projections, summed into attn_out.
      const zByHead = tf.reshape(tf.transpose(z, [2, 0, 1, 3]), [H, B * T, dh]);
      const perHead = tf.matMul(zByHead, tf.reshape(p.W_O, [H, dh, d]));
      const result = this.fire(n.result, tf.transpose(tf.reshape(perHead, [H, B, T, d]), [1, 2, 0, 3]), l);
      out = tf.sum(result, 2);
      if (p.b_O) out = tf.add(out, p.b_O);
    } else {
      out = tf.reshape(linear(tf.reshape(z, [B * T, H * dh]), p.W_O, p.b_O), [B, T, d]);
    }
    return this.fire(n.attnOut, out, l);
  }

  private mlp(l: number, p: BlockParams<Tensor>, x: Tensor, n: BlockNames): Tensor {
    const { cfg, B, T, ops } = this;
    const { dModel: d, dMLP: m } = cfg;
    const x2 = tf.reshape(x, [B * T, d]);
    let post: Tensor;
    if (p.W_gate) {
      const gate = this.fire(n.pre, tf.reshape(linear(x2, p.W_gate, p.b_gate), [B, T, m]), l);
      const up = this.fire(n.preLinear, tf.reshape(linear(x2, p.W_in, p.b_in), [B, T, m]), l);
      post = ops.gatedAct(gate, up, cfg.act);
    } else {
      const pre = this.fire(n.pre, tf.reshape(linear(x2, p.W_in, p.b_in), [B, T, m]), l);
      post = ops.act(pre, cfg.act);
    }
    post = this.fire(n.post, post, l);
    const out = linear(tf.reshape(post, [B * T, m]), p.W_out, p.b_out);
    return this.fire(n.mlpOut, tf.reshape(out, [B, T, d]), l);
  }
}

/**
 * Runs the transformer on validated ids. Call inside `tf.tidy` (the model's methods do): intermediates are
 * not disposed here, so that the call composes with `tf.grad`.
 *
 * @example
 * const logits = tf.tidy(() => forwardPass(model, { ids, hooks: new HookRunner(cfg, [], null, 0), ops: defaultOps() }));
 */
export function forwardPass(m: ForwardModel, a: ForwardArgs): tf.Tensor3D {
  return new Forward(m, a).run() as tf.Tensor3D;
}
