/**
 * Factual recall over the fixed synthetic {@link WORLD}: each city's country, river and dish are
 * stated in many phrasings. A phrasing is a subject frame ("The city of {C}") combined with a
 * relation cue ("lies on the river"); some frame × cue combinations never occur in training and
 * are the evaluation phrasings, so evaluation asks known facts in unseen wordings.
 */
import { fill } from '../lexicon.js';
import type { Part, Rng } from '../random.js';
import { type City, factOf, RELATIONS, type Relation, WORLD } from '../world.js';

/**
 * Subject frames (each contains `{C}`, the city).
 *
 * @example
 * FACT_FRAMES[1]; // 'The city of {C}'
 */
export const FACT_FRAMES: readonly string[] = [
  '{C}',
  'The city of {C}',
  'Everyone knows that {C}',
  'As you may know, {C}',
  'The old town of {C}',
  'In fact, {C}',
];

/**
 * Relation cues; the answer follows the cue directly.
 *
 * @example
 * FACT_CUES.river[0]; // 'lies on the river'
 */
export const FACT_CUES: Readonly<Record<Relation, readonly string[]>> = {
  country: [
    'is a city in',
    'lies in the country of',
    'is located in',
    'belongs to the country of',
    'is part of',
  ],
  river: [
    'lies on the river',
    'is built on the river',
    'stands on the banks of the river',
    'is crossed by the river',
  ],
  dish: [
    'is famous for a dish called',
    'is known for a dish named',
    'is the home of a dish called',
    'is proud of a local dish called',
  ],
};

/** Extra training-only phrasings: `pre` (with `{C}`) is followed by ` {X}` and `post`. */
const EXTRA_PHRASINGS: Readonly<Record<Relation, readonly { pre: string; post: string }[]>> = {
  country: [
    { pre: 'The country that {C} belongs to is', post: '.' },
    { pre: 'If you travel to {C}, you will be in', post: '.' },
  ],
  river: [
    { pre: 'The river that flows through {C} is the', post: '.' },
    { pre: 'The main river of {C} is the', post: '.' },
  ],
  dish: [
    { pre: 'The most famous dish in {C} is', post: '.' },
    { pre: 'When you visit {C}, you must try', post: '.' },
  ],
};

/** Training-only sentences with the answer before the city (the reverse direction). */
const REVERSE_PHRASINGS: Readonly<Record<Relation, string>> = {
  country: 'In {X} you will find the city of {C}.',
  river: 'The river {X} flows through {C}.',
  dish: 'A dish called {X} comes from {C}.',
};

const FILLERS: readonly string[] = [
  'It is a lovely place to visit in spring.',
  'Many travellers stop there on their way north.',
  'The people there are known to be friendly.',
  'The streets are full of markets and small shops.',
  'It is quiet in winter and busy in summer.',
];

/**
 * Whether the frame × cue combination `(frame, cue)` of `relation` is an evaluation-only phrasing.
 * About a quarter of the combinations are held out; every frame and every cue keeps training
 * combinations. The bare frame "{C}" is never held out, so an evaluation prompt never starts with
 * the city: the city is always its spaced token (" Velmora"), the form most training text uses.
 *
 * @example
 * isHeldOutPhrasing('country', 0, 0); // false: '{C} is a city in' is a training phrasing
 */
export function isHeldOutPhrasing(relation: Relation, frame: number, cue: number): boolean {
  return frame !== 0 && (frame + 2 * cue + RELATIONS.indexOf(relation)) % 4 === 3;
}

/**
 * One fact sentence split at the answer.
 *
 * @example
 * heldOutFactSentences(WORLD[0], 'river')[0].answer; // 'Oss'
 */
export interface FactSentence {
  readonly city: City;
  readonly relation: Relation;
  readonly answer: string;
  /** The text before the answer (no trailing space). */
  readonly prompt: string;
  readonly sentence: string;
}

function phrasing(city: City, relation: Relation, frame: number, cue: number): FactSentence {
  const prompt = `${fill(FACT_FRAMES[frame], { C: city.name })} ${FACT_CUES[relation][cue]}`;
  const answer = factOf(city, relation);
  return { city, relation, answer, prompt, sentence: `${prompt} ${answer}.` };
}

/**
 * Every held-out (evaluation) phrasing of one fact, in a fixed order.
 *
 * @example
 * heldOutFactSentences(WORLD[0], 'dish')[0].sentence; // e.g. 'In fact, Velmora is known for a dish named kelvo.'
 */
export function heldOutFactSentences(city: City, relation: Relation): FactSentence[] {
  const out: FactSentence[] = [];
  for (let f = 0; f < FACT_FRAMES.length; f++) {
    for (let c = 0; c < FACT_CUES[relation].length; c++) {
      if (isHeldOutPhrasing(relation, f, c)) out.push(phrasing(city, relation, f, c));
    }
  }
  return out;
}

/**
 * One training sentence stating a fact: a training frame × cue combination (most of the time), an
 * extra phrasing or a reverse-direction sentence.
 *
 * @example
 * trainFactSentence(new Rng(2), WORLD[3], 'river'); // e.g. 'The city of Halvenna lies on the river Oss.'
 */
export function trainFactSentence(rng: Rng, city: City, relation: Relation): string {
  const u = rng.next();
  if (u < 0.12) return fill(REVERSE_PHRASINGS[relation], { C: city.name, X: factOf(city, relation) });
  if (u < 0.3) {
    const p = rng.pick(EXTRA_PHRASINGS[relation]);
    return `${fill(p.pre, { C: city.name })} ${factOf(city, relation)}${p.post}`;
  }
  for (;;) {
    const f = rng.int(FACT_FRAMES.length);
    const c = rng.int(FACT_CUES[relation].length);
    if (!isHeldOutPhrasing(relation, f, c)) return phrasing(city, relation, f, c).sentence;
  }
}

/**
 * One facts document.
 *
 * @example
 * factsSample(new Rng(1), 'train').cities.length; // 1 or 2
 */
export interface FactsSample {
  readonly text: string;
  readonly cities: readonly City[];
}

/**
 * Generates a short travel-guide paragraph about one or two cities. Training documents use
 * training phrasings only; evaluation documents are single held-out-phrasing sentences.
 *
 * @example
 * factsSample(new Rng(5), 'train').text; // e.g. 'The city of Kelmet is part of Keltmar. Kelmet is ...'
 */
export function factsSample(rng: Rng, part: Part): FactsSample {
  if (part === 'eval') {
    const city = rng.pick(WORLD);
    const s = rng.pick(heldOutFactSentences(city, rng.pick(RELATIONS)));
    return { text: s.sentence, cities: [city] };
  }
  const cities = rng.chance(0.3) ? rng.sample(WORLD, 2) : [rng.pick(WORLD)];
  const sentences: string[] = [];
  for (const city of cities) {
    const rels = rng.sample(RELATIONS, rng.range(1, 3));
    for (const r of rels) sentences.push(trainFactSentence(rng, city, r));
    if (rng.chance(0.3)) sentences.push(rng.pick(FILLERS));
  }
  return { text: sentences.join(' '), cities };
}
