/**
 * Alternating pairs: runs like "cat river cat river cat river", a new pair every few repeats. At the
 * second token of each run the next word is the one *before* the current one, so the document rewards
 * a previous-token head directly; induction heads are built on such heads (they match the previous
 * token of an earlier position), and nothing else in the corpus rewards one on its own.
 */
import { splitPieces } from '../pieces.js';
import type { Part, Rng } from '../random.js';
import { INDUCTION_WORDS } from './induction.js';

const HEADERS: readonly string[] = [
  'Here are words again and again:',
  'Word list again:',
  'The words again:',
];

/**
 * One alternating-pairs example.
 *
 * @example
 * const { tokens, skipPositions } = pairsSample(new Rng(1), 'eval');
 */
export interface PairsSample {
  readonly text: string;
  /** `text` split into its tokens (one token each in the demo tokenizer). */
  readonly tokens: readonly string[];
  /**
   * Indices `i` in `tokens` where `tokens[i + 1]` equals `tokens[i - 1]` and `tokens[i]` occurs for
   * the first time in the document: the next token is predictable only from the previous one.
   */
  readonly skipPositions: readonly number[];
}

/**
 * Generates one alternating-pairs document: a header, then 2–4 runs separated by commas, each run
 * one pair of distinct words repeated 2–4 times. All words of a document are distinct across runs.
 * Train and eval parts differ only in their random draws (the pool is the induction word pool).
 *
 * @example
 * pairsSample(new Rng(3), 'train').text; // 'Word list again: lake piano lake piano, tea rain tea rain tea rain.'
 */
export function pairsSample(rng: Rng, _part: Part): PairsSample {
  const runs = rng.range(2, 4);
  const words = rng.sample(INDUCTION_WORDS, 2 * runs);
  const header = rng.pick(HEADERS);
  const chunks: string[] = [];
  for (let r = 0; r < runs; r++) {
    const pair = `${words[2 * r]} ${words[2 * r + 1]}`;
    chunks.push(Array.from({ length: rng.range(2, 4) }, () => pair).join(' '));
  }
  const text = `${header} ${chunks.join(', ')}.`;
  const tokens = splitPieces(text);
  const seen = new Set<string>();
  const skipPositions: number[] = [];
  for (let i = 1; i + 1 < tokens.length; i++) {
    const t = tokens[i];
    if (!seen.has(t) && tokens[i + 1] === tokens[i - 1] && words.includes(t.trim())) skipPositions.push(i);
    seen.add(t);
  }
  return { text, tokens, skipPositions };
}
