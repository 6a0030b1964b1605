/**
 * Types shared by the corpus generators, the evaluation sets and the tokenizer builder.
 */

/**
 * The planted phenomena of the demo corpus.
 *
 * @example
 * const p: Phenomenon = 'ioi';
 */
export type Phenomenon =
  | 'ioi'
  | 'induction'
  | 'facts'
  | 'sentiment'
  | 'topics'
  | 'style'
  | 'requests'
  | 'ab'
  | 'pairs'
  | 'repeats'
  | 'drills';

/**
 * All phenomena, in the order used by mixtures and reports.
 *
 * @example
 * PHENOMENA.length; // 11
 */
export const PHENOMENA: readonly Phenomenon[] = [
  'ioi',
  'induction',
  'facts',
  'sentiment',
  'topics',
  'style',
  'requests',
  'ab',
  'pairs',
  'repeats',
  'drills',
];

/**
 * One corpus document: plain text (no special tokens) and the phenomenon it plants.
 *
 * @example
 * const d: CorpusDocument = { text: 'When Mary and John went to the park, John gave the ball to Mary.', phenomenon: 'ioi' };
 */
export interface CorpusDocument {
  readonly text: string;
  readonly phenomenon: Phenomenon;
}

/**
 * Relative weights of the phenomena in a mixture (normalised by their sum; a missing key means 0).
 *
 * @example
 * const onlyIoi: Mix = { ioi: 1 };
 */
export type Mix = Partial<Record<Phenomenon, number>>;
