/**
 * The activation store: runs a model over token contexts, captures one or several hook points in the
 * same forward pass, drops special-token positions, and serves shuffled batches of rows.
 *
 * Shuffling is by groups: group g holds the activations of contexts `[g·C, (g+1)·C)` (C contexts ≈
 * `bufferBatches` batches of rows), shuffled by a permutation seeded with (seed, g), and served as whole
 * batches (the last partial batch of a group is dropped). Memory is bounded by one group, and a run
 * resumes exactly by rebuilding the current group and skipping the batches it already served.
 *
 * With `withGrads`, the store also records the gradient of the LM loss (summed next-token cross-entropy
 * of each context) at each hook point, for g-SAE.
 */
import { type HookedTransformer, type HookName, hookInfo, tf } from '@mechlens/core';

/**
 * A batch of activation rows, one `[batchSize, d]` tensor per hook point (same rows across hooks).
 *
 * @example
 * const { acts } = await store.next();
 * acts['blocks.2.hook_resid_post'].shape; // [4096, 128]
 */
export interface ActivationBatch {
  acts: Record<string, tf.Tensor2D>;
  /** LM-loss gradients at the same rows (only with `withGrads`). */
  grads: Record<string, tf.Tensor2D> | null;
}

/** Where a store is in its stream (for checkpoints). */
export interface StorePosition {
  group: number;
  batch: number;
}

/**
 * Options of {@link ActivationStore}.
 *
 * @example
 * new ActivationStore({ model, hooks: ['blocks.2.hook_resid_post'], contexts, batchSize: 4096 });
 */
export interface ActivationStoreOptions {
  model: HookedTransformer;
  hooks: readonly HookName[];
  /** The context stream from context index `start` on (deterministic). */
  contexts: (start: number) => AsyncIterator<number[]>;
  /** Tokens per context (every context must have this length). */
  contextSize: number;
  /** Rows per batch (default 4096). */
  batchSize?: number;
  /** Batches per shuffled group (default 8). */
  bufferBatches?: number;
  /** Contexts per model call (default 16). */
  forwardBatch?: number;
  /** Shuffle seed (default 0). */
  seed?: number;
  /** Also store LM-loss gradients at the hook points. */
  withGrads?: boolean;
  /** Token ids whose positions are not served (default: the model's BOS/EOS/PAD). */
  exclude?: readonly number[];
}

/** mulberry32: a small seeded PRNG. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seeded Fisher-Yates permutation of 0..n−1. */
export function permutation(n: number, seed: number): Uint32Array {
  const p = new Uint32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  const r = prng(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}

/**
 * The summed next-token cross-entropy of logits `[B, T, V]` for token ids `[B][T]` (the LM loss whose
 * gradient g-SAE uses; a sum, so each token's gradient does not depend on the batch size).
 *
 * @example
 * const loss = summedNextTokenLoss(model.forward(ids), ids);
 */
export function summedNextTokenLoss(logits: tf.Tensor3D, ids: readonly (readonly number[])[]): tf.Scalar {
  return tf.tidy(() => {
    const [B, T, V] = logits.shape;
    const lp = tf.logSoftmax(logits.slice([0, 0, 0], [B, T - 1, V]).reshape([-1, V]));
    const flat = new Int32Array(B * (T - 1));
    for (let b = 0; b < B; b++)
      for (let t = 0; t < T - 1; t++) flat[b * (T - 1) + t] = (b * (T - 1) + t) * V + ids[b][t + 1];
    return tf.neg(tf.sum(tf.gather(lp.reshape([-1]), tf.tensor1d(flat, 'int32')))) as tf.Scalar;
  });
}

interface Group {
  index: number;
  rows: number;
  acts: Map<string, Float32Array>;
  grads: Map<string, Float32Array> | null;
  perm: Uint32Array;
  batches: number;
}

/**
 * Streams shuffled activation batches from a model.
 *
 * @example
 * const store = new ActivationStore({ model, hooks: ['blocks.2.hook_resid_post'], contexts, contextSize: 128 });
 * const batch = await store.next();
 * tf.dispose(Object.values(batch.acts));
 */
export class ActivationStore {
  readonly hooks: readonly HookName[];
  readonly batchSize: number;
  readonly contextsPerGroup: number;
  readonly dims: Record<string, number>;
  /** Tokens the model has processed (including dropped positions). */
  tokensSeen = 0;
  private readonly opts: ActivationStoreOptions;
  private readonly exclude: Set<number>;
  private readonly stopAtLayer: number | undefined;
  private group: Group | null = null;
  private pos: StorePosition = { group: 0, batch: 0 };
  private stream: AsyncIterator<number[]> | null = null;
  private streamAt = 0;

  constructor(opts: ActivationStoreOptions) {
    const { model } = opts;
    if (opts.hooks.length === 0) throw new Error('ActivationStore: give at least one hook point');
    this.opts = opts;
    this.hooks = [...new Set(opts.hooks)];
    this.batchSize = opts.batchSize ?? 4096;
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1)
      throw new Error(`ActivationStore: batchSize must be a positive integer, got ${this.batchSize}`);
    const bufferBatches = opts.bufferBatches ?? 8;
    this.contextsPerGroup = Math.max(1, Math.ceil((bufferBatches * this.batchSize) / (opts.contextSize - 1)));
    const cfg = model.cfg;
    this.dims = {};
    let maxLayer = -1;
    for (const h of this.hooks) {
      const shape = model.hookShape(h, 1, opts.contextSize); // validates the name (with suggestions)
      if (shape.length !== 3)
        throw new Error(
          `ActivationStore: hook '${h}' has shape [batch, ${shape.slice(1).join(', ')}]; SAEs train on [batch, pos, d] hook points (residual, attention or MLP outputs)`,
        );
      this.dims[h] = shape[2];
      const layer = hookInfo(cfg, h).layer;
      maxLayer = layer === null ? Number.POSITIVE_INFINITY : Math.max(maxLayer, layer);
    }
    this.stopAtLayer = !opts.withGrads && maxLayer + 1 < cfg.nLayers ? maxLayer + 1 : undefined;
    const tok = model.tokenizer;
    const special = [tok?.bosTokenId ?? cfg.bosTokenId, tok?.eosTokenId ?? cfg.eosTokenId, tok?.padTokenId];
    this.exclude = new Set(opts.exclude ?? special.filter((v): v is number => v !== null && v !== undefined));
  }

  /** The next batch to be served. */
  position(): StorePosition {
    return { ...this.pos };
  }

  /** Continues from `pos` (as returned by {@link position}). */
  seek(pos: StorePosition): void {
    this.pos = { ...pos };
    if (this.group && this.group.index !== pos.group) this.group = null;
  }

  /** The next shuffled batch (the caller disposes its tensors). */
  async next(): Promise<ActivationBatch> {
    for (;;) {
      if (!this.group || this.group.index !== this.pos.group) this.group = await this.build(this.pos.group);
      if (this.pos.batch < this.group.batches) break;
      this.pos = { group: this.pos.group + 1, batch: 0 };
    }
    const g = this.group;
    const B = this.batchSize;
    const rows = g.perm.subarray(this.pos.batch * B, (this.pos.batch + 1) * B);
    const take = (src: Map<string, Float32Array>): Record<string, tf.Tensor2D> => {
      const out: Record<string, tf.Tensor2D> = {};
      for (const h of this.hooks) {
        const d = this.dims[h];
        const from = src.get(h) as Float32Array;
        const buf = new Float32Array(B * d);
        for (let i = 0; i < rows.length; i++) buf.set(from.subarray(rows[i] * d, rows[i] * d + d), i * d);
        out[h] = tf.tensor2d(buf, [B, d]);
      }
      return out;
    };
    const batch = { acts: take(g.acts), grads: g.grads ? take(g.grads) : null };
    this.pos = { group: this.pos.group, batch: this.pos.batch + 1 };
    return batch;
  }

  private async contextsFor(group: number): Promise<number[][]> {
    const start = group * this.contextsPerGroup;
    if (!this.stream || this.streamAt !== start) {
      await this.stream?.return?.();
      this.stream = this.opts.contexts(start);
      this.streamAt = start;
    }
    const out: number[][] = [];
    while (out.length < this.contextsPerGroup) {
      const r = await this.stream.next();
      if (r.done) {
        if (out.length === 0) throw new Error('ActivationStore: the data source ran out of text');
        break;
      }
      if (r.value.length !== this.opts.contextSize)
        throw new Error(
          `ActivationStore: a context has ${r.value.length} tokens, expected ${this.opts.contextSize}`,
        );
      out.push(r.value);
    }
    this.streamAt += out.length;
    return out;
  }

  private async build(index: number): Promise<Group> {
    const contexts = await this.contextsFor(index);
    const T = this.opts.contextSize;
    let rows = 0;
    for (const c of contexts) for (const id of c) if (!this.exclude.has(id)) rows++;
    const acts = new Map<string, Float32Array>();
    const grads = this.opts.withGrads ? new Map<string, Float32Array>() : null;
    for (const h of this.hooks) {
      acts.set(h, new Float32Array(rows * this.dims[h]));
      grads?.set(h, new Float32Array(rows * this.dims[h]));
    }
    const fb = this.opts.forwardBatch ?? 16;
    let row = 0;
    for (let c0 = 0; c0 < contexts.length; c0 += fb) {
      const ids = contexts.slice(c0, c0 + fb);
      const { captured, gradsOut } = this.run(ids);
      let r = row;
      ids.forEach((ctx, b) => {
        for (let t = 0; t < T; t++) {
          if (this.exclude.has(ctx[t])) continue;
          for (const h of this.hooks) {
            const d = this.dims[h];
            const off = (b * T + t) * d;
            (acts.get(h) as Float32Array).set(
              (captured.get(h) as Float32Array).subarray(off, off + d),
              r * d,
            );
            if (grads && gradsOut)
              (grads.get(h) as Float32Array).set(
                (gradsOut.get(h) as Float32Array).subarray(off, off + d),
                r * d,
              );
          }
          r++;
        }
      });
      row = r;
      this.tokensSeen += ids.length * T;
    }
    const perm = permutation(rows, (this.opts.seed ?? 0) * 1_000_003 + index);
    return { index, rows, acts, grads, perm, batches: Math.floor(rows / this.batchSize) };
  }

  /** One model call: activations (and gradients) per hook as flat `[b, T, d]` arrays. */
  private run(ids: number[][]): {
    captured: Map<string, Float32Array>;
    gradsOut: Map<string, Float32Array> | null;
  } {
    const { model } = this.opts;
    const captured = new Map<string, Float32Array>();
    if (!this.opts.withGrads) {
      const { logits, cache } = model.runWithCache(ids, {
        names: [...this.hooks],
        stopAtLayer: this.stopAtLayer,
      });
      for (const h of this.hooks) captured.set(h, cache.get(h).dataSync() as Float32Array);
      logits.dispose();
      cache.dispose();
      return { captured, gradsOut: null };
    }
    const record = this.hooks.map((name) => ({
      name,
      fn: (a: tf.Tensor) => {
        captured.set(name, a.dataSync().slice() as Float32Array);
      },
    }));
    const { value, grads } = model.gradOfHooks(
      ids,
      [...this.hooks],
      (logits) => summedNextTokenLoss(logits, ids),
      {
        hooks: record,
      },
    );
    const gradsOut = new Map<string, Float32Array>();
    for (const h of this.hooks) gradsOut.set(h, (grads.get(h) as tf.Tensor).dataSync() as Float32Array);
    value.dispose();
    for (const g of grads.values()) g.dispose();
    return { captured, gradsOut };
  }

  /** Releases the data stream. */
  async close(): Promise<void> {
    await this.stream?.return?.();
    this.stream = null;
    this.group = null;
  }
}
