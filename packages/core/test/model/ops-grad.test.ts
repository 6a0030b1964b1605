/** The ops seam (fused vs composite, overrides for one run) and gradients through hooks. */

import { FUSED_KERNELS } from '@mechlens/kernels';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  compositeOps,
  defaultOps,
  engineInfo,
  type HookedTransformer,
  type HookName,
  hasKernel,
  loadModel,
  type OpsTable,
  tf,
} from '../../src/index.js';
import { fixtureDir, fixtureMetric, loadReference, maxAbs, maxAbsDiff } from './helpers.js';

let gpt2: HookedTransformer;
let llama: HookedTransformer;
let rows: number[][];

beforeAll(async () => {
  gpt2 = await loadModel(fixtureDir('gpt2'));
  llama = await loadModel(fixtureDir('llama'));
  rows = loadReference('gpt2').rows;
});
afterAll(() => {
  gpt2.dispose();
  llama.dispose();
});

/** Deterministic pseudo-random tensor. */
function rnd(shape: number[], seed: number, scale = 1): tf.Tensor {
  let s = seed;
  const n = shape.reduce((a, b) => a * b, 1);
  const d = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    d[i] = ((s / 2147483648) * 2 - 1) * scale;
  }
  return tf.tensor(d, shape);
}

/** Values and input gradients of `f` (with a fixed random cotangent). */
function valueAndInputGrads(f: (...xs: tf.Tensor[]) => tf.Tensor, xs: tf.Tensor[]) {
  return tf.tidy(() => {
    const y = f(...xs);
    const dy = rnd(y.shape, 99);
    const grads = tf.grads((...a: tf.Tensor[]) => tf.sum(tf.mul(f(...a), dy)))(xs);
    return { y: Array.from(y.dataSync()), grads: grads.map((g) => Array.from(g.dataSync())) };
  });
}

describe('ops tables agree: default (fused, native gradients), fused with composite gradients, composite', () => {
  // built inside the tests: the fused kernels are registered by initEngine (in beforeAll)
  const tables = (): [string, OpsTable][] => [
    ['default', defaultOps()],
    ['fused + composite backward', defaultOps({ nativeGradients: false })],
  ];
  it('uses the fused kernels on the native engine', () => {
    if (!engineInfo().native) return;
    for (const k of Object.values(FUSED_KERNELS)) expect(hasKernel(k), k).toBe(true);
    expect(defaultOps().layerNorm).not.toBe(compositeOps.layerNorm);
  });
  const x = rnd([2, 5, 48], 1, 3);
  const w = rnd([48], 2, 1.5);
  const b = rnd([48], 3, 0.5);
  const scores = rnd([2, 3, 5, 7], 4, 4);
  const cases: [string, (o: OpsTable) => (...xs: tf.Tensor[]) => tf.Tensor, tf.Tensor[]][] = [
    ['layerNorm', (o) => (a, c, d) => o.layerNorm(a, c, d, 1e-5), [x, w, b]],
    ['rmsNorm', (o) => (a, c) => o.rmsNorm(a, c, 1e-6), [x, w]],
    ['gelu_new', (o) => (a) => o.act(a, 'gelu_new'), [x]],
    ['gelu', (o) => (a) => o.act(a, 'gelu'), [x]],
    ['silu', (o) => (a) => o.act(a, 'silu'), [x]],
    ['gatedAct silu', (o) => (a, c) => o.gatedAct(a, c, 'silu'), [x, rnd([2, 5, 48], 5)]],
    ['causalSoftmax', (o) => (s) => o.causalSoftmax(s, 0.25, 2), [scores]],
    ['causalSoftmax offset 0', (o) => (s) => o.causalSoftmax(s, 1, 0), [rnd([3, 4, 4], 6)]],
  ];
  for (const [name, make, inputs] of cases) {
    it(name, () => {
      const ref = valueAndInputGrads(make(compositeOps), inputs);
      for (const [label, ops] of tables()) {
        const got = valueAndInputGrads(make(ops), inputs);
        expect(maxAbsDiff(got.y, ref.y), `${label} value`).toBeLessThan(2e-6 * Math.max(1, maxAbs(ref.y)));
        got.grads.forEach((g, i) => {
          expect(maxAbsDiff(g, ref.grads[i]), `${label} grad ${i}`).toBeLessThan(
            1e-5 * Math.max(1, maxAbs(ref.grads[i])),
          );
        });
      }
    });
  }
});

describe('ops overrides for one run', () => {
  it('counts calls of overridden ops and restores the defaults afterwards', () => {
    const calls: Record<string, number> = { act: 0, attnScores: 0, attnMix: 0 };
    const base = defaultOps();
    const logits = gpt2.forward(rows, {
      ops: {
        act: (x, n) => {
          calls.act++;
          return base.act(x, n);
        },
        attnScores: (q, k) => {
          calls.attnScores++;
          return base.attnScores(q, k);
        },
        attnMix: (p, v) => {
          calls.attnMix++;
          return base.attnMix(p, v);
        },
      },
    });
    expect(calls).toEqual({ act: 2, attnScores: 2, attnMix: 2 });
    const clean = gpt2.forward(rows);
    expect(maxAbsDiff(logits.dataSync(), clean.dataSync())).toBe(0);
    tf.dispose([logits, clean]);
  });

  it('overriding softmax alone also governs the causal softmax; normStats alone governs the norms', () => {
    let sm = 0;
    let ns = 0;
    const logits = gpt2.forward(rows, {
      ops: {
        softmax: (s) => {
          sm++;
          return tf.softmax(s);
        },
        normStats: (x, eps, type) => {
          ns++;
          return compositeOps.normStats(x, eps, type);
        },
      },
    });
    expect(sm).toBe(2);
    expect(ns).toBe(5);
    const clean = gpt2.forward(rows);
    expect(maxAbsDiff(logits.dataSync(), clean.dataSync())).toBeLessThan(2e-6);
    tf.dispose([logits, clean]);
  });

  it('overriding act alone reroutes the gated MLP (llama) through it', () => {
    const seen: string[] = [];
    const logits = llama.forward(rows, {
      ops: {
        act: (x, n) => {
          seen.push(n);
          return compositeOps.act(x, n);
        },
      },
    });
    expect(seen).toEqual(['silu', 'silu']);
    logits.dispose();
  });

  it('an LRP-style identity rule (tf.customGrad) keeps values and changes gradients', () => {
    const identity = tf.customGrad((x, save) => {
      const y = compositeOps.act(x as tf.Tensor, 'gelu_new');
      (save as tf.GradSaveFunc)([x as tf.Tensor, y]);
      return {
        value: y,
        gradFunc: (dy: tf.Tensor, [sx, sy]: tf.Tensor[]) => tf.mul(dy, tf.divNoNan(sy, sx)),
      };
    });
    const name: HookName = 'blocks.0.hook_resid_pre';
    const plain = gpt2.gradOfHooks(rows, [name], fixtureMetric);
    const lrp = gpt2.gradOfHooks(rows, [name], fixtureMetric, { ops: { act: (x) => identity(x) } });
    expect(Math.abs(plain.value.dataSync()[0] - lrp.value.dataSync()[0])).toBeLessThan(1e-6);
    const gp = plain.grads.get(name) as tf.Tensor;
    const gl = lrp.grads.get(name) as tf.Tensor;
    expect(maxAbsDiff(gp.dataSync(), gl.dataSync())).toBeGreaterThan(1e-3);
    tf.dispose([plain.value, lrp.value, gp, gl]);
  });
});

describe('gradients through hooks', () => {
  it('gradOfHooks equals the documented tf.grad recipe with a probe hook', () => {
    const name: HookName = 'blocks.1.attn.hook_z';
    const { value, grads } = llama.gradOfHooks(rows, [name], fixtureMetric);
    const manual = tf.grad((p: tf.Tensor) =>
      fixtureMetric(llama.runWithHooks(rows, [{ name, fn: (a) => tf.add(a, p) }])),
    )(tf.zeros(llama.hookShape(name, 2, 12)));
    const g = grads.get(name) as tf.Tensor;
    expect(g.shape).toEqual([2, 12, 4, 16]);
    expect(maxAbsDiff(g.dataSync(), manual.dataSync())).toBe(0);
    tf.dispose([value, g, manual]);
  });

  it('gradient of a steering coefficient matches a finite difference', () => {
    const dir = rnd([64], 7, 0.5);
    const f = (c: tf.Tensor) =>
      fixtureMetric(
        gpt2.runWithHooks(rows, [{ name: 'blocks.1.hook_resid_pre', fn: (x) => tf.add(x, tf.mul(dir, c)) }]),
      );
    const g = tf.grad(f)(tf.scalar(0.3)).dataSync()[0];
    const h = 1e-2;
    const fd = (f(tf.scalar(0.3 + h)).dataSync()[0] - f(tf.scalar(0.3 - h)).dataSync()[0]) / (2 * h);
    expect(Math.abs(g - fd)).toBeLessThan(1e-3 * Math.max(1, Math.abs(fd)));
    expect(Math.abs(g)).toBeGreaterThan(1e-3);
    dir.dispose();
  });

  it('position-limited replacements pass gradient only at those positions', () => {
    const name: HookName = 'blocks.0.hook_mlp_out';
    const p = tf.zeros([2, 12, 64]);
    const g = tf.grad((q: tf.Tensor) =>
      fixtureMetric(gpt2.runWithHooks(rows, [{ name, fn: (a) => tf.add(a, q), positions: [4] }])),
    )(p);
    const arr = g.arraySync() as number[][][];
    for (let t = 0; t < 12; t++) {
      const nz = arr[0][t].some((v) => v !== 0);
      expect(nz, `position ${t}`).toBe(t === 4);
    }
    tf.dispose([p, g]);
  });

  it('gradients at unfused-only points (norm scale, attention scores) match finite differences', () => {
    for (const name of ['blocks.0.ln2.hook_scale', 'blocks.1.attn.hook_attn_scores'] as HookName[]) {
      const { grads } = gpt2.gradOfHooks(rows, [name], fixtureMetric);
      const g = grads.get(name) as tf.Tensor;
      const shape = gpt2.hookShape(name, 2, 12);
      // directional derivative along a random direction restricted to finite (unmasked) entries
      const d = tf.tidy(() => {
        const r = rnd(shape, 11);
        if (!name.includes('scores')) return r;
        const mask = tf.tensor(
          Float32Array.from({ length: r.size }, (_, i) => (i % 12 <= Math.floor(i / 12) % 12 ? 1 : 0)),
          shape,
        );
        return tf.mul(r, mask);
      });
      const analytic = tf.sum(tf.mul(g, d)).dataSync()[0];
      const at = (eps: number) => {
        const l = gpt2.runWithHooks(rows, [{ name, fn: (a) => tf.add(a, tf.mul(d, eps)) }]);
        const m = fixtureMetric(l).dataSync()[0];
        l.dispose();
        return m;
      };
      const h = 1e-2;
      const fd = (at(h) - at(-h)) / (2 * h);
      expect(Math.abs(analytic - fd), name).toBeLessThan(2e-3 * Math.max(1, Math.abs(fd)));
      tf.dispose([g, d]);
    }
  });

  it('rejects non-scalar metrics and empty name lists', () => {
    expect(() => gpt2.gradOfHooks(rows, ['hook_embed'], (l) => l as unknown as tf.Scalar)).toThrow(/scalar/);
    expect(() => gpt2.gradOfHooks(rows, [], fixtureMetric)).toThrow(/no hook names/);
  });
});
