/**
 * Induction: a list of distinct random words in which one span occurs twice. From its second
 * token on, the second occurrence is predictable only by copying what followed the previous
 * occurrence of the current token (an induction head).
 */
import { IOI_OBJECTS, IOI_PLACES } from '../lexicon.js';
import { splitPieces } from '../pieces.js';
import type { Part, Rng } from '../random.js';
import { REVIEW_OBJECTS } from './sentiment.js';
import { TOPIC_WORDS } from './topics.js';

/**
 * The lowercase words induction lists are drawn from (each also occurs elsewhere in the corpus).
 *
 * @example
 * INDUCTION_WORDS.includes('apple'); // true
 */
export const INDUCTION_WORDS: readonly string[] = [
  ...new Set([...IOI_OBJECTS, ...IOI_PLACES, ...REVIEW_OBJECTS, ...Object.values(TOPIC_WORDS).flat()]),
].sort();

/**
 * The headers an induction list starts with (shared by the `repeats` phenomenon, so that copying
 * learned on repeats is cued the same way).
 *
 * @example
 * INDUCTION_HEADERS[0]; // 'Word list:'
 */
export const INDUCTION_HEADERS: readonly string[] = [
  'Word list:',
  'Random words:',
  'Memorize these words:',
  'Here are some words:',
  'The code words are:',
];

/**
 * One induction example.
 *
 * @example
 * const { tokens, repeatStart, spanLength } = inductionSample(new Rng(1), 'eval');
 */
export interface InductionSample {
  readonly text: string;
  /** `text` split into its tokens (each one token of the demo tokenizer; `tokens.join('') === text`). */
  readonly tokens: readonly string[];
  /** Index in `tokens` of the first occurrence of the span. */
  readonly firstStart: number;
  /** Index in `tokens` of the second occurrence of the span. */
  readonly repeatStart: number;
  /** Number of tokens in the span. */
  readonly spanLength: number;
}

/** Length ranges (inclusive, in words) of the parts of an induction document. */
interface Shape {
  readonly before: [number, number];
  readonly span: [number, number];
  readonly gap: [number, number];
  readonly after: [number, number];
}

const TRAIN_SHAPE: Shape = { before: [0, 6], span: [4, 12], gap: [2, 15], after: [0, 5] };
const EVAL_SHAPE: Shape = { before: [0, 5], span: [6, 10], gap: [3, 12], after: [0, 3] };

/**
 * Generates one induction example: header, filler, span, filler, the same span, filler. All words
 * in a document are distinct, so the repeat is the only way to predict the span's continuation.
 *
 * @example
 * const s = inductionSample(new Rng(3), 'eval');
 * s.tokens.slice(s.firstStart, s.firstStart + s.spanLength).join('') ===
 *   s.tokens.slice(s.repeatStart, s.repeatStart + s.spanLength).join(''); // true
 */
export function inductionSample(rng: Rng, part: Part): InductionSample {
  const shape = part === 'train' ? TRAIN_SHAPE : EVAL_SHAPE;
  const before = rng.range(...shape.before);
  const spanLength = rng.range(...shape.span);
  const gap = rng.range(...shape.gap);
  const after = rng.range(...shape.after);
  const words = rng.sample(INDUCTION_WORDS, before + spanLength + gap + after);
  const span = words.slice(before, before + spanLength);
  const list = [
    ...words.slice(0, before),
    ...span,
    ...words.slice(before + spanLength, before + spanLength + gap),
    ...span,
    ...words.slice(before + spanLength + gap),
  ];
  const header = rng.pick(INDUCTION_HEADERS);
  const text = `${header} ${list.join(' ')}.`;
  const headerTokens = splitPieces(header).length;
  const firstStart = headerTokens + before;
  return {
    text,
    tokens: splitPieces(text),
    firstStart,
    repeatStart: firstStart + spanLength + gap,
    spanLength,
  };
}
