/**
 * Learning rate: the latent-count scaling rule and a warm-up / constant / linear-decay schedule.
 */

/**
 * The default Adam learning rate for `n` latents: `2e-4 / sqrt(n / 2^14)` (sparsify's rule after the
 * TopK paper's observation that the best rate scales like 1/sqrt(n)).
 *
 * @example
 * defaultLearningRate(16384); // 2e-4
 */
export function defaultLearningRate(n: number): number {
  return 2e-4 / Math.sqrt(n / 2 ** 14);
}

/**
 * Options of {@link learningRateAt}.
 *
 * @example
 * learningRateAt(10, { lr: 1e-3, steps: 1000, warmupSteps: 100, decayFraction: 0.2 });
 */
export interface ScheduleOptions {
  lr: number;
  steps: number;
  /** Linear warm-up from 0 over these steps. */
  warmupSteps: number;
  /** Linear decay to 0 over this final fraction of the steps. */
  decayFraction: number;
}

/**
 * The learning rate at step `t` (0-based).
 *
 * @example
 * learningRateAt(0, { lr: 1e-3, steps: 100, warmupSteps: 10, decayFraction: 0.2 }); // 1e-4
 */
export function learningRateAt(t: number, o: ScheduleOptions): number {
  let f = 1;
  if (o.warmupSteps > 0 && t < o.warmupSteps) f = (t + 1) / o.warmupSteps;
  const decaySteps = Math.floor(o.steps * o.decayFraction);
  const decayStart = o.steps - decaySteps;
  if (decaySteps > 0 && t >= decayStart) f = Math.min(f, (o.steps - t) / decaySteps);
  return o.lr * f;
}
