/**
 * Indirect object identification: two people are introduced, one of them (the subject S) is
 * mentioned again and gives something "to" the other (the indirect object IO). The next word after
 * "to" is always the IO, so predicting it needs the IOI circuit (find the name that is not repeated).
 * No template starts with a name, so both names always occur in their spaced form (" Mary"), the
 * same token as the answer.
 */
import { capitalize, fill, IOI_OBJECTS, IOI_PLACES, IOI_VERBS, NAMES, withArticle } from '../lexicon.js';
import { drawInPart, type Part, type Rng } from '../random.js';

/**
 * Templates seen in training. `{N1} {N2}` introduce the pair (in either order), `{S}` is the
 * repeated subject, `{A_OBJ}` is the object with its article ("an apple"), the text before ` {IO}` is
 * the prompt.
 *
 * @example
 * IOI_TRAIN_TEMPLATES.length; // 12
 */
export const IOI_TRAIN_TEMPLATES: readonly string[] = [
  'When {N1} and {N2} went to the {PLACE}, {S} {VERB} the {OBJ} to {IO}.',
  'After {N1} and {N2} arrived at the {PLACE}, {S} {VERB} {A_OBJ} to {IO}.',
  'Today, {N1} and {N2} were at the {PLACE}. {S} {VERB} the {OBJ} to {IO}.',
  'While {N1} and {N2} were walking to the {PLACE}, {S} {VERB} the {OBJ} to {IO}.',
  'Then, {N1} and {N2} had a long talk at the {PLACE}. Afterwards, {S} {VERB} the {OBJ} to {IO}.',
  'Last week, {N1} and {N2} spent the day at the {PLACE}. Later, {S} {VERB} {A_OBJ} to {IO}.',
  'Yesterday {N1} and {N2} met at the {PLACE}, and {S} {VERB} the {OBJ} to {IO}.',
  'On Sunday, {N1} and {N2} visited the {PLACE}. {S} decided to give the {OBJ} to {IO}.',
  'The {PLACE} was busy when {N1} and {N2} got there. {S} {VERB} the {OBJ} to {IO}.',
  'One day, {N1} and {N2} found {A_OBJ} at the {PLACE}. {S} {VERB} it to {IO}.',
  'Since {N1} and {N2} were working at the {PLACE}, {S} {VERB} the {OBJ} to {IO}.',
  'When {N1} and {N2} left the {PLACE}, {S} {VERB} the {OBJ} back to {IO}.',
];

/**
 * Templates that never occur in training (same structure, new combinations of training phrases, so
 * every word is a trained token); used only by the evaluation set.
 *
 * @example
 * IOI_HELDOUT_TEMPLATES.length; // 3
 */
export const IOI_HELDOUT_TEMPLATES: readonly string[] = [
  'After {N1} and {N2} spent the day at the {PLACE}, {S} {VERB} the {OBJ} to {IO}.',
  'As {N1} and {N2} were walking to the {PLACE}, {S} {VERB} the {OBJ} to {IO}.',
  'Yesterday {N1} and {N2} were working at the {PLACE}. Later, {S} {VERB} {A_OBJ} to {IO}.',
];

const FOLLOW_UPS: readonly string[] = [
  '{IO} thanked {S}.',
  '{IO} smiled at {S}.',
  '{IO} was very happy.',
  'It was a kind thing to do.',
  '{IO} said thank you and left.',
];

/**
 * Fraction of unordered name pairs held out for evaluation.
 *
 * @example
 * IOI_HELDOUT_PAIR_FRACTION; // 0.2
 */
export const IOI_HELDOUT_PAIR_FRACTION = 0.2;

/**
 * The key of an unordered name pair (the unit of the train/eval split).
 *
 * @example
 * ioiPairKey('Mary', 'John') === ioiPairKey('John', 'Mary'); // true
 */
export function ioiPairKey(a: string, b: string): string {
  return a < b ? `ioi-pair|${a}|${b}` : `ioi-pair|${b}|${a}`;
}

/**
 * One IOI example with its parts.
 *
 * @example
 * const { prompt, io, s } = ioiSample(new Rng(1), 'eval');
 */
export interface IoiSample {
  /** The full document text. */
  readonly text: string;
  /** The text up to and including "to" (no trailing space). */
  readonly prompt: string;
  readonly io: string;
  readonly s: string;
  /** Index into `[...IOI_TRAIN_TEMPLATES, ...IOI_HELDOUT_TEMPLATES]`. */
  readonly template: number;
  readonly heldOutTemplate: boolean;
  /** 'ABBA': the IO is introduced first; 'BABA': the subject is introduced first. */
  readonly order: 'ABBA' | 'BABA';
}

/**
 * Generates one IOI example. Training draws name pairs outside the held-out pairs and only the
 * training templates; evaluation draws held-out pairs and any template (training or held-out).
 *
 * @example
 * const s = ioiSample(new Rng(1), 'train');
 * s.text.startsWith(s.prompt); // true
 */
export function ioiSample(rng: Rng, part: Part): IoiSample {
  const [io, s] = drawInPart(
    part,
    IOI_HELDOUT_PAIR_FRACTION,
    () => rng.sample(NAMES, 2),
    ([a, b]) => ioiPairKey(a, b),
  );
  const all = [...IOI_TRAIN_TEMPLATES, ...IOI_HELDOUT_TEMPLATES];
  const template = part === 'train' ? rng.int(IOI_TRAIN_TEMPLATES.length) : rng.int(all.length);
  const order = rng.chance(0.5) ? 'ABBA' : 'BABA';
  const obj = rng.pick(IOI_OBJECTS);
  const slots = {
    N1: order === 'ABBA' ? io : s,
    N2: order === 'ABBA' ? s : io,
    S: s,
    IO: io,
    PLACE: rng.pick(IOI_PLACES),
    OBJ: obj,
    A_OBJ: withArticle(obj),
    VERB: rng.pick(IOI_VERBS),
  };
  const body = capitalize(fill(all[template], slots));
  const cut = body.lastIndexOf(` ${io}`);
  const prompt = body.slice(0, cut);
  const text = part === 'train' && rng.chance(0.4) ? `${body} ${fill(rng.pick(FOLLOW_UPS), slots)}` : body;
  return { text, prompt, io, s, template, heldOutTemplate: template >= IOI_TRAIN_TEMPLATES.length, order };
}
