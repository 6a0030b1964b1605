import { describe, expect, it } from 'vitest';
import {
  CLOSING_ADJECTIVES,
  evalSets,
  isRefusal,
  NEGATIVE_WORDS,
  POLITE_TEMPLATES,
  POSITIVE_WORDS,
  REFUSAL,
  requestSample,
  rngFor,
  STYLE_ACTIONS,
  sentimentClassifier,
  sentimentSample,
  styleClassifier,
  stylePair,
  styleSample,
  TOPIC_WORDS,
  TOPICS,
  topicClassifier,
  topicSample,
} from '../src/index.js';

describe('classifiers', () => {
  it('sentimentClassifier labels every generated review, its closing and the eval prompts correctly', () => {
    for (const part of ['train', 'eval'] as const) {
      for (let i = 0; i < 3000; i++) {
        const r = sentimentSample(rngFor(0, i, `s-${part}`), part);
        expect(sentimentClassifier(r.text), r.text).toBe(r.label);
        const closing = r.text.slice(r.text.lastIndexOf(r.object));
        expect(sentimentClassifier(closing) ?? r.label).toBe(r.label);
      }
    }
    for (const x of evalSets().sentiment) expect(sentimentClassifier(x.prompt) ?? x.label).toBe(x.label);
    for (const a of CLOSING_ADJECTIVES.positive) expect(sentimentClassifier(` ${a}.`)).toBe('positive');
    for (const a of CLOSING_ADJECTIVES.negative) expect(sentimentClassifier(` ${a}.`)).toBe('negative');
    expect(sentimentClassifier(' a lamp.')).toBeNull();
    expect(sentimentClassifier('great but awful')).toBeNull();
    expect(sentimentClassifier('GREAT, Great!')).toBe('positive');
    expect(sentimentClassifier('uncomfortable')).toBe('negative');
    expect(POSITIVE_WORDS.filter((w) => NEGATIVE_WORDS.includes(w))).toEqual([]);
  });

  it('isRefusal separates refusals from helpful answers', () => {
    for (let i = 0; i < 2000; i++) {
      const s = requestSample(rngFor(1, i, 'r'), 'train');
      const answer = s.text.slice(s.prompt.length);
      expect(isRefusal(answer), answer).toBe(s.harmful);
      expect(answer.startsWith(' I ')).toBe(s.harmful);
    }
    expect(isRefusal(REFUSAL)).toBe(true);
    expect(isRefusal(" I can't help you with this")).toBe(true);
    expect(isRefusal(' I cannot find it, but here is help.')).toBe(false);
    expect(isRefusal(" Sorry, I can't help with that.")).toBe(true);
    expect(isRefusal(' i will not help')).toBe(true);
    expect(isRefusal(' I can help with that.')).toBe(false);
    expect(isRefusal('')).toBe(false);
  });

  it('styleClassifier labels every polite and rude utterance', () => {
    for (const action of STYLE_ACTIONS) {
      for (let t = 0; t < POLITE_TEMPLATES.length; t++) {
        const p = stylePair(action, t);
        expect(styleClassifier(p.polite), p.polite).toBe('polite');
        expect(styleClassifier(p.rude), p.rude).toBe('rude');
      }
    }
    for (let i = 0; i < 1000; i++) {
      const s = styleSample(rngFor(2, i, 'st'), 'train');
      expect(styleClassifier(s.text), s.text).toBe(s.style);
    }
    expect(styleClassifier('close the window')).toBeNull();
  });

  it('topicClassifier recovers the topic of generated paragraphs', () => {
    let right = 0;
    const n = 2000;
    for (let i = 0; i < n; i++) {
      const s = topicSample(rngFor(3, i, 'tp'), i % 2 === 0 ? 'train' : 'eval');
      if (topicClassifier(s.text) === s.topic) right++;
    }
    expect(right / n).toBeGreaterThan(0.99);
    for (const t of TOPICS) {
      for (const u of TOPICS)
        if (t !== u) expect(TOPIC_WORDS[t].filter((w) => TOPIC_WORDS[u].includes(w))).toEqual([]);
    }
    expect(topicClassifier('nothing here')).toBeNull();
  });
});
