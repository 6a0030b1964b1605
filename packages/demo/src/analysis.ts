/**
 * Attention analysis of a demo checkpoint: which heads attend to the previous token, which attend from a
 * repeated token to the successor of its earlier occurrence (induction), and which attend from the end
 * of an IOI prompt to the names. The model card names the top head of each; patching tests check that
 * activation patching finds the same heads.
 */
import type { HookedTransformer, HookName } from '@mechlens/core';
import { inductionPatchingPairs, ioiPatchingPairs } from './patching-sets.js';

/**
 * Attention scores of one head (means over the analysis prompts).
 *
 * @example
 * const s: HeadScores = { layer: 0, head: 1, previousToken: 0.6, induction: 0.01, ioiNames: 0.02 };
 */
export interface HeadScores {
  layer: number;
  head: number;
  /** Attention from each position of an induction prompt to the position before it. */
  previousToken: number;
  /** Attention from the last token of an induction prompt to the successor of its earlier occurrence. */
  induction: number;
  /** Attention from the end of an IOI prompt to the two name mentions (indirect object and repeated subject). */
  ioiNames: number;
}

/**
 * Per-head scores and the top head of each kind.
 *
 * @example
 * const { top } = headAnalysis(model);
 * top.induction; // { layer: 2, head: 3, ... }
 */
export interface HeadAnalysis {
  heads: HeadScores[];
  top: { previousToken: HeadScores; induction: HeadScores; ioiNames: HeadScores };
}

function patterns(model: HookedTransformer, rows: number[][]): number[][][][][] {
  const { logits, cache } = model.runWithCache(rows, { names: (n) => n.endsWith('attn.hook_pattern') });
  try {
    return Array.from(
      { length: model.cfg.nLayers },
      (_, l) => cache.get(`blocks.${l}.attn.hook_pattern` as HookName).arraySync() as number[][][][],
    );
  } finally {
    logits.dispose();
    cache.dispose();
  }
}

/**
 * Scores every head on held-out induction and IOI prompts (`n` of each, default 32).
 *
 * @example
 * const a = headAnalysis(await loadModel(DEMO_MODEL_DIR));
 * console.log(a.top.ioiNames);
 */
export function headAnalysis(model: HookedTransformer, o: { n?: number } = {}): HeadAnalysis {
  const n = o.n ?? 32;
  const ind = inductionPatchingPairs(model, { n });
  const ioi = ioiPatchingPairs(model, { n });
  const pi = patterns(model, ind.clean);
  const pn = patterns(model, ioi.clean);
  const Ti = ind.clean[0].length;
  const Tn = ioi.clean[0].length;
  const heads: HeadScores[] = [];
  for (let l = 0; l < model.cfg.nLayers; l++) {
    for (let h = 0; h < model.cfg.nHeads; h++) {
      let prev = 0;
      let prevN = 0;
      let induction = 0;
      ind.clean.forEach((_, b) => {
        for (let q = 2; q < Ti; q++) {
          prev += pi[l][b][h][q][q - 1];
          prevN++;
        }
        induction += pi[l][b][h][Ti - 1][ind.earlierPositions[b] + 1];
      });
      let names = 0;
      ioi.clean.forEach((_, b) => {
        names += pn[l][b][h][Tn - 1][ioi.ioPositions[b]] + pn[l][b][h][Tn - 1][ioi.s2Positions[b]];
      });
      heads.push({
        layer: l,
        head: h,
        previousToken: prev / prevN,
        induction: induction / ind.clean.length,
        ioiNames: names / ioi.clean.length,
      });
    }
  }
  const best = (k: 'previousToken' | 'induction' | 'ioiNames') =>
    heads.reduce((a, b) => (b[k] > a[k] ? b : a));
  return {
    heads,
    top: { previousToken: best('previousToken'), induction: best('induction'), ioiNames: best('ioiNames') },
  };
}
