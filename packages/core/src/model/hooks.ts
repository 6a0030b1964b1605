/**
 * Hooks for one run: validated up front, dispatched by name during the forward pass, optionally limited to
 * positions/heads (applied with `tf.where`, so gradients flow), plus activation capture for the cache.
 * Nothing here outlives the run: there is no global hook registry.
 */
import { tf } from '../engine/tf.js';
import type { ModelConfig } from './config.js';
import { type HookInfo, type HookName, hookInfo, hookNamesFor } from './hook-names.js';

/**
 * What a hook function is told about the activation it receives.
 *
 * @example
 * const hook: Hook = { name: 'blocks.0.hook_resid_pre', fn: (x, ctx) => void console.log(ctx.name, ctx.layer, ctx.posOffset) };
 */
export interface HookContext {
  /** The hook point. */
  name: HookName;
  /** Block index, or null outside the blocks. */
  layer: number | null;
  /** Absolute position of the activation's first (query) position: > 0 in cached generation steps. */
  posOffset: number;
  /** Shape class and axes of the activation. */
  info: HookInfo;
}

/**
 * A hook function: reads the activation, and may return a replacement of the same shape (or nothing to
 * leave it unchanged). Tensors it creates are disposed at the end of the run unless it keeps them.
 *
 * @example
 * const zeroHead1: HookFn = (z) => z.mul(tf.tensor([1, 0, 1, 1]).reshape([1, 1, 4, 1]));
 */
export type HookFn = (
  activation: tf.Tensor,
  ctx: HookContext,
  // biome-ignore lint/suspicious/noConfusingVoidType: read-only hooks are written as plain statements (void)
) => tf.Tensor | undefined | void;

/**
 * A hook attached for one run.
 *
 * @example
 * // zero-ablate head 1 of layer 0 at every position
 * const hook: Hook = { name: 'blocks.0.attn.hook_z', fn: (z) => tf.zerosLike(z), heads: [1] };
 * const logits = model.runWithHooks(ids, [hook]);
 */
export interface Hook {
  /** Hook point name. */
  name: HookName;
  fn: HookFn;
  /**
   * Replace only at these positions (absolute; negative counts from the end of this call's positions, so
   * −1 is the last token). For attention scores/patterns this is the query position. When none of them is
   * in this call the function is not called.
   */
  positions?: readonly number[];
  /** Replace only at these heads (kv heads for `hook_k`/`hook_v`/`hook_rot_k`). */
  heads?: readonly number[];
}

/**
 * Which hook points to capture: one name, a list, or a predicate. Unset means every hook point that is
 * computed by default (not opt-in ones such as `attn.hook_result`).
 *
 * @example
 * model.runWithCache(ids, { names: (n) => n.endsWith('hook_resid_post') });
 */
export type NamesFilter = HookName | readonly HookName[] | ((name: HookName) => boolean);

interface PreparedHook {
  hook: Hook;
  info: HookInfo;
}

/**
 * Turns a {@link NamesFilter} into a predicate, validating listed names against the model.
 *
 * @example
 * const want = namesPredicate(model.config, ['blocks.0.hook_resid_pre']);
 */
export function namesPredicate(
  cfg: ModelConfig,
  filter: NamesFilter | undefined,
): (name: HookName) => boolean {
  if (filter === undefined) {
    const optIn = new Set(hookNamesFor(cfg).filter((n) => hookInfo(cfg, n).optIn));
    return (n) => !optIn.has(n);
  }
  if (typeof filter === 'function') return filter;
  const list = typeof filter === 'string' ? [filter] : filter;
  for (const n of list) hookInfo(cfg, n);
  const set = new Set<string>(list);
  return (n) => set.has(n);
}

function checkIndices(
  what: string,
  name: string,
  xs: readonly number[],
  bound: number,
  negative: boolean,
): void {
  for (const x of xs) {
    const ok = Number.isInteger(x) && x < bound && (negative ? x >= -bound : x >= 0);
    if (!ok) {
      throw new Error(
        `hook '${name}': ${what} ${x} is out of range (${negative ? `-${bound}..` : '0..'}${bound - 1})`,
      );
    }
  }
}

/**
 * The hook dispatcher of one run.
 *
 * @example
 * const runner = new HookRunner(cfg, hooks, null, 0);
 * x = runner.fire('blocks.0.hook_resid_pre', x);
 */
export class HookRunner {
  private readonly byName = new Map<string, PreparedHook[]>();
  private readonly wantCache = new Map<string, boolean>();
  /** Captured activations (kept tensors, owned by whoever reads them). */
  readonly captured = new Map<string, tf.Tensor>();

  constructor(
    private readonly cfg: ModelConfig,
    hooks: readonly Hook[],
    private readonly capture: ((name: HookName) => boolean) | null,
    /** Absolute position of the first token of this run. */
    readonly posOffset: number,
    /** Keep only these positions of captured activations (negative counts from the end). */
    private readonly capturePositions: readonly number[] | null = null,
  ) {
    if (capturePositions) checkIndices('position', 'runWithCache', capturePositions, cfg.nCtx, true);
    for (const hook of hooks) {
      if (typeof hook.fn !== 'function') throw new Error(`hook '${hook.name}': fn must be a function`);
      const info = hookInfo(cfg, hook.name);
      if (hook.heads) {
        if (info.headAxis === null) {
          throw new Error(`hook '${hook.name}': 'heads' given but this activation has no head axis`);
        }
        const n = info.kind === 'kv' ? cfg.nKVHeads : cfg.nHeads;
        checkIndices('head', hook.name, hook.heads, n, false);
      }
      if (hook.positions) checkIndices('position', hook.name, hook.positions, cfg.nCtx, true);
      const list = this.byName.get(hook.name) ?? [];
      list.push({ hook, info });
      this.byName.set(hook.name, list);
    }
  }

  /** True when a hook or the capture wants this hook point (so the forward computes it). */
  wants(name: HookName): boolean {
    let w = this.wantCache.get(name);
    if (w === undefined) {
      w = this.byName.has(name) || this.capture?.(name) === true;
      this.wantCache.set(name, w);
    }
    return w;
  }

  /** Runs the hooks registered on `name` over `t` (in order), captures the result if asked, returns it. */
  fire(name: HookName, t: tf.Tensor, layer: number | null = null): tf.Tensor {
    if (!this.wants(name)) return t;
    let cur = t;
    const list = this.byName.get(name);
    if (list) {
      for (const { hook, info } of list) cur = this.applyOne(hook, info, cur, layer);
    }
    if (this.capture?.(name)) {
      const prev = this.captured.get(name);
      if (prev && prev !== cur) prev.dispose();
      this.captured.set(name, tf.keep(this.capturePositions ? this.selectPositions(name, cur) : cur));
    }
    return cur;
  }

  /** The requested cache positions of `t` along its position axis (query axis for scores/patterns). */
  private selectPositions(name: HookName, t: tf.Tensor): tf.Tensor {
    const axis = hookInfo(this.cfg, name).posAxis;
    const n = t.shape[axis] as number;
    const idx = (this.capturePositions ?? []).map((p) => {
      const local = p < 0 ? n + p : p - this.posOffset;
      if (local < 0 || local >= n) {
        throw new Error(`runWithCache: position ${p} is out of range for a run of ${n} positions`);
      }
      return local;
    });
    return tf.gather(t, tf.tensor1d(idx, 'int32'), axis);
  }

  private applyOne(hook: Hook, info: HookInfo, t: tf.Tensor, layer: number | null): tf.Tensor {
    const n = t.shape[info.posAxis];
    let posSel: number[] | null = null;
    if (hook.positions) {
      posSel = [];
      for (const p of hook.positions) {
        const local = p < 0 ? n + p : p - this.posOffset;
        if (local >= 0 && local < n) posSel.push(local);
      }
      if (posSel.length === 0) return t;
    }
    const ctx: HookContext = { name: hook.name, layer, posOffset: this.posOffset, info };
    const out = hook.fn(t, ctx);
    if (out === undefined || out === null || out === t) return t;
    if (!(out instanceof tf.Tensor)) throw new Error(`hook '${hook.name}' returned a non-tensor`);
    if (out.rank !== t.rank || out.shape.some((d, i) => d !== t.shape[i])) {
      throw new Error(
        `hook '${hook.name}' returned shape [${out.shape}] for an activation of shape [${t.shape}]; a replacement must have the same shape`,
      );
    }
    const replacement = out.dtype === t.dtype ? out : tf.cast(out, t.dtype);
    if (!posSel && !hook.heads) return replacement;
    return tf.where(this.selectionMask(t.shape, info, posSel, hook.heads ?? null), replacement, t);
  }

  /** Boolean mask broadcastable to `shape`: true on the selected positions × heads. */
  private selectionMask(
    shape: number[],
    info: HookInfo,
    positions: number[] | null,
    heads: readonly number[] | null,
  ): tf.Tensor {
    const maskShape = shape.map(() => 1);
    if (positions) maskShape[info.posAxis] = shape[info.posAxis];
    if (heads && info.headAxis !== null) maskShape[info.headAxis] = shape[info.headAxis];
    const size = maskShape.reduce((a, b) => a * b, 1);
    const data = new Uint8Array(size);
    const strides = maskShape.map((_, i) => maskShape.slice(i + 1).reduce((a, b) => a * b, 1));
    const posOk = new Uint8Array(shape[info.posAxis]).fill(positions ? 0 : 1);
    for (const p of positions ?? []) posOk[p] = 1;
    const headAxis = info.headAxis;
    const headOk = new Uint8Array(headAxis === null ? 1 : shape[headAxis]).fill(heads ? 0 : 1);
    for (const h of heads ?? []) headOk[h] = 1;
    for (let i = 0; i < size; i++) {
      const p = positions ? Math.floor(i / strides[info.posAxis]) % maskShape[info.posAxis] : 0;
      const h = heads && headAxis !== null ? Math.floor(i / strides[headAxis]) % maskShape[headAxis] : 0;
      data[i] = posOk[p] & headOk[h];
    }
    return tf.tensor(data, maskShape, 'bool');
  }

  /** Disposes captured tensors (on failure paths). */
  disposeCaptured(): void {
    for (const t of this.captured.values()) t.dispose();
    this.captured.clear();
  }
}
