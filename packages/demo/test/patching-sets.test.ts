/** The alternating-pairs phenomenon and the clean/corrupted prompt pairs for patching. */
import { type HookedTransformer, initEngine, loadModel } from '@mechlens/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEMO_MODEL_DIR,
  documentAt,
  drillsSample,
  headAnalysis,
  INDUCTION_HEADERS,
  inductionPatchingPairs,
  ioiPatchingPairs,
  pairsSample,
  Rng,
  repeatsSample,
} from '../src/index.js';

let model: HookedTransformer;
beforeAll(async () => {
  await initEngine();
  model = await loadModel(DEMO_MODEL_DIR);
});
afterAll(() => model.dispose());

describe('alternating pairs', () => {
  it('repeats each pair; skip positions predict the token before the current one; one token per piece', () => {
    for (let s = 0; s < 50; s++) {
      const x = pairsSample(new Rng(s), 'train');
      expect(model.toTokens(x.text, { prependBos: false })[0].length).toBe(x.tokens.length);
      expect(x.skipPositions.length).toBeGreaterThanOrEqual(2);
      for (const i of x.skipPositions) {
        expect(x.tokens[i + 1]).toBe(x.tokens[i - 1]);
        expect(x.tokens.slice(0, i).includes(x.tokens[i])).toBe(false);
      }
    }
  });

  it('is absent from the default mixture (so the default corpus and tokenizer are unchanged) but can be mixed in', () => {
    for (let i = 0; i < 300; i++) expect(documentAt(0, i).phenomenon).not.toBe('pairs');
    expect(documentAt(0, 5, 'train', { pairs: 1 }).phenomenon).toBe('pairs');
  });
});

describe('repeats', () => {
  it('says one list of distinct words 2 or 3 times without a break; every occurrence is the same tokens; one token per piece', () => {
    for (let s = 0; s < 50; s++) {
      const x = repeatsSample(new Rng(s), 'train');
      expect(model.toTokens(x.text, { prependBos: false })[0].length).toBe(x.tokens.length);
      expect(x.starts.length === 2 || x.starts.length === 3).toBe(true);
      expect(x.length).toBeGreaterThanOrEqual(6);
      expect(x.length).toBeLessThanOrEqual(20);
      const first = x.tokens.slice(x.starts[0], x.starts[0] + x.length);
      expect(new Set(first).size).toBe(x.length);
      for (const st of x.starts) expect(x.tokens.slice(st, st + x.length)).toEqual(first);
      for (let i = 1; i < x.starts.length; i++) expect(x.starts[i] - x.starts[i - 1]).toBe(x.length);
      const words = x.tokens.slice(x.tokens.indexOf(':') + 1, x.starts[1]);
      expect(new Set(words).size).toBe(words.length);
      expect(x.tokens.at(-1)).toBe('.');
      expect(INDUCTION_HEADERS.some((h) => x.text.startsWith(`${h} `))).toBe(true);
      expect(x.starts.at(-1)).toBe(x.tokens.length - x.length - 1);
    }
  });

  it('is absent from the default mixture (so the default corpus and tokenizer are unchanged) but can be mixed in', () => {
    for (let i = 0; i < 300; i++) expect(documentAt(0, i).phenomenon).not.toBe('repeats');
    expect(documentAt(0, 5, 'train', { repeats: 1 }).phenomenon).toBe('repeats');
  });
});

describe('drills', () => {
  it('says one list of distinct words 2 or 3 times, each ending with a full stop; one token per piece', () => {
    for (let s = 0; s < 50; s++) {
      const x = drillsSample(new Rng(s), 'train');
      expect(model.toTokens(x.text, { prependBos: false })[0].length).toBe(x.tokens.length);
      expect(x.starts.length === 2 || x.starts.length === 3).toBe(true);
      expect(INDUCTION_HEADERS.some((h) => x.text.startsWith(`${h} `))).toBe(true);
      const first = x.tokens.slice(x.starts[0], x.starts[0] + x.length);
      expect(new Set(first).size).toBe(x.length);
      expect(x.tokens[x.starts[0] - 1]).toBe(':');
      for (const st of x.starts) {
        expect(x.tokens.slice(st, st + x.length)).toEqual(first);
        expect(x.tokens[st + x.length]).toBe('.');
      }
      expect(x.starts.at(-1)).toBe(x.tokens.length - x.length - 1);
    }
  });

  it('is absent from the default mixture but can be mixed in', () => {
    for (let i = 0; i < 300; i++) expect(documentAt(0, i).phenomenon).not.toBe('drills');
    expect(documentAt(0, 5, 'train', { drills: 1 }).phenomenon).toBe('drills');
  });
});

describe('patching pairs', () => {
  it('IOI: one length, names swapped, answers flipped', () => {
    const p = ioiPatchingPairs(model, { n: 12 });
    expect(p.clean).toHaveLength(12);
    const T = p.clean[0].length;
    p.clean.forEach((row, b) => {
      expect(row).toHaveLength(T);
      expect(p.corrupt[b]).toHaveLength(T);
      expect(row[p.ioPositions[b]]).toBe(p.correct[b]);
      expect(row[p.s2Positions[b]]).toBe(p.wrong[b]);
      expect(p.corrupt[b][p.ioPositions[b]]).toBe(p.wrong[b]);
      expect(p.corrupt[b][p.s2Positions[b]]).toBe(p.correct[b]);
      expect(row.filter((t, i) => t !== p.corrupt[b][i]).length).toBe(3); // IO once, S twice
    });
  });

  it('induction: the prompt ends inside the repeat; only the earlier successor differs', () => {
    const p = inductionPatchingPairs(model, { n: 10 });
    expect(p.clean).toHaveLength(10);
    const T = p.clean[0].length;
    p.clean.forEach((row, b) => {
      expect(row).toHaveLength(T);
      const e = p.earlierPositions[b];
      expect(row[e]).toBe(row[T - 1]);
      expect(row[e + 1]).toBe(p.correct[b]);
      expect(p.corrupt[b][e + 1]).toBe(p.wrong[b]);
      expect(row.filter((t, i) => t !== p.corrupt[b][i]).length).toBe(1);
      expect(row.includes(p.wrong[b])).toBe(false);
    });
  });
});

describe('head analysis', () => {
  it('scores every head in [0, 1] (IOI: two positions, so [0, 2]) and names the top head of each kind', () => {
    const a = headAnalysis(model, { n: 8 });
    expect(a.heads).toHaveLength(model.cfg.nLayers * model.cfg.nHeads);
    for (const h of a.heads) {
      for (const v of [h.previousToken, h.induction]) expect(v >= 0 && v <= 1).toBe(true);
      expect(h.ioiNames >= 0 && h.ioiNames <= 2).toBe(true);
    }
    const maxPrev = Math.max(...a.heads.map((h) => h.previousToken));
    expect(a.top.previousToken.previousToken).toBe(maxPrev);
    expect(a.top.ioiNames.ioiNames).toBe(Math.max(...a.heads.map((h) => h.ioiNames)));
  });
});
