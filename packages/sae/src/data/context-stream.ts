/**
 * The context stream of a model over a data source: documents → the model's tokenizer → packed
 * contexts, restartable at any context index (what {@link ActivationStore} consumes).
 */
import type { HookedTransformer } from '@mechlens/core';
import { packTokens } from './contexts.js';
import { type DocumentOptions, documentStream } from './documents.js';

/**
 * A restartable context stream for `model` over `source` (`demo-corpus`, .txt, .jsonl or .parquet):
 * contexts of `contextSize` tokens starting with BOS when the model has one, documents separated by EOS.
 *
 * @example
 * const contexts = contextStream(model, 'demo-corpus', 128);
 * const first = await contexts(0).next();
 */
export function contextStream(
  model: HookedTransformer,
  source: string,
  contextSize: number,
  opts: DocumentOptions & { prependBos?: boolean } = {},
): (start: number) => AsyncIterator<number[]> {
  const tok = model.tokenizer;
  if (!tok)
    throw new Error(
      'contextStream: the model has no tokenizer; load it from a folder with tokenizer.json (or pass token contexts to ActivationStore yourself)',
    );
  if (contextSize > model.cfg.nCtx)
    throw new Error(
      `contextStream: contextSize ${contextSize} exceeds the model's context length ${model.cfg.nCtx}`,
    );
  const bos = opts.prependBos === false ? null : (tok.bosTokenId ?? model.cfg.bosTokenId ?? null);
  const sep = tok.eosTokenId ?? model.cfg.eosTokenId ?? bos;
  const encode = (t: string) => tok.encode(t);
  return (start) =>
    packTokens(documentStream(source, opts), encode, { contextSize, bosId: bos, sepId: sep, start });
}
