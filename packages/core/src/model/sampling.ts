/**
 * Next-token choice from last-position logits: greedy (temperature 0) or seeded sampling with
 * temperature, top-k and top-p (nucleus) filtering. Plain JS over a Float32Array row.
 */

/**
 * A small seeded PRNG (mulberry32) returning floats in [0, 1).
 *
 * @example
 * const rand = seededRandom(42); rand(); // same sequence for the same seed
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Sampling settings for {@link chooseToken}.
 *
 * @example
 * chooseToken(row, { temperature: 0.8, topK: 40 }, seededRandom(0));
 */
export interface SamplingOptions {
  /** 0 = greedy (argmax). */
  temperature: number;
  /** Keep only the k most likely tokens (0 or undefined = all). */
  topK?: number;
  /** Keep the smallest set of most likely tokens whose probability reaches p (1 or undefined = all). */
  topP?: number;
}

/**
 * Index of the largest value (the first one on ties).
 *
 * @example
 * argmax(Float32Array.of(0.1, 3, 3)); // 1
 */
export function argmax(row: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
  return best;
}

/**
 * Picks the next token from one row of logits.
 *
 * @example
 * const rand = seededRandom(0);
 * chooseToken(logitsRow, { temperature: 0.8, topK: 50, topP: 0.95 }, rand);
 */
export function chooseToken(row: ArrayLike<number>, opts: SamplingOptions, rand: () => number): number {
  if (!(opts.temperature > 0)) return argmax(row);
  const n = row.length;
  let idx = Array.from({ length: n }, (_, i) => i).filter((i) => !Number.isNaN(row[i]));
  idx.sort((a, b) => row[b] - row[a]);
  if (opts.topK && opts.topK > 0 && opts.topK < idx.length) idx = idx.slice(0, opts.topK);
  const t = opts.temperature;
  const max = row[idx[0]] / t;
  let probs = idx.map((i) => Math.exp(row[i] / t - max));
  let total = probs.reduce((a, b) => a + b, 0);
  if (opts.topP !== undefined && opts.topP < 1) {
    let cum = 0;
    let keep = 0;
    while (keep < probs.length) {
      cum += probs[keep] / total;
      keep++;
      if (cum >= opts.topP) break;
    }
    idx = idx.slice(0, keep);
    probs = probs.slice(0, keep);
    total = probs.reduce((a, b) => a + b, 0);
  }
  let r = rand() * total;
  for (let j = 0; j < idx.length; j++) {
    r -= probs[j];
    if (r < 0) return idx[j];
  }
  return idx[idx.length - 1];
}
