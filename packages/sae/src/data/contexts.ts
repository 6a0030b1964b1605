/**
 * Tokenised, fixed-length contexts from a document stream (SAELens-style packing): documents are
 * tokenised and concatenated with a separator token between them (EOS, else BOS); each context is the
 * next `contextSize − 1` tokens after a BOS (or the next `contextSize` tokens without BOS). Deterministic,
 * so a resumed run can skip to context `start`.
 */

/**
 * Options of {@link packTokens}.
 *
 * @example
 * packTokens(docs, (t) => tok.encode(t), { contextSize: 128, bosId: 0, sepId: 1 });
 */
export interface PackTokensOptions {
  contextSize: number;
  /** Prepended to each context (null: no BOS). */
  bosId: number | null;
  /** Placed between documents (null: documents are simply concatenated). */
  sepId: number | null;
  /** Skip this many contexts first (resume). */
  start?: number;
}

/**
 * Packs documents into contexts of exactly `contextSize` token ids.
 *
 * @example
 * for await (const ids of packTokens(documentStream('demo-corpus'), encode, opts)) model.forward([ids]);
 */
export async function* packTokens(
  docs: AsyncIterable<string> | Iterable<string>,
  encode: (text: string) => readonly number[],
  opts: PackTokensOptions,
): AsyncGenerator<number[]> {
  const n = opts.contextSize;
  if (!Number.isInteger(n) || n < 2) throw new RangeError(`contextSize must be an integer >= 2, got ${n}`);
  const body = opts.bosId === null ? n : n - 1;
  let skip = opts.start ?? 0;
  let buf: number[] = [];
  let first = true;
  for await (const doc of docs) {
    if (!first && opts.sepId !== null) buf.push(opts.sepId);
    first = false;
    const ids = encode(doc);
    for (const id of ids) buf.push(id);
    while (buf.length >= body) {
      const chunk = buf.slice(0, body);
      buf = buf.slice(body);
      if (skip > 0) {
        skip--;
        continue;
      }
      yield opts.bosId === null ? chunk : [opts.bosId, ...chunk];
    }
  }
}
