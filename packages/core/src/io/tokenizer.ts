/**
 * Tokenizers from `tokenizer.json` (the Hugging Face "fast tokenizer" file) through
 * `@huggingface/tokenizers`, with special-token ids from `tokenizer_config.json` /
 * `special_tokens_map.json` when present.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { Tokenizer as HFTokenizer } from '@huggingface/tokenizers';
import { CheckpointError } from './errors.js';

/**
 * A text ↔ token-id codec.
 *
 * @example
 * const tok: Tokenizer = await loadTokenizer('./gpt2');
 * tok.decode(tok.encode('Hello world')); // 'Hello world'
 */
export interface Tokenizer {
  /** Token ids of `text`. Special tokens (BOS/EOS templates) are added only with `addSpecialTokens: true`. */
  encode(text: string, opts?: { addSpecialTokens?: boolean }): number[];
  /** Text of `ids`; `skipSpecialTokens` drops special tokens such as `<|endoftext|>`. */
  decode(ids: readonly number[], opts?: { skipSpecialTokens?: boolean }): string;
  /** Token strings of `text` (e.g. `['Hello', 'Ġworld']`). */
  tokenize(text: string): string[];
  /** The token string of an id (byte-level form, e.g. `Ġthe`), or undefined. */
  idToToken(id: number): string | undefined;
  /** The id of a token string, or undefined. */
  tokenToId(token: string): number | undefined;
  /** Highest token id + 1 (added tokens included). */
  readonly vocabSize: number;
  readonly bosTokenId: number | null;
  readonly eosTokenId: number | null;
  readonly padTokenId: number | null;
  /** The tokenizer.json this came from. */
  readonly path: string;
}

function readJson(path: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new CheckpointError('BAD_TOKENIZER', `${path}: cannot parse JSON (${(e as Error).message})`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new CheckpointError('BAD_TOKENIZER', `${path}: not a JSON object`);
  }
  return v as Record<string, unknown>;
}

function tokenString(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && v !== null && typeof (v as { content?: unknown }).content === 'string') {
    return (v as { content: string }).content;
  }
  return null;
}

function missingTokenizerMessage(dir: string, file: string): string {
  const legacy: string[] = [];
  for (const f of ['vocab.json', 'merges.txt', 'tokenizer.model', 'vocab.txt', 'spiece.model']) {
    if (existsSync(join(dir, f))) legacy.push(f);
  }
  const found =
    legacy.length > 0
      ? ` It has ${legacy.join(' + ')}, a slow-tokenizer format that is not read; write tokenizer.json with ` +
        `python -c "from transformers import AutoTokenizer; AutoTokenizer.from_pretrained('${dir}').save_pretrained('${dir}')".`
      : '';
  return `no ${basename(file)} in ${dir}: mechlens needs tokenizer.json (the Hugging Face fast-tokenizer format).${found}`;
}

/**
 * Loads a tokenizer from a `tokenizer.json` path or a folder containing one (plus
 * `tokenizer_config.json` / `special_tokens_map.json` beside it, for the BOS/EOS/PAD tokens).
 *
 * @example
 * const tok = await loadTokenizer('test/fixtures/gpt2-tokenizer');
 * tok.encode('Hello world'); // [15496, 995]
 * tok.decode([15496, 995]); // 'Hello world'
 */
export async function loadTokenizer(pathOrDir: string): Promise<Tokenizer> {
  const abs = resolve(pathOrDir);
  const isDir = existsSync(abs) && statSync(abs).isDirectory();
  const file = isDir ? join(abs, 'tokenizer.json') : abs;
  const dir = dirname(file);
  if (!existsSync(file)) {
    const where = existsSync(dir) ? dir : `${dir} (which does not exist)`;
    throw new CheckpointError('NO_TOKENIZER', missingTokenizerMessage(where, file));
  }
  const json = readJson(file);
  if (typeof json.model !== 'object' || json.model === null) {
    throw new CheckpointError(
      'BAD_TOKENIZER',
      `${file}: no "model" section; is this a Hugging Face tokenizer.json?`,
    );
  }
  const configPath = join(dir, 'tokenizer_config.json');
  const config = existsSync(configPath) ? readJson(configPath) : {};
  const mapPath = join(dir, 'special_tokens_map.json');
  const specialMap = existsSync(mapPath) ? readJson(mapPath) : {};
  let hf: HFTokenizer;
  try {
    hf = new HFTokenizer(json, config);
  } catch (e) {
    throw new CheckpointError(
      'BAD_TOKENIZER',
      `${file}: @huggingface/tokenizers cannot load it (${(e as Error).message})`,
    );
  }
  return new HFBackedTokenizer(file, hf, config, specialMap);
}

class HFBackedTokenizer implements Tokenizer {
  readonly vocabSize: number;
  readonly bosTokenId: number | null;
  readonly eosTokenId: number | null;
  readonly padTokenId: number | null;

  constructor(
    readonly path: string,
    private readonly hf: HFTokenizer,
    config: Record<string, unknown>,
    specialMap: Record<string, unknown>,
  ) {
    let max = -1;
    for (const id of hf.get_vocab(true).values()) if (id > max) max = id;
    this.vocabSize = max + 1;
    const special = (key: string): number | null => {
      const s = tokenString(config[key]) ?? tokenString(specialMap[key]);
      return s === null ? null : (hf.token_to_id(s) ?? null);
    };
    this.bosTokenId = special('bos_token');
    this.eosTokenId = special('eos_token');
    this.padTokenId = special('pad_token');
  }

  encode(text: string, opts: { addSpecialTokens?: boolean } = {}): number[] {
    return this.hf.encode(text, { add_special_tokens: opts.addSpecialTokens ?? false }).ids;
  }

  decode(ids: readonly number[], opts: { skipSpecialTokens?: boolean } = {}): string {
    return this.hf.decode([...ids], { skip_special_tokens: opts.skipSpecialTokens ?? false });
  }

  tokenize(text: string): string[] {
    return this.hf.tokenize(text);
  }

  idToToken(id: number): string | undefined {
    return this.hf.id_to_token(id);
  }

  tokenToId(token: string): number | undefined {
    return this.hf.token_to_id(token);
  }
}
