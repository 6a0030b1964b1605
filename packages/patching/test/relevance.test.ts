/** LRP rules: conservation, the LN-rule backward, identity rule, attention rules, half rule, rule checks. */
import { type HookedTransformer, type HookName, initEngine, resolveOps, tf } from '@mechlens/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  defaultRules,
  identityRuleAct,
  lnRuleStats,
  metrics,
  parseRules,
  relevanceOps,
  stopGradient,
} from '../src/index.js';
import { randomRows, tinyGpt2, tinyLlama } from './helpers.js';

let gpt2: HookedTransformer;
let llama: HookedTransformer;
beforeAll(async () => {
  await initEngine();
  gpt2 = await tinyGpt2();
  llama = await tinyLlama();
});
afterAll(() => {
  gpt2.dispose();
  llama.dispose();
});

/** A bias-free LN → linear → GELU → linear network, summed to a scalar, with or without the LRP rules. */
function tinyNet(rules: boolean) {
  const d = 8;
  const W1 = tf.randomNormal([d, 12], 0, 0.7, 'float32', 3);
  const W2 = tf.randomNormal([12, 5], 0, 0.7, 'float32', 4);
  const gamma = tf.randomUniform([d], 0.5, 1.5, 'float32', 5);
  const base = resolveOps();
  const f = (x: tf.Tensor) => {
    const { centered, scale } = rules
      ? lnRuleStats(x, 1e-5, 'layernorm')
      : base.normStats(x, 1e-5, 'layernorm');
    const h = tf.matMul(tf.mul(tf.div(centered, scale), gamma), W1);
    const a = rules ? identityRuleAct(h, 'gelu_new') : base.act(h, 'gelu_new');
    return tf.sum(tf.matMul(a, W2));
  };
  return { f, dispose: () => tf.dispose([W1, W2, gamma]) };
}

describe('LRP rules', () => {
  it('conserve relevance on LN + linear + GELU: Σ x ⊙ ĝ equals the output; the plain gradient does not', () => {
    const x = tf.randomNormal([4, 8], 0, 2, 'float32', 9);
    const withRules = tinyNet(true);
    const { value, grad } = tf.valueAndGrad(withRules.f)(x);
    const out = value.dataSync()[0];
    const relevance = tf.tidy(() => tf.sum(tf.mul(x, grad)).dataSync()[0]);
    expect(Math.abs(out)).toBeGreaterThan(0.1);
    expect(relevance).toBeCloseTo(out, 4);
    const plain = tinyNet(false);
    const g2 = tf.grad(plain.f)(x);
    const plainRel = tf.tidy(() => tf.sum(tf.mul(x, g2)).dataSync()[0]);
    expect(Math.abs(plainRel - out)).toBeGreaterThan(0.05 * Math.abs(out));
    tf.dispose([x, value, grad, g2]);
    withRules.dispose();
    plain.dispose();
  });

  it('LN-rule backward is γ/σ times the centring (I − 1/d), with no σ-derivative term', () => {
    const d = 6;
    const x = tf.tensor2d([[0.3, -1.2, 2.0, 0.7, -0.4, 1.1]]);
    const gamma = tf.tensor1d([1, 2, 0.5, 1.5, 1, 0.7]);
    const dy = tf.tensor2d([[0.2, -0.1, 0.4, 0.3, -0.6, 0.05]]);
    const g = tf.grad((xi: tf.Tensor) => {
      const { centered, scale } = lnRuleStats(xi, 1e-5, 'layernorm');
      return tf.sum(tf.mul(tf.mul(tf.div(centered, scale), gamma), dy));
    })(x);
    const xs = x.arraySync()[0];
    const mu = xs.reduce((a, b) => a + b, 0) / d;
    const sigma = Math.sqrt(xs.reduce((a, b) => a + (b - mu) ** 2, 0) / d + 1e-5);
    const v = (gamma.arraySync() as number[]).map(
      (gm, i) => (gm / sigma) * (dy.arraySync() as number[][])[0][i],
    );
    const vMean = v.reduce((a, b) => a + b, 0) / d;
    const want = v.map((vi) => vi - vMean);
    const got = g.arraySync() as number[][];
    for (let i = 0; i < d; i++) expect(got[0][i]).toBeCloseTo(want[i], 5);
    tf.dispose([x, gamma, dy, g]);
  });

  it('identity rule: ReLU keeps its gradient (f(x)/x = f′(x)); GELU passes f(x)/x; the value is unchanged', () => {
    const x = tf.tensor1d([-2, -0.5, 0, 0.5, 3]);
    const gRule = tf.grad((xi: tf.Tensor) => tf.sum(identityRuleAct(xi, 'relu')))(x);
    expect(Array.from(gRule.dataSync(), (v) => v + 0)).toEqual([0, 0, 0, 1, 1]); // + 0 folds −0
    const y = identityRuleAct(x, 'gelu_new');
    const yPlain = resolveOps().act(x, 'gelu_new');
    expect(Array.from(y.dataSync())).toEqual(Array.from(yPlain.dataSync()));
    const gGelu = tf.grad((xi: tf.Tensor) => tf.sum(identityRuleAct(xi, 'gelu_new')))(x);
    const ys = yPlain.dataSync();
    const xs = x.dataSync();
    gGelu.dataSync().forEach((g, i) => {
      expect(g).toBeCloseTo(xs[i] === 0 ? 0 : ys[i] / xs[i], 6);
    });
    const s = stopGradient(x);
    const gs = tf.grad((xi: tf.Tensor) => tf.sum(stopGradient(xi)))(x);
    expect(Array.from(gs.dataSync())).toEqual([0, 0, 0, 0, 0]);
    tf.dispose([x, gRule, y, yPlain, gGelu, s, gs]);
  });

  it('attention rules: AH stops gradients into q; AttnLRP gives q ¼ and v ½ of the plain gradient in the last block', () => {
    const rows = randomRows(2, 6, 50, 4);
    const metric = metrics.logitDiff([1, 2], [3, 4]);
    const names: HookName[] = ['blocks.2.attn.hook_q', 'blocks.2.attn.hook_v', 'blocks.0.attn.hook_q'];
    const grads = (ops?: ReturnType<typeof relevanceOps>) => {
      const { value, grads: g } = gpt2.gradOfHooks(rows, names, metric, { ops });
      const out = names.map((n) => Array.from(g.get(n)!.dataSync()));
      value.dispose();
      for (const t of g.values()) t.dispose();
      return out;
    };
    const plain = grads();
    const ah = grads(relevanceOps(gpt2.cfg, { attention: 'ah' }));
    const lrp = grads(relevanceOps(gpt2.cfg, { attention: 'attnlrp' }));
    expect(Math.max(...ah[0].map(Math.abs))).toBe(0);
    expect(Math.max(...ah[2].map(Math.abs))).toBe(0);
    ah[1].forEach((g, i) => {
      expect(g).toBeCloseTo(plain[1][i], 6);
    });
    lrp[0].forEach((g, i) => {
      expect(g).toBeCloseTo(plain[0][i] / 4, 6);
    });
    lrp[1].forEach((g, i) => {
      expect(g).toBeCloseTo(plain[1][i] / 2, 6);
    });
    expect(Math.max(...plain[0].map(Math.abs))).toBeGreaterThan(1e-5);
  });

  it('half rule halves the gradient through a gated MLP product; rule lists and checks', () => {
    const rows = randomRows(2, 5, 50, 6);
    const metric = metrics.logitDiff([1, 2], [3, 4]);
    const name: HookName = 'blocks.1.mlp.hook_post';
    const g = (ops?: ReturnType<typeof relevanceOps>) => {
      const { value, grads } = llama.gradOfHooks(rows, ['blocks.1.mlp.hook_pre'], metric, { ops });
      const out = Array.from(grads.get('blocks.1.mlp.hook_pre')!.dataSync());
      value.dispose();
      for (const t of grads.values()) t.dispose();
      return out;
    };
    expect(llama.hookNames()).toContain(name);
    const plain = g();
    const half = g(relevanceOps(llama.cfg, { half: true }));
    half.forEach((v, i) => {
      expect(v).toBeCloseTo(plain[i] / 2, 6);
    });
    expect(defaultRules(llama.cfg)).toEqual({ ln: true, identity: true, half: true, attention: 'none' });
    expect(defaultRules(gpt2.cfg).half).toBe(false);
    expect(Object.keys(relevanceOps(gpt2.cfg, { half: true }))).toEqual([]); // nothing gated to act on
    expect(() => relevanceOps(gpt2.cfg, { lnRule: true } as never)).toThrow(/unknown LRP rule "lnRule"/);
    expect(() => relevanceOps(gpt2.cfg, ['LN-rule', 'Bogus-rule'])).toThrow(/unknown LRP rule "Bogus-rule"/);
    expect(() => relevanceOps(gpt2.cfg, ['AH-rule', 'AttnLRP'])).toThrow(/two attention rules/);
    expect(() => relevanceOps({ ...gpt2.cfg, act: 'swish' as never }, { identity: true })).toThrow(
      /identity rule has no implementation for the activation "swish"/,
    );
    expect(parseRules(['LN-rule', 'Identity-rule', 'Half-rule'])).toEqual({
      ln: true,
      identity: true,
      half: true,
      attention: 'none',
    });
    expect(parseRules([])).toEqual({ ln: false, identity: false, half: false, attention: 'none' });
    expect(() => relevanceOps(gpt2.cfg, { attention: 'cp' as never })).toThrow(/unknown attention rule/);
  });
});
