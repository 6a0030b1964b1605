/**
 * Style: the same request said politely or rudely. Polite template i and rude template i carry the
 * same action, so (polite, rude) pairs differ only in style: the source/target sets for
 * distributional steering. (action, template) pairs are the unit of the train/eval split: a
 * held-out pair occurs in training neither politely nor rudely.
 */
import { fill, NAMES } from '../lexicon.js';
import { drawInPart, isHeldOut, type Part, type Rng } from '../random.js';

/**
 * A style.
 *
 * @example
 * const target: Style = 'polite';
 */
export type Style = 'polite' | 'rude';

/**
 * The actions requested (imperative verb phrases).
 *
 * @example
 * STYLE_ACTIONS[0]; // 'close the window'
 */
export const STYLE_ACTIONS: readonly string[] = [
  'close the window',
  'send me the report',
  'turn down the music',
  'move your car',
  'clean the kitchen',
  'finish your homework',
  'call me back',
  'pick up the kids',
  'bring the chairs inside',
  'answer the phone',
  'fix the sink',
  'pay the bill',
  'wash the dishes',
  'feed the cat',
  'lock the door',
  'water the plants',
  'check the oven',
  'fold the laundry',
  'open the gate',
  'return my book',
  'print the tickets',
  'take out the trash',
  'wait for me outside',
  'sign the form',
  'hang up your coat',
  'empty the bin',
  'charge your phone',
  'book a table',
  'buy some milk',
  'walk the dog',
  'tidy your room',
  'turn off the lights',
  'make some coffee',
  'sweep the floor',
  'reply to my email',
  'carry these boxes',
  'set the table',
  'shut the gate',
  'park the van',
  'fill in the form',
  'sort the mail',
  'cut the grass',
  'wipe the table',
  'write the letter',
  'meet me at noon',
  'lower your voice',
  'bring the keys',
  'clear the desk',
  'order the pizza',
  'feed the dog',
];

/**
 * Polite templates; `{act}` is the action, template i pairs with {@link RUDE_TEMPLATES}[i].
 *
 * @example
 * POLITE_TEMPLATES[0]; // 'Could you please {act}? Thank you so much.'
 */
export const POLITE_TEMPLATES: readonly string[] = [
  'Could you please {act}? Thank you so much.',
  'Would you mind if I asked you to {act}? I would really appreciate it.',
  'Excuse me, could you kindly {act} when you have a moment? Thanks!',
  'If it is not too much trouble, please {act}. Thank you!',
  'Hello! Would you please {act}? Many thanks.',
  'Sorry to bother you, but could you {act}, please? Thank you kindly.',
];

/**
 * Rude templates; `{act}` is the action (never sentence-initial, so its verb is always the same token).
 *
 * @example
 * RUDE_TEMPLATES[0]; // 'Right now, {act}. I am sick of asking.'
 */
export const RUDE_TEMPLATES: readonly string[] = [
  'Right now, {act}. I am sick of asking.',
  'Just {act} already, you lazy fool.',
  'Hey, {act}. Stop wasting my time.',
  'Ugh, {act} now, or else.',
  'Are you deaf? I said {act}. Move it!',
  'Go and {act} this minute and stop whining.',
];

const SCENES: Readonly<Record<Style, readonly string[]>> = {
  polite: ['{A} smiled at {B} and said, "{u}"', '{A} turned to {B} and asked, "{u}"'],
  rude: ['{A} glared at {B} and snapped, "{u}"', '{A} turned to {B} and barked, "{u}"'],
};

/**
 * Fraction of (action, template) pairs held out for evaluation.
 *
 * @example
 * STYLE_HELDOUT_FRACTION; // 0.2
 */
export const STYLE_HELDOUT_FRACTION = 0.2;

/**
 * Whether the (action, template) pair is evaluation-only.
 *
 * @example
 * isHeldOutStylePair('close the window', 0); // fixed true/false for ever
 */
export function isHeldOutStylePair(action: string, template: number): boolean {
  return isHeldOut(`style|${action}|${template}`, STYLE_HELDOUT_FRACTION);
}

/**
 * The polite and the rude utterance of one (action, template) pair.
 *
 * @example
 * stylePair('close the window', 1).rude; // 'Just close the window already, you lazy fool.'
 */
export function stylePair(action: string, template: number): { polite: string; rude: string } {
  const slots = { act: action };
  return { polite: fill(POLITE_TEMPLATES[template], slots), rude: fill(RUDE_TEMPLATES[template], slots) };
}

/**
 * One style document.
 *
 * @example
 * const { text, style } = styleSample(new Rng(1), 'train');
 */
export interface StyleSample {
  readonly text: string;
  readonly style: Style;
  readonly action: string;
  readonly template: number;
}

/**
 * Generates one polite or rude utterance, either bare or inside a one-line scene.
 *
 * @example
 * styleSample(new Rng(8), 'train').style; // 'polite' or 'rude'
 */
export function styleSample(rng: Rng, part: Part): StyleSample {
  const [action, template] = drawInPart(
    part,
    STYLE_HELDOUT_FRACTION,
    () => [rng.pick(STYLE_ACTIONS), rng.int(POLITE_TEMPLATES.length)] as const,
    ([a, t]) => `style|${a}|${t}`,
  );
  const style: Style = rng.chance(0.5) ? 'polite' : 'rude';
  const pair = stylePair(action, template);
  const u = style === 'polite' ? pair.polite : pair.rude;
  let text = u;
  if (rng.chance(0.4)) {
    const [a, b] = rng.sample(NAMES, 2);
    text = fill(rng.pick(SCENES[style]), { A: a, B: b, u });
  }
  return { text, style, action, template };
}
