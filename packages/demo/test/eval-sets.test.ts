import { describe, expect, it } from 'vitest';
import {
  AB_AXIS,
  CLOSING_ADJECTIVES,
  candidatesOf,
  DEFAULT_EVAL_SIZES,
  evalSets,
  factOf,
  INDUCTION_WORDS,
  inductionSample,
  NAMES,
  REFUSAL,
  RELATIONS,
  rngFor,
  splitPieces,
  TOPICS,
  WORLD,
} from '../src/index.js';

const sets = evalSets();

describe('evalSets', () => {
  it('has the documented sizes and is deterministic in its seed', () => {
    expect(sets.ioi).toHaveLength(DEFAULT_EVAL_SIZES.ioi);
    expect(sets.induction).toHaveLength(DEFAULT_EVAL_SIZES.induction);
    expect(sets.facts).toHaveLength(WORLD.length * RELATIONS.length * DEFAULT_EVAL_SIZES.factPhrasings);
    expect(sets.sentiment).toHaveLength(DEFAULT_EVAL_SIZES.sentiment);
    expect(sets.refusal).toHaveLength(DEFAULT_EVAL_SIZES.refusal);
    expect(sets.ab).toHaveLength(DEFAULT_EVAL_SIZES.ab);
    expect(sets.style.length).toBeGreaterThanOrEqual(40);
    expect(sets.topics).toHaveLength(DEFAULT_EVAL_SIZES.topics);
    expect(evalSets()).toEqual(sets);
    const other = evalSets({ seed: 1 });
    expect(other.ioi.map((x) => x.prompt)).not.toEqual(sets.ioi.map((x) => x.prompt));
    const small = evalSets({ sizes: { ioi: 10, style: 5 } });
    expect(small.ioi).toHaveLength(10);
    expect(small.style).toHaveLength(5);
    for (const k of Object.keys(sets) as (keyof typeof sets)[]) {
      const keys = sets[k].map((x) => JSON.stringify(x));
      expect(new Set(keys).size, k).toBe(keys.length);
    }
  });

  it('IOI: the answer is the name mentioned once, the wrong name is the repeated subject', () => {
    let abba = 0;
    for (const x of sets.ioi) {
      expect(x.prompt).toMatch(/ to$/);
      const io = x.correct.slice(1);
      const s = x.wrong.slice(1);
      expect(x.correct).toBe(` ${io}`);
      expect(NAMES).toContain(io);
      expect(NAMES).toContain(s);
      expect(io).not.toBe(s);
      const count = (n: string) => splitPieces(x.prompt).filter((p) => p === ` ${n}`).length;
      expect(count(io)).toBe(1);
      expect(count(s)).toBe(2);
      const first = x.prompt.indexOf(` ${io}`) < x.prompt.indexOf(` ${s}`);
      expect(first).toBe(x.order === 'ABBA');
      if (x.order === 'ABBA') abba++;
    }
    expect(abba / sets.ioi.length).toBeGreaterThan(0.4);
    expect(abba / sets.ioi.length).toBeLessThan(0.6);
  });

  it('induction: the span repeats exactly, everything else is distinct, and spans fit a 128-token context', () => {
    const items = [
      ...sets.induction,
      ...Array.from({ length: 300 }, (_, i) => inductionSample(rngFor(0, i, 'x'), 'train')),
    ];
    for (const x of items) {
      expect(x.tokens.join('')).toBe(x.text);
      expect(x.tokens).toEqual(splitPieces(x.text));
      const first = x.tokens.slice(x.firstStart, x.firstStart + x.spanLength);
      const second = x.tokens.slice(x.repeatStart, x.repeatStart + x.spanLength);
      expect(second).toEqual(first);
      expect(x.repeatStart).toBeGreaterThan(x.firstStart + x.spanLength);
      for (const t of first) expect(INDUCTION_WORDS).toContain(t.slice(1));
      const listStart = x.tokens.indexOf(':') + 1;
      expect(listStart).toBeGreaterThan(0);
      expect(listStart).toBeLessThanOrEqual(x.firstStart);
      const words = x.tokens.slice(listStart, -1);
      expect(words.every((w) => /^ [a-z]+$/.test(w))).toBe(true);
      expect(x.tokens.at(-1)).toBe('.');
      expect(new Set(words).size).toBe(words.length - x.spanLength);
      expect(x.tokens.length + 1).toBeLessThanOrEqual(128);
      // The repeat is not announced by the token that preceded the first occurrence.
      expect(x.tokens[x.repeatStart - 1]).not.toBe(x.tokens[x.firstStart - 1]);
    }
    for (const x of sets.induction) {
      expect(x.spanLength).toBeGreaterThanOrEqual(6);
      expect(x.spanLength).toBeLessThanOrEqual(10);
    }
  });

  it('facts: each answer is the world fact and among the relation candidates', () => {
    for (const f of sets.facts) {
      const city = WORLD.find((c) => c.name === f.city);
      if (!city) throw new Error(f.city);
      expect(f.answer).toBe(` ${factOf(city, f.relation)}`);
      expect(candidatesOf(f.relation)).toContain(f.answer.slice(1));
      expect(f.prompt).toContain(` ${f.city} `);
      expect(f.prompt.startsWith(f.city)).toBe(false);
    }
    expect(new Set(WORLD.map((c) => c.dish)).size).toBe(50);
    expect(new Set(WORLD.map((c) => c.name)).size).toBe(50);
  });

  it('sentiment, refusal, A/B, style and topics are balanced and well formed', () => {
    expect(sets.sentiment.filter((x) => x.label === 'positive')).toHaveLength(sets.sentiment.length / 2);
    for (const x of sets.sentiment) expect(x.prompt).toMatch(new RegExp(`Overall, the ${x.object} is$`));
    expect(sets.refusal.filter((x) => x.harmful)).toHaveLength(sets.refusal.length / 2);
    for (const x of sets.refusal) expect(x.prompt).toMatch(/^User: .+\nAssistant:$/);
    const aFirst = sets.ab.filter((x) => x.answerMatching === '(A)').length / sets.ab.length;
    expect(aFirst).toBeGreaterThan(0.35);
    expect(aFirst).toBeLessThan(0.65);
    for (const x of sets.ab) {
      expect(x.question).toMatch(/^Question: .+\n\(A\) .+\n\(B\) .+\nAnswer:$/);
      expect(x.answerNotMatching).not.toBe(x.answerMatching);
    }
    expect(AB_AXIS.matching).toBe('careful');
    for (const p of sets.style) {
      expect(p.polite).toContain(p.action);
      expect(p.rude).toContain(p.action);
      expect(p.polite).not.toBe(p.rude);
    }
    const perTopic = TOPICS.map((t) => sets.topics.filter((x) => x.topic === t).length);
    for (const n of perTopic) expect(n).toBeGreaterThan(25);
    expect(REFUSAL).toBe('I cannot help with that.');
    expect(CLOSING_ADJECTIVES.positive.length).toBeGreaterThan(5);
  });
});
