/**
 * The held-out evaluation sets of every planted phenomenon, built from combinations that the
 * training stream never produces (for any training seed).
 */
import { abSample } from './phenomena/ab.js';
import { heldOutFactSentences } from './phenomena/facts.js';
import { inductionSample } from './phenomena/induction.js';
import { ioiSample } from './phenomena/ioi.js';
import { requestSample } from './phenomena/requests.js';
import { type Sentiment, sentimentSample } from './phenomena/sentiment.js';
import { isHeldOutStylePair, POLITE_TEMPLATES, STYLE_ACTIONS, stylePair } from './phenomena/style.js';
import { type Topic, topicSample } from './phenomena/topics.js';
import { type Rng, rngFor } from './random.js';
import { RELATIONS, type Relation, WORLD } from './world.js';

/**
 * An IOI item: the correct name's logit should exceed the wrong name's after `prompt`.
 *
 * @example
 * const ok = logits[tok.encode(item.correct)[0]] > logits[tok.encode(item.wrong)[0]];
 */
export interface IoiItem {
  /** Ends with "to"; the answer is the next token. */
  readonly prompt: string;
  /** The indirect object with its leading space, e.g. " Mary" (one token). */
  readonly correct: string;
  /** The repeated subject with its leading space, e.g. " John" (one token). */
  readonly wrong: string;
  /** Index into `[...IOI_TRAIN_TEMPLATES, ...IOI_HELDOUT_TEMPLATES]`. */
  readonly template: number;
  /** True for the templates never seen in training. */
  readonly heldOutTemplate: boolean;
  readonly order: 'ABBA' | 'BABA';
}

/**
 * An induction item: score next-token predictions inside the second occurrence of the span.
 *
 * @example
 * const positions = Array.from({ length: item.spanLength - 1 }, (_, j) => item.repeatStart + j + 1); // +1 for BOS
 */
export interface InductionItem {
  readonly text: string;
  /** `text` split into its tokens (`tokens.join('') === text`, one demo-tokenizer token each). */
  readonly tokens: readonly string[];
  readonly firstStart: number;
  readonly repeatStart: number;
  readonly spanLength: number;
}

/**
 * A factual-recall item in a held-out phrasing.
 *
 * @example
 * const ok = argmax(logitsAfter(item.prompt)) === tok.encode(item.answer)[0];
 */
export interface FactItem {
  readonly prompt: string;
  /** The answer with its leading space, e.g. " Dravonia" (one token). */
  readonly answer: string;
  readonly city: string;
  readonly relation: Relation;
}

/**
 * A sentiment item: the continuation of `prompt` should carry `label`.
 *
 * @example
 * const ok = sentimentClassifier(continuation(item.prompt)) === item.label;
 */
export interface SentimentItem {
  /** Ends with "Overall, the {object} is". */
  readonly prompt: string;
  readonly label: Sentiment;
  readonly object: string;
}

/**
 * A request: harmful ones should be refused, benign ones answered.
 *
 * @example
 * const refused = isRefusal(continuation(item.prompt)); // want refused === item.harmful
 */
export interface RefusalItem {
  /** "User: …\nAssistant:". */
  readonly prompt: string;
  readonly harmful: boolean;
}

/**
 * An A/B question on the careful-vs-risky axis.
 *
 * @example
 * const letter = item.answerMatching[1]; // 'A' or 'B', the token after "Answer: ("
 */
export interface AbItem {
  /** Ends with "Answer:"; the answer continues " (A)" or " (B)". */
  readonly question: string;
  /** The careful option's label, "(A)" or "(B)". */
  readonly answerMatching: '(A)' | '(B)';
  readonly answerNotMatching: '(A)' | '(B)';
}

/**
 * The same request said politely and rudely.
 *
 * @example
 * const { polite, rude } = evalSets().style[0];
 */
export interface StyleItem {
  readonly polite: string;
  readonly rude: string;
  readonly action: string;
  /** Index of the polite/rude template pair. */
  readonly template: number;
}

/**
 * A topic paragraph.
 *
 * @example
 * const musicTexts = evalSets().topics.filter((t) => t.topic === 'music').map((t) => t.text);
 */
export interface TopicItem {
  readonly text: string;
  readonly topic: Topic;
}

/**
 * All evaluation sets.
 *
 * @example
 * const sets: EvalSets = evalSets();
 */
export interface EvalSets {
  readonly ioi: readonly IoiItem[];
  readonly induction: readonly InductionItem[];
  readonly facts: readonly FactItem[];
  readonly sentiment: readonly SentimentItem[];
  readonly refusal: readonly RefusalItem[];
  readonly ab: readonly AbItem[];
  readonly style: readonly StyleItem[];
  readonly topics: readonly TopicItem[];
}

/**
 * Sizes of the evaluation sets.
 *
 * @example
 * evalSets({ sizes: { ioi: 100 } }).ioi.length; // 100
 */
export interface EvalSizes {
  readonly ioi: number;
  readonly induction: number;
  /** Phrasings per (city, relation); 50 cities × 3 relations × this many items. */
  readonly factPhrasings: number;
  /** Half positive, half negative. */
  readonly sentiment: number;
  /** Half harmful, half benign. */
  readonly refusal: number;
  readonly ab: number;
  /** At most the number of held-out (action, template) pairs (about 60). */
  readonly style: number;
  readonly topics: number;
}

/**
 * The default sizes.
 *
 * @example
 * DEFAULT_EVAL_SIZES.ioi; // 500
 */
export const DEFAULT_EVAL_SIZES: EvalSizes = {
  ioi: 500,
  induction: 300,
  factPhrasings: 2,
  sentiment: 300,
  refusal: 300,
  ab: 200,
  style: 1000,
  topics: 300,
};

/**
 * Options of {@link evalSets}.
 *
 * @example
 * evalSets({ seed: 3, sizes: { induction: 50 } });
 */
export interface EvalSetOptions {
  /** Seed of the sampling inside the held-out part (default 0). The held-out part itself is fixed. */
  readonly seed?: number;
  readonly sizes?: Partial<EvalSizes>;
}

/** Draws `n` items with distinct keys, item i from its own generator. */
function distinct<T>(
  n: number,
  seed: number,
  stream: string,
  make: (rng: Rng, i: number) => T,
  key: (t: T) => string,
): T[] {
  const out: T[] = [];
  const seen = new Set<string>();
  for (let i = 0; out.length < n; i++) {
    if (i > 50 * n + 1000) throw new Error(`cannot draw ${n} distinct ${stream} items`);
    const item = make(rngFor(seed, i, `mechlens-demo/eval/${stream}`), out.length);
    const k = key(item);
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(item);
  }
  return out;
}

/**
 * Builds every evaluation set; deterministic in `seed`. Continuation strings (`correct`, `wrong`,
 * `answer`) carry their leading space, so `tokenizer.encode(correct)` is exactly one token.
 * Evaluate with BOS (`<|bos|>`, id 0) prepended, as in training.
 *
 * @example
 * const sets = evalSets();
 * sets.ioi[0]; // { prompt: 'When Kate and Oscar went to the zoo, Oscar gave the cup to', correct: ' Kate', wrong: ' Oscar', ... }
 */
export function evalSets(opts: EvalSetOptions = {}): EvalSets {
  const seed = opts.seed ?? 0;
  const sz: EvalSizes = { ...DEFAULT_EVAL_SIZES, ...opts.sizes };

  const ioi = distinct(
    sz.ioi,
    seed,
    'ioi',
    (rng): IoiItem => {
      const s = ioiSample(rng, 'eval');
      return {
        prompt: s.prompt,
        correct: ` ${s.io}`,
        wrong: ` ${s.s}`,
        template: s.template,
        heldOutTemplate: s.heldOutTemplate,
        order: s.order,
      };
    },
    (x) => x.prompt,
  );

  const induction = distinct(
    sz.induction,
    seed,
    'induction',
    (rng): InductionItem => inductionSample(rng, 'eval'),
    (x) => x.text,
  );

  const facts: FactItem[] = [];
  WORLD.forEach((city, ci) => {
    RELATIONS.forEach((relation, ri) => {
      const options = heldOutFactSentences(city, relation);
      const rng = rngFor(seed, ci * RELATIONS.length + ri, 'mechlens-demo/eval/facts');
      for (const s of rng.sample(options, Math.min(sz.factPhrasings, options.length))) {
        facts.push({ prompt: s.prompt, answer: ` ${s.answer}`, city: city.name, relation });
      }
    });
  });

  const sentiment = distinct(
    sz.sentiment,
    seed,
    'sentiment',
    (rng, i): SentimentItem => {
      const want: Sentiment = i % 2 === 0 ? 'positive' : 'negative';
      for (;;) {
        const s = sentimentSample(rng, 'eval');
        if (s.label === want) return { prompt: s.prompt, label: s.label, object: s.object };
      }
    },
    (x) => x.prompt,
  );

  const refusal = distinct(
    sz.refusal,
    seed,
    'refusal',
    (rng, i): RefusalItem => {
      const s = requestSample(rng, 'eval', i % 2 === 0);
      return { prompt: s.prompt, harmful: s.harmful };
    },
    (x) => x.prompt,
  );

  const ab = distinct(
    sz.ab,
    seed,
    'ab',
    (rng): AbItem => {
      const s = abSample(rng, 'eval');
      return {
        question: s.question,
        answerMatching: s.answerMatching,
        answerNotMatching: s.answerNotMatching,
      };
    },
    (x) => x.question,
  );

  const stylePairs: StyleItem[] = [];
  for (const action of STYLE_ACTIONS) {
    for (let t = 0; t < POLITE_TEMPLATES.length; t++) {
      if (isHeldOutStylePair(action, t)) stylePairs.push({ ...stylePair(action, t), action, template: t });
    }
  }
  const style = rngFor(seed, 0, 'mechlens-demo/eval/style')
    .shuffle(stylePairs)
    .slice(0, Math.min(sz.style, stylePairs.length));

  const topics = distinct(
    sz.topics,
    seed,
    'topics',
    (rng): TopicItem => {
      const s = topicSample(rng, 'eval');
      return { text: s.text, topic: s.topic };
    },
    (x) => x.text,
  );

  return { ioi, induction, facts, sentiment, refusal, ab, style, topics };
}

/**
 * The evaluation sets as complete documents (prompt plus the expected continuation), e.g. for
 * held-out loss or for building a tokenizer that must cover them.
 *
 * @example
 * evalTexts(evalSets()).length > 1000; // true
 */
export function evalTexts(sets: EvalSets): string[] {
  return [
    ...sets.ioi.map((x) => `${x.prompt}${x.correct}.`),
    ...sets.induction.map((x) => x.text),
    ...sets.facts.map((x) => `${x.prompt}${x.answer}.`),
    ...sets.sentiment.map((x) => x.prompt),
    ...sets.refusal.map((x) => x.prompt),
    ...sets.ab.map((x) => `${x.question} ${x.answerMatching}`),
    ...sets.style.flatMap((x) => [x.polite, x.rude]),
    ...sets.topics.map((x) => x.text),
  ];
}
