/**
 * Activations captured by `runWithCache`, keyed by hook name, in execution order.
 */
import type { tf } from '../engine/tf.js';
import { closeMatches } from '../io/index.js';
import type { HookName } from './hook-names.js';

/**
 * The activations of one run. Owns its tensors: call {@link ActivationCache.dispose} when done.
 *
 * @example
 * const { logits, cache } = model.runWithCache(ids, { names: (n) => n.endsWith('hook_resid_post') });
 * const resid = cache.get('blocks.1.hook_resid_post'); // [batch, pos, d_model]
 * cache.dispose();
 * logits.dispose();
 */
export class ActivationCache {
  private readonly map: Map<HookName, tf.Tensor>;
  private disposed = false;

  constructor(entries: Iterable<[HookName, tf.Tensor]>) {
    this.map = new Map(entries);
  }

  /** Names of the cached activations, in execution order. */
  get names(): HookName[] {
    return [...this.map.keys()];
  }

  /** Number of cached activations. */
  get size(): number {
    return this.map.size;
  }

  /** True when `name` was cached. */
  has(name: HookName): boolean {
    return this.map.has(name);
  }

  /**
   * The activation cached under `name` (owned by the cache: clone it to keep it past `dispose`).
   * Throws, suggesting close names, when it was not cached.
   */
  get(name: HookName): tf.Tensor {
    if (this.disposed) throw new Error('ActivationCache: used after dispose()');
    const t = this.map.get(name);
    if (!t) {
      const near = closeMatches(name, this.names);
      const hint = near.length ? `; did you mean ${near.map((n) => `'${n}'`).join(' or ')}?` : '';
      throw new Error(`ActivationCache has no '${name}' (${this.map.size} cached)${hint}`);
    }
    return t;
  }

  /** `[name, tensor]` pairs in execution order. */
  entries(): [HookName, tf.Tensor][] {
    return [...this.map.entries()];
  }

  /** Frees every cached tensor. Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    for (const t of this.map.values()) t.dispose();
    this.map.clear();
    this.disposed = true;
  }
}
