/**
 * Repeats: a list of distinct random words said two or three times in a row, with no separator and
 * after a few filler words ("Word list: tea hat lake piano rain lake piano rain."). From the second
 * word of each repeat on, every token is predictable only by copying what followed the earlier
 * occurrence of the current token, so most of the document rewards an induction head (the
 * `induction` phenomenon plants one short repeated span among filler words, which rewards it on far
 * fewer tokens). There is deliberately no full stop between the repeats and a random number of filler
 * words before the list: with either cue a model can find the repeat by counting positions instead of
 * matching tokens (a 4-layer model did exactly that, and its copying did not carry over to
 * `induction` documents).
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
 * Generates one repeats document: an induction header, 0–5 filler words, then a list of 6–20
 * distinct words from {@link INDUCTION_WORDS} said 2 or 3 times without a break, and a full stop. All
 * words are distinct. Train and eval parts differ only in their random draws.
 *
 * @example
 * repeatsSample(new Rng(3), 'train').text; // 'The code words are: blues show lettuce … mug lettuce … mug.'
 */
export function repeatsSample(rng: Rng, _part: Part): RepeatsSample {
  const length = rng.range(6, 20);
  const times = rng.range(2, 3);
  const before = rng.range(0, 5);
  const words = rng.sample(INDUCTION_WORDS, before + length);
  const list = words.slice(before);
  const header = rng.pick(INDUCTION_HEADERS);
  const sequence = [...words.slice(0, before), ...Array.from({ length: times }, () => list).flat()];
  const text = `${header} ${sequence.join(' ')}.`;
  const tokens = splitPieces(text);
  const first = splitPieces(header).length + before;
  const starts = Array.from({ length: times }, (_, i) => first + i * length);
  return { text, tokens, starts, length };
}

/**
 * Generates one drills document, the stepping stone to repeats: an induction header, then a list of
 * 6–20 distinct words from {@link INDUCTION_WORDS} said 2 or 3 times, each time ending with a full
 * stop ("The code words are: tea hat lake. tea hat lake."). The full stops let a model find the
 * repeat by counting positions, so it learns to copy the word at the matching place of the previous
 * repeat before it can find that place by matching tokens; trained on drills and then on
 * {@link repeatsSample} documents, a 4-layer demo model formed an induction head, while on repeats
 * alone it did not. Train and eval parts differ only in their random draws.
 *
 * @example
 * drillsSample(new Rng(3), 'train').starts; // [5, 17]
 */
export function drillsSample(rng: Rng, _part: Part): RepeatsSample {
  const length = rng.range(6, 20);
  const times = rng.range(2, 3);
  const list = rng.sample(INDUCTION_WORDS, length);
  const header = rng.pick(INDUCTION_HEADERS);
  const text = `${header} ${Array.from({ length: times }, () => `${list.join(' ')}.`).join(' ')}`;
  const tokens = splitPieces(text);
  const first = splitPieces(header).length;
  const starts = Array.from({ length: times }, (_, i) => first + i * (length + 1));
  return { text, tokens, starts, length };
}
