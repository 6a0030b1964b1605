import { tf } from '@mechlens/core';
import { describe, expect, it } from 'vitest';
import { gatherRows } from '../src/architectures/topk.js';
import { saeConfig } from '../src/config.js';
import { Sae } from '../src/sae.js';
import { stepGradients } from '../src/training/gradients.js';

const TV = (y: tf.Tensor) => tf.sum(tf.square(tf.sub(y, tf.mean(y, 0, true))));

function maxRelDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.div(tf.abs(tf.sub(a, b)), tf.add(tf.max(tf.abs(b)), 1e-6))).dataSync()[0]);
}

/** The same loss written with differentiable dense ops and the selection held fixed. */
function referenceGrads(sae: Sae, x: tf.Tensor2D, deadMask: tf.Tensor1D | null, kAux: number, alpha: number) {
  const { cfg, params } = sae;
  const enc0 = sae.encodeRows(x);
  const idx = enc0.code.indices as tf.Tensor2D;
  const keep = tf.cast(tf.greater(enc0.code.values, 0), 'float32');
  const input = enc0.input;
  const xhat0 = tf.add(
    tf.sum(tf.mul(tf.gather(params.decoder, idx), tf.expandDims(enc0.code.values, -1)), 1),
    params.bDec,
  );
  const target = tf.sub(input, xhat0);
  const iAux = deadMask ? (tf.topk(tf.mul(enc0.a, deadMask), kAux).indices as tf.Tensor2D) : null;
  const f = (W: tf.Tensor, bE: tf.Tensor, D: tf.Tensor, bD: tf.Tensor) => {
    const u = tf.sub(input, bD);
    let z = tf.matMul(u, W, false, true);
    z = cfg.encoderBias ? tf.add(z, bE) : tf.add(z, tf.mul(bE, 0));
    const a = tf.relu(z) as tf.Tensor2D;
    const v = tf.mul(gatherRows(a, idx), keep);
    const xhat = tf.add(tf.sum(tf.mul(tf.gather(D, idx), tf.expandDims(v, -1)), 1), bD);
    let loss = tf.div(tf.sum(tf.square(tf.sub(xhat, input))), TV(input));
    if (cfg.architecture === 'topafa') {
      const gap = tf.sub(tf.norm(v, 2, 1), tf.norm(input, 2, 1));
      loss = tf.add(loss, tf.mul(tf.mean(tf.square(gap)), cfg.afaCoeff));
    }
    if (deadMask && iAux) {
      const va = gatherRows(tf.mul(a, deadMask) as tf.Tensor2D, iAux);
      const ehat = tf.sum(tf.mul(tf.gather(D, iAux), tf.expandDims(va, -1)), 1);
      loss = tf.add(loss, tf.mul(tf.div(tf.sum(tf.square(tf.sub(ehat, target))), TV(target)), alpha));
    }
    return loss as tf.Scalar;
  };
  return tf.grads(f)([params.encoder, params.bEnc, params.decoder, params.bDec]);
}

describe('hand-written SAE gradients', () => {
  for (const architecture of ['topk', 'gsae', 'topafa'] as const) {
    for (const withDead of [false, true]) {
      it(`${architecture}${withDead ? ' with AuxK' : ''} equals tf.grad of the same loss`, () => {
        const cfg = saeConfig({ architecture, dIn: 8, dSae: 40, k: architecture === 'topafa' ? 12 : 4 });
        const sae = Sae.init(cfg, { seed: 3 });
        // non-trivial biases
        sae.params.bDec.assign(tf.randomNormal([8], 0, 0.3, 'float32', 4));
        if (cfg.encoderBias) sae.params.bEnc.assign(tf.randomNormal([40], 0, 0.1, 'float32', 5));
        const x = tf.randomNormal([24, 8], 0, 1, 'float32', 6) as tf.Tensor2D;
        const deadMask = withDead
          ? tf.tensor1d(Array.from({ length: 40 }, (_, i) => (i % 3 === 0 ? 1 : 0)))
          : null;
        const before = tf.memory().numTensors;
        const r = stepGradients(sae, x, { deadMask, deadCount: 14, kAux: 5, auxAlpha: 0.5 });
        expect(tf.memory().numTensors).toBe(before + 4 + 2);
        expect(Number.isFinite(r.loss)).toBe(true);
        if (withDead) expect(r.auxLoss).toBeGreaterThan(0);
        else expect(r.auxLoss).toBe(0);
        const ref = tf.tidy(() => referenceGrads(sae, x, deadMask, 5, 0.5));
        const mine = [r.grads.encoder, r.grads.bEnc, r.grads.decoder, r.grads.bDec];
        ['encoder', 'bEnc', 'decoder', 'bDec'].forEach((name, i) => {
          if (name === 'bEnc' && !cfg.encoderBias) {
            expect(tf.max(tf.abs(mine[i])).dataSync()[0]).toBe(0);
            return;
          }
          expect(maxRelDiff(mine[i], ref[i]), name).toBeLessThan(1e-4);
        });
        tf.dispose([...mine, ...ref, r.code.values, r.code.indices as tf.Tensor]);
        sae.dispose();
      });
    }
  }

  it('relu-L1: gradients from tf.grad, the L1 term counted', () => {
    const sae = Sae.init(saeConfig({ architecture: 'relu', dIn: 8, dSae: 16, l1Coeff: 0.1 }), { seed: 1 });
    const x = tf.randomNormal([10, 8], 0, 1, 'float32', 2) as tf.Tensor2D;
    const before = tf.memory().numTensors;
    const r = stepGradients(sae, x);
    expect(r.sparsityLoss).toBeGreaterThan(0);
    expect(r.loss).toBeCloseTo(r.fvu + r.sparsityLoss, 5);
    expect(r.grads.decoder.shape).toEqual([16, 8]);
    tf.dispose([...Object.values(r.grads), r.code.values]);
    expect(tf.memory().numTensors).toBe(before);
    sae.dispose();
  });
});
