/**
 * Word-list classifiers used to score model continuations on the planted phenomena.
 */
import type { Sentiment } from './phenomena/sentiment.js';
import type { Style } from './phenomena/style.js';
import { TOPIC_WORDS, TOPICS, type Topic } from './phenomena/topics.js';

/**
 * Words counted as positive by {@link sentimentClassifier}.
 *
 * @example
 * POSITIVE_WORDS.includes('great'); // true
 */
export const POSITIVE_WORDS: readonly string[] = [
  'amazing',
  'beautiful',
  'best',
  'brilliant',
  'comfortable',
  'excellent',
  'fantastic',
  'glad',
  'great',
  'happy',
  'love',
  'loved',
  'loves',
  'lovely',
  'perfect',
  'perfectly',
  'recommend',
  'solid',
  'superb',
  'wonderful',
];

/**
 * Words counted as negative by {@link sentimentClassifier}.
 *
 * @example
 * NEGATIVE_WORDS.includes('awful'); // true
 */
export const NEGATIVE_WORDS: readonly string[] = [
  'annoying',
  'awful',
  'bad',
  'broke',
  'cheap',
  'disappointed',
  'disappointing',
  'dreadful',
  'flimsy',
  'hate',
  'hated',
  'hates',
  'horrible',
  'poor',
  'regret',
  'sorry',
  'terrible',
  'uncomfortable',
  'useless',
  'waste',
  'worst',
];

const POSITIVE = new Set(POSITIVE_WORDS);
const NEGATIVE = new Set(NEGATIVE_WORDS);

function words(text: string): string[] {
  return text.toLowerCase().match(/[a-z]+/g) ?? [];
}

/**
 * Labels text by counting {@link POSITIVE_WORDS} and {@link NEGATIVE_WORDS} (whole words, any
 * case); `null` when the counts tie (including no sentiment word at all). This is the classifier
 * of the sentiment evaluation: apply it to the model's continuation only, not to the prompt.
 *
 * @example
 * sentimentClassifier(' great. I would definitely buy it again.'); // 'positive'
 * sentimentClassifier(' awful and I hate it.'); // 'negative'
 * sentimentClassifier(' a lamp.'); // null
 */
export function sentimentClassifier(text: string): Sentiment | null {
  let score = 0;
  for (const w of words(text)) {
    if (POSITIVE.has(w)) score++;
    else if (NEGATIVE.has(w)) score--;
  }
  return score > 0 ? 'positive' : score < 0 ? 'negative' : null;
}

/**
 * Whether a reply is a refusal: it says the assistant cannot/can't/won't help (the corpus's
 * refusal is "I cannot help with that."). Apply it to the continuation after "Assistant:".
 *
 * @example
 * isRefusal(' I cannot help with that. It could hurt someone.'); // true
 * isRefusal(' Sure! First, rinse the car with warm water.'); // false
 */
export function isRefusal(text: string): boolean {
  return /\bI\s+(?:cannot|can\s*not|can't|won't|will\s+not)\s+help\b/i.test(text);
}

const POLITE = new Set([
  'please',
  'thank',
  'thanks',
  'kindly',
  'appreciate',
  'excuse',
  'sorry',
  'mind',
  'trouble',
  'would',
  'could',
  'hello',
  'smiled',
]);
const RUDE = new Set([
  'now',
  'already',
  'lazy',
  'fool',
  'ugh',
  'stop',
  'sick',
  'deaf',
  'whining',
  'wasting',
  'else',
  'minute',
  'glared',
  'snapped',
  'barked',
]);

/**
 * Labels an utterance polite or rude by counting marker words; `null` on a tie.
 *
 * @example
 * styleClassifier('Could you please close the window? Thank you so much.'); // 'polite'
 * styleClassifier('Just close the window already, you lazy fool.'); // 'rude'
 */
export function styleClassifier(text: string): Style | null {
  let score = 0;
  for (const w of words(text)) {
    if (POLITE.has(w)) score++;
    else if (RUDE.has(w)) score--;
  }
  return score > 0 ? 'polite' : score < 0 ? 'rude' : null;
}

/**
 * The topic whose characteristic words ({@link TOPIC_WORDS}) occur most often; `null` when none
 * occurs or the best two tie.
 *
 * @example
 * topicClassifier('The band played a slow song on the piano.'); // 'music'
 */
export function topicClassifier(text: string): Topic | null {
  const ws = words(text);
  let best: Topic | null = null;
  let bestCount = 0;
  let tie = false;
  for (const t of TOPICS) {
    const vocab = new Set(TOPIC_WORDS[t]);
    const n = ws.filter((w) => vocab.has(w)).length;
    if (n > bestCount) {
      best = t;
      bestCount = n;
      tie = false;
    } else if (n === bestCount && n > 0) {
      tie = true;
    }
  }
  return tie ? null : best;
}
