/**
 * Adam with explicit, serialisable state (moments and step count), so a checkpoint restores the
 * optimiser exactly. Defaults are the TopK paper's: β1 0.9, β2 0.999, ε 6.25e-10, no weight decay.
 */
import { tf } from '@mechlens/core';

/**
 * Options of {@link Adam}.
 *
 * @example
 * new Adam({ beta2: 0.99 });
 */
export interface AdamOptions {
  beta1?: number;
  beta2?: number;
  eps?: number;
}

/**
 * Adam over named variables.
 *
 * @example
 * const opt = new Adam();
 * opt.step({ w }, { w: gradW }, 1e-3);
 */
export class Adam {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  /** Steps taken. */
  t = 0;
  /** First and second moments per variable name. */
  readonly m = new Map<string, tf.Tensor>();
  readonly v = new Map<string, tf.Tensor>();

  constructor(opts: AdamOptions = {}) {
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.eps = opts.eps ?? 6.25e-10;
  }

  /**
   * One update `p ← p − lr · m̂ / (sqrt(v̂) + ε)` of every variable that has a gradient.
   *
   * @example
   * opt.step(sae.params, grads, 2e-4);
   */
  step(vars: Record<string, tf.Variable>, grads: Record<string, tf.Tensor>, lr: number): void {
    this.t += 1;
    const c1 = 1 - this.beta1 ** this.t;
    const c2 = 1 - this.beta2 ** this.t;
    for (const [name, g] of Object.entries(grads)) {
      const p = vars[name];
      if (!p || !p.trainable) continue;
      const m0 = this.m.get(name);
      const v0 = this.v.get(name);
      const [m, v] = tf.tidy(() => [
        m0 ? tf.add(tf.mul(m0, this.beta1), tf.mul(g, 1 - this.beta1)) : tf.mul(g, 1 - this.beta1),
        v0
          ? tf.add(tf.mul(v0, this.beta2), tf.mul(tf.square(g), 1 - this.beta2))
          : tf.mul(tf.square(g), 1 - this.beta2),
      ]);
      m0?.dispose();
      v0?.dispose();
      this.m.set(name, m);
      this.v.set(name, v);
      const next = tf.tidy(() =>
        tf.sub(p, tf.div(tf.mul(m, lr / c1), tf.add(tf.sqrt(tf.div(v, c2)), this.eps))),
      );
      p.assign(next);
      next.dispose();
    }
  }

  /** The state as named tensors (`m.<name>`, `v.<name>`) plus the step count. */
  state(): { t: number; tensors: Record<string, tf.Tensor> } {
    const tensors: Record<string, tf.Tensor> = {};
    for (const [k, t] of this.m) tensors[`m.${k}`] = t;
    for (const [k, t] of this.v) tensors[`v.${k}`] = t;
    return { t: this.t, tensors };
  }

  /** Restores {@link state} (takes ownership of the tensors). */
  restore(t: number, tensors: Record<string, tf.Tensor>): void {
    this.dispose();
    this.t = t;
    for (const [key, tensor] of Object.entries(tensors)) {
      if (key.startsWith('m.')) this.m.set(key.slice(2), tensor);
      else if (key.startsWith('v.')) this.v.set(key.slice(2), tensor);
    }
  }

  dispose(): void {
    for (const t of this.m.values()) t.dispose();
    for (const t of this.v.values()) t.dispose();
    this.m.clear();
    this.v.clear();
  }
}
