/**
 * Adam with explicit, serialisable state (moments and step count), so a checkpoint restores the
 * optimiser exactly. Defaults are the TopK paper's: β1 0.9, β2 0.999, ε 6.25e-10, no weight decay.
 */
import { adamStep, tf } from '@mechlens/core';

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
    for (const [name, g] of Object.entries(grads)) {
      const p = vars[name];
      if (!p?.trainable) continue;
      const m0 = this.m.get(name) ?? tf.zerosLike(p);
      const v0 = this.v.get(name) ?? tf.zerosLike(p);
      const next = adamStep(p, g, m0, v0, {
        lr,
        beta1: this.beta1,
        beta2: this.beta2,
        eps: this.eps,
        step: this.t,
      });
      m0.dispose();
      v0.dispose();
      this.m.set(name, next.m);
      this.v.set(name, next.v);
      p.assign(next.param);
      next.param.dispose();
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
