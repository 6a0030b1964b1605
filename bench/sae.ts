/**
 * SAE training throughput: full `trainSae` steps (encode, top-k, sparse decode, hand-written backward,
 * decoder projection, Adam, renormalisation) on synthetic activations served from memory, so the number
 * is the SAE's own cost, in tokens (activation rows) per second; once with no dead latents (AuxK idle,
 * the steady state) and once with AuxK running every step.
 */
import { tf } from '@mechlens/core';
import {
  type ActivationBatch,
  type ActivationSource,
  type ArchitectureName,
  saeConfig,
  trainSae,
} from '@mechlens/sae';

/** A shape of the benchmark. */
export interface SaeBenchShape {
  d: number;
  n: number;
  k: number;
  batch: number;
}

/** The reference size: GPT-2-small width, 24576 latents, k 32, 4096 activations per step. */
export const SAE_BENCH_SHAPE: SaeBenchShape = { d: 768, n: 24576, k: 32, batch: 4096 };

/** Serves copies of a few fixed random batches, round robin. */
class SyntheticSource implements ActivationSource {
  readonly hooks = ['bench'];
  readonly dims: Record<string, number>;
  private readonly pool: tf.Tensor2D[];
  private readonly grads: tf.Tensor2D[] | null;
  private i = 0;
  constructor(
    readonly batchSize: number,
    d: number,
    withGrads: boolean,
  ) {
    this.dims = { bench: d };
    this.pool = [0, 1, 2].map((s) => tf.randomNormal([batchSize, d], 0, 1, 'float32', s) as tf.Tensor2D);
    this.grads = withGrads
      ? [3, 4, 5].map((s) => tf.randomNormal([batchSize, d], 0, 1e-3, 'float32', s) as tf.Tensor2D)
      : null;
  }
  async next(): Promise<ActivationBatch> {
    const j = this.i++ % this.pool.length;
    const x = this.pool[j].clone();
    return { acts: { bench: x }, grads: this.grads ? { bench: this.grads[j].clone() } : null };
  }
  position() {
    return { group: 0, batch: this.i };
  }
  seek(): void {}
  dispose(): void {
    tf.dispose(this.pool);
    if (this.grads) tf.dispose(this.grads);
  }
}

/** Median seconds per step and tokens/s of `steps` timed steps (after warm-up). */
export async function benchSaeStep(
  shape: SaeBenchShape,
  steps: number,
  architecture: ArchitectureName = 'topk',
  /** Make every latent that did not fire in the last step count as dead, so AuxK runs every step. */
  auxk = false,
): Promise<{ seconds: number; tokensPerSecond: number }> {
  const src = new SyntheticSource(shape.batch, shape.d, architecture === 'gsae');
  const cfg = saeConfig({
    architecture,
    dIn: shape.d,
    dSae: shape.n,
    k: shape.k,
    metadata: { hookName: 'bench' },
  });
  const times: number[] = [];
  let last = performance.now();
  const { sae } = await trainSae({
    cfg,
    store: src,
    tokens: (steps + 2) * shape.batch,
    bDecInit: 'mean',
    // the paper's 10M-token threshold: in a short benchmark no latent is dead, AuxK idles
    deadTokens: auxk ? 1 : 10_000_000,
    progress: false,
    onStep: () => {
      const now = performance.now();
      times.push((now - last) / 1000);
      last = now;
    },
  });
  sae.dispose();
  src.dispose();
  const timed = times.slice(2).sort((a, b) => a - b);
  const seconds = timed[Math.floor(timed.length / 2)];
  return { seconds, tokensPerSecond: shape.batch / seconds };
}
