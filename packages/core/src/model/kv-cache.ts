/**
 * Per-layer key/value cache for incremental decoding: post-rotary keys and values as `[batch, kvHeads,
 * positions, dHead]` kept tensors. New tokens are appended; their rotary positions continue from
 * {@link KVCache.length}.
 */
import { tf } from '../engine/tf.js';

/**
 * A key/value cache for one generation.
 *
 * @example
 * const kv = new KVCache(model.config.nLayers);
 * // ... model internals append per layer during cached forward passes
 * kv.dispose();
 */
export class KVCache {
  private readonly keys: (tf.Tensor | null)[];
  private readonly values: (tf.Tensor | null)[];
  /** Number of cached positions. */
  length = 0;

  constructor(readonly nLayers: number) {
    this.keys = new Array(nLayers).fill(null);
    this.values = new Array(nLayers).fill(null);
  }

  /**
   * Appends this step's keys/values for `layer` (`[B, K, n, dh]`) and returns the full ones. The stored
   * tensors are kept (they survive the caller's tidy); the previous ones are disposed.
   */
  append(layer: number, k: tf.Tensor, v: tf.Tensor): { k: tf.Tensor; v: tf.Tensor } {
    const pk = this.keys[layer];
    const pv = this.values[layer];
    const fk = pk ? tf.concat([pk, k], 2) : k;
    const fv = pv ? tf.concat([pv, v], 2) : v;
    this.keys[layer] = tf.keep(fk);
    this.values[layer] = tf.keep(fv);
    if (pk && pk !== fk) pk.dispose();
    if (pv && pv !== fv) pv.dispose();
    return { k: fk, v: fv };
  }

  /** Marks `n` new positions as cached (called once per forward pass, after all layers appended). */
  advance(n: number): void {
    this.length += n;
  }

  /** Frees every cached tensor. */
  dispose(): void {
    for (let l = 0; l < this.nLayers; l++) {
      this.keys[l]?.dispose();
      this.values[l]?.dispose();
      this.keys[l] = null;
      this.values[l] = null;
    }
    this.length = 0;
  }
}
