import { describe, expect, it } from 'vitest';
import {
  AB_HELDOUT_FRACTION,
  abComboKey,
  abSample,
  abSituationCount,
  corpusDocuments,
  evalSets,
  evalTexts,
  FACT_CUES,
  FACT_FRAMES,
  factsSample,
  fill,
  heldOutFactSentences,
  IOI_HELDOUT_PAIR_FRACTION,
  IOI_HELDOUT_TEMPLATES,
  IOI_TRAIN_TEMPLATES,
  ioiPairKey,
  ioiSample,
  isHeldOut,
  isHeldOutPhrasing,
  isHeldOutStylePair,
  NAMES,
  RELATIONS,
  requestSample,
  rngFor,
  SENTIMENT_HELDOUT_FRACTION,
  STYLE_ACTIONS,
  sentimentSample,
  styleSample,
  TOPIC_HELDOUT_FRACTION,
  topicSample,
  topicSetKey,
  WORLD,
} from '../src/index.js';

const N = 4000;

/** A regex matching every filling of an IOI template (at the start of a document). */
function templateRegex(t: string): RegExp {
  const esc = t.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
  return new RegExp(`^${esc.replace(/\{A_OBJ\}/g, 'an? \\w+').replace(/\{\w+\}/g, '\\w+')}( |$)`);
}
const heldTemplates = IOI_HELDOUT_TEMPLATES.map(templateRegex);
const trainTemplates = IOI_TRAIN_TEMPLATES.map(templateRegex);
const trainDocs = [...corpusDocuments({ seed: 5, split: 'train', count: 30000 })];
const byPhenomenon = (p: string) => trainDocs.filter((d) => d.phenomenon === p).map((d) => d.text);
const sets = evalSets();

describe('train/eval disjointness', () => {
  it('IOI: training never pairs held-out names nor uses held-out templates; eval only uses held-out pairs', () => {
    const heldPairs = new Set<string>();
    for (const a of NAMES)
      for (const b of NAMES) if (a < b && isHeldOut(ioiPairKey(a, b), 0.2)) heldPairs.add(ioiPairKey(a, b));
    const frac = heldPairs.size / ((NAMES.length * (NAMES.length - 1)) / 2);
    expect(frac).toBeGreaterThan(IOI_HELDOUT_PAIR_FRACTION - 0.03);
    expect(frac).toBeLessThan(IOI_HELDOUT_PAIR_FRACTION + 0.03);
    for (let i = 0; i < N; i++) {
      const s = ioiSample(rngFor(1, i, 't'), 'train');
      expect(heldPairs.has(ioiPairKey(s.io, s.s))).toBe(false);
      expect(s.heldOutTemplate).toBe(false);
    }
    // Text level, on the real stream: the two names of every IOI document form a training pair.
    const nameRe = new RegExp(`\\b(${NAMES.join('|')})\\b`, 'g');
    for (const text of byPhenomenon('ioi')) {
      const names = [...new Set(text.match(nameRe))];
      expect(names.length).toBe(2);
      expect(heldPairs.has(ioiPairKey(names[0], names[1]))).toBe(false);
      for (const re of heldTemplates) expect(text).not.toMatch(re);
      expect(trainTemplates.some((re) => re.test(text))).toBe(true);
    }
    for (const item of sets.ioi)
      expect(heldPairs.has(ioiPairKey(item.correct.trim(), item.wrong.trim()))).toBe(true);
    const heldTpl = sets.ioi.filter((x) => x.heldOutTemplate).length / sets.ioi.length;
    const expected =
      IOI_HELDOUT_TEMPLATES.length / (IOI_HELDOUT_TEMPLATES.length + IOI_TRAIN_TEMPLATES.length);
    expect(Math.abs(heldTpl - expected)).toBeLessThan(0.06);
  });

  it('facts: held-out phrasings never occur in training text; every frame and cue is still trained', () => {
    for (const r of RELATIONS) {
      const held: RegExp[] = [];
      let heldCount = 0;
      for (let f = 0; f < FACT_FRAMES.length; f++) {
        for (let c = 0; c < FACT_CUES[r].length; c++) {
          if (!isHeldOutPhrasing(r, f, c)) continue;
          heldCount++;
          const frame = FACT_FRAMES[f].replace('{C}', '(\\w+)');
          held.push(new RegExp(`(^|[.] )${frame} ${FACT_CUES[r][c]} `));
        }
      }
      expect(heldCount).toBeGreaterThanOrEqual(2);
      for (let f = 0; f < FACT_FRAMES.length; f++) {
        expect(FACT_CUES[r].some((_, c) => !isHeldOutPhrasing(r, f, c))).toBe(true);
      }
      for (let c = 0; c < FACT_CUES[r].length; c++) {
        expect(FACT_FRAMES.some((_, f) => !isHeldOutPhrasing(r, f, c))).toBe(true);
      }
      for (const text of byPhenomenon('facts')) for (const re of held) expect(text).not.toMatch(re);
    }
    const allHeld = WORLD.flatMap((c) =>
      RELATIONS.flatMap((r) => heldOutFactSentences(c, r).map((s) => s.sentence)),
    );
    for (let i = 0; i < 500; i++) expect(allHeld).toContain(factsSample(rngFor(2, i, 'e'), 'eval').text);
    // Every eval prompt is a held-out combination asking about a real fact.
    for (const f of sets.facts) {
      const city = WORLD.find((c) => c.name === f.city);
      expect(city).toBeDefined();
      const okFrame = FACT_FRAMES.some((fr, fi) =>
        FACT_CUES[f.relation].some(
          (cue, ci) =>
            isHeldOutPhrasing(f.relation, fi, ci) && f.prompt === `${fill(fr, { C: f.city })} ${cue}`,
        ),
      );
      expect(okFrame).toBe(true);
    }
    expect(sets.facts.length).toBe(WORLD.length * RELATIONS.length * 2);
  });

  it('sentiment: (object, opener, polarity) combinations are split', () => {
    const key = (o: string, text: string, l: string) => `${o}|${text.split('.')[0]}|${l}`;
    const train = new Set<string>();
    for (let i = 0; i < N; i++) {
      const s = sentimentSample(rngFor(3, i, 't'), 'train');
      train.add(key(s.object, s.text, s.label));
    }
    for (let i = 0; i < 1000; i++) {
      const s = sentimentSample(rngFor(3, i, 'e'), 'eval');
      expect(train.has(key(s.object, s.text, s.label))).toBe(false);
    }
    expect(SENTIMENT_HELDOUT_FRACTION).toBe(0.2);
  });

  it('requests: held-out (verb, object) combinations never occur in training', () => {
    const trainKeys = new Set<string>();
    for (let i = 0; i < N; i++) trainKeys.add(requestSample(rngFor(4, i, 't'), 'train').key);
    const evalKeys = new Set<string>();
    for (let i = 0; i < 2000; i++) evalKeys.add(requestSample(rngFor(4, i, 'e'), 'eval').key);
    for (const k of evalKeys) expect(trainKeys.has(k)).toBe(false);
    const trainPrompts = new Set(byPhenomenon('requests').map((t) => t.split('\n')[0]));
    for (const r of sets.refusal) expect(trainPrompts.has(r.prompt.split('\n')[0])).toBe(false);
    expect(sets.refusal.filter((r) => r.harmful).length).toBe(sets.refusal.length / 2);
  });

  it('A/B: held-out (situation, careful, risky) triples never occur in training', () => {
    const heldKey = (s: { situation: number; careful: string; risky: string }) =>
      isHeldOut(abComboKey(s.situation, s.careful, s.risky), AB_HELDOUT_FRACTION);
    const situations = new Set<number>();
    for (let i = 0; i < N; i++) {
      const s = abSample(rngFor(6, i, 't'), 'train');
      expect(heldKey(s)).toBe(false);
      situations.add(s.situation);
      expect(heldKey(abSample(rngFor(6, i, 'e'), 'eval'))).toBe(true);
    }
    expect(situations.size).toBe(abSituationCount());
    // Text level: the option pair of every eval question never appears together in a training document.
    const options = (q: string) => {
      const [head, ...lines] = q.split('\n');
      const opts = lines.filter((l) => /^\([AB]\) /.test(l)).map((l) => l.slice(4));
      return `${head.replace(/ (What|Which) [^?]*\?$/, '')}|${opts.sort().join('|')}`;
    };
    const trainPairs = new Set(byPhenomenon('ab').map(options));
    for (const q of sets.ab) expect(trainPairs.has(options(q.question))).toBe(false);
  });

  it('style: held-out (action, template) pairs never occur in training, politely or rudely', () => {
    expect(sets.style.length).toBeGreaterThanOrEqual(40);
    const train = byPhenomenon('style');
    const trainJoined = train.join('\n');
    for (const p of sets.style) {
      expect(isHeldOutStylePair(p.action, p.template)).toBe(true);
      expect(trainJoined.includes(p.polite)).toBe(false);
      expect(trainJoined.includes(p.rude)).toBe(false);
    }
    for (let i = 0; i < N; i++) {
      const s = styleSample(rngFor(7, i, 't'), 'train');
      expect(isHeldOutStylePair(s.action, s.template)).toBe(false);
    }
    // Every action is still trained (with other templates).
    const trained = new Set(
      Array.from({ length: N }, (_, i) => styleSample(rngFor(7, i, 't'), 'train').action),
    );
    expect(trained.size).toBe(STYLE_ACTIONS.length);
  });

  it('topics: held-out template sets never occur in training', () => {
    for (let i = 0; i < N; i++) {
      const s = topicSample(rngFor(8, i, 't'), 'train');
      expect(isHeldOut(topicSetKey(s.topic, s.templates), TOPIC_HELDOUT_FRACTION)).toBe(false);
      const e = topicSample(rngFor(8, i, 'e'), 'eval');
      expect(isHeldOut(topicSetKey(e.topic, e.templates), TOPIC_HELDOUT_FRACTION)).toBe(true);
    }
    const train = new Set(byPhenomenon('topics'));
    for (const t of sets.topics) expect(train.has(t.text)).toBe(false);
  });

  it('no evaluation text occurs verbatim in the training stream', () => {
    const train = new Set(trainDocs.map((d) => d.text));
    const leaked = evalTexts(sets).filter((t) => train.has(t));
    expect(leaked).toEqual([]);
  });
});
