import { describe, expect, it } from 'vitest';
import { corpusDocuments, packContexts, SPECIAL_TOKENS } from '../src/index.js';

/** A toy encoder: one id (>= 10) per character. */
const encode = (t: string) => [...t].map((c) => 10 + c.charCodeAt(0));

describe('packContexts', () => {
  it('fills fixed-length contexts starting with BOS, documents separated by EOS, none seen without its start', () => {
    const docs = ['aaaa', 'bbbbbbb', 'cc', 'dddddddddddddddddddddddd', 'eee'];
    const ctxs = [...packContexts(docs, encode, { contextLength: 10 })];
    const B = SPECIAL_TOKENS.bos.id;
    const E = SPECIAL_TOKENS.eos.id;
    const t = (s: string) => encode(s);
    expect(ctxs).toEqual([
      [B, ...t('aaaa'), E, ...t('bbbb')],
      [B, ...t('bbbbbbb'), E, ...t('c')],
      [B, ...t('cc'), E, ...t('dddddd')],
      [B, ...t('ddddddddd')],
      // 'eee' + EOS is left over in an unfinished context and dropped
    ]);
    for (const c of ctxs) expect(c).toHaveLength(10);
  });

  it('packs the real corpus: every document starts right after BOS or EOS', () => {
    const docs = [...corpusDocuments({ seed: 0, split: 'train', count: 300 })];
    const starts = new Set(docs.map((d) => encode(d.text).slice(0, 3).join(',')));
    const ctxs = [...packContexts(docs, encode, { contextLength: 128 })];
    expect(ctxs.length).toBeGreaterThan(50);
    for (const c of ctxs) {
      expect(c).toHaveLength(128);
      expect(c[0]).toBe(0);
      expect(c.slice(1).includes(0)).toBe(false);
      expect(starts.has(c.slice(1, 4).join(','))).toBe(true);
    }
    expect(() => [...packContexts(['a'], encode, { contextLength: 1 })]).toThrow(RangeError);
  });

  it('fills exactly when a document ends at the context boundary', () => {
    const ctxs = [...packContexts(['abc', 'defg'], encode, { contextLength: 5, bosId: 7, eosId: 8 })];
    expect(ctxs).toEqual([
      [7, ...encode('abc'), 8],
      [7, ...encode('defg')],
    ]);
  });
});
