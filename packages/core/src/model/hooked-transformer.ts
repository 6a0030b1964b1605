/**
 * The hooked transformer: forward passes with TransformerLens hook points, activation caching, scoped
 * hooks, gradients with respect to any hook point, KV-cached generation, and tokenizer helpers.
 */
import { tf } from '../engine/tf.js';
import type { Tokenizer } from '../io/index.js';
import { ActivationCache } from './activation-cache.js';
import type { ModelConfig } from './config.js';
import { forwardPass } from './forward.js';
import { type HookName, hookInfo, hookNamesFor, hookShape } from './hook-names.js';
import { type Hook, HookRunner, type NamesFilter, namesPredicate } from './hooks.js';
import { KVCache } from './kv-cache.js';
import { type OpsTable, resolveOps } from './ops.js';
import { disposeParams, type TensorParams } from './params.js';
import { RotaryTables } from './rotary.js';
import { chooseToken, seededRandom } from './sampling.js';

/**
 * Token ids: rows of equal length, or an int32 tensor `[batch, pos]`.
 *
 * @example
 * model.forward([[1, 2, 3]]);
 * model.forward(tf.tensor2d([[1, 2, 3]], undefined, 'int32'));
 */
export type TokensInput = readonly (readonly number[])[] | tf.Tensor;

/**
 * Options of every forward-style call.
 *
 * @example
 * model.forward(ids, { stopAtLayer: 6 }); // residual stream entering block 6
 */
export interface RunOptions {
  /** Replacements of the ops table for this call only (e.g. LRP rules). */
  ops?: Partial<OpsTable>;
  /**
   * Stop before block `stopAtLayer` and return the residual stream entering it (`[batch, pos, d_model]`)
   * instead of logits, like TransformerLens's `stop_at_layer`.
   */
  stopAtLayer?: number;
  /**
   * Start at block `startAtLayer` from `residIn` (the residual stream entering it, `[batch, pos, d_model]`)
   * instead of embedding the tokens, like TransformerLens's `start_at_layer`; the tokens then only give the
   * batch and position counts (and positions for rotary models). Hooks before that block do not fire.
   */
  startAtLayer?: number;
  /** The residual stream entering block `startAtLayer` (required with it; not disposed). */
  residIn?: tf.Tensor;
  /**
   * Unembed only the last position: logits are `[batch, 1, vocab]` (saves the unembedding of every other
   * position when only the next token matters, as in patching metrics).
   */
  lastPositionOnly?: boolean;
}

/**
 * Options of {@link HookedTransformer.runWithCache}.
 *
 * @example
 * model.runWithCache(ids, { names: ['blocks.0.hook_resid_post'], hooks: [ablation] });
 */
export interface RunWithCacheOptions extends RunOptions {
  /** Which activations to keep (default: every non-opt-in hook point). */
  names?: NamesFilter;
  /** Hooks active during the run (the cache stores the activations after them). */
  hooks?: readonly Hook[];
  /**
   * Keep only these positions of each cached activation (negative counts from the end; the query axis for
   * scores/patterns), e.g. `[-1]` for the last token. The cached tensors then have that many positions.
   */
  positions?: readonly number[];
}

/**
 * Result of {@link HookedTransformer.runWithCache}.
 *
 * @example
 * const { logits, cache } = model.runWithCache(ids);
 */
export interface RunWithCacheResult {
  /** Logits `[batch, pos, vocab]` (the residual stream with `stopAtLayer`). */
  logits: tf.Tensor3D;
  cache: ActivationCache;
}

/**
 * Options of {@link HookedTransformer.gradOfHooks}.
 *
 * @example
 * model.gradOfHooks(ids, ['blocks.0.hook_resid_pre'], metric, { hooks: [patch] });
 */
export interface GradOfHooksOptions {
  /** Hooks active during the run (gradients are taken after them). */
  hooks?: readonly Hook[];
  ops?: Partial<OpsTable>;
}

/**
 * Result of {@link HookedTransformer.gradOfHooks}.
 *
 * @example
 * const { value, grads } = model.gradOfHooks(ids, ['hook_embed'], metric);
 */
export interface GradOfHooksResult {
  /** The metric's value. */
  value: tf.Scalar;
  /** d(metric)/d(activation) per hook name, each shaped like the activation. */
  grads: Map<HookName, tf.Tensor>;
}

/**
 * One generation step, reported to {@link GenerateOptions.onToken}.
 *
 * @example
 * await model.generate(ids, { maxNewTokens: 5, onToken: ({ step, tokens }) => console.log(step, tokens) });
 */
export interface GenerateStep {
  /** 0 for the first new token. */
  step: number;
  /** The new token of each sequence. */
  tokens: number[];
  /** Last-position logits of every sequence, `[batch · vocab]` row-major, after hooks, before temperature. */
  logits: Float32Array;
}

/**
 * Options of {@link HookedTransformer.generate}.
 *
 * @example
 * await model.generate(ids, { maxNewTokens: 20, temperature: 0.7, topP: 0.9, seed: 1 });
 */
export interface GenerateOptions {
  /** Number of tokens to add. */
  maxNewTokens: number;
  /** Sampling temperature; 0 = greedy (argmax). Default 1 (as TransformerLens). */
  temperature?: number;
  /** Sample only among the k most likely tokens. */
  topK?: number;
  /** Nucleus sampling: the smallest set of most likely tokens with total probability ≥ p. */
  topP?: number;
  /** Seed of the sampling PRNG (default: random). */
  seed?: number;
  /** Hooks active at every step (positions are absolute token positions). */
  hooks?: readonly Hook[];
  ops?: Partial<OpsTable>;
  /** Called after each step; return `false` to stop. */
  onToken?: (
    step: GenerateStep,
    // biome-ignore lint/suspicious/noConfusingVoidType: callbacks written as plain statements return void
  ) => boolean | undefined | void;
  /**
   * Stop once every sequence has produced the EOS token; finished sequences are padded with EOS.
   * Default: true when an EOS id is known.
   */
  stopAtEos?: boolean;
  /** EOS id (default: the tokenizer's, else the config's). */
  eosTokenId?: number;
  /** Use the key/value cache (default true); false recomputes the whole sequence every step. */
  useCache?: boolean;
}

/**
 * Options of the tokenizer helpers.
 *
 * @example
 * model.toTokens('Hello', { prependBos: false });
 */
export interface ToTokensOptions {
  /** Prepend the BOS token (default: true when the model has one, except qwen2 whose tokenizer has none). */
  prependBos?: boolean;
}

/**
 * A transformer with TransformerLens hook points. Create with {@link loadModel} or {@link createRandomModel}.
 * `forward`, `runWithCache`, `runWithHooks` and `gradOfHooks` are synchronous and leave no tensors behind
 * except what they return; `generate` is async.
 *
 * @example
 * const model = await loadModel('packages/core/test/fixtures/gpt2');
 * const logits = model.forward([[1, 2, 3]]); // [1, 3, vocab]
 * const { cache } = model.runWithCache([[1, 2, 3]], { names: ['blocks.0.attn.hook_pattern'] });
 * cache.get('blocks.0.attn.hook_pattern').print();
 * cache.dispose();
 * logits.dispose();
 */
export class HookedTransformer {
  /** Rotary cos/sin tables (null for learned positions). */
  readonly rotary: RotaryTables | null;
  private disposed = false;

  constructor(
    /** Normalized configuration. */
    readonly config: ModelConfig,
    /** Canonical parameters (`W_E`, `blocks[l].W_Q`, ... in `[in, out]` layout). Owned by the model. */
    readonly params: TensorParams,
    /** The tokenizer, or null (random models, checkpoints without tokenizer.json). */
    readonly tokenizer: Tokenizer | null = null,
  ) {
    this.rotary = config.rotary ? new RotaryTables(config.rotary, config.dHead) : null;
  }

  /** Alias of `config` under TransformerLens's name. */
  get cfg(): ModelConfig {
    return this.config;
  }

  /**
   * Every hook name of this model in execution order (including opt-in `attn.hook_result`).
   *
   * @example
   * model.hookNames().filter((n) => n.includes('hook_pattern'));
   */
  hookNames(): HookName[] {
    return hookNamesFor(this.config);
  }

  /**
   * Shape of a hook's activation for `batch` sequences of `pos` tokens.
   *
   * @example
   * model.hookShape('blocks.0.attn.hook_z', 2, 12); // [2, 12, nHeads, dHead]
   */
  hookShape(name: HookName, batch: number, pos: number): number[] {
    return hookShape(this.config, name, batch, pos);
  }

  /**
   * Logits `[batch, pos, vocab]` for token ids.
   *
   * @example
   * const logits = model.forward([[50256, 464, 3290]]);
   */
  forward(ids: TokensInput, opts: RunOptions = {}): tf.Tensor3D {
    return this.run(ids, [], null, opts).logits;
  }

  /**
   * Logits with hooks active for this call only.
   *
   * @example
   * const ablated = model.runWithHooks(ids, [
   *   { name: 'blocks.0.attn.hook_z', fn: (z) => tf.zerosLike(z), heads: [1] },
   * ]);
   */
  runWithHooks(ids: TokensInput, hooks: readonly Hook[], opts: RunOptions = {}): tf.Tensor3D {
    return this.run(ids, hooks, null, opts).logits;
  }

  /**
   * Logits plus the activations at the requested hook points.
   *
   * @example
   * const { logits, cache } = model.runWithCache(ids, { names: (n) => n.endsWith('hook_resid_post') });
   * const r = cache.get('blocks.0.hook_resid_post');
   * cache.dispose();
   */
  runWithCache(ids: TokensInput, opts: RunWithCacheOptions = {}): RunWithCacheResult {
    const want = namesPredicate(this.config, opts.names);
    const { logits, captured } = this.run(ids, opts.hooks ?? [], want, opts, null, false, opts.positions);
    const order = this.hookNames();
    const entries: [HookName, tf.Tensor][] = [];
    for (const n of order) {
      const t = captured.get(n);
      if (t) entries.push([n, t]);
    }
    return { logits, cache: new ActivationCache(entries) };
  }

  /**
   * Value and gradients of a scalar metric of the logits with respect to hook-point activations (as a
   * TransformerLens backward hook would see them). Implemented by adding zero-valued probes at those hook
   * points and differentiating with respect to the probes; composes with user hooks and ops overrides.
   *
   * Equivalent by hand: `tf.grad((p) => metric(model.runWithHooks(ids, [{ name, fn: (a) => a.add(p) }])))
   * (tf.zeros(model.hookShape(name, batch, pos)))`.
   *
   * @example
   * const { value, grads } = model.gradOfHooks(ids, ['blocks.0.hook_resid_pre'],
   *   (logits) => logits.slice([0, 11, 7], [-1, 1, 1]).sum().sub(logits.slice([0, 11, 13], [-1, 1, 1]).sum()));
   * grads.get('blocks.0.hook_resid_pre')!.print();
   */
  gradOfHooks(
    ids: TokensInput,
    names: readonly HookName[],
    metric: (logits: tf.Tensor3D) => tf.Scalar,
    opts: GradOfHooksOptions = {},
  ): GradOfHooksResult {
    this.checkAlive();
    if (names.length === 0) throw new Error('gradOfHooks: no hook names given');
    const { tensor, owned } = this.idsTensor(ids, 0);
    const [B, T] = tensor.shape;
    const probes = names.map((n) => tf.zeros(hookShape(this.config, n, B, T)));
    const ops = resolveOps(opts.ops);
    const userHooks = opts.hooks ?? [];
    // Blocks before the earliest probed one run outside the gradient tape (nothing there needs a gradient).
    const start = Math.min(...names.map((n) => hookInfo(this.config, n).layer ?? 0));
    let prefix: tf.Tensor | null = null;
    try {
      if (start > 0) {
        const hooks = new HookRunner(this.config, userHooks, null, 0);
        prefix = tf.tidy(() => forwardPass(this, { ids: tensor, hooks, ops, stopAtLayer: start }));
      }
      const f = (...ps: tf.Tensor[]): tf.Scalar => {
        const probeHooks: Hook[] = names.map((name, i) => ({ name, fn: (a) => tf.add(a, ps[i]) }));
        const hooks = new HookRunner(this.config, [...userHooks, ...probeHooks], null, 0);
        const logits = forwardPass(this, {
          ids: tensor,
          hooks,
          ops,
          startAtLayer: start,
          residIn: prefix ?? undefined,
        });
        const m = metric(logits);
        if (m.rank !== 0 && m.size !== 1)
          throw new Error(`gradOfHooks: metric must return a scalar, got [${m.shape}]`);
        return (m.rank === 0 ? m : tf.reshape(m, [])) as tf.Scalar;
      };
      const { value, grads } = tf.valueAndGrads(f)(probes);
      const map = new Map<HookName, tf.Tensor>();
      names.forEach((n, i) => {
        const prev = map.get(n);
        if (prev) prev.dispose();
        map.set(n, grads[i]);
      });
      return { value, grads: map };
    } finally {
      for (const p of probes) p.dispose();
      prefix?.dispose();
      if (owned) tensor.dispose();
    }
  }

  /**
   * Generates `maxNewTokens` tokens after each prompt row (KV-cached), greedy at temperature 0, else seeded
   * sampling with top-k/top-p. Returns each prompt followed by its new tokens.
   *
   * @example
   * const [seq] = await model.generate([[50256, 464]], { maxNewTokens: 8, temperature: 0 });
   * const text = model.toString(seq);
   */
  async generate(ids: TokensInput, opts: GenerateOptions): Promise<number[][]> {
    this.checkAlive();
    const rows = this.idsRows(ids);
    const { maxNewTokens } = opts;
    if (!Number.isInteger(maxNewTokens) || maxNewTokens < 0) {
      throw new Error(`generate: maxNewTokens must be an integer >= 0, got ${maxNewTokens}`);
    }
    const promptLen = rows[0].length;
    if (promptLen + maxNewTokens > this.config.nCtx) {
      throw new Error(
        `generate: prompt (${promptLen}) + maxNewTokens (${maxNewTokens}) exceeds the context length nCtx = ${this.config.nCtx}`,
      );
    }
    const temperature = opts.temperature ?? 1;
    if (!(temperature >= 0)) throw new Error(`generate: temperature must be >= 0, got ${temperature}`);
    const rand = seededRandom(opts.seed ?? Math.floor(Math.random() * 2 ** 32));
    const eos = opts.eosTokenId ?? this.tokenizer?.eosTokenId ?? this.config.eosTokenId;
    const stopAtEos = (opts.stopAtEos ?? true) && eos !== null && eos !== undefined;
    const useCache = opts.useCache ?? true;
    const kv = useCache ? new KVCache(this.config.nLayers) : null;
    const out = rows.map((r) => [...r]);
    const finished = new Array<boolean>(rows.length).fill(false);
    const V = this.config.dVocab;
    const sampling = { temperature, topK: opts.topK, topP: opts.topP };
    try {
      let input: number[][] = out.map((r) => [...r]);
      for (let step = 0; step < maxNewTokens; step++) {
        const { logits } = this.run(input, opts.hooks ?? [], null, { ops: opts.ops }, kv, true);
        const data = (await logits.data()) as Float32Array;
        logits.dispose();
        const next = out.map((_, b) => {
          if (finished[b]) return eos as number;
          const tok = chooseToken(data.subarray(b * V, (b + 1) * V), sampling, rand);
          if (stopAtEos && tok === eos) finished[b] = true;
          return tok;
        });
        for (let b = 0; b < next.length; b++) out[b].push(next[b]);
        const cont = opts.onToken?.({ step, tokens: next, logits: data });
        if (cont === false || (stopAtEos && finished.every(Boolean))) break;
        input = useCache ? next.map((t) => [t]) : out.map((r) => [...r]);
      }
    } finally {
      kv?.dispose();
    }
    return out;
  }

  // ---- tokenizer helpers ----

  private requireTokenizer(): Tokenizer {
    if (!this.tokenizer) {
      throw new Error('this model has no tokenizer (loaded without tokenizer.json, or a random model)');
    }
    return this.tokenizer;
  }

  /** The BOS id used by `toTokens` (tokenizer's, else the config's), or null. */
  get bosTokenId(): number | null {
    return this.tokenizer?.bosTokenId ?? this.config.bosTokenId;
  }

  /**
   * Token ids `[1, pos]` of a text (or `[n, pos]` for n texts of equal token length), BOS prepended by default.
   *
   * @example
   * const ids = model.toTokens('Hello world'); // [[50256, 15496, 995]]
   */
  toTokens(text: string | readonly string[], opts: ToTokensOptions = {}): number[][] {
    const tok = this.requireTokenizer();
    const texts = typeof text === 'string' ? [text] : text;
    const bos = this.bosTokenId;
    const prepend = (opts.prependBos ?? this.config.arch !== 'qwen2') && bos !== null;
    const rows = texts.map((t) => {
      const ids = tok.encode(t, { addSpecialTokens: false });
      return prepend ? [bos as number, ...ids] : ids;
    });
    if (rows.some((r) => r.length !== rows[0].length)) {
      throw new Error(
        `toTokens: the texts have different token lengths (${rows.map((r) => r.length).join(', ')}); padding is not supported, tokenize them one at a time`,
      );
    }
    return rows;
  }

  /**
   * Decodes token ids: one row → a string, several rows → strings.
   *
   * @example
   * model.toString([15496, 995]); // 'Hello world'
   */
  toString(ids: readonly number[]): string;
  toString(ids: readonly (readonly number[])[] | tf.Tensor): string | string[];
  toString(ids: readonly number[] | readonly (readonly number[])[] | tf.Tensor): string | string[] {
    const tok = this.requireTokenizer();
    if (ids instanceof tf.Tensor) {
      const arr = ids.arraySync() as number | number[] | number[][];
      if (typeof arr === 'number') return tok.decode([arr]);
      if (arr.length > 0 && Array.isArray(arr[0])) return (arr as number[][]).map((r) => tok.decode(r));
      return tok.decode(arr as number[]);
    }
    if (ids.length > 0 && Array.isArray(ids[0])) return (ids as number[][]).map((r) => tok.decode(r));
    return tok.decode(ids as number[]);
  }

  /**
   * The text of each token, e.g. `['<|endoftext|>', 'Hello', ' world']`.
   *
   * @example
   * model.toStrTokens('Hello world');
   */
  toStrTokens(input: string | readonly number[], opts: ToTokensOptions = {}): string[] {
    const tok = this.requireTokenizer();
    const ids = typeof input === 'string' ? this.toTokens(input, opts)[0] : input;
    return ids.map((id) => tok.decode([id]));
  }

  /**
   * The id of a string that is exactly one token; throws otherwise.
   *
   * @example
   * model.toSingleToken(' Paris');
   */
  toSingleToken(text: string): number {
    const ids = this.requireTokenizer().encode(text, { addSpecialTokens: false });
    if (ids.length !== 1) throw new Error(`'${text}' is ${ids.length} tokens, not one: [${ids.join(', ')}]`);
    return ids[0];
  }

  private qkvCache: ({ W: tf.Tensor; b: tf.Tensor | null; src: (tf.Tensor | null)[] } | undefined)[] = [];

  /**
   * The concatenated q|k|v weight `[d, (H+2K)·dh]` and bias of a block, cached and rebuilt when a parameter
   * tensor of the block was replaced (never cached for `tf.Variable` parameters, which change in place). Used by tape-free forward passes (one matmul instead of three).
   *
   * @example
   * const { W, b } = model.fusedQKV(0); // W: [dModel, (nHeads + 2 nKVHeads) dHead]
   */
  fusedQKV(layer: number): { W: tf.Tensor; b: tf.Tensor | null } {
    const p = this.params.blocks[layer];
    const src = [p.W_Q, p.W_K, p.W_V, p.b_Q, p.b_K, p.b_V];
    if (src.some((t) => t instanceof tf.Variable)) {
      // variables change in place (training): never cache, concatenate for this call only
      return {
        W: tf.concat([p.W_Q, p.W_K, p.W_V], 1),
        b: p.b_Q && p.b_K && p.b_V ? tf.concat([p.b_Q, p.b_K, p.b_V]) : null,
      };
    }
    const hit = this.qkvCache[layer];
    if (hit?.src.every((t, i) => t === src[i])) return hit;
    if (hit) tf.dispose(hit.b ? [hit.W, hit.b] : [hit.W]);
    const W = tf.keep(tf.concat([p.W_Q, p.W_K, p.W_V], 1));
    const b = p.b_Q && p.b_K && p.b_V ? tf.keep(tf.concat([p.b_Q, p.b_K, p.b_V])) : null;
    const entry = { W, b, src };
    this.qkvCache[layer] = entry;
    return entry;
  }

  /** Frees the parameters and tables. The model is unusable afterwards. */
  dispose(): void {
    if (this.disposed) return;
    for (const c of this.qkvCache) if (c) tf.dispose(c.b ? [c.W, c.b] : [c.W]);
    this.qkvCache = [];
    disposeParams(this.params);
    this.rotary?.dispose();
    this.disposed = true;
  }

  // ---- internals ----

  private checkAlive(): void {
    if (this.disposed) throw new Error('HookedTransformer: used after dispose()');
  }

  private run(
    ids: TokensInput,
    hooks: readonly Hook[],
    capture: ((name: HookName) => boolean) | null,
    opts: RunOptions,
    kv: KVCache | null = null,
    lastPositionOnly = false,
    capturePositions: readonly number[] | null = null,
  ): { logits: tf.Tensor3D; captured: Map<string, tf.Tensor> } {
    this.checkAlive();
    const offset = kv?.length ?? 0;
    if (opts.stopAtLayer !== undefined) {
      const s = opts.stopAtLayer;
      if (!Number.isInteger(s) || s < 0 || s > this.config.nLayers) {
        throw new Error(`stopAtLayer must be an integer in [0, ${this.config.nLayers}], got ${s}`);
      }
    }
    const runner = new HookRunner(this.config, hooks, capture, offset, capturePositions);
    const ops = resolveOps(opts.ops);
    const { tensor, owned } = this.idsTensor(ids, offset);
    try {
      this.checkStart(opts, tensor.shape, kv);
      const logits = tf.tidy(() =>
        forwardPass(this, {
          ids: tensor,
          hooks: runner,
          ops,
          kv: kv ?? undefined,
          stopAtLayer: opts.stopAtLayer,
          startAtLayer: opts.startAtLayer,
          residIn: opts.residIn,
          lastPositionOnly: lastPositionOnly || (opts.lastPositionOnly ?? false),
        }),
      );
      return { logits, captured: runner.captured };
    } catch (e) {
      runner.disposeCaptured();
      throw e;
    } finally {
      if (owned) tensor.dispose();
    }
  }

  /** Validates `startAtLayer`/`residIn` against the model and the token batch. */
  private checkStart(opts: RunOptions, [B, T]: number[], kv: KVCache | null): void {
    const { startAtLayer: s, residIn } = opts;
    if (s === undefined && residIn === undefined) return;
    const L = this.config.nLayers;
    if (s === undefined || residIn === undefined) {
      throw new Error(
        'startAtLayer and residIn go together: pass both (the residual stream entering that block)',
      );
    }
    if (!Number.isInteger(s) || s < 0 || s > L)
      throw new Error(`startAtLayer must be an integer in [0, ${L}], got ${s}`);
    if (opts.stopAtLayer !== undefined && opts.stopAtLayer < s) {
      throw new Error(`stopAtLayer (${opts.stopAtLayer}) must not be before startAtLayer (${s})`);
    }
    if (kv) throw new Error('startAtLayer cannot be combined with a KV cache');
    const want = [B, T, this.config.dModel];
    if (residIn.rank !== 3 || residIn.shape.some((d, i) => d !== want[i])) {
      throw new Error(
        `residIn must be [batch, pos, d_model] = [${want}] for these tokens, got [${residIn.shape}]`,
      );
    }
  }

  /** Validates ids (rectangular, integers in the vocabulary, length within nCtx) as rows. */
  private idsRows(ids: TokensInput): number[][] {
    if (ids instanceof tf.Tensor) {
      if (ids.rank !== 2)
        throw new Error(`token ids must be a 2-D [batch, pos] tensor, got shape [${ids.shape}]`);
      return ids.arraySync() as number[][];
    }
    if (!Array.isArray(ids) || ids.length === 0 || !ids.every((r) => Array.isArray(r))) {
      throw new Error('token ids must be a non-empty array of rows (number[][]) or a [batch, pos] tensor');
    }
    return ids.map((r) => [...r]);
  }

  private idsTensor(ids: TokensInput, offset: number): { tensor: tf.Tensor2D; owned: boolean } {
    const { dVocab: V, nCtx } = this.config;
    let values: ArrayLike<number>;
    let shape: [number, number];
    if (ids instanceof tf.Tensor) {
      if (ids.rank !== 2)
        throw new Error(`token ids must be a 2-D [batch, pos] tensor, got shape [${ids.shape}]`);
      shape = [ids.shape[0] as number, ids.shape[1] as number];
      values = ids.dataSync() as ArrayLike<number>;
    } else {
      const rows = this.idsRowsShallow(ids);
      shape = [rows.length, rows[0].length];
      values = rows.flat();
    }
    const [B, T] = shape;
    if (B === 0 || T === 0) throw new Error(`token ids are empty (shape [${B}, ${T}])`);
    if (T + offset > nCtx) {
      throw new Error(
        `sequence length ${T + offset} exceeds the model's context length nCtx = ${nCtx}${offset ? ` (${offset} cached + ${T} new)` : ''}`,
      );
    }
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (!Number.isInteger(v) || v < 0 || v >= V) {
        throw new Error(
          `token id ${v} at [${Math.floor(i / T)}, ${i % T}] is outside the vocabulary [0, ${V})${Number.isInteger(v) ? '' : ' (not an integer)'}`,
        );
      }
    }
    if (ids instanceof tf.Tensor && ids.dtype === 'int32')
      return { tensor: ids as tf.Tensor2D, owned: false };
    return { tensor: tf.tensor2d(Int32Array.from(values), shape, 'int32'), owned: true };
  }

  private idsRowsShallow(ids: readonly (readonly number[])[]): readonly (readonly number[])[] {
    if (!Array.isArray(ids) || ids.length === 0 || !ids.every((r) => Array.isArray(r))) {
      throw new Error('token ids must be a non-empty array of rows (number[][]) or a [batch, pos] tensor');
    }
    const T = ids[0].length;
    const bad = ids.findIndex((r) => r.length !== T);
    if (bad >= 0) {
      throw new Error(
        `token id rows have different lengths (row 0: ${T}, row ${bad}: ${ids[bad].length}); padding is not supported`,
      );
    }
    return ids;
  }
}
