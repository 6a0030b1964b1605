/**
 * Agreement between a cheap method and activation patching: Pearson and Spearman correlation over
 * components and the overlap of the top-k components by |score|.
 */
import type { ColumnTable } from 'arquero';

function checkPaired(x: ArrayLike<number>, y: ArrayLike<number>): void {
  if (x.length !== y.length) throw new Error(`cannot correlate ${x.length} values with ${y.length}`);
  if (x.length < 2) throw new Error('correlation needs at least 2 paired values');
}

/**
 * Pearson correlation of paired values (NaN when either side is constant).
 *
 * @example
 * pearson([1, 2, 3], [2, 4, 7]); // 0.99…
 */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  checkPaired(x, y);
  const n = x.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i];
    my += y[i];
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i] - mx;
    const dy = y[i] - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxy / Math.sqrt(sxx * syy);
}

/**
 * Ranks (1-based) with ties given their average rank.
 *
 * @example
 * ranks([10, 30, 20, 20]); // [1, 4, 2.5, 2.5]
 */
export function ranks(x: ArrayLike<number>): Float64Array {
  const idx = Array.from({ length: x.length }, (_, i) => i).sort((a, b) => x[a] - x[b]);
  const r = new Float64Array(x.length);
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && x[idx[j + 1]] === x[idx[i]]) j++;
    const avg = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) r[idx[k]] = avg;
    i = j + 1;
  }
  return r;
}

/**
 * Spearman rank correlation (Pearson correlation of average ranks).
 *
 * @example
 * spearman([1, 2, 3], [1, 4, 9]); // 1
 */
export function spearman(x: ArrayLike<number>, y: ArrayLike<number>): number {
  checkPaired(x, y);
  return pearson(ranks(x), ranks(y));
}

/**
 * Fraction of the `k` components with the largest |value| under `x` that are also among the top `k` under `y`.
 *
 * @example
 * topKOverlap([5, -4, 0, 1], [3, 0, -6, 1], 2); // 0.5
 */
export function topKOverlap(x: ArrayLike<number>, y: ArrayLike<number>, k: number): number {
  checkPaired(x, y);
  if (!Number.isInteger(k) || k < 1 || k > x.length)
    throw new Error(`k must be an integer in [1, ${x.length}], got ${k}`);
  const top = (v: ArrayLike<number>) =>
    new Set(
      Array.from({ length: v.length }, (_, i) => i)
        .sort((a, b) => Math.abs(v[b]) - Math.abs(v[a]))
        .slice(0, k),
    );
  const a = top(x);
  let shared = 0;
  for (const i of top(y)) if (a.has(i)) shared++;
  return shared / k;
}

/**
 * Agreement of one method's sweep with a reference sweep (usually activation patching).
 *
 * @example
 * const { pearson, spearman, topK } = compareSweeps(actTable, relpTable, { k: 5 });
 */
export interface SweepComparison {
  /** Components matched between the two tables. */
  n: number;
  pearson: number;
  spearman: number;
  /** Top-k overlap by |score|. */
  topK: number;
  k: number;
}

const key = (r: Record<string, unknown>) => `${r.component}|${r.layer}|${r.pos}|${r.head}`;

/**
 * Matches the rows of two sweep tables by (component, layer, pos, head) and compares their `score`s.
 * Every reference row must have a partner (same component type and granularity).
 *
 * @example
 * const cmp = compareSweeps(patchingSweep(model, { ...o, method: 'activation' }),
 *   patchingSweep(model, { ...o, method: 'attribution' }));
 */
export function compareSweeps(
  reference: ColumnTable,
  estimate: ColumnTable,
  o: { k?: number } = {},
): SweepComparison {
  const est = new Map<string, number>();
  for (const r of estimate.objects() as Record<string, unknown>[]) est.set(key(r), r.score as number);
  const x: number[] = [];
  const y: number[] = [];
  for (const r of reference.objects() as Record<string, unknown>[]) {
    const v = est.get(key(r));
    if (v === undefined) {
      throw new Error(
        `the estimate has no row for ${r.component} layer ${r.layer} pos ${r.pos} head ${r.head}; compare sweeps of the same component and granularity`,
      );
    }
    x.push(r.score as number);
    y.push(v);
  }
  const k = Math.min(o.k ?? 5, x.length);
  return { n: x.length, pearson: pearson(x, y), spearman: spearman(x, y), topK: topKOverlap(x, y, k), k };
}
