/**
 * Direct logit attribution: how much each residual-stream component pushes the logits along a direction in
 * the unembedding space (TransformerLens's `tokens_to_residual_directions` + `logit_attrs`).
 */
import { tf } from '../engine/tf.js';
import type { ActivationCache } from '../model/activation-cache.js';
import { applyLnToStack } from './apply-ln.js';
import type { AnalysisModel, PosSelector } from './common.js';

function checkIds(model: AnalysisModel, ids: readonly number[], what: string): void {
  const V = model.config.dVocab;
  for (const t of ids) {
    if (!Number.isInteger(t) || t < 0 || t >= V)
      throw new Error(`${what}: token id ${t} is outside [0, ${V})`);
  }
}

/**
 * The unembedding columns of tokens: `W_U[:, id]` for each id, `[n, d_model]`. The logit of token `id` is
 * `ln_final(resid) · W_U[:, id] + b_U[id]`.
 *
 * @example
 * const dirs = tokensToResidualDirections(model, [model.toSingleToken(' Paris')]); // [1, d_model]
 */
export function tokensToResidualDirections(model: AnalysisModel, ids: readonly number[]): tf.Tensor2D {
  checkIds(model, ids, 'tokensToResidualDirections');
  return tf.tidy(
    () => tf.transpose(tf.gather(model.params.W_U, tf.tensor1d([...ids], 'int32'), 1)) as tf.Tensor2D,
  );
}

function checkPairs(
  model: AnalysisModel,
  correct: readonly number[],
  wrong: readonly number[],
  what: string,
) {
  if (correct.length !== wrong.length) {
    throw new Error(
      `${what}: ${correct.length} correct ids but ${wrong.length} wrong ids (one pair per sequence)`,
    );
  }
  checkIds(model, correct, what);
  checkIds(model, wrong, what);
}

/**
 * Logit-difference directions `W_U[:, correct_b] − W_U[:, wrong_b]`, one per sequence: `[batch, d_model]`.
 * Dotted with the final-norm output at a position they give `logit[correct] − logit[wrong]` minus the
 * unembedding bias difference.
 *
 * @example
 * const dirs = logitDiffDirections(model, [parisId, romeId], [romeId, parisId]); // [2, d_model]
 */
export function logitDiffDirections(
  model: AnalysisModel,
  correctIds: readonly number[],
  wrongIds: readonly number[],
): tf.Tensor2D {
  checkPairs(model, correctIds, wrongIds, 'logitDiffDirections');
  return tf.tidy(() => {
    const W_U = model.params.W_U;
    const c = tf.gather(W_U, tf.tensor1d([...correctIds], 'int32'), 1);
    const w = tf.gather(W_U, tf.tensor1d([...wrongIds], 'int32'), 1);
    return tf.transpose(tf.sub(c, w)) as tf.Tensor2D;
  });
}

/**
 * The part of each logit difference that no residual-stream component owns: the final norm's bias dotted
 * with the direction plus the unembedding-bias difference, `b_lnf · (W_U[:,c] − W_U[:,w]) + b_U[c] − b_U[w]`
 * (`[batch]`; zeros for models without those biases). Σ over a full decomposition of
 * {@link directLogitAttribution} plus this offset is the logit difference.
 *
 * @example
 * const offset = logitDiffOffset(model, [parisId], [romeId]);
 */
export function logitDiffOffset(
  model: AnalysisModel,
  correctIds: readonly number[],
  wrongIds: readonly number[],
): tf.Tensor1D {
  checkPairs(model, correctIds, wrongIds, 'logitDiffOffset');
  const { lnFinal, b_U } = model.params;
  return tf.tidy(() => {
    let out: tf.Tensor = tf.zeros([correctIds.length]);
    if (lnFinal.b) {
      const dirs = logitDiffDirections(model, correctIds, wrongIds);
      out = tf.add(out, tf.sum(tf.mul(dirs, lnFinal.b), 1));
    }
    if (b_U) {
      const c = tf.gather(b_U, tf.tensor1d([...correctIds], 'int32'));
      const w = tf.gather(b_U, tf.tensor1d([...wrongIds], 'int32'));
      out = tf.add(out, tf.sub(c, w));
    }
    return out as tf.Tensor1D;
  });
}

/** Options of {@link directLogitAttribution}. */
export interface DirectLogitAttributionOptions {
  /** The positions the components hold (the selector that built them). */
  pos?: PosSelector;
  /**
   * Pass the components through the final norm first (default true): centring (LayerNorm), division by the
   * cached `ln_final.hook_scale`, and multiplication by `ln_final.w` — the linear part of the final norm at
   * this input. Set false for components that are already normalized, or to dot raw components.
   */
  applyLn?: boolean;
}

/**
 * Direct logit attribution of each component: `(ln_final-linear(component)) · direction`, summed over
 * `d_model`. Components `[C, batch, d]` (one position) or `[C, batch, pos, d]`; directions `[batch, d]`
 * (one per sequence, shared by its positions), `[batch, pos, d]` (matching the components' positions) or
 * `[d]` (shared by all). Returns `[C, batch]` or `[C, batch, pos]`.
 *
 * Exactness: the final norm is frozen at its cached scale, so for a full decomposition (e.g.
 * {@link decomposeResid} with `mode: 'all'`) Σ_c DLA_c + {@link logitDiffOffset} equals the model's logit
 * difference up to float32 rounding, for raw and processed weights alike. The attribution of one component
 * is still "direct" only: it ignores that changing it would change the norm's scale and later layers.
 *
 * @example
 * const { components, labels } = decomposeResid(model, cache, { pos: -1 });
 * const dirs = logitDiffDirections(model, correct, wrong);
 * const dla = directLogitAttribution(model, cache, components, dirs, { pos: -1 }); // [C, batch]
 * const perComponent = dla.mean(1).arraySync(); // average over the batch, one number per label
 */
export function directLogitAttribution(
  model: AnalysisModel,
  cache: ActivationCache,
  components: tf.Tensor,
  directions: tf.Tensor,
  opts: DirectLogitAttributionOptions = {},
): tf.Tensor {
  const d = model.config.dModel;
  if (components.shape[components.rank - 1] !== d || directions.shape[directions.rank - 1] !== d) {
    throw new Error(
      `directLogitAttribution: components [${components.shape}] and directions [${directions.shape}] must both end in d_model = ${d}`,
    );
  }
  if (components.rank !== 3 && components.rank !== 4) {
    throw new Error(
      `directLogitAttribution: components must be [components, batch, d] or [components, batch, pos, d], got [${components.shape}]`,
    );
  }
  const [, B, T] = components.shape as number[];
  const hasPos = components.rank === 4;
  const okDirs =
    directions.rank === 1 ||
    (directions.rank === 2 && directions.shape[0] === B) ||
    (directions.rank === 3 && hasPos && directions.shape[0] === B && directions.shape[1] === T);
  if (!okDirs) {
    throw new Error(
      `directLogitAttribution: directions [${directions.shape}] do not match components [${components.shape}] (expected [${B}, d]${hasPos ? `, [${B}, ${T}, d]` : ''} or [d])`,
    );
  }
  return tf.tidy(() => {
    const x =
      opts.applyLn === false
        ? components
        : applyLnToStack(model, cache, components, { pos: opts.pos, weight: true });
    // [batch, d] directions against [C, batch, pos, d] components: one direction per sequence
    const dir = directions.rank === 2 && hasPos ? tf.expandDims(directions, 1) : directions;
    return tf.sum(tf.mul(x, dir), -1);
  });
}
