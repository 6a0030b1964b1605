import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadTokenizer, type Tokenizer } from '@mechlens/core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  buildTokenizerJson,
  byteLevel,
  COUNTRIES,
  corpusDocuments,
  DEMO_MODEL_DIR,
  DEMO_TOKENIZER_PATH,
  DISHES,
  demoTokenizerJson,
  evalSets,
  evalTexts,
  NAMES,
  RIVERS,
  SPECIAL_TOKENS,
  specialTokensMapJson,
  splitPieces,
  stableJson,
  tokenizerConfigJson,
  WORLD,
} from '../src/index.js';

let tok: Tokenizer;
beforeAll(async () => {
  tok = await loadTokenizer(DEMO_MODEL_DIR);
});

/** Exactly one token per piece: no byte fallback, no unknown token. */
function expectWordLevel(text: string): void {
  const ids = tok.encode(text);
  expect(ids.length, text).toBe(splitPieces(text).length);
  expect(ids).not.toContain(SPECIAL_TOKENS.unk.id);
  expect(tok.decode(ids), text).toBe(text);
}

describe('demo tokenizer', () => {
  it('the committed files are exactly what the generator builds (run build:tokenizer after corpus changes)', () => {
    expect(DEMO_TOKENIZER_PATH).toBe(join(DEMO_MODEL_DIR, 'tokenizer.json'));
    expect(readFileSync(DEMO_TOKENIZER_PATH, 'utf8')).toBe(stableJson(demoTokenizerJson()));
    expect(readFileSync(join(DEMO_MODEL_DIR, 'tokenizer_config.json'), 'utf8')).toBe(
      stableJson(tokenizerConfigJson()),
    );
    expect(readFileSync(join(DEMO_MODEL_DIR, 'special_tokens_map.json'), 'utf8')).toBe(
      stableJson(specialTokensMapJson()),
    );
  });

  it('loads with @mechlens/core: special tokens, ids and vocabulary size', () => {
    expect(tok.bosTokenId).toBe(0);
    expect(tok.eosTokenId).toBe(1);
    expect(tok.tokenToId('<|unk|>')).toBe(2);
    expect(tok.vocabSize).toBeGreaterThanOrEqual(2000);
    expect(tok.vocabSize).toBeLessThanOrEqual(4096);
    expect(tok.encode('Hello there', { addSpecialTokens: true })[0]).toBe(0);
    expect(tok.encode('Hello there')[0]).not.toBe(0);
    const ids = [0, ...tok.encode('When Mary left.'), 1];
    expect(tok.decode(ids)).toBe('<|bos|>When Mary left.<|eos|>');
    expect(tok.decode(ids, { skipSpecialTokens: true })).toBe('When Mary left.');
    expect(tok.encode('<|eos|>')).toEqual([1]);
    expect(tok.tokenize(' Mary')).toEqual(['ĠMary']);
  });

  it('round-trips every evaluation text exactly, one token per word or punctuation run', () => {
    const texts = evalTexts(evalSets());
    expect(texts.length).toBeGreaterThan(2000);
    for (const t of texts) expectWordLevel(t);
  });

  it('covers training text of another seed with no unknown token and no byte fallback', () => {
    let tokens = 0;
    for (const d of corpusDocuments({ seed: 987654, split: 'train', count: 4000 })) {
      expectWordLevel(d.text);
      tokens += splitPieces(d.text).length;
    }
    expect(tokens).toBeGreaterThan(4000 * 15);
  });

  it('names, places and answers are single tokens in their spaced form', () => {
    const one = (s: string) => expect(tok.encode(s), s).toHaveLength(1);
    for (const n of NAMES) one(` ${n}`);
    for (const c of WORLD) one(` ${c.name}`);
    for (const x of [...COUNTRIES, ...RIVERS, ...DISHES]) one(` ${x}`);
    const sets = evalSets();
    for (const x of sets.ioi) {
      one(x.correct);
      one(x.wrong);
    }
    for (const f of sets.facts) one(f.answer);
    for (const q of sets.ab) {
      const ids = tok.encode(` ${q.answerMatching}`);
      expect(ids).toHaveLength(3);
      expect(tok.idToToken(ids[1])).toBe(q.answerMatching[1]);
    }
  });

  it('falls back to bytes for text outside the corpus and still round-trips', () => {
    for (const t of ['Zyxwv qqq!', 'café 😀 naïve', '  two  spaces\n\n\ttab', '', '1234 + 5 = 1239']) {
      const ids = tok.encode(t);
      expect(ids).not.toContain(SPECIAL_TOKENS.unk.id);
      if (t.length > 0) expect(tok.decode(ids)).toBe(t);
    }
    expect(tok.encode('Zyxwv').length).toBe(5);
  });

  it('buildTokenizerJson is deterministic, order-independent and honours minCount/maxVocab', () => {
    const docs = ['b a b.', 'a c, a!', 'When Mary left.'];
    const a = buildTokenizerJson(docs);
    expect(buildTokenizerJson([...docs].reverse())).toEqual(a);
    const v = a.model.vocab;
    expect(v['<|bos|>']).toBe(0);
    expect(v['<|eos|>']).toBe(1);
    expect(v['<|unk|>']).toBe(2);
    expect(v[byteLevel('\0')]).toBe(3); // byte 0 ('Ā'), then the other bytes in byte order
    expect(v['!']).toBe(3 + 33);
    expect(Object.keys(v)).toHaveLength(3 + 256 + 6); // Ġa Ġb Ġc When ĠMary Ġleft (b . , ! are bytes)
    expect(v[byteLevel(' a')]).toBe(259); // the most frequent piece first
    expect(new Set(Object.values(v)).size).toBe(Object.keys(v).length);
    expect(Object.keys(buildTokenizerJson(docs, { minCount: 2 }).model.vocab)).toEqual([
      ...Object.keys(v).slice(0, 259),
      'Ġa',
    ]);
    expect(Object.keys(buildTokenizerJson(docs, { maxVocab: 260 }).model.vocab)).toHaveLength(260);
    expect(buildTokenizerJson([{ text: 'x y' }]).model.vocab[byteLevel(' y')]).toBe(259);
    expect(byteLevel(' Mary')).toBe('ĠMary');
    expect(byteLevel('\n')).toBe('Ċ');
    expect(byteLevel('é')).toBe('Ã©');
  });
});
