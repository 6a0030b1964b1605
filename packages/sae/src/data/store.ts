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
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type HookedTransformer,
  type HookName,
  hookInfo,
  openSafetensors,
  seededRandom,
  type TensorToWrite,
  tf,
  writeSafetensors,
} from '@mechlens/core';

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
 * What the trainer reads activations from: {@link ActivationStore}, or any source of batches with a
 * resumable position (e.g. activations computed elsewhere, or synthetic data in a benchmark).
 *
 * @example
 * const src: ActivationSource = new ActivationStore({ model, hooks, contexts, contextSize: 128 });
 */
export interface ActivationSource {
  readonly hooks: readonly string[];
  /** Width of each hook's activations. */
  readonly dims: Record<string, number>;
  /** Rows per batch. */
  readonly batchSize: number;
  /** The next batch (the caller disposes its tensors). */
  next(): Promise<ActivationBatch>;
  /** The position of the next batch, for checkpoints. */
  position(): StorePosition;
  /** Continues from a position returned by {@link ActivationSource.position}. */
  seek(pos: StorePosition): void;
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
  /**
   * On-disk activation cache: each group is stored as `group-NNNNNN.safetensors` in `dir` (tensors
   * `<hook>` and, with gradients, `<hook>.grad`, each `[rows, d]`, in context order). Groups found there
   * are read instead of computed; with `write`, computed groups are saved (atomically). Training from
   * the cache serves exactly the batches a live store would. `describe` identifies the data (model,
   * source); a cache written for something else is refused.
   */
  cache?: { dir: string; write?: boolean; describe?: Record<string, unknown> };
}

/** A seeded Fisher-Yates permutation of 0..n−1. */
export function permutation(n: number, seed: number): Uint32Array {
  const p = new Uint32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  const r = seededRandom(seed);
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
  return tf.tidy(() => tf.neg(tf.sum(nextTokenLogProbs(logits, ids))) as tf.Scalar);
}

/**
 * The log-probability of each next token, `[B·(T−1)]` (position t predicts `ids[b][t + 1]`).
 *
 * @example
 * const lp = nextTokenLogProbs(model.forward(ids), ids); // lp.mean().neg() is the usual LM loss
 */
export function nextTokenLogProbs(logits: tf.Tensor3D, ids: readonly (readonly number[])[]): tf.Tensor1D {
  return tf.tidy(() => {
    const [B, T, V] = logits.shape;
    const lp = tf.logSoftmax(logits.slice([0, 0, 0], [B, T - 1, V]).reshape([-1, V]));
    const flat = new Int32Array(B * (T - 1));
    for (let b = 0; b < B; b++)
      for (let t = 0; t < T - 1; t++) flat[b * (T - 1) + t] = (b * (T - 1) + t) * V + ids[b][t + 1];
    return tf.gather(lp.reshape([-1]), tf.tensor1d(flat, 'int32')) as tf.Tensor1D;
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
export class ActivationStore implements ActivationSource {
  readonly hooks: readonly HookName[];
  readonly batchSize: number;
  readonly contextsPerGroup: number;
  readonly dims: Record<string, number>;
  /** Tokens the model has processed (including dropped positions). */
  tokensSeen = 0;
  private readonly opts: ActivationStoreOptions;
  private readonly exclude: Set<number>;
  private readonly stopAtLayer: number | undefined;
  /** Recently built groups (shared by the store and its views; at most three kept). */
  private groups = new Map<number, Promise<Group>>();
  /** Builds run one at a time (they share the context stream). */
  private building: Promise<unknown> = Promise.resolve();
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
  }

  /** The next shuffled batch (the caller disposes its tensors). */
  async next(): Promise<ActivationBatch> {
    const { batch, next } = await this.batchAt(this.pos, this.hooks);
    this.pos = next;
    return batch;
  }

  /**
   * A source serving only `hook`'s rows, with its own position, sharing this store's groups: several
   * SAEs (one per hook point) train concurrently from one forward pass per group.
   *
   * @example
   * const store = new ActivationStore({ model, hooks: [a, b], contexts, contextSize: 128 });
   * await Promise.all([trainSae({ cfg: cfgA, store: store.view(a), tokens }), trainSae({ cfg: cfgB, store: store.view(b), tokens })]);
   */
  view(hook: string): ActivationSource {
    if (!this.hooks.includes(hook as HookName))
      throw new Error(
        `ActivationStore.view: '${hook}' is not one of this store's hooks (${this.hooks.join(', ')})`,
      );
    let pos: StorePosition = { group: 0, batch: 0 };
    return {
      hooks: [hook],
      dims: { [hook]: this.dims[hook] },
      batchSize: this.batchSize,
      position: () => ({ ...pos }),
      seek: (p: StorePosition) => {
        pos = { ...p };
      },
      next: async () => {
        const r = await this.batchAt(pos, [hook as HookName]);
        pos = r.next;
        return r.batch;
      },
    };
  }

  /** The group of `index`, built once and shared. */
  private groupAt(index: number): Promise<Group> {
    let g = this.groups.get(index);
    if (!g) {
      g = this.building.then(() => this.build(index));
      this.building = g.catch(() => undefined);
      this.groups.set(index, g);
      const keys = [...this.groups.keys()].sort((a, b) => a - b);
      while (keys.length > 3) this.groups.delete(keys.shift() as number);
    }
    return g;
  }

  /** The batch at `pos` for `hooks`, and the position after it. */
  private async batchAt(
    pos: StorePosition,
    hooks: readonly HookName[],
  ): Promise<{ batch: ActivationBatch; next: StorePosition }> {
    let p = { ...pos };
    let g: Group;
    for (;;) {
      g = await this.groupAt(p.group);
      if (p.batch < g.batches) break;
      p = { group: p.group + 1, batch: 0 };
    }
    const B = this.batchSize;
    const rows = g.perm.subarray(p.batch * B, (p.batch + 1) * B);
    const take = (src: Map<string, Float32Array>): Record<string, tf.Tensor2D> => {
      const out: Record<string, tf.Tensor2D> = {};
      for (const h of hooks) {
        const d = this.dims[h];
        const from = src.get(h) as Float32Array;
        const buf = new Float32Array(B * d);
        for (let i = 0; i < rows.length; i++) buf.set(from.subarray(rows[i] * d, rows[i] * d + d), i * d);
        out[h] = tf.tensor2d(buf, [B, d]);
      }
      return out;
    };
    const batch = { acts: take(g.acts), grads: g.grads ? take(g.grads) : null };
    return { batch, next: { group: p.group, batch: p.batch + 1 } };
  }

  private async contextsFor(group: number): Promise<number[][]> {
    const start = group * this.contextsPerGroup;
    if (this.stream && this.streamAt < start) {
      // ahead of the stream (e.g. every n-th group when filling a cache shard): read forward
      while (this.streamAt < start) {
        const r = await this.stream.next();
        if (r.done) throw new Error('ActivationStore: the data source ran out of text');
        this.streamAt++;
      }
    }
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

  /** The identity of this store's groups: a cache must have been written with the same. */
  private cacheIdentity(): Record<string, unknown> {
    return {
      hooks: this.hooks,
      dims: this.dims,
      contextSize: this.opts.contextSize,
      contextsPerGroup: this.contextsPerGroup,
      exclude: [...this.exclude].sort((a, b) => a - b),
      withGrads: !!this.opts.withGrads,
      ...this.opts.cache?.describe,
    };
  }

  private checkCacheDir(): string {
    const c = this.opts.cache as { dir: string; write?: boolean };
    const manifest = join(c.dir, 'cache.json');
    const mine = JSON.stringify(this.cacheIdentity());
    if (existsSync(manifest)) {
      const theirs = JSON.stringify(JSON.parse(readFileSync(manifest, 'utf8')).identity);
      if (theirs !== mine)
        throw new Error(
          `activation cache ${c.dir} was written for other data or settings (${theirs}); this run needs ${mine}. Use another --cache folder.`,
        );
    } else if (c.write) {
      mkdirSync(c.dir, { recursive: true });
      const tmp = join(c.dir, `.cache.json.${process.pid}.tmp`);
      writeFileSync(
        tmp,
        `${JSON.stringify({ format: 'mechlens-activation-cache', version: 1, identity: this.cacheIdentity() }, null, 2)}\n`,
      );
      renameSync(tmp, manifest);
    } else
      throw new Error(
        `activation cache ${c.dir} has no cache.json: write it first (mechlens cache-activations)`,
      );
    return c.dir;
  }

  /** File of group `index` in the cache. */
  static groupFile(dir: string, index: number): string {
    return join(dir, `group-${String(index).padStart(6, '0')}.safetensors`);
  }

  /**
   * Makes sure group `index` is in the on-disk cache (computing and writing it if needed), without
   * serving it. Used to fill a cache, possibly split across processes (each taking groups g with
   * g mod n = i).
   *
   * @example
   * for (let g = shard; g < groups; g += shards) await store.cacheGroup(g);
   */
  async cacheGroup(index: number): Promise<void> {
    if (!this.opts.cache?.write) throw new Error('cacheGroup: the store has no writable cache');
    const dir = this.checkCacheDir();
    if (existsSync(ActivationStore.groupFile(dir, index))) return;
    await this.build(index);
  }

  private readCached(file: string): {
    rows: number;
    acts: Map<string, Float32Array>;
    grads: Map<string, Float32Array> | null;
  } {
    const f = openSafetensors(file);
    try {
      const acts = new Map<string, Float32Array>();
      const grads = this.opts.withGrads ? new Map<string, Float32Array>() : null;
      let rows = -1;
      for (const h of this.hooks) {
        const { shape, data } = f.readF32(h);
        if (shape.length !== 2 || shape[1] !== this.dims[h] || (rows >= 0 && shape[0] !== rows))
          throw new Error(`${file}: tensor '${h}' has shape [${shape}], expected [rows, ${this.dims[h]}]`);
        rows = shape[0];
        acts.set(h, data);
        if (grads) grads.set(h, f.readF32(`${h}.grad`, [rows, this.dims[h]]).data);
      }
      return { rows, acts, grads };
    } finally {
      f.close();
    }
  }

  private async build(index: number): Promise<Group> {
    const cacheDir = this.opts.cache ? this.checkCacheDir() : null;
    const cached = cacheDir ? ActivationStore.groupFile(cacheDir, index) : null;
    if (cached && existsSync(cached)) {
      const { rows, acts, grads } = this.readCached(cached);
      this.tokensSeen += this.contextsPerGroup * this.opts.contextSize;
      const perm = permutation(rows, (this.opts.seed ?? 0) * 1_000_003 + index);
      return { index, rows, acts, grads, perm, batches: Math.floor(rows / this.batchSize) };
    }
    const group = await this.compute(index);
    if (cached && this.opts.cache?.write) {
      const tensors: Record<string, TensorToWrite> = {};
      for (const h of this.hooks) {
        tensors[h] = {
          dtype: 'F32',
          shape: [group.rows, this.dims[h]],
          data: group.acts.get(h) as Float32Array,
        };
        if (group.grads)
          tensors[`${h}.grad`] = {
            dtype: 'F32',
            shape: [group.rows, this.dims[h]],
            data: group.grads.get(h) as Float32Array,
          };
      }
      writeSafetensors(cached, tensors, { group: String(index) });
    }
    return group;
  }

  private async compute(index: number): Promise<Group> {
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
    this.groups.clear();
  }
}
