/**
 * Rotary position embeddings, rotate_half convention (GPT-NeoX / HF Llama): dim i pairs with i + r/2,
 * `rot(x) = x·cos + rotate_half(x)·sin`, `inv_freq_j = base^(−2j/r)`. Only the first r dims of a head
 * rotate (partial rotary); the rest pass through.
 *
 * Implemented without slices: `rotate_half(x) = x · P` with a fixed signed permutation matrix P (exact:
 * one ±1 per column), and cos/sin tables that hold 1/0 on the pass-through dims, so
 * `rot(x) = x ⊙ C + (x · P) ⊙ S` is three broadcast-friendly ops for any rotary fraction.
 */
import { FUSED_KERNELS } from '@mechlens/kernels';
import { hasKernel } from '../engine/index.js';
import { tf } from '../engine/tf.js';
import type { RotaryConfig } from './config.js';

/**
 * The per-dimension inverse frequencies (float32 arithmetic, as HF computes them), with rope scaling.
 *
 * @example
 * rotaryInvFreq({ dim: 4, base: 10000, scaling: null }); // [1, 0.01]
 */
export function rotaryInvFreq(r: RotaryConfig): Float32Array {
  const half = r.dim / 2;
  const inv = new Float32Array(half);
  const f = Math.fround;
  for (let j = 0; j < half; j++) inv[j] = f(1 / f(r.base ** f((2 * j) / r.dim)));
  const s = r.scaling;
  if (s?.type === 'linear') {
    for (let j = 0; j < half; j++) inv[j] = f(inv[j] / s.factor);
  } else if (s?.type === 'llama3') {
    const lowWavelen = s.originalMaxPositionEmbeddings / s.lowFreqFactor;
    const highWavelen = s.originalMaxPositionEmbeddings / s.highFreqFactor;
    for (let j = 0; j < half; j++) {
      const freq = inv[j];
      const wavelen = (2 * Math.PI) / freq;
      if (wavelen < highWavelen) continue;
      if (wavelen > lowWavelen) {
        inv[j] = f(freq / s.factor);
      } else {
        const smooth =
          (s.originalMaxPositionEmbeddings / wavelen - s.lowFreqFactor) /
          (s.highFreqFactor - s.lowFreqFactor);
        inv[j] = f(((1 - smooth) * freq) / s.factor + smooth * freq);
      }
    }
  }
  return inv;
}

/**
 * cos/sin tables for a position range and the rotate_half matrix, as kept tensors owned by a model.
 *
 * @example
 * const rot = new RotaryTables({ dim: 16, base: 10000, scaling: null }, 16);
 * const qRot = rot.apply(q, 0); // q: [B, H, T, 16]
 */
export class RotaryTables {
  private cos: tf.Tensor2D | null = null;
  private sin: tf.Tensor2D | null = null;
  /** `[len, rotDim]` tables for the fused kernel. */
  private cosR: tf.Tensor2D | null = null;
  private sinR: tf.Tensor2D | null = null;
  private length = 0;
  /** `[dHead, dHead]` signed permutation: `(x · P)` = rotate_half on the rotary dims, 0 elsewhere. */
  readonly P: tf.Tensor2D;
  private readonly invFreq: Float32Array;

  constructor(
    private readonly rotary: RotaryConfig,
    private readonly dHead: number,
  ) {
    this.invFreq = rotaryInvFreq(rotary);
    const half = rotary.dim / 2;
    const p = new Float32Array(dHead * dHead);
    for (let j = 0; j < half; j++) {
      p[(j + half) * dHead + j] = -1; // out[j] = -x[j + half]
      p[j * dHead + j + half] = 1; // out[j + half] = x[j]
    }
    this.P = tf.keep(tf.tensor2d(p, [dHead, dHead]));
  }

  private grow(n: number): void {
    const len = Math.max(n, Math.min(2 * this.length, 1 << 20), 64);
    const { dim } = this.rotary;
    const half = dim / 2;
    const dh = this.dHead;
    const c = new Float32Array(len * dh);
    const s = new Float32Array(len * dh);
    const f = Math.fround;
    for (let pos = 0; pos < len; pos++) {
      const row = pos * dh;
      for (let j = 0; j < half; j++) {
        const angle = f(pos * this.invFreq[j]);
        const cj = f(Math.cos(angle));
        const sj = f(Math.sin(angle));
        c[row + j] = cj;
        c[row + j + half] = cj;
        s[row + j] = sj;
        s[row + j + half] = sj;
      }
      for (let j = dim; j < dh; j++) c[row + j] = 1;
    }
    const cr = new Float32Array(len * dim);
    const sr = new Float32Array(len * dim);
    for (let pos = 0; pos < len; pos++) {
      cr.set(c.subarray(pos * dh, pos * dh + dim), pos * dim);
      sr.set(s.subarray(pos * dh, pos * dh + dim), pos * dim);
    }
    this.disposeTables();
    this.cos = tf.keep(tf.tensor2d(c, [len, dh]));
    this.sin = tf.keep(tf.tensor2d(s, [len, dh]));
    this.cosR = tf.keep(tf.tensor2d(cr, [len, dim]));
    this.sinR = tf.keep(tf.tensor2d(sr, [len, dim]));
    this.length = len;
  }

  /**
   * cos and sin rows for positions `[offset, offset + n)`: `[n, dHead]` each (1/0 on pass-through dims), or
   * `[n, rotDim]` with `rotOnly` (the fused kernel's layout).
   */
  tables(offset: number, n: number, rotOnly = false): { cos: tf.Tensor2D; sin: tf.Tensor2D } {
    // The tables are kept tensors (they survive the caller's tidy); slices belong to the caller.
    if (offset + n > this.length) this.grow(offset + n);
    const cos = (rotOnly ? this.cosR : this.cos) as tf.Tensor2D;
    const sin = (rotOnly ? this.sinR : this.sin) as tf.Tensor2D;
    if (offset === 0 && n === this.length) return { cos, sin };
    const w = cos.shape[1];
    return { cos: tf.slice(cos, [offset, 0], [n, w]), sin: tf.slice(sin, [offset, 0], [n, w]) };
  }

  /** True when the fused rotary kernel is registered (then {@link RotaryTables.applyFused} is used). */
  fused(): boolean {
    return hasKernel(FUSED_KERNELS.rotary);
  }

  /** The fused kernel on `x` shaped `[B, T, H, dHead]` for absolute positions `[offset, offset + T)`. */
  applyFused(x: tf.Tensor, offset: number): tf.Tensor {
    const { cos, sin } = this.tables(offset, x.shape[1] as number, true);
    return tf
      .engine()
      .runKernel(FUSED_KERNELS.rotary, { x, cos, sin }, { rotDim: this.rotary.dim }) as tf.Tensor;
  }

  /**
   * Applies the rotation to `x` shaped `[..., n, dHead]` (positions on the second-to-last axis) for absolute
   * positions `[offset, offset + n)`.
   */
  apply(x: tf.Tensor, offset: number): tf.Tensor {
    const n = x.shape[x.rank - 2];
    const { cos, sin } = this.tables(offset, n);
    const rotated = tf.reshape(tf.matMul(tf.reshape(x, [-1, this.dHead]), this.P), x.shape);
    return tf.add(tf.mul(x, cos), tf.mul(rotated, sin));
  }

  private disposeTables(): void {
    for (const t of [this.cos, this.sin, this.cosR, this.sinR]) t?.dispose();
    this.cos = this.sin = this.cosR = this.sinR = null;
    this.length = 0;
  }

  dispose(): void {
    this.disposeTables();
    this.P.dispose();
  }
}
