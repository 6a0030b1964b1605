/**
 * Packing documents into fixed-length training contexts.
 */
import { SPECIAL_TOKENS } from './tokenizer.js';

/**
 * Options of {@link packContexts}.
 *
 * @example
 * packContexts(docs, encode, { contextLength: 64 });
 */
export interface PackOptions {
  /** Tokens per context, BOS included (default 128). */
  readonly contextLength?: number;
  /** Default `<|bos|>` (0). */
  readonly bosId?: number;
  /** Default `<|eos|>` (1). */
  readonly eosId?: number;
}

/**
 * Packs documents into contexts of exactly `contextLength` token ids: each context starts with BOS,
 * then whole documents each followed by EOS. When the next document does not fit, its beginning
 * fills the rest of the context and it is then repeated whole at the start of the next context, so
 * no document is ever seen without its beginning and no padding is needed. A document longer than
 * a context is truncated. The stream ends when the documents do (an unfinished last context is
 * dropped).
 *
 * @example
 * const tok = await loadTokenizer(DEMO_MODEL_DIR);
 * const docs = corpusDocuments({ seed: 0, split: 'train' });
 * for (const ids of packContexts(docs, (t) => tok.encode(t))) { ... } // ids.length === 128
 */
export function* packContexts(
  docs: Iterable<string | { readonly text: string }>,
  encode: (text: string) => readonly number[],
  opts: PackOptions = {},
): Generator<number[]> {
  const n = opts.contextLength ?? 128;
  const bos = opts.bosId ?? SPECIAL_TOKENS.bos.id;
  const eos = opts.eosId ?? SPECIAL_TOKENS.eos.id;
  if (!Number.isInteger(n) || n < 2) throw new RangeError(`contextLength must be an integer >= 2, got ${n}`);
  let ctx: number[] = [bos];
  for (const d of docs) {
    const ids = [...encode(typeof d === 'string' ? d : d.text), eos];
    if (ctx.length + ids.length <= n) {
      ctx.push(...ids);
      if (ctx.length === n) {
        yield ctx;
        ctx = [bos];
      }
      continue;
    }
    if (ctx.length > 1) {
      ctx.push(...ids.slice(0, n - ctx.length));
      yield ctx;
    }
    ctx = [bos, ...ids.slice(0, n - 1)];
    if (ctx.length === n) {
      yield ctx;
      ctx = [bos];
    }
  }
}
