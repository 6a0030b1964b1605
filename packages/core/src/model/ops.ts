/**
 * The ops seam: the non-linear pieces of the forward pass (norms, activations, softmax, attention products,
 * gating) as a table of plain tensor functions. A caller can replace any of them for one run, e.g. with LRP
 * rules written with `tf.customGrad` for relevance patching. The default table uses mechlens's fused native
 * kernels when they are registered (wrapped in `tf.customGrad` so gradients flow) and composite tfjs ops
 * otherwise.
 */
import { FUSED_KERNELS } from '@mechlens/kernels';
import { hasKernel } from '../engine/index.js';
import { tf } from '../engine/tf.js';
import type { ActName, NormType } from './config.js';

type Tensor = tf.Tensor;

/**
 * Output of {@link OpsTable.normStats}: the centred input and the per-row scale.
 *
 * @example
 * const { centered, scale } = compositeOps.normStats(x, 1e-5, 'layernorm');
 */
export interface NormStats {
  /** `x − mean(x)` for LayerNorm, `x` itself for RMSNorm. */
  centered: Tensor;
  /** `sqrt(mean(centered²) + eps)`, shape `[..., 1]`. */
  scale: Tensor;
}

/**
 * Replaceable tensor functions used by the forward pass. Every function must be a plain function of its
 * tensor arguments (no captured trainable tensors) so that `tf.grad` and `tf.customGrad` compose.
 *
 * @example
 * // Treat GELU as linear in the backward pass (an LRP "identity" rule), for one run:
 * const act = tf.customGrad((x, save) => {
 *   const y = defaultOps().act(x as tf.Tensor, 'gelu_new');
 *   return { value: y, gradFunc: (dy) => dy.mul(y.div(x)) };
 * });
 * model.forward(ids, { ops: { act: (x) => act(x) } });
 */
export interface OpsTable {
  /** LayerNorm over the last axis: `(x − mean)/sqrt(var + eps) · w + b` (biased variance). */
  layerNorm(x: Tensor, w: Tensor, b: Tensor | null, eps: number): Tensor;
  /** RMSNorm over the last axis: `x / sqrt(mean(x²) + eps) · w`. */
  rmsNorm(x: Tensor, w: Tensor, eps: number): Tensor;
  /** The unfused norm statistics (used when `hook_scale`/`hook_normalized` are hooked or cached). */
  normStats(x: Tensor, eps: number, type: NormType): NormStats;
  /** Elementwise activation. */
  act(x: Tensor, name: ActName): Tensor;
  /** Gated-MLP product `act(gate) * up`; receives the already activated gate. */
  gatedProduct(actGate: Tensor, up: Tensor): Tensor;
  /**
   * The whole gated-MLP non-linearity `act(gate) * up` (fused for SiLU when the kernel exists). Defaults to
   * `gatedProduct(act(gate), up)`; overriding `act` or `gatedProduct` alone reroutes it through them.
   */
  gatedAct(gate: Tensor, up: Tensor, name: ActName): Tensor;
  /** Raw attention scores `q · kᵀ` over the last axis: `[..., q, d] × [..., k, d] → [..., q, k]` (unscaled). */
  attnScores(q: Tensor, k: Tensor): Tensor;
  /**
   * `softmax(scale · scores)` over the last axis with the causal mask: key j is masked for query i when
   * `j > i + offset` (offset = number of cached keys).
   */
  causalSoftmax(scores: Tensor, scale: number, offset: number): Tensor;
  /** Plain softmax over the last axis (scores already scaled and masked with −Infinity). */
  softmax(scores: Tensor): Tensor;
  /** Attention mixing `pattern · v`: `[..., q, k] × [..., k, d] → [..., q, d]`. */
  attnMix(pattern: Tensor, v: Tensor): Tensor;
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const INV_SQRT_2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** Composite tfjs implementation of an activation. */
function actComposite(x: Tensor, name: ActName): Tensor {
  switch (name) {
    case 'relu':
      return tf.relu(x);
    case 'silu':
      return tf.mul(x, tf.sigmoid(x));
    case 'quick_gelu':
      return tf.mul(x, tf.sigmoid(tf.mul(x, 1.702)));
    case 'gelu': {
      return tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, INV_SQRT_2)), 1));
    }
    case 'gelu_new': {
      const x3 = tf.mul(tf.mul(x, x), x);
      const inner = tf.mul(tf.add(x, tf.mul(x3, 0.044715)), SQRT_2_OVER_PI);
      return tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(inner), 1));
    }
  }
}

/** d/dx of GELU (tanh approximation when `approximate`, exact erf otherwise), composite. */
function geluDerivative(x: Tensor, approximate: boolean): Tensor {
  if (approximate) {
    const x2 = tf.mul(x, x);
    const t = tf.tanh(tf.mul(tf.mul(x, tf.add(tf.mul(x2, 0.044715), 1)), SQRT_2_OVER_PI));
    const left = tf.mul(tf.add(t, 1), 0.5);
    const dInner = tf.mul(tf.add(tf.mul(x2, 3 * 0.044715), 1), SQRT_2_OVER_PI);
    const right = tf.mul(tf.mul(tf.mul(x, 0.5), tf.sub(1, tf.mul(t, t))), dInner);
    return tf.add(left, right);
  }
  const cdf = tf.mul(tf.add(tf.erf(tf.mul(x, INV_SQRT_2)), 1), 0.5);
  const pdf = tf.mul(tf.exp(tf.mul(tf.mul(x, x), -0.5)), INV_SQRT_2PI);
  return tf.add(cdf, tf.mul(x, pdf));
}

function normStatsComposite(x: Tensor, eps: number, type: NormType): NormStats {
  const axis = x.rank - 1;
  const centered = type === 'layernorm' ? tf.sub(x, tf.mean(x, axis, true)) : x;
  const scale = tf.sqrt(tf.add(tf.mean(tf.mul(centered, centered), axis, true), eps));
  return { centered, scale };
}

/**
 * Causal-mask bias `[q, k]`: 0 where key ≤ query + offset, −Infinity elsewhere.
 *
 * @example
 * causalMaskBias(2, 3, 1).arraySync(); // [[0, 0, -Infinity], [0, 0, 0]]
 */
export function causalMaskBias(q: number, k: number, offset: number): Tensor {
  const data = new Float32Array(q * k);
  for (let i = 0; i < q; i++) {
    for (let j = i + offset + 1; j < k; j++) data[i * k + j] = Number.NEGATIVE_INFINITY;
  }
  return tf.tensor2d(data, [q, k]);
}

/** Sum of `t` over every axis but the last, as a 1-D tensor. */
function sumLeading(t: Tensor): Tensor {
  const d = t.shape[t.rank - 1];
  return tf.sum(tf.reshape(t, [-1, d]), 0);
}

/**
 * The composite (pure tfjs ops) table: exact reference semantics, differentiable by tfjs's own gradients.
 *
 * @example
 * const logits = model.forward(ids, { ops: compositeOps });
 */
export const compositeOps: OpsTable = {
  layerNorm(x, w, b, eps) {
    const { centered, scale } = normStatsComposite(x, eps, 'layernorm');
    const y = tf.mul(tf.div(centered, scale), w);
    return b ? tf.add(y, b) : y;
  },
  rmsNorm(x, w, eps) {
    const { scale } = normStatsComposite(x, eps, 'rmsnorm');
    return tf.mul(tf.div(x, scale), w);
  },
  normStats: normStatsComposite,
  act: actComposite,
  gatedProduct: (a, b) => tf.mul(a, b),
  gatedAct: (gate, up, name) => tf.mul(actComposite(gate, name), up),
  attnScores: (q, k) => tf.matMul(q, k, false, true),
  causalSoftmax(scores, scale, offset) {
    const [q, k] = scores.shape.slice(-2);
    const scaled = scale === 1 ? scores : tf.mul(scores, scale);
    return tf.softmax(tf.add(scaled, causalMaskBias(q, k, offset)));
  },
  softmax: (scores) => tf.softmax(scores),
  attnMix: (p, v) => tf.matMul(p, v),
};

// ---- fused kernels ----
// Called directly when @mechlens/kernels registered a gradient for them (native backward); otherwise wrapped
// in tf.customGrad with a composite backward so gradients still flow.

function runKernel(name: string, inputs: Record<string, Tensor>, attrs: Record<string, number | boolean>) {
  return tf.engine().runKernel(name, inputs as never, attrs as never) as Tensor;
}

const hasGradient = (name: string): boolean => tf.getGradient(name) !== undefined;

function fusedLayerNorm(ng: boolean, x: Tensor, w: Tensor, b: Tensor | null, eps: number): Tensor {
  const N = FUSED_KERNELS.layerNorm;
  const beta = b ?? tf.zerosLike(w);
  if (ng && hasGradient(N)) return runKernel(N, { x, gamma: w, beta }, { eps });
  const f = tf.customGrad((xi, wi, bi, save) => {
    const value = runKernel(N, { x: xi as Tensor, gamma: wi as Tensor, beta: bi as Tensor }, { eps });
    (save as tf.GradSaveFunc)([xi as Tensor, wi as Tensor]);
    return {
      value,
      gradFunc: (dy: Tensor, saved: Tensor[]) => {
        const [sx, sw] = saved;
        const { centered, scale } = normStatsComposite(sx, eps, 'layernorm');
        const n = tf.div(centered, scale);
        const g = tf.mul(dy, sw);
        const axis = sx.rank - 1;
        const dx = tf.div(
          tf.sub(tf.sub(g, tf.mean(g, axis, true)), tf.mul(n, tf.mean(tf.mul(g, n), axis, true))),
          scale,
        );
        return [dx, sumLeading(tf.mul(dy, n)), sumLeading(dy)];
      },
    };
  });
  return f(x, w, beta);
}

function fusedRmsNorm(ng: boolean, x: Tensor, w: Tensor, eps: number): Tensor {
  const N = FUSED_KERNELS.rmsNorm;
  if (ng && hasGradient(N)) return runKernel(N, { x, gamma: w }, { eps });
  const f = tf.customGrad((xi, wi, save) => {
    const value = runKernel(N, { x: xi as Tensor, gamma: wi as Tensor }, { eps });
    (save as tf.GradSaveFunc)([xi as Tensor, wi as Tensor]);
    return {
      value,
      gradFunc: (dy: Tensor, saved: Tensor[]) => {
        const [sx, sw] = saved;
        const { scale } = normStatsComposite(sx, eps, 'rmsnorm');
        const n = tf.div(sx, scale);
        const g = tf.mul(dy, sw);
        const dx = tf.div(tf.sub(g, tf.mul(n, tf.mean(tf.mul(g, n), sx.rank - 1, true))), scale);
        return [dx, sumLeading(tf.mul(dy, n))];
      },
    };
  });
  return f(x, w);
}

function fusedGelu(ng: boolean, x: Tensor, approximate: boolean): Tensor {
  const N = FUSED_KERNELS.gelu;
  if (ng && hasGradient(N)) return runKernel(N, { x }, { approximate });
  const f = tf.customGrad((xi, save) => {
    const value = runKernel(N, { x: xi as Tensor }, { approximate });
    (save as tf.GradSaveFunc)([xi as Tensor]);
    return {
      value,
      gradFunc: (dy: Tensor, saved: Tensor[]) => tf.mul(dy, geluDerivative(saved[0], approximate)),
    };
  });
  return f(x);
}

function fusedSiluMul(ng: boolean, gate: Tensor, up: Tensor): Tensor {
  const N = FUSED_KERNELS.siluMul;
  if (ng && hasGradient(N)) return runKernel(N, { gate, up }, {});
  const f = tf.customGrad((gi, ui, save) => {
    const value = runKernel(N, { gate: gi as Tensor, up: ui as Tensor }, {});
    (save as tf.GradSaveFunc)([gi as Tensor, ui as Tensor]);
    return {
      value,
      gradFunc: (dy: Tensor, saved: Tensor[]) => {
        const [g, u] = saved;
        const sig = tf.sigmoid(g);
        // d silu(g)/dg = sig · (1 + g · (1 − sig))
        const dsilu = tf.mul(sig, tf.add(tf.mul(g, tf.sub(1, sig)), 1));
        return [tf.mul(tf.mul(dy, u), dsilu), tf.mul(dy, tf.mul(g, sig))];
      },
    };
  });
  return f(gate, up);
}

function fusedCausalSoftmax(ng: boolean, scores: Tensor, scale: number, offset: number): Tensor {
  const N = FUSED_KERNELS.causalSoftmax;
  if (ng && hasGradient(N)) return runKernel(N, { scores }, { scale, offset });
  const f = tf.customGrad((si, save) => {
    const value = runKernel(N, { scores: si as Tensor }, { scale, offset });
    (save as tf.GradSaveFunc)([value]);
    return {
      value,
      gradFunc: (dy: Tensor, saved: Tensor[]) => {
        const p = saved[0];
        const dyp = tf.mul(dy, p);
        const g = tf.sub(dyp, tf.mul(p, tf.sum(dyp, p.rank - 1, true)));
        return scale === 1 ? g : tf.mul(g, scale);
      },
    };
  });
  return f(scores);
}

/**
 * Options of {@link defaultOps}.
 *
 * @example
 * const ops = defaultOps({ nativeGradients: false });
 */
export interface DefaultOpsOptions {
  /**
   * Use the gradients @mechlens/kernels registered for its fused kernels (default true). False wraps each
   * fused kernel in `tf.customGrad` with a composite-ops backward instead (for checking the native ones).
   */
  nativeGradients?: boolean;
}

/**
 * The default ops: fused native kernels where registered on the active backend, composite ops elsewhere.
 * Checked per call, so it follows backend switches.
 *
 * @example
 * const ops = defaultOps();
 * const y = ops.layerNorm(x, w, b, 1e-5);
 */
export function defaultOps(opts: DefaultOpsOptions = {}): OpsTable {
  const ng = opts.nativeGradients ?? true;
  const ln = hasKernel(FUSED_KERNELS.layerNorm);
  const rms = hasKernel(FUSED_KERNELS.rmsNorm);
  const gelu = hasKernel(FUSED_KERNELS.gelu);
  const csm = hasKernel(FUSED_KERNELS.causalSoftmax);
  const silu = hasKernel(FUSED_KERNELS.siluMul);
  if (!ln && !rms && !gelu && !csm && !silu) return compositeOps;
  const act = gelu
    ? (x: Tensor, name: ActName) =>
        name === 'gelu_new' || name === 'gelu' ? fusedGelu(ng, x, name === 'gelu_new') : actComposite(x, name)
    : actComposite;
  return {
    ...compositeOps,
    layerNorm: ln ? (x, w, b, eps) => fusedLayerNorm(ng, x, w, b, eps) : compositeOps.layerNorm,
    rmsNorm: rms ? (x, w, eps) => fusedRmsNorm(ng, x, w, eps) : compositeOps.rmsNorm,
    act,
    gatedAct: (gate, up, name) =>
      silu && name === 'silu' ? fusedSiluMul(ng, gate, up) : tf.mul(act(gate, name), up),
    causalSoftmax: csm
      ? (scores, scale, offset) => fusedCausalSoftmax(ng, scores, scale, offset)
      : compositeOps.causalSoftmax,
  };
}

/**
 * The table used for one run: {@link defaultOps} with the caller's overrides on top. Overriding `softmax`
 * alone also reroutes `causalSoftmax` through it (scale, then −∞ mask, then your softmax); overriding
 * `normStats` alone also reroutes `layerNorm`/`rmsNorm` through it, so an LRP rule needs one function.
 *
 * @example
 * const ops = resolveOps({ softmax: mySoftmax });
 */
export function resolveOps(overrides?: Partial<OpsTable>): OpsTable {
  const base = defaultOps();
  if (!overrides) return base;
  const ops: OpsTable = { ...base, ...overrides };
  // Keep the fused entry points consistent with their unfused building blocks: an override of `softmax`
  // also governs the (otherwise fused) causal softmax, an override of `normStats` the norms.
  const { softmax, normStats } = overrides;
  if ((overrides.act || overrides.gatedProduct) && !overrides.gatedAct) {
    ops.gatedAct = (gate, up, name) => ops.gatedProduct(ops.act(gate, name), up);
  }
  if (softmax && !overrides.causalSoftmax) {
    ops.causalSoftmax = (scores, scale, offset) => {
      const [q, k] = scores.shape.slice(-2);
      const scaled = scale === 1 ? scores : tf.mul(scores, scale);
      return softmax(tf.add(scaled, causalMaskBias(q, k, offset)));
    };
  }
  if (normStats && !overrides.layerNorm) {
    ops.layerNorm = (x, w, b, eps) => {
      const { centered, scale } = normStats(x, eps, 'layernorm');
      const y = tf.mul(tf.div(centered, scale), w);
      return b ? tf.add(y, b) : y;
    };
  }
  if (normStats && !overrides.rmsNorm) {
    ops.rmsNorm = (x, w, eps) => {
      const { centered, scale } = normStats(x, eps, 'rmsnorm');
      return tf.mul(tf.div(centered, scale), w);
    };
  }
  return ops;
}
