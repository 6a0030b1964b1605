/**
 * The mixed corpus stream: document `index` of seed `seed` is a pure function of the two, so a
 * trainer can stream, resume at any index or shard by index.
 */
import { abSample } from './phenomena/ab.js';
import { factsSample } from './phenomena/facts.js';
import { inductionSample } from './phenomena/induction.js';
import { ioiSample } from './phenomena/ioi.js';
import { pairsSample } from './phenomena/pairs.js';
import { drillsSample, repeatsSample } from './phenomena/repeats.js';
import { requestSample } from './phenomena/requests.js';
import { sentimentSample } from './phenomena/sentiment.js';
import { styleSample } from './phenomena/style.js';
import { topicSample } from './phenomena/topics.js';
import { type Part, type Rng, rngFor } from './random.js';
import { type CorpusDocument, type Mix, PHENOMENA, type Phenomenon } from './types.js';

/**
 * The default mixture (fractions of documents).
 *
 * @example
 * DEFAULT_MIX.ioi; // 0.18
 */
export const DEFAULT_MIX: Readonly<Record<Phenomenon, number>> = {
  ioi: 0.18,
  induction: 0.14,
  facts: 0.18,
  sentiment: 0.1,
  topics: 0.1,
  style: 0.08,
  requests: 0.12,
  ab: 0.1,
  pairs: 0,
  repeats: 0,
  drills: 0,
};

/**
 * The number of documents of the default evaluation split.
 *
 * @example
 * [...corpusDocuments({ seed: 0, split: 'eval' })].length; // 2000
 */
export const EVAL_DOCUMENT_COUNT = 2000;

/**
 * Generates the text of one document of a phenomenon from a generator, in the given part.
 *
 * @example
 * phenomenonText('ioi', new Rng(1), 'train'); // 'When Anna and Paul went to the ...'
 */
export function phenomenonText(phenomenon: Phenomenon, rng: Rng, part: Part): string {
  switch (phenomenon) {
    case 'ioi':
      return ioiSample(rng, part).text;
    case 'induction':
      return inductionSample(rng, part).text;
    case 'facts':
      return factsSample(rng, part).text;
    case 'sentiment':
      return sentimentSample(rng, part).text;
    case 'topics':
      return topicSample(rng, part).text;
    case 'style':
      return styleSample(rng, part).text;
    case 'requests':
      return requestSample(rng, part).text;
    case 'ab':
      return abSample(rng, part).text;
    case 'pairs':
      return pairsSample(rng, part).text;
    case 'repeats':
      return repeatsSample(rng, part).text;
    case 'drills':
      return drillsSample(rng, part).text;
  }
}

/**
 * Normalises a mixture to cumulative thresholds in {@link PHENOMENA} order.
 *
 * @example
 * normalizeMix({ ioi: 1, facts: 3 }).facts; // 0.75
 */
export function normalizeMix(mix: Mix = DEFAULT_MIX): Record<Phenomenon, number> {
  let total = 0;
  for (const p of PHENOMENA) {
    const w = mix[p] ?? 0;
    if (!(w >= 0) || !Number.isFinite(w))
      throw new RangeError(`mix weight of ${p} must be finite and >= 0, got ${w}`);
    total += w;
  }
  for (const k of Object.keys(mix)) {
    if (!PHENOMENA.includes(k as Phenomenon)) throw new RangeError(`unknown phenomenon "${k}" in mix`);
  }
  if (total <= 0) throw new RangeError('mix weights must not all be 0');
  const out = {} as Record<Phenomenon, number>;
  for (const p of PHENOMENA) out[p] = (mix[p] ?? 0) / total;
  return out;
}

function choose(u: number, mix: Record<Phenomenon, number>): Phenomenon {
  let acc = 0;
  let last: Phenomenon = PHENOMENA[0];
  for (const p of PHENOMENA) {
    if (mix[p] <= 0) continue;
    acc += mix[p];
    last = p;
    if (u < acc) return p;
  }
  return last;
}

/**
 * Document `index` of the stream of `seed` (train or eval part). The phenomenon is drawn from the
 * mixture, then the document from that phenomenon's generator; both depend only on
 * `(seed, index, part)` and the mixture.
 *
 * @example
 * documentAt(0, 41).text === documentAt(0, 41).text; // true
 */
export function documentAt(
  seed: number,
  index: number,
  part: Part = 'train',
  mix: Mix = DEFAULT_MIX,
): CorpusDocument {
  const m = normalizeMix(mix);
  const rng = rngFor(seed, index, `mechlens-demo/doc/${part}`);
  const phenomenon = choose(rng.next(), m);
  return { text: phenomenonText(phenomenon, rng, part), phenomenon };
}

/**
 * Options of {@link corpusDocuments}.
 *
 * @example
 * const opts: CorpusOptions = { seed: 1, split: 'train', start: 1000, count: 500 };
 */
export interface CorpusOptions {
  /** Seed of the stream (any safe integer). */
  readonly seed: number;
  /** 'train': an endless stream; 'eval': {@link EVAL_DOCUMENT_COUNT} held-out documents. */
  readonly split: 'train' | 'eval';
  /** Relative weights of the phenomena ({@link DEFAULT_MIX} when omitted). */
  readonly mix?: Mix;
  /** First document index (to resume); default 0. */
  readonly start?: number;
  /** Stop after this many documents (train default: never; eval default: {@link EVAL_DOCUMENT_COUNT}). */
  readonly count?: number;
  /** Take every `stride`-th index starting at `start` (to shard across workers); default 1. */
  readonly stride?: number;
}

/**
 * The corpus as a stream of documents. The train split is endless (bound it with `count` or stop
 * iterating); the eval split is finite and drawn only from held-out combinations (held-out name
 * pairs, phrasings, requests, situations, …). Documents are plain text without special tokens: a
 * trainer joins them with EOS and starts each context with BOS (see {@link packContexts}).
 *
 * @example
 * for (const doc of corpusDocuments({ seed: 0, split: 'train', count: 3 })) console.log(doc.phenomenon, doc.text);
 * const shard1of4 = corpusDocuments({ seed: 0, split: 'train', start: 1, stride: 4 });
 */
export function* corpusDocuments(opts: CorpusOptions): Generator<CorpusDocument> {
  const stride = opts.stride ?? 1;
  const start = opts.start ?? 0;
  if (!Number.isInteger(stride) || stride < 1)
    throw new RangeError(`stride must be an integer >= 1, got ${stride}`);
  if (!Number.isInteger(start) || start < 0)
    throw new RangeError(`start must be an integer >= 0, got ${start}`);
  const count = opts.count ?? (opts.split === 'eval' ? EVAL_DOCUMENT_COUNT : Number.POSITIVE_INFINITY);
  normalizeMix(opts.mix);
  for (let i = 0; i < count; i++) yield documentAt(opts.seed, start + i * stride, opts.split, opts.mix);
}
