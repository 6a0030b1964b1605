import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointError, loadTokenizer, type Tokenizer } from '../../src/io/index.js';

const DIR = join(import.meta.dirname, '..', 'fixtures', 'gpt2-tokenizer');
const expected = JSON.parse(readFileSync(join(DIR, 'expected_encodings.json'), 'utf8')) as {
  text: string;
  ids: number[];
}[];
const tmp = mkdtempSync(join(tmpdir(), 'mechlens-tok-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let tok: Tokenizer;
beforeAll(async () => {
  tok = await loadTokenizer(DIR);
});

describe('GPT-2 tokenizer.json', () => {
  it('has the expected fixture texts', () => {
    expect(expected.length).toBeGreaterThanOrEqual(9);
  });

  for (const [i, { text, ids }] of expected.entries()) {
    it(`encodes and decodes text #${i}: ${JSON.stringify(text).slice(0, 40)}`, () => {
      expect(tok.encode(text)).toEqual(ids);
      expect(tok.encode(text, { addSpecialTokens: false })).toEqual(ids);
      expect(tok.decode(ids)).toBe(text);
    });
  }

  it('maps <|endoftext|> to the single special id 50256', () => {
    expect(tok.encode('<|endoftext|>')).toEqual([50256]);
    expect(tok.encode('Hello<|endoftext|> world')).toEqual([15496, 50256, 995]);
    expect(tok.tokenToId('<|endoftext|>')).toBe(50256);
    expect(tok.idToToken(50256)).toBe('<|endoftext|>');
    expect(tok.decode([15496, 50256, 995])).toBe('Hello<|endoftext|> world');
    expect(tok.decode([15496, 50256, 995], { skipSpecialTokens: true })).toBe('Hello world');
  });

  it('reports vocab size and special ids from tokenizer_config.json', () => {
    expect(tok.vocabSize).toBe(50257);
    expect(tok.bosTokenId).toBe(50256);
    expect(tok.eosTokenId).toBe(50256);
    expect(tok.padTokenId).toBeNull();
    expect(tok.tokenize('Hello world')).toEqual(['Hello', 'Ġworld']);
    expect(tok.idToToken(995)).toBe('Ġworld');
    expect(tok.tokenToId('Ġworld')).toBe(995);
    expect(tok.idToToken(10 ** 7)).toBeUndefined();
    expect(tok.tokenToId('not-a-token-xyz')).toBeUndefined();
  });

  it('loads from the tokenizer.json path directly; without tokenizer_config.json there are no special ids', async () => {
    const byPath = await loadTokenizer(join(DIR, 'tokenizer.json'));
    expect(byPath.encode('Hello world')).toEqual([15496, 995]);
    const bare = mkdtempSync(join(tmp, 'bare-'));
    cpSync(join(DIR, 'tokenizer.json'), join(bare, 'tokenizer.json'));
    const t = await loadTokenizer(bare);
    expect(t.bosTokenId).toBeNull();
    expect(t.encode('Hello world')).toEqual([15496, 995]);
    writeFileSync(
      join(bare, 'special_tokens_map.json'),
      JSON.stringify({ eos_token: { content: '<|endoftext|>' } }),
    );
    expect((await loadTokenizer(bare)).eosTokenId).toBe(50256);
  });
});

describe('tokenizer errors', () => {
  it('says which file is missing and that tokenizer.json is required', async () => {
    const legacy = mkdtempSync(join(tmp, 'legacy-'));
    cpSync(join(DIR, 'vocab.json'), join(legacy, 'vocab.json'));
    cpSync(join(DIR, 'merges.txt'), join(legacy, 'merges.txt'));
    const err = await loadTokenizer(legacy).catch((e) => e);
    expect(err).toBeInstanceOf(CheckpointError);
    expect(err.code).toBe('NO_TOKENIZER');
    expect(err.message).toMatch(
      /no tokenizer\.json in .*legacy-.*: mechlens needs tokenizer\.json \(the Hugging Face fast-tokenizer format\)/,
    );
    expect(err.message).toMatch(/vocab\.json \+ merges\.txt.*AutoTokenizer/);
    await expect(loadTokenizer(join(tmp, 'missing', 'tokenizer.json'))).rejects.toThrow(/does not exist/);
  });

  it('rejects malformed tokenizer files', async () => {
    const bad = mkdtempSync(join(tmp, 'bad-'));
    writeFileSync(join(bad, 'tokenizer.json'), '{not json');
    await expect(loadTokenizer(bad)).rejects.toThrow(/cannot parse JSON/);
    writeFileSync(join(bad, 'tokenizer.json'), '{"version": "1.0"}');
    await expect(loadTokenizer(bad)).rejects.toThrow(/no "model" section/);
  });
});
