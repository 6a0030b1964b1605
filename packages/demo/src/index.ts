/**
 * @mechlens/demo — the deterministic demo corpus with planted phenomena (IOI, induction, factual
 * recall, sentiment, topics, style, refusals, A/B choices), its held-out evaluation sets, the
 * word-level demo tokenizer, and the path of the shipped demo model.
 *
 * @example
 * import { corpusDocuments, evalSets, DEMO_MODEL_DIR } from '@mechlens/demo';
 * import { loadTokenizer } from '@mechlens/core';
 * const tok = await loadTokenizer(DEMO_MODEL_DIR);
 * for (const doc of corpusDocuments({ seed: 0, split: 'train', count: 2 })) console.log(tok.encode(doc.text));
 * const { ioi } = evalSets();
 */

export { type HeadAnalysis, type HeadScores, headAnalysis } from './analysis.js';
export {
  isRefusal,
  NEGATIVE_WORDS,
  POSITIVE_WORDS,
  sentimentClassifier,
  styleClassifier,
  topicClassifier,
} from './classifiers.js';
export {
  type CorpusOptions,
  corpusDocuments,
  DEFAULT_MIX,
  documentAt,
  EVAL_DOCUMENT_COUNT,
  normalizeMix,
  phenomenonText,
} from './corpus.js';
export {
  type AbItem,
  DEFAULT_EVAL_SIZES,
  type EvalSetOptions,
  type EvalSets,
  type EvalSizes,
  evalSets,
  evalTexts,
  type FactItem,
  type InductionItem,
  type IoiItem,
  type RefusalItem,
  type SentimentItem,
  type StyleItem,
  type TopicItem,
} from './eval-sets.js';
export { DEMO_TARGETS, type DemoEvalOptions, type DemoEvalReport, evaluateDemoModel } from './evaluate.js';
export { capitalize, fill, IOI_OBJECTS, IOI_PLACES, IOI_VERBS, NAMES, withArticle } from './lexicon.js';
export { modelCard, writeModelCard } from './model-card.js';
export { type PackOptions, packContexts } from './pack.js';
export { inductionPatchingPairs, ioiPatchingPairs, type PatchingPairs } from './patching-sets.js';
export { DEMO_MODEL_DIR, DEMO_TOKENIZER_PATH } from './paths.js';
export {
  AB_AXIS,
  AB_HELDOUT_FRACTION,
  type AbSample,
  abComboKey,
  abSample,
  abSituationCount,
} from './phenomena/ab.js';
export {
  FACT_CUES,
  FACT_FRAMES,
  type FactSentence,
  type FactsSample,
  factsSample,
  heldOutFactSentences,
  isHeldOutPhrasing,
  trainFactSentence,
} from './phenomena/facts.js';
export {
  INDUCTION_HEADERS,
  INDUCTION_WORDS,
  type InductionSample,
  inductionSample,
} from './phenomena/induction.js';
export {
  IOI_HELDOUT_PAIR_FRACTION,
  IOI_HELDOUT_TEMPLATES,
  IOI_TRAIN_TEMPLATES,
  type IoiSample,
  ioiPairKey,
  ioiSample,
} from './phenomena/ioi.js';
export { type PairsSample, pairsSample } from './phenomena/pairs.js';
export { drillsSample, type RepeatsSample, repeatsSample } from './phenomena/repeats.js';
export {
  REFUSAL,
  REQUEST_HELDOUT_FRACTION,
  type RequestSample,
  requestSample,
} from './phenomena/requests.js';
export {
  CLOSING_ADJECTIVES,
  REVIEW_OBJECTS,
  REVIEW_OPENERS,
  SENTIMENT_HELDOUT_FRACTION,
  type Sentiment,
  type SentimentSample,
  sentimentSample,
} from './phenomena/sentiment.js';
export {
  isHeldOutStylePair,
  POLITE_TEMPLATES,
  RUDE_TEMPLATES,
  STYLE_ACTIONS,
  STYLE_HELDOUT_FRACTION,
  type Style,
  type StyleSample,
  stylePair,
  styleSample,
} from './phenomena/style.js';
export {
  TOPIC_HELDOUT_FRACTION,
  TOPIC_WORDS,
  TOPICS,
  type Topic,
  type TopicSample,
  topicSample,
  topicSetKey,
} from './phenomena/topics.js';
export { splitPieces } from './pieces.js';
export { drawInPart, fmix32, hashString, isHeldOut, mixSeed, type Part, Rng, rngFor } from './random.js';
export {
  type AddedTokenJson,
  type BuildTokenizerOptions,
  buildTokenizerJson,
  byteLevel,
  SPECIAL_TOKENS,
  specialTokensMapJson,
  type TokenizerJson,
  tokenizerConfigJson,
} from './tokenizer.js';
export {
  exportTrainingState,
  learningRate,
  nextTokenLoss,
  phasedLearningRate,
  sinusoidalPositions,
  TRAIN_MIX,
  TRAIN_PHASES,
  type TrainOptions,
  type TrainPhase,
  type TrainResult,
  type TrainStep,
  trainDemoModel,
  trainingContexts,
} from './train.js';
export { type CorpusDocument, type Mix, PHENOMENA, type Phenomenon } from './types.js';
export {
  type City,
  COUNTRIES,
  candidatesOf,
  DISHES,
  factOf,
  RELATIONS,
  type Relation,
  RIVERS,
  WORLD,
} from './world.js';
export {
  demoTokenizerJson,
  stableJson,
  TOKENIZER_CORPUS_DOCS,
  TOKENIZER_CORPUS_SEED,
  writeDemoTokenizer,
} from './write-tokenizer.js';
