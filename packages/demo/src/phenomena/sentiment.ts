/**
 * Sentiment: short product reviews whose every sentence after the neutral opener is clearly
 * positive or clearly negative, about many objects. The review closes with "Overall, the {obj} is
 * {adjective}." most of the time, so a prompt ending in "Overall, the lamp is" asks the model to
 * continue in the review's sentiment.
 */
import { fill, withArticle } from '../lexicon.js';
import { drawInPart, type Part, type Rng } from '../random.js';

/**
 * A review's polarity.
 *
 * @example
 * const label: Sentiment = 'positive';
 */
export type Sentiment = 'positive' | 'negative';

/**
 * The reviewed objects (singular nouns).
 *
 * @example
 * REVIEW_OBJECTS.includes('kettle'); // true
 */
export const REVIEW_OBJECTS: readonly string[] = [
  'lamp',
  'blender',
  'chair',
  'jacket',
  'backpack',
  'kettle',
  'toaster',
  'umbrella',
  'keyboard',
  'mattress',
  'tent',
  'bicycle',
  'watch',
  'printer',
  'sofa',
  'mug',
  'pillow',
  'camera',
  'speaker',
  'heater',
  'fan',
  'desk',
  'torch',
  'stapler',
  'cushion',
  'blanket',
  'lantern',
  'bottle',
  'iron',
  'soap',
  'laptop',
  'phone',
  'radio',
  'oven',
  'bed',
  'helmet',
  'wallet',
  'drill',
  'raincoat',
  'mirror',
  'clock',
  'scarf',
  'vacuum',
  'sweater',
  'tablet',
  'headset',
  'router',
  'stroller',
  'cooker',
  'grill',
  'teapot',
  'suitcase',
  'projector',
  'thermos',
  'monitor',
  'rug',
  'kayak',
];

/**
 * Neutral review openers (`{obj}` is the object).
 *
 * @example
 * REVIEW_OPENERS[0]; // 'I bought this {obj} last week.'
 */
export const REVIEW_OPENERS: readonly string[] = [
  'I bought this {obj} last week.',
  'I have been using this {obj} for a month.',
  'My sister gave me this {obj} for my birthday.',
  'We ordered a new {obj} online.',
  'I tried the {obj} for the first time yesterday.',
  'Here is my review of the {obj}.',
  'A friend told me about this {obj}.',
];

const SENTENCES: Readonly<Record<Sentiment, readonly string[]>> = {
  positive: [
    'It works perfectly and I love it.',
    'The quality is excellent.',
    'It is wonderful and very comfortable.',
    'Everything about it is great.',
    'I am so happy with it.',
    'It was a fantastic purchase.',
    'It looks beautiful and feels solid.',
    'It is the best {obj} I have ever had.',
    'I highly recommend it.',
    'My whole family loves it.',
    'It is simply amazing.',
    'The service was friendly and the delivery was quick.',
    'I use it every day and it still feels brand new.',
  ],
  negative: [
    'It broke after two days and I hate it.',
    'The quality is terrible.',
    'It is awful and very uncomfortable.',
    'Everything about it is bad.',
    'I am so disappointed with it.',
    'It was a horrible purchase.',
    'It looks cheap and feels flimsy.',
    'It is the worst {obj} I have ever had.',
    'Do not waste your money on it.',
    'My whole family hates it.',
    'It is simply useless.',
    'The service was rude and the delivery was late.',
    'I used it once and it already feels worn out.',
  ],
};

/**
 * Closing adjectives ("Overall, the {obj} is ___").
 *
 * @example
 * CLOSING_ADJECTIVES.positive.includes('great'); // true
 */
export const CLOSING_ADJECTIVES: Readonly<Record<Sentiment, readonly string[]>> = {
  positive: [
    'great',
    'excellent',
    'wonderful',
    'amazing',
    'fantastic',
    'perfect',
    'lovely',
    'superb',
    'brilliant',
  ],
  negative: [
    'terrible',
    'awful',
    'horrible',
    'bad',
    'poor',
    'useless',
    'dreadful',
    'disappointing',
    'annoying',
  ],
};

const CODAS: Readonly<Record<Sentiment, readonly string[]>> = {
  positive: ['I would definitely buy it again.', 'Five stars from me.', 'I am really glad I got it.'],
  negative: ['I regret buying it.', 'One star from me.', 'I am really sorry I got it.'],
};

/**
 * Fraction of (object, opener, polarity) combinations held out for evaluation.
 *
 * @example
 * SENTIMENT_HELDOUT_FRACTION; // 0.2
 */
export const SENTIMENT_HELDOUT_FRACTION = 0.2;

/**
 * One review, with the prompt used for the continuation evaluation.
 *
 * @example
 * const { prompt, label } = sentimentSample(new Rng(1), 'eval');
 */
export interface SentimentSample {
  readonly text: string;
  /** Opener and two sentiment sentences, then "Overall, the {obj} is" (no trailing space). */
  readonly prompt: string;
  readonly label: Sentiment;
  readonly object: string;
}

/**
 * Generates one review. The (object, opener, polarity) combination is drawn from the requested part
 * of a fixed partition, so evaluation reviews are combinations never seen in training.
 *
 * @example
 * const r = sentimentSample(new Rng(4), 'train');
 * sentimentClassifier(r.text) === r.label; // true
 */
export function sentimentSample(rng: Rng, part: Part): SentimentSample {
  const [object, opener, label] = drawInPart(
    part,
    SENTIMENT_HELDOUT_FRACTION,
    () =>
      [
        rng.pick(REVIEW_OBJECTS),
        rng.int(REVIEW_OPENERS.length),
        rng.chance(0.5) ? 'positive' : 'negative',
      ] as [string, number, Sentiment],
    ([o, i, l]) => `sentiment|${o}|${i}|${l}`,
  );
  const slots = { obj: object };
  const first = fill(REVIEW_OPENERS[opener], slots);
  const body = rng.sample(SENTENCES[label], part === 'eval' ? 2 : rng.range(1, 3)).map((s) => fill(s, slots));
  const lead = `${first} ${body.join(' ')} Overall, the ${object} is`;
  const adjective = rng.pick(CLOSING_ADJECTIVES[label]);
  const u = rng.next();
  let closing: string;
  if (part === 'eval' || u < 0.6) closing = `Overall, the ${object} is ${adjective}.`;
  else if (u < 0.8) closing = `In short, this ${object} is ${adjective}.`;
  else closing = `All in all, ${withArticle(adjective)} ${object}.`;
  const coda = part === 'train' && rng.chance(0.5) ? ` ${rng.pick(CODAS[label])}` : '';
  const text = `${first} ${body.join(' ')} ${closing}${coda}`;
  return { text, prompt: lead, label, object };
}
