/**
 * Corruptions for patching. Symmetric token replacement (recommended: in-distribution, same token counts,
 * a different valid answer) and Gaussian noise on embeddings (ROME's causal tracing; not recommended, it
 * pushes activations off-distribution).
 */
import { type Hook, type HookedTransformer, tf } from '@mechlens/core';

/**
 * Swaps token ids everywhere they occur: each pair `[a, b]` turns a into b and b into a (e.g. the two names
 * of an IOI prompt, which flips the answer). Token counts never change.
 *
 * @example
 * swapTokens([[5, 9, 7, 9]], [[5, 9]]); // [[9, 5, 7, 5]]
 */
export function swapTokens(
  rows: readonly (readonly number[])[],
  pairs: readonly (readonly [number, number])[] | readonly (readonly (readonly [number, number])[])[],
): number[][] {
  const perRow = pairs.length > 0 && Array.isArray(pairs[0][0]);
  if (perRow && pairs.length !== rows.length) {
    throw new Error(
      `swapTokens: ${pairs.length} pair lists for ${rows.length} rows (give one list per row or one for all)`,
    );
  }
  return rows.map((row, i) => {
    const list = (perRow ? pairs[i] : pairs) as readonly (readonly [number, number])[];
    const map = new Map<number, number>();
    for (const [a, b] of list) {
      if (a === b) throw new Error(`swapTokens: pair [${a}, ${b}] swaps a token with itself`);
      if (map.has(a) || map.has(b))
        throw new Error(`swapTokens: token ${map.has(a) ? a : b} is in two pairs`);
      map.set(a, b);
      map.set(b, a);
    }
    return row.map((t) => map.get(t) ?? t);
  });
}

/**
 * Replaces the token at `positions[i]` of row `i` with `replacements[i]` (symmetric token replacement at
 * chosen positions, e.g. the subject of a factual prompt with another subject of the same length).
 *
 * @example
 * replaceTokens([[1, 2, 3]], [1], [9]); // [[1, 9, 3]]
 */
export function replaceTokens(
  rows: readonly (readonly number[])[],
  positions: readonly number[],
  replacements: readonly number[],
): number[][] {
  if (positions.length !== rows.length || replacements.length !== rows.length) {
    throw new Error(
      `replaceTokens: ${rows.length} rows need ${rows.length} positions and replacements, got ${positions.length} and ${replacements.length}`,
    );
  }
  return rows.map((row, i) => {
    const p = positions[i] < 0 ? row.length + positions[i] : positions[i];
    if (!Number.isInteger(p) || p < 0 || p >= row.length) {
      throw new Error(`replaceTokens: position ${positions[i]} is outside row ${i} (${row.length} tokens)`);
    }
    const out = [...row];
    out[p] = replacements[i];
    return out;
  });
}

/**
 * A Gaussian-noise corruption: a hook on `hook_embed` adding fixed noise, and what it used.
 *
 * @example
 * const noise = gaussianNoise(model, { prompts: 8, positions: [1, 2], seq: 12, seed: 0 });
 * patchingSweep(model, { clean, corrupt: clean, corruptHooks: [noise.hook], ... });
 * noise.dispose();
 */
export interface NoiseCorruption {
  hook: Hook;
  /** Standard deviation ν of the noise. */
  scale: number;
  /** Frees the noise tensor. */
  dispose(): void;
}

/**
 * Gaussian noise `N(0, ν²)` on the token embeddings at `positions` of every prompt (ROME's causal tracing),
 * with ν = 3 × the standard deviation of the embedding matrix's entries unless `scale` is given. The noise
 * is drawn once from `seed`, so every run of a sweep sees the same corruption (also when a batch is
 * stacked several times, as integrated gradients does).
 *
 * @example
 * const noise = gaussianNoise(model, { prompts: clean.length, seq: clean[0].length, positions: [2, 3] });
 */
export function gaussianNoise(
  model: HookedTransformer,
  o: { prompts: number; seq: number; positions: readonly number[]; scale?: number; seed?: number },
): NoiseCorruption {
  const d = model.cfg.dModel;
  const scale =
    o.scale ??
    tf.tidy(() => {
      const W = model.params.W_E;
      const { variance } = tf.moments(W);
      return 3 * Math.sqrt(variance.dataSync()[0]);
    });
  for (const p of o.positions) {
    if (!Number.isInteger(p) || p < 0 || p >= o.seq)
      throw new Error(`gaussianNoise: position ${p} is outside [0, ${o.seq})`);
  }
  const noise = tf.tidy(() => {
    const n = tf.randomNormal([o.prompts, o.seq, d], 0, scale, 'float32', o.seed ?? 0);
    const m = new Float32Array(o.seq);
    for (const p of o.positions) m[p] = 1;
    return tf.mul(n, tf.tensor3d(m, [1, o.seq, 1]));
  });
  const hook: Hook = {
    name: 'hook_embed',
    fn: (a) => {
      const [B, T] = a.shape;
      if (T !== o.seq || B % o.prompts !== 0) {
        throw new Error(
          `gaussianNoise was made for ${o.prompts} prompts of ${o.seq} tokens, got [${B}, ${T}]`,
        );
      }
      return tf.add(a, B === o.prompts ? noise : tf.tile(noise, [B / o.prompts, 1, 1]));
    },
  };
  return { hook, scale, dispose: () => noise.dispose() };
}
