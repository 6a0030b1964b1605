import { describe, expect, it } from 'vitest';
import {
  type CorpusDocument,
  corpusDocuments,
  DEFAULT_MIX,
  documentAt,
  EVAL_DOCUMENT_COUNT,
  fmix32,
  hashString,
  mixSeed,
  normalizeMix,
  PHENOMENA,
  Rng,
  rngFor,
} from '../src/index.js';

function take(n: number, it: Iterable<CorpusDocument>): CorpusDocument[] {
  const out: CorpusDocument[] = [];
  for (const d of it) {
    out.push(d);
    if (out.length === n) break;
  }
  return out;
}

describe('random', () => {
  it('mulberry32 is deterministic, uniform-ish and seed-sensitive', () => {
    const a = new Rng(123);
    const b = new Rng(123);
    const xs = Array.from({ length: 10000 }, () => a.next());
    expect(xs).toEqual(Array.from({ length: 10000 }, () => b.next()));
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.02);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(new Rng(124).next()).not.toBe(new Rng(123).next());
    const counts = new Array(6).fill(0);
    for (let i = 0; i < 6000; i++) counts[a.int(6)]++;
    for (const c of counts) expect(Math.abs(c - 1000)).toBeLessThan(150);
  });

  it('mixes seeds beyond 32 bits and hashes strings stably', () => {
    expect(mixSeed(1, 2)).not.toBe(mixSeed(2, 1));
    expect(mixSeed(2 ** 40, 0)).not.toBe(mixSeed(0, 0));
    expect(mixSeed(2 ** 40 + 1, 0)).not.toBe(mixSeed(2 ** 40, 0));
    expect(() => mixSeed(1.5)).toThrow(RangeError);
    // Pinned values: the corpus must not change silently across refactors. mulberry32(0)'s first
    // output and murmur3's fmix32(1) are the published reference values.
    expect(new Rng(0).next()).toBe(0.26642920868471265);
    expect(fmix32(1)).toBe(0x514e28b7);
    expect(hashString('mechlens')).toBe(401556919);
    expect(mixSeed(0, 0)).toBe(848134443);
    expect(rngFor(0, 0, 'x').next()).toBe(rngFor(0, 0, 'x').next());
    expect(rngFor(0, 0, 'x').next()).not.toBe(rngFor(0, 0, 'y').next());
  });

  it('samples distinct elements and shuffles without losing any', () => {
    const rng = new Rng(5);
    const items = Array.from({ length: 50 }, (_, i) => i);
    const s = rng.sample(items, 20);
    expect(new Set(s).size).toBe(20);
    expect(rng.shuffle(items).sort((x, y) => x - y)).toEqual(items);
    expect(() => rng.sample(items, 51)).toThrow(RangeError);
    expect(() => rng.pick([])).toThrow(RangeError);
  });
});

describe('corpusDocuments', () => {
  it('is deterministic in the seed and differs across seeds', () => {
    const a = take(300, corpusDocuments({ seed: 7, split: 'train' }));
    const b = take(300, corpusDocuments({ seed: 7, split: 'train' }));
    const c = take(300, corpusDocuments({ seed: 8, split: 'train' }));
    expect(a).toEqual(b);
    const same = a.filter((d, i) => d.text === c[i].text).length;
    expect(same).toBeLessThan(10);
    for (const d of a) {
      expect(d.text.length).toBeGreaterThan(10);
      expect(PHENOMENA).toContain(d.phenomenon);
      expect(d.text).not.toMatch(/<\|/);
      expect(d.text).toMatch(/^[\x20-\x7e\n]+$/);
    }
  });

  it('is a pure function of (seed, index): resume and shard give the same documents', () => {
    const all = take(40, corpusDocuments({ seed: 3, split: 'train' }));
    expect(all[17]).toEqual(documentAt(3, 17));
    expect([...corpusDocuments({ seed: 3, split: 'train', start: 10, count: 5 })]).toEqual(all.slice(10, 15));
    const shard = [...corpusDocuments({ seed: 3, split: 'train', start: 1, stride: 4, count: 9 })];
    expect(shard).toEqual([1, 5, 9, 13, 17, 21, 25, 29, 33].map((i) => all[i]));
    expect(documentAt(2 ** 40, 5).text).toBe(documentAt(2 ** 40, 5).text);
  });

  it('the eval split is finite, deterministic and separate from train', () => {
    const ev = [...corpusDocuments({ seed: 0, split: 'eval' })];
    expect(ev.length).toBe(EVAL_DOCUMENT_COUNT);
    expect([...corpusDocuments({ seed: 0, split: 'eval', count: 20 })]).toEqual(ev.slice(0, 20));
    const train = new Set(take(20000, corpusDocuments({ seed: 0, split: 'train' })).map((d) => d.text));
    const overlap = ev.filter((d) => train.has(d.text));
    expect(overlap).toEqual([]);
  });

  it('mixes the phenomena at the configured rates', () => {
    const n = 20000;
    const counts = Object.fromEntries(PHENOMENA.map((p) => [p, 0])) as Record<string, number>;
    for (const d of corpusDocuments({ seed: 11, split: 'train', count: n })) counts[d.phenomenon]++;
    for (const p of PHENOMENA) {
      expect(counts[p] / n, p).toBeGreaterThan(DEFAULT_MIX[p] - 0.012);
      expect(counts[p] / n, p).toBeLessThan(DEFAULT_MIX[p] + 0.012);
    }
    const custom = { ioi: 1, facts: 3 };
    const c2: Record<string, number> = {};
    for (const d of corpusDocuments({ seed: 11, split: 'train', count: 4000, mix: custom })) {
      c2[d.phenomenon] = (c2[d.phenomenon] ?? 0) + 1;
    }
    expect(Object.keys(c2).sort()).toEqual(['facts', 'ioi']);
    expect(c2.facts / 4000).toBeGreaterThan(0.72);
    expect(c2.facts / 4000).toBeLessThan(0.78);
  });

  it('validates options', () => {
    expect(() => normalizeMix({})).toThrow(RangeError);
    expect(() => normalizeMix({ ioi: -1, facts: 2 })).toThrow(RangeError);
    expect(() => normalizeMix({ ioi: Number.NaN })).toThrow(RangeError);
    expect(() => normalizeMix({ bogus: 1 } as never)).toThrow(/unknown phenomenon/);
    expect(normalizeMix({ ioi: 2, ab: 2 })).toMatchObject({ ioi: 0.5, ab: 0.5, facts: 0 });
    expect(() => [...corpusDocuments({ seed: 0, split: 'train', stride: 0, count: 1 })]).toThrow(RangeError);
    expect(() => [...corpusDocuments({ seed: 0, split: 'train', start: -1, count: 1 })]).toThrow(RangeError);
  });
});
