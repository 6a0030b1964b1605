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
 * Rule names accepted in list form (RelP's own names and short ones): a list turns on exactly the rules
 * it names, e.g. `['LN-rule', 'Identity-rule', 'Half-rule']`; `[]` is plain AtP.
 *
 * @example
 * const rules: LrpRuleName[] = ['ln', 'identity', 'AH-rule'];
 */
export type LrpRuleName =
  | 'ln'
  | 'LN-rule'
  | 'identity'
  | 'Identity-rule'
  | 'half'
  | 'Half-rule'
  | 'ah'
  | 'AH-rule'
  | 'attnlrp'
  | 'AttnLRP';

const NAMED: Record<LrpRuleName, LrpRules> = {
  ln: { ln: true },
  'LN-rule': { ln: true },
  identity: { identity: true },
  'Identity-rule': { identity: true },
  half: { half: true },
  'Half-rule': { half: true },
  ah: { attention: 'ah' },
  'AH-rule': { attention: 'ah' },
  attnlrp: { attention: 'attnlrp' },
  AttnLRP: { attention: 'attnlrp' },
};

/**
 * Normalises rules given as an object or as a list of names (unknown names are an error).
 *
 * @example
 * parseRules(['LN-rule', 'Identity-rule']); // { ln: true, identity: true, half: false, attention: 'none' }
 */
export function parseRules(rules: LrpRules | readonly string[]): Required<LrpRules> {
  const out: Required<LrpRules> = { ln: false, identity: false, half: false, attention: 'none' };
  if (Array.isArray(rules)) {
    for (const name of rules as readonly string[]) {
      const r = NAMED[name as LrpRuleName];
      if (!r) throw new Error(`unknown LRP rule "${name}"; the rules are ${Object.keys(NAMED).join(', ')}`);
      if (r.attention && out.attention !== 'none' && out.attention !== r.attention) {
        throw new Error(`two attention rules given (${out.attention} and ${r.attention}); choose one`);
      }
      Object.assign(out, r);
    }
    return out;
  }
  for (const k of Object.keys(rules)) {
    if (!(RULE_KEYS as readonly string[]).includes(k)) {
      throw new Error(`unknown LRP rule "${k}"; the rules are ${RULE_KEYS.join(', ')}`);
    }
  }
  const o = rules as LrpRules;
  const attention = o.attention ?? 'none';
  if (!['none', 'ah', 'attnlrp'].includes(attention)) {
    throw new Error(`unknown attention rule "${attention}"; use 'none', 'ah' (CP-LRP) or 'attnlrp'`);
  }
  return { ln: o.ln ?? false, identity: o.identity ?? false, half: o.half ?? false, attention };
}

const KNOWN_NORMS: readonly NormType[] = ['layernorm', 'rmsnorm'];
const KNOWN_ACTS: readonly ActName[] = ['gelu_new', 'gelu', 'relu', 'silu', 'quick_gelu'];

/**
 * RelP's default rules for a model: LN-rule and identity rule, the half rule where the MLP is gated,
 * attention gradients unchanged (the RelP reference code's default list).
 *
 * @example
 * defaultRules(model.cfg); // { ln: true, identity: true, half: false, attention: 'none' } for GPT-2
 */
export function defaultRules(cfg: ModelConfig): Required<LrpRules> {
  // RelP's list is LN, identity and half; the half rule only matters where the MLP is gated.
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
 * The ops table of a RelP backward run for a model: every component an enabled rule is about must be one
 * the rule knows (a norm or activation it has no implementation for is an error, never silently left with
 * its plain gradient), and unknown rule names are an error. The half rule on a model without a gated MLP
 * has nothing to act on and changes nothing. Returns the replacements to pass as `ops`.
 *
 * @example
 * const ops = relevanceOps(model.cfg, defaultRules(model.cfg));
 * model.gradOfHooks(ids, names, metric, { ops });
 */
export function relevanceOps(cfg: ModelConfig, given: LrpRules | readonly string[]): Partial<OpsTable> {
  const rules = parseRules(given);
  const attention = rules.attention;
  if (rules.ln && !KNOWN_NORMS.includes(cfg.normType)) {
    throw new Error(
      `the LN-rule has no implementation for this model's norm "${cfg.normType}" (known: ${KNOWN_NORMS.join(', ')})`,
    );
  }
  if (rules.identity && !KNOWN_ACTS.includes(cfg.act)) {
    throw new Error(
      `the identity rule has no implementation for the activation "${cfg.act}" (known: ${KNOWN_ACTS.join(', ')})`,
    );
  }
  if (rules.half && !cfg.gatedMLP) rules.half = false; // no gated product to act on
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
