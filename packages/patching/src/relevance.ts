/**
 * Relevance patching (RelP, Jafari et al. 2025): attribution patching whose backward pass follows LRP
 * propagation rules instead of local gradients. The rules are an ops table swapped in for the backward
 * run only (core's ops seam); the forward values are unchanged, so RelP with every rule off is AtP.
 *
 * In Gradient×Input form each rule only changes a local derivative:
 * - LN-rule: the norm's scale `σ` is a constant (`(x − μ)/stopgrad(σ)`), for LayerNorm and RMSNorm;
 * - identity rule: an elementwise activation passes `f(x)/x` instead of `f'(x)` (relevance unchanged);
 * - half rule: the gated product `act(gate) ⊙ up` sends half the usual gradient to each factor;
 * - attention: 'ah' (CP-LRP) treats the attention pattern as a constant; 'attnlrp' halves the gradient
 *   into each factor of `q·kᵀ` and of `pattern·v` (q and k get ¼, v ½), softmax keeps its gradient.
 */
import { type ActName, type ModelConfig, type NormType, type OpsTable, resolveOps, tf } from '@mechlens/core';

/**
 * LRP rules of a relevance-patching run; each one a toggle.
 *
 * @example
 * const rules: LrpRules = { ln: true, identity: true, half: false, attention: 'ah' };
 */
export interface LrpRules {
  /** LN-rule: treat the normaliser of every LayerNorm/RMSNorm as a constant. */
  ln?: boolean;
  /** Identity rule for the MLP activation (GELU, SiLU, ReLU, …). */
  identity?: boolean;
  /** Half rule for gated MLP products (models with a gated MLP only). */
  half?: boolean;
  /** Attention rule: none (plain gradient), 'ah' (pattern constant, CP-LRP) or 'attnlrp'. */
  attention?: 'none' | 'ah' | 'attnlrp';
}

const RULE_KEYS = ['ln', 'identity', 'half', 'attention'] as const;

/**
 * RelP's default rules for a model: LN-rule and identity rule, the half rule where the MLP is gated,
 * attention gradients unchanged (the RelP reference code's default list).
 *
 * @example
 * defaultRules(model.cfg); // { ln: true, identity: true, half: false, attention: 'none' } for GPT-2
 */
export function defaultRules(cfg: ModelConfig): Required<LrpRules> {
  return { ln: true, identity: true, half: cfg.gatedMLP, attention: 'none' };
}

/**
 * Gradient blocker: forward is the identity, backward is zero.
 *
 * @example
 * const sigma = stopGradient(tf.sqrt(v));
 */
export function stopGradient<T extends tf.Tensor>(x: T): T {
  const f = tf.customGrad((xi) => ({
    value: tf.clone(xi as tf.Tensor),
    gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
  }));
  return f(x) as T;
}

/** Scales the gradient flowing back through `x` by `k` (forward unchanged). */
function scaleGradient<T extends tf.Tensor>(x: T, k: number): T {
  const f = tf.customGrad((xi) => ({
    value: tf.clone(xi as tf.Tensor),
    gradFunc: (dy: tf.Tensor) => tf.mul(dy, k),
  }));
  return f(x) as T;
}

/**
 * LN-rule norm statistics: the centring stays differentiable, the scale is a constant.
 *
 * @example
 * const { centered, scale } = lnRuleStats(x, 1e-5, 'layernorm');
 */
export function lnRuleStats(
  x: tf.Tensor,
  eps: number,
  type: NormType,
): { centered: tf.Tensor; scale: tf.Tensor } {
  const axis = x.rank - 1;
  const centered = type === 'layernorm' ? tf.sub(x, tf.mean(x, axis, true)) : x;
  const scale = tf.sqrt(tf.add(tf.mean(tf.mul(centered, centered), axis, true), eps));
  return { centered, scale: stopGradient(scale) };
}

/**
 * Identity-rule activation: forward `f(x)`, backward `dy · f(x)/x` (0 where x = 0), so `x · grad` carries
 * the output relevance `f(x) · dy` unchanged.
 *
 * @example
 * const y = identityRuleAct(x, 'gelu_new');
 */
export function identityRuleAct(
  x: tf.Tensor,
  name: ActName,
  base: OpsTable['act'] = resolveOps().act,
): tf.Tensor {
  const f = tf.customGrad((xi, save) => {
    const xt = xi as tf.Tensor;
    const y = base(xt, name);
    (save as tf.GradSaveFunc)([xt, y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sy] = saved;
        const zero = tf.equal(sx, 0);
        const ratio = tf.div(sy, tf.where(zero, tf.onesLike(sx), sx));
        return tf.mul(dy, tf.where(zero, tf.zerosLike(sx), ratio));
      },
    };
  });
  return f(x);
}

/** `a ⊙ b` whose backward sends half the product-rule gradient to each factor. */
function halfProduct(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  return tf.mul(scaleGradient(a, 0.5), scaleGradient(b, 0.5));
}

/**
 * The ops table of a RelP backward run for a model: checks that every rule asked for matches a component
 * of the model (and that no unknown rule is named) and returns the replacements to pass as `ops`.
 *
 * @example
 * const ops = relevanceOps(model.cfg, defaultRules(model.cfg));
 * model.gradOfHooks(ids, names, metric, { ops });
 */
export function relevanceOps(cfg: ModelConfig, rules: LrpRules): Partial<OpsTable> {
  for (const k of Object.keys(rules)) {
    if (!(RULE_KEYS as readonly string[]).includes(k)) {
      throw new Error(`unknown LRP rule "${k}"; the rules are ${RULE_KEYS.join(', ')}`);
    }
  }
  const attention = rules.attention ?? 'none';
  if (!['none', 'ah', 'attnlrp'].includes(attention)) {
    throw new Error(`unknown attention rule "${attention}"; use 'none', 'ah' (CP-LRP) or 'attnlrp'`);
  }
  if (rules.half && !cfg.gatedMLP) {
    throw new Error(
      'the half rule matches no component: this model has no gated MLP product; turn it off (half: false) or use defaultRules(model.cfg)',
    );
  }
  const base = resolveOps();
  const ops: Partial<OpsTable> = {};
  if (rules.ln) ops.normStats = lnRuleStats;
  if (rules.identity) ops.act = (x, name) => identityRuleAct(x, name, base.act);
  if (rules.half) ops.gatedProduct = halfProduct;
  if (cfg.gatedMLP && (rules.identity || rules.half)) {
    const act = ops.act ?? base.act;
    const prod = ops.gatedProduct ?? base.gatedProduct;
    ops.gatedAct = (gate, up, name) => prod(act(gate, name), up);
  }
  if (attention === 'ah') {
    ops.causalSoftmax = (scores, scale, offset) => stopGradient(base.causalSoftmax(scores, scale, offset));
    ops.softmax = (scores) => stopGradient(base.softmax(scores));
  } else if (attention === 'attnlrp') {
    ops.attnScores = (q, k) => base.attnScores(scaleGradient(q, 0.5), scaleGradient(k, 0.5));
    ops.attnMix = (p, v) => base.attnMix(scaleGradient(p, 0.5), scaleGradient(v, 0.5));
  }
  return ops;
}
