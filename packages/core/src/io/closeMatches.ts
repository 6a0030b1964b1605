/**
 * "Did you mean …?" suggestions for names that were not found (tensor names, files).
 */

/**
 * Levenshtein edit distance, O(|a|·|b|) time and O(|b|) memory.
 *
 * @example
 * editDistance('kitten', 'sitting'); // 3
 */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  let prev = new Array<number>(b.length + 1);
  let cur = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const sub = prev[j - 1] + (a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1);
      cur[j] = Math.min(sub, prev[j] + 1, cur[j - 1] + 1);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[b.length];
}

/**
 * Up to `limit` candidates closest to `name`: by edit distance, where a candidate that ends with
 * `name` (or that `name` ends with, e.g. a missing `model.` prefix) counts as close. Candidates
 * farther than about half the name's length are dropped.
 *
 * @example
 * closeMatches('h.0.attn.c_attn.weight', ['transformer.h.0.attn.c_attn.weight', 'wte.weight']);
 * // ['transformer.h.0.attn.c_attn.weight']
 */
export function closeMatches(name: string, candidates: Iterable<string>, limit = 3): string[] {
  const maxDist = Math.max(3, Math.ceil(name.length / 2));
  const scored: { c: string; d: number }[] = [];
  for (const c of candidates) {
    let d = editDistance(name, c);
    if (c.endsWith(`.${name}`) || name.endsWith(`.${c}`)) d = Math.min(d, 1);
    if (d <= maxDist) scored.push({ c, d });
  }
  scored.sort((x, y) => x.d - y.d || (x.c < y.c ? -1 : 1));
  return scored.slice(0, limit).map((s) => s.c);
}
