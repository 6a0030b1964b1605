/**
 * Repeats: a list of distinct random words said two or three times in a row ("Word list: lake piano
 * tea rain. lake piano tea rain."). From the second word of each repeat on, every token is
 * predictable only by copying what followed the earlier occurrence of the current token, so most of
 * the document rewards an induction head (the `induction` phenomenon plants one short repeated span
 * among filler words, which rewards it on far fewer tokens).
 */
import { splitPieces } from '../pieces.js';
import type { Part, Rng } from '../random.js';
import { INDUCTION_HEADERS, INDUCTION_WORDS } from './induction.js';

/**
 * One repeats example.
 *
 * @example
 * const { tokens, starts, length } = repeatsSample(new Rng(1), 'train');
 */
export interface RepeatsSample {
  readonly text: string;
  /** `text` split into its tokens (one token each in the demo tokenizer). */
  readonly tokens: readonly string[];
  /** Index in `tokens` of the first word of each occurrence of the list (2 or 3 of them). */
  readonly starts: readonly number[];
  /** Number of words in the list. */
  readonly length: number;
}

/**
 * Generates one repeats document: a header, then a list of 6–20 distinct words from
 * {@link INDUCTION_WORDS}, said 2 or 3 times, each time ending with a full stop. Train and eval parts
 * differ only in their random draws.
 *
 * @example
 * repeatsSample(new Rng(3), 'train').text; // 'Random words: keyboard book show … risotto. keyboard book show … risotto.'
 */
export function repeatsSample(rng: Rng, _part: Part): RepeatsSample {
  const length = rng.range(6, 20);
  const times = rng.range(2, 3);
  const words = rng.sample(INDUCTION_WORDS, length);
  const header = rng.pick(INDUCTION_HEADERS);
  const list = words.join(' ');
  const text = `${header} ${Array.from({ length: times }, () => `${list}.`).join(' ')}`;
  const tokens = splitPieces(text);
  const perList = splitPieces(` ${list}.`).length;
  const first = splitPieces(header).length;
  const starts = Array.from({ length: times }, (_, i) => first + i * perList);
  return { text, tokens, starts, length };
}
