/**
 * Dead-latent tracking in tokens: each latent's count of tokens since it last fired (value > 0), updated
 * once per step. A latent is dead once that count reaches the threshold.
 */
import { tf } from '@mechlens/core';
import type { Code } from '../architectures/types.js';

/**
 * Tokens since each latent last fired.
 *
 * @example
 * const dead = new DeadTracker(24576, 10_000_000);
 * dead.update(code, 4096);
 * dead.mask(); // 1 for dead latents
 */
export class DeadTracker {
  readonly since: Float64Array;
  /** Latents that ever fired. */
  readonly everFired: Uint8Array;

  constructor(
    readonly n: number,
    readonly threshold: number,
  ) {
    this.since = new Float64Array(n);
    this.everFired = new Uint8Array(n);
  }

  /** Counts a step of `tokens` rows with their code. */
  update(code: Code, tokens: number): void {
    const fired = new Uint8Array(this.n);
    const v = code.values.dataSync();
    if (code.indices) {
      const idx = code.indices.dataSync();
      for (let i = 0; i < v.length; i++) if (v[i] > 0) fired[idx[i]] = 1;
    } else {
      for (let i = 0; i < v.length; i++) if (v[i] > 0) fired[i % this.n] = 1;
    }
    for (let i = 0; i < this.n; i++) {
      if (fired[i]) {
        this.since[i] = 0;
        this.everFired[i] = 1;
      } else this.since[i] += tokens;
    }
  }

  /** Number of dead latents. */
  count(): number {
    let c = 0;
    for (let i = 0; i < this.n; i++) if (this.since[i] >= this.threshold) c++;
    return c;
  }

  /** 1 for dead latents, 0 for live ones. */
  mask(): tf.Tensor1D {
    const m = new Float32Array(this.n);
    for (let i = 0; i < this.n; i++) m[i] = this.since[i] >= this.threshold ? 1 : 0;
    return tf.tensor1d(m);
  }
}
