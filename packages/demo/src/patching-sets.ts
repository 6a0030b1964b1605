/**
 * Clean/corrupted prompt pairs for patching experiments on the demo model, built from the held-out
 * evaluation sets with symmetric token replacement: same token counts, a different valid answer.
 */
import type { HookedTransformer } from '@mechlens/core';
import { evalSets } from './eval-sets.js';
import { INDUCTION_WORDS } from './phenomena/induction.js';
import { Rng } from './random.js';

/**
 * Token rows of equal shape and the answer tokens of a logit-difference metric.
 *
 * @example
 * const { clean, corrupt, correct, wrong } = ioiPatchingPairs(model);
 */
export interface PatchingPairs {
  /** Clean prompts (BOS first), all of one length. */
  clean: number[][];
  /** The same prompts with the key tokens replaced. */
  corrupt: number[][];
  /** The clean answer of each prompt. */
  correct: number[];
  /** The corrupted answer of each prompt (the clean run should rank it below `correct`). */
  wrong: number[];
  /** The clean prompt texts. */
  prompts: string[];
}

/**
 * IOI pairs in one template and length: the corruption swaps the two names everywhere ("When Mary and
 * John …, John gave … to" ↔ "When John and Mary …, Mary gave … to"), which flips the answer.
 *
 * @example
 * const ioi = ioiPatchingPairs(model, { n: 16 });
 * ioi.ioPositions[0]; // index of the indirect object's first mention in clean[0]
 */
export function ioiPatchingPairs(
  model: HookedTransformer,
  o: { n?: number; seed?: number } = {},
): PatchingPairs & { ioPositions: number[]; s2Positions: number[]; template: number } {
  const n = o.n ?? 16;
  const groups = new Map<
    string,
    { ids: number[]; c: number; w: number; prompt: string; template: number }[]
  >();
  for (const it of evalSets({ seed: o.seed ?? 0, sizes: { ioi: Math.max(400, 8 * n) } }).ioi) {
    const ids = model.toTokens(it.prompt)[0];
    const key = `${it.template}:${ids.length}`;
    const list = groups.get(key) ?? [];
    list.push({
      ids,
      c: model.toSingleToken(it.correct),
      w: model.toSingleToken(it.wrong),
      prompt: it.prompt,
      template: it.template,
    });
    groups.set(key, list);
  }
  const best = [...groups.values()].sort((a, b) => b.length - a.length)[0].slice(0, n);
  const clean = best.map((x) => x.ids);
  const corrupt = best.map((x) => x.ids.map((t) => (t === x.c ? x.w : t === x.w ? x.c : t)));
  return {
    clean,
    corrupt,
    correct: best.map((x) => x.c),
    wrong: best.map((x) => x.w),
    prompts: best.map((x) => x.prompt),
    ioPositions: best.map((x) => x.ids.indexOf(x.c)),
    s2Positions: best.map((x) => x.ids.lastIndexOf(x.w)),
    template: best[0].template,
  };
}

/**
 * Induction pairs: each prompt stops inside the second occurrence of a repeated span, so the answer is
 * the token that followed the current token's earlier occurrence; the corruption replaces that earlier
 * successor with another word, which induction would then copy instead (the `wrong` answer).
 *
 * @example
 * const ind = inductionPatchingPairs(model, { n: 16 });
 * ind.earlierPositions[0]; // position of the earlier occurrence of clean[0]'s last token
 */
export function inductionPatchingPairs(
  model: HookedTransformer,
  o: { n?: number; seed?: number } = {},
): PatchingPairs & { earlierPositions: number[] } {
  const n = o.n ?? 16;
  const items = evalSets({ seed: o.seed ?? 0, sizes: { induction: Math.max(300, 10 * n) } }).induction;
  // prompt length L (with BOS) ends at the span's j-th repeated token: L − 1 = repeatStart + j + 1
  const byLength = new Map<number, { item: (typeof items)[number]; j: number }[]>();
  for (const item of items) {
    for (let j = 1; j <= item.spanLength - 2; j++) {
      const L = item.repeatStart + j + 2;
      const list = byLength.get(L) ?? [];
      list.push({ item, j });
      byLength.set(L, list);
    }
  }
  const [L, cands] = [...byLength.entries()].sort((a, b) => b[1].length - a[1].length || a[0] - b[0])[0];
  const rng = new Rng(0x1dc7 + (o.seed ?? 0));
  const out: PatchingPairs & { earlierPositions: number[] } = {
    clean: [],
    corrupt: [],
    correct: [],
    wrong: [],
    prompts: [],
    earlierPositions: [],
  };
  const used = new Set<string>();
  for (const { item, j } of cands) {
    if (out.clean.length === n) break;
    if (used.has(item.text)) continue;
    used.add(item.text);
    const ids = model.toTokens(item.text)[0].slice(0, L);
    const succ = item.firstStart + j + 2; // id index of the earlier successor (BOS shifts by one)
    const present = new Set(item.tokens.map((t) => t.trim()));
    let word = rng.pick(INDUCTION_WORDS);
    while (present.has(word)) word = rng.pick(INDUCTION_WORDS);
    const w = model.toSingleToken(` ${word}`);
    out.clean.push(ids);
    out.corrupt.push(ids.map((t, i) => (i === succ ? w : t)));
    out.correct.push(ids[succ]);
    out.wrong.push(w);
    out.prompts.push(item.tokens.slice(0, L - 1).join(''));
    out.earlierPositions.push(succ - 1);
  }
  return out;
}
