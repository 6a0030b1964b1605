import { initEngine, tf } from '@mechlens/core';
import { describe, expect, it } from 'vitest';
import {
  afaCounts,
  architecture,
  DeadTracker,
  denseCode,
  geometricMedian,
  learningRateAt,
  Sae,
  saeConfig,
  stepGradients,
} from '../src/index.js';

await initEngine();

const bits = (t: tf.Tensor) => Buffer.from((t.dataSync() as Float32Array).slice().buffer).toString('base64');

/** An SAE whose encoder is the identity on the first dIn latents (pre-activations = the input). */
function identitySae(architectureName: 'topk' | 'gsae' | 'topafa', dIn: number, k: number, extra = {}): Sae {
  const cfg = saeConfig({ architecture: architectureName, dIn, dSae: dIn, k, encoderBias: true, ...extra });
  const sae = Sae.init(cfg, { seed: 0 });
  sae.params.encoder.assign(tf.eye(dIn));
  sae.params.decoder.assign(tf.eye(dIn));
  return sae;
}

describe('TopK', () => {
  it('keeps the k largest ReLU pre-activations (hand example)', () => {
    const sae = identitySae('topk', 4, 2);
    const code = sae.encode(tf.tensor2d([[3, -1, 2, 0.5]]));
    expect(Array.from(code.indices?.dataSync() ?? [])).toEqual([0, 2]);
    expect(Array.from(code.values.dataSync())).toEqual([3, 2]);
    expect(Array.from(sae.decode(code).dataSync())).toEqual([3, 0, 2, 0]);
    sae.dispose();
  });

  it('L0 is exactly k on every row, and sparse decode equals dense decode', () => {
    const sae = Sae.init(saeConfig({ dIn: 16, dSae: 128, k: 8 }), { seed: 2 });
    sae.params.bEnc.assign(tf.fill([128], 0.5)); // every pre-activation positive
    const x = tf.randomNormal([50, 16], 0, 1, 'float32', 1);
    const code = sae.encode(x);
    const counts = tf.sum(tf.cast(tf.greater(code.values, 0), 'int32'), 1).dataSync();
    expect(Array.from(counts).every((c) => c === 8)).toBe(true);
    const sparse = sae.decode(code);
    const dense = tf.add(tf.matMul(denseCode(code, 128), sae.params.decoder), sae.params.bDec);
    expect(tf.max(tf.abs(tf.sub(sparse, dense))).dataSync()[0]).toBeLessThan(1e-5);
    sae.dispose();
  });

  it('features() is the dense code with the input’s leading shape', () => {
    const sae = identitySae('topk', 4, 1);
    const f = sae.features(tf.tensor3d([[[1, 5, 2, 0]]]));
    expect(f.shape).toEqual([1, 1, 4]);
    expect(Array.from(f.dataSync())).toEqual([0, 5, 0, 0]);
    sae.dispose();
  });
});

describe('g-SAE', () => {
  const cfg = (beta: number) => saeConfig({ architecture: 'gsae', dIn: 12, dSae: 96, k: 6, beta });

  it('β = 0 equals TopK bit for bit (codes, reconstructions and training gradients)', () => {
    const g = Sae.init(cfg(0), { seed: 5 });
    const t = Sae.init({ ...cfg(0), architecture: 'topk' }, { seed: 5 });
    const x = tf.randomNormal([40, 12], 0, 1, 'float32', 7) as tf.Tensor2D;
    const grad = tf.randomNormal([40, 12], 0, 3, 'float32', 8) as tf.Tensor2D;
    const a = g.forward(x, { grad });
    const b = t.forward(x);
    expect(bits(a.code.values)).toBe(bits(b.code.values));
    expect(Array.from(a.code.indices?.dataSync() ?? [])).toEqual(
      Array.from(b.code.indices?.dataSync() ?? []),
    );
    expect(bits(a.recons)).toBe(bits(b.recons));
    const ga = stepGradients(g, x, { grad });
    const gb = stepGradients(t, x);
    for (const k of ['encoder', 'bEnc', 'decoder', 'bDec'] as const)
      expect(bits(ga.grads[k])).toBe(bits(gb.grads[k]));
    expect(ga.loss).toBe(gb.loss);
    g.dispose();
    t.dispose();
  });

  it('g = 0 equals TopK for any β', () => {
    const g = Sae.init(cfg(5), { seed: 5 });
    const x = tf.randomNormal([20, 12], 0, 1, 'float32', 7);
    const a = g.encode(x, { grad: tf.zerosLike(x) });
    const b = g.encode(x);
    expect(bits(a.values)).toBe(bits(b.values));
    g.dispose();
  });

  it('with a huge β the selection follows ReLU(z)·|W_dec g| (raw gradient scale)', () => {
    const sae = identitySae('gsae', 4, 2, { beta: 1e6, gradNormalization: 'none' });
    // z = [4, 3, 2, 1]; |ĝ| = [0.1, 0.1, 5, 5] → z|ĝ| = [0.4, 0.3, 10, 5] → latents 2, 3
    const code = sae.encode(tf.tensor2d([[4, 3, 2, 1]]), { grad: tf.tensor2d([[0.1, -0.1, 5, -5]]) });
    expect(Array.from(code.indices?.dataSync() ?? [])).toEqual([2, 3]);
    expect(Array.from(code.values.dataSync())).toEqual([2, 1]); // values stay ReLU(z)
    sae.dispose();
  });
});

describe('top-AFA', () => {
  it('k* is the prefix whose norm is closest to the target (hand examples)', () => {
    // contributions 9, 4, 1 → prefix norms 3, 3.606, 3.742
    const c = tf.tensor2d([
      [9, 4, 1],
      [9, 4, 1],
      [9, 4, 1],
      [0.0001, 0, 0],
    ]);
    const k = afaCounts(c, tf.tensor1d([3.1, 3.5, 100, 1]));
    expect(Array.from(k.dataSync())).toEqual([1, 2, 3, 1]);
  });

  it('selects a prefix of the descending contributions, at least one latent, matching the input norm', () => {
    const sae = identitySae('topafa', 4, 4, { normalizeActivations: 'none', encoderBias: false });
    // u = x (b_dec = 0); a = ReLU(x) = [3, 0, 4, 0] → c = [9, 0, 16, 0]; ‖u‖ = 5 → k* = 2 (norm 5 exactly)
    const code = sae.encode(tf.tensor2d([[3, 0, 4, 0]]));
    expect(Array.from(code.indices?.dataSync() ?? []).slice(0, 2)).toEqual([2, 0]);
    expect(Array.from(code.values.dataSync())).toEqual([4, 3, 0, 0]);
    // a negative-heavy input: ‖u‖ large, one positive latent → k* = 1 and the rest padding
    const c2 = sae.encode(tf.tensor2d([[1, -10, -10, -10]]));
    expect(Array.from(c2.values.dataSync())).toEqual([1, 0, 0, 0]);
    sae.dispose();
  });

  it('the norm loss vanishes when ‖a‖ = ‖x‖', () => {
    const sae = identitySae('topafa', 4, 4, { normalizeActivations: 'none', encoderBias: false });
    const r = stepGradients(
      sae,
      tf.tensor2d([
        [3, 0, 4, 0],
        [0, 5, 0, 0],
      ]),
    );
    expect(r.sparsityLoss).toBeCloseTo(0, 10);
    tf.dispose([...Object.values(r.grads), r.code.values, r.code.indices as tf.Tensor]);
    sae.dispose();
  });
});

describe('losses and training pieces', () => {
  it('FVU of the mean predictor is 1', () => {
    const sae = Sae.init(saeConfig({ dIn: 6, dSae: 24, k: 3 }), { seed: 1 });
    const x = tf.randomNormal([30, 6], 2, 1, 'float32', 3) as tf.Tensor2D;
    sae.params.decoder.assign(tf.zeros([24, 6]));
    sae.params.bDec.assign(tf.mean(x, 0));
    const r = stepGradients(sae, x);
    expect(r.fvu).toBeCloseTo(1, 5);
    tf.dispose([...Object.values(r.grads), r.code.values, r.code.indices as tf.Tensor]);
    sae.dispose();
  });

  it('layer_norm input normalisation is undone after decoding', () => {
    const sae = identitySae('topk', 4, 4, { normalizeActivations: 'layer_norm' });
    const x = tf.tensor2d([[10, 12, 14, 20]]);
    const { recons } = sae.forward(x);
    // the identity SAE keeps every positive standardised value; negatives are lost to ReLU
    const r = recons.dataSync();
    expect(r[3]).toBeCloseTo(20, 4);
    sae.dispose();
  });

  it('geometric median of a hand example (robust to an outlier)', () => {
    const m = geometricMedian(
      tf.tensor2d([
        [0, 0],
        [2, 0],
        [0, 2],
        [2, 2],
        [100, 100],
      ]),
    ).dataSync();
    // on the diagonal where the corners' unit vectors balance the outlier's pull:
    // 2(2t − 2) / (√2 · sqrt(2t² − 4t + 4)) = 1  →  t ≈ 1.5774 (the mean would be 20.8)
    expect(m[0]).toBeCloseTo(1.5774, 3);
    expect(m[1]).toBeCloseTo(1.5774, 3);
  });

  it('learning-rate schedule: warm-up, plateau, linear decay to 0', () => {
    const o = { lr: 1, steps: 100, warmupSteps: 10, decayFraction: 0.2 };
    expect(learningRateAt(0, o)).toBeCloseTo(0.1);
    expect(learningRateAt(9, o)).toBe(1);
    expect(learningRateAt(50, o)).toBe(1);
    expect(learningRateAt(90, o)).toBeCloseTo(0.5);
    expect(learningRateAt(99, o)).toBeCloseTo(0.05);
  });

  it('dead tracking counts tokens and resets on firing', () => {
    const d = new DeadTracker(4, 100);
    const code = { values: tf.tensor2d([[1, 0]]), indices: tf.tensor2d([[2, 3]], undefined, 'int32') };
    d.update(code, 60);
    d.update(code, 60);
    expect(Array.from(d.since)).toEqual([120, 120, 0, 120]);
    expect(d.count()).toBe(3);
    expect(Array.from(d.mask().dataSync())).toEqual([1, 1, 0, 1]);
  });

  it('unknown architectures and bad configs are clear errors', () => {
    expect(() => architecture('topkk')).toThrow(/did you mean 'topk'/);
    expect(() => saeConfig({ dIn: 4, dSae: 8, k: 9 })).toThrow(/k = 9 exceeds/);
    expect(() => saeConfig({ architecture: 'jumprelu' as never, dIn: 4, dSae: 8 })).toThrow(
      /unknown SAE architecture/,
    );
    const sae = Sae.init(saeConfig({ dIn: 4, dSae: 8, k: 2 }));
    expect(() => sae.encode(tf.zeros([2, 5]))).toThrow(/d_in is 4/);
    sae.dispose();
  });
});
