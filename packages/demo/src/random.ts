/**
 * Our own seeded randomness: a 32-bit string hash, a seed mixer and the mulberry32 generator.
 * Every corpus document is a pure function of `(seed, index)` through {@link rngFor}, so a stream
 * can be regenerated, resumed or sharded at any index.
 */

/**
 * The murmur3 finaliser: a bijective 32-bit avalanche mix.
 *
 * @example
 * fmix32(1); // 0x514e28b7 (same every run)
 */
export function fmix32(h: number): number {
  let x = h >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

/**
 * A 32-bit hash of a string (FNV-1a over UTF-16 code units, then {@link fmix32}).
 *
 * @example
 * hashString('mary|john') === hashString('mary|john'); // true
 */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return fmix32(h);
}

/**
 * Mixes any number of integers (each may be up to 2^53) into one 32-bit seed.
 *
 * @example
 * mixSeed(42, 7) !== mixSeed(42, 8); // true
 */
export function mixSeed(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const p of parts) {
    if (!Number.isSafeInteger(p)) throw new RangeError(`seed parts must be safe integers, got ${p}`);
    const lo = p >>> 0;
    const hi = Math.floor(p / 0x100000000) >>> 0;
    h = fmix32(h ^ lo) + 0x6d2b79f5;
    h = fmix32(h ^ hi ^ 0x5bd1e995);
  }
  return h >>> 0;
}

/**
 * A small deterministic random generator (mulberry32) with the helpers the corpus needs.
 *
 * @example
 * const rng = new Rng(123);
 * rng.int(6); // 0..5
 * rng.pick(['a', 'b']); // 'a' or 'b'
 */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    if (!(n > 0)) throw new RangeError(`Rng.int needs n > 0, got ${n}`);
    return Math.floor(this.next() * n);
  }

  /** An integer in [lo, hi] (both inclusive). */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('Rng.pick on an empty array');
    return items[this.int(items.length)];
  }

  /** A shuffled copy (Fisher–Yates). */
  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = out[i];
      out[i] = out[j];
      out[j] = t;
    }
    return out;
  }

  /** `k` distinct elements in random order. */
  sample<T>(items: readonly T[], k: number): T[] {
    if (k > items.length) throw new RangeError(`cannot sample ${k} of ${items.length}`);
    const idx = items.map((_, i) => i);
    for (let i = 0; i < k; i++) {
      const j = i + this.int(idx.length - i);
      const t = idx[i];
      idx[i] = idx[j];
      idx[j] = t;
    }
    return idx.slice(0, k).map((i) => items[i]);
  }
}

/**
 * The generator for one `(seed, index)` cell of a named stream: independent across streams,
 * indices and seeds, and identical on every run.
 *
 * @example
 * const a = rngFor(0, 17, 'ioi').next();
 * a === rngFor(0, 17, 'ioi').next(); // true
 */
export function rngFor(seed: number, index: number, stream: string): Rng {
  return new Rng(mixSeed(seed, index, hashString(stream)));
}

/** The salt of the train/eval partition; independent of every corpus seed. */
const SPLIT_SALT = 'mechlens-demo/held-out/v1/';

/**
 * Whether a combination (named by `key`) belongs to the held-out evaluation part. The partition
 * depends only on the key, never on a corpus seed, so training with any seed never sees it.
 *
 * @example
 * isHeldOut('ioi-pair|John|Mary', 0.2); // fixed true/false for ever
 */
export function isHeldOut(key: string, fraction: number): boolean {
  return hashString(SPLIT_SALT + key) / 4294967296 < fraction;
}

/**
 * Which side of the partition a generator draws from.
 *
 * @example
 * ioiSample(new Rng(1), 'eval' satisfies Part);
 */
export type Part = 'train' | 'eval';

/**
 * Draws combinations with `draw` until one lies in `part` (`isHeldOut(key(c), fraction)` is true
 * for `'eval'`, false for `'train'`). Deterministic given the state of the generator `draw` uses.
 *
 * @example
 * const pair = drawInPart('eval', 0.2, () => rng.sample(NAMES, 2), (p) => p.sort().join('|'));
 */
export function drawInPart<T>(part: Part, fraction: number, draw: () => T, key: (c: T) => string): T {
  const wantHeld = part === 'eval';
  for (let tries = 0; tries < 100_000; tries++) {
    const c = draw();
    if (isHeldOut(key(c), fraction) === wantHeld) return c;
  }
  throw new Error(`no ${part} combination found (held-out fraction ${fraction})`);
}
