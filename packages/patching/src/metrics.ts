/**
 * Patching metrics: scalar functions of a batch of logits, written with differentiable tfjs ops so the
 * same function serves activation patching (evaluated) and attribution/relevance patching (differentiated).
 * Every metric averages over the batch, so patching a batch of prompts reports the mean effect.
 */
import { tf } from '@mechlens/core';

/**
 * A patching metric: logits `[batch, pos, vocab]` → a scalar (the batch mean of a per-prompt value).
 *
 * @example
 * const m: Metric = metrics.logitDiff([5], [7]);
 * const value = m(model.forward(ids)).dataSync()[0];
 */
export type Metric = ((logits: tf.Tensor3D) => tf.Scalar) & {
  /**
   * True when the metric reads only the last position (every built-in metric with the default answer
   * position): patching sweeps then unembed only that position. Set it on your own metric to opt in.
   */
  readonly lastPositionOnly?: boolean;
};

/** Marks a metric that reads only the last position when its answer positions are all −1. */
function marked(f: (logits: tf.Tensor3D) => tf.Scalar, opts: AnswerOptions): Metric {
  const p = opts.positions ?? -1;
  const last = typeof p === 'number' ? p === -1 : p.every((x) => x === -1);
  return Object.defineProperty(f, 'lastPositionOnly', { value: last, enumerable: false }) as Metric;
}

/**
 * Where each prompt's answer is read.
 *
 * @example
 * metrics.logitDiff(correct, wrong, { positions: [11, 9] }); // per-prompt answer positions
 */
export interface AnswerOptions {
  /**
   * Position whose logits predict the answer, one per prompt or one for all (negative counts from the
   * end); default −1, the last token.
   */
  positions?: number | readonly number[];
}

function checkIds(what: string, ids: readonly number[]): void {
  if (ids.length === 0) throw new Error(`${what}: no answer token ids given (one per prompt)`);
  for (const t of ids) {
    if (!Number.isInteger(t) || t < 0) throw new Error(`${what}: token ids must be integers >= 0, got ${t}`);
  }
}

/** Answer-position logits `[B, V]` of each prompt. */
function answerLogits(what: string, logits: tf.Tensor3D, n: number, opts: AnswerOptions): tf.Tensor2D {
  const [B, T, V] = logits.shape;
  if (B !== n) {
    throw new Error(
      `${what}: the metric was built for ${n} prompts but got logits for ${B}; build it with one answer per prompt`,
    );
  }
  const raw = opts.positions ?? -1;
  const pos = typeof raw === 'number' ? new Array<number>(B).fill(raw) : [...raw];
  if (pos.length !== B) throw new Error(`${what}: ${pos.length} answer positions for ${B} prompts`);
  const abs = pos.map((p) => (p < 0 ? T + p : p));
  for (const p of abs) {
    if (!Number.isInteger(p) || p < 0 || p >= T) {
      throw new Error(`${what}: answer position ${p} is outside the ${T} positions of the prompts`);
    }
  }
  if (abs.every((p) => p === abs[0])) return tf.reshape(tf.slice(logits, [0, abs[0], 0], [B, 1, V]), [B, V]);
  const rows = tf.tensor1d(
    abs.map((p, b) => b * T + p),
    'int32',
  );
  return tf.gather(tf.reshape(logits, [B * T, V]), rows) as tf.Tensor2D;
}

/** `x[b, ids[b]]` for each row. */
function pick(x: tf.Tensor2D, ids: readonly number[]): tf.Tensor1D {
  const [B, V] = x.shape;
  for (const t of ids) {
    if (t >= V) throw new Error(`token id ${t} is outside the vocabulary of ${V} tokens`);
  }
  const flat = tf.tensor1d(
    ids.map((t, b) => b * V + t),
    'int32',
  );
  return tf.gather(tf.reshape(x, [B * V]), flat) as tf.Tensor1D;
}

/**
 * Logit difference `logit(correct) − logit(wrong)` at the answer position, averaged over prompts: linear
 * in the residual stream, signed (shows components that hurt), the recommended patching metric.
 *
 * @example
 * const ld = metrics.logitDiff([mary], [john]);
 * ld(model.forward(ids)).print();
 */
export function logitDiff(
  correct: readonly number[],
  wrong: readonly number[],
  opts: AnswerOptions = {},
): Metric {
  checkIds('logitDiff', correct);
  checkIds('logitDiff', wrong);
  if (correct.length !== wrong.length) {
    throw new Error(
      `logitDiff: ${correct.length} correct but ${wrong.length} wrong ids (one each per prompt)`,
    );
  }
  return marked(
    (logits) =>
      tf.tidy(() => {
        const x = answerLogits('logitDiff', logits, correct.length, opts);
        return tf.mean(tf.sub(pick(x, correct), pick(x, wrong))) as tf.Scalar;
      }),
    opts,
  );
}

/**
 * The clean and corrupted values a normalised metric maps to 1 and 0.
 *
 * @example
 * const b: Baselines = { clean: 4.2, corrupt: -3.9 };
 */
export interface Baselines {
  clean: number;
  corrupt: number;
}

/**
 * Normalised logit difference `(LD − LD_corrupt) / (LD_clean − LD_corrupt)`: 1 on the clean run, 0 on the
 * corrupted one (RelP's IOI metric).
 *
 * @example
 * const m = metrics.normalizedLogitDiff(correct, wrong, { clean: 4.2, corrupt: -3.9 });
 */
export function normalizedLogitDiff(
  correct: readonly number[],
  wrong: readonly number[],
  baselines: Baselines,
  opts: AnswerOptions = {},
): Metric {
  const { clean, corrupt } = baselines;
  const span = clean - corrupt;
  if (!Number.isFinite(span) || Math.abs(span) < 1e-8) {
    throw new Error(
      `normalizedLogitDiff: clean (${clean}) and corrupted (${corrupt}) logit differences must differ; the corruption does not change the behaviour`,
    );
  }
  const ld = logitDiff(correct, wrong, opts);
  return marked((logits) => tf.tidy(() => tf.div(tf.sub(ld(logits), corrupt), span) as tf.Scalar), opts);
}

/**
 * Probability of the correct token at the answer position, averaged over prompts. Saturates near 0 and 1
 * and hides components that hurt; prefer {@link logitDiff}.
 *
 * @example
 * metrics.probability([mary])(model.forward(ids)).print();
 */
export function probability(correct: readonly number[], opts: AnswerOptions = {}): Metric {
  return correctTokenMetric('probability', correct, opts, (x) => tf.softmax(x));
}

/**
 * Log-probability of the correct token at the answer position, averaged over prompts.
 *
 * @example
 * metrics.logProb([mary])(model.forward(ids)).print();
 */
export function logProb(correct: readonly number[], opts: AnswerOptions = {}): Metric {
  return correctTokenMetric('logProb', correct, opts, (x) => tf.logSoftmax(x));
}

/** Mean over prompts of `transform(answer logits)` at each prompt's correct token. */
function correctTokenMetric(
  what: string,
  correct: readonly number[],
  opts: AnswerOptions,
  transform: (x: tf.Tensor2D) => tf.Tensor2D,
): Metric {
  checkIds(what, correct);
  return marked(
    (logits) =>
      tf.tidy(() => {
        const x = answerLogits(what, logits, correct.length, opts);
        return tf.mean(pick(transform(x), correct)) as tf.Scalar;
      }),
    opts,
  );
}

/**
 * KL divergence `KL(p_ref ‖ p)` at the answer position from a reference distribution (usually the clean
 * run's) to the patched one, averaged over prompts. Direction-agnostic: it cannot tell help from harm.
 *
 * @param reference Reference logits at the answer position, `[prompts][vocab]` (copied; nothing to dispose).
 * @example
 * const ref = cleanLogits.slice([0, T - 1, 0], [-1, 1, -1]).squeeze([1]).arraySync() as number[][];
 * const kl = metrics.klDivergence(ref);
 */
export function klDivergence(reference: readonly (readonly number[])[], opts: AnswerOptions = {}): Metric {
  if (reference.length === 0) throw new Error('klDivergence: no reference rows given (one per prompt)');
  const V = reference[0].length;
  if (reference.some((r) => r.length !== V)) throw new Error('klDivergence: reference rows differ in length');
  const flat = Float32Array.from(reference.flat());
  const n = reference.length;
  return marked(
    (logits) =>
      tf.tidy(() => {
        const x = answerLogits('klDivergence', logits, n, opts);
        if (x.shape[1] !== V) {
          throw new Error(`klDivergence: reference has ${V} logits per prompt, the model ${x.shape[1]}`);
        }
        const refLogP = tf.logSoftmax(tf.tensor2d(flat, [n, V]));
        const kl = tf.sum(tf.mul(tf.exp(refLogP), tf.sub(refLogP, tf.logSoftmax(x))), 1);
        return tf.mean(kl) as tf.Scalar;
      }),
    opts,
  );
}

/**
 * The metric constructors, as one namespace (the package's contract: `metrics.logitDiff(correct, wrong)`).
 *
 * @example
 * import { metrics } from '@mechlens/patching';
 * const m = metrics.logitDiff([mary], [john]);
 */
export const metrics = { logitDiff, normalizedLogitDiff, probability, logProb, klDivergence } as const;
