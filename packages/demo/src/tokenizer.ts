/**
 * The demo tokenizer: a Hugging Face `tokenizer.json` whose vocabulary is every piece (a word
 * with its leading space, a punctuation run, a newline) of the training corpus, on top of GPT-2's
 * byte-level alphabet. It is a `BPE` model with `ignore_merges: true` and no merges, so a piece in
 * the vocabulary is one token and anything else falls back to single bytes: every text round-trips
 * exactly and corpus text is word-level.
 */
import { splitPieces } from './pieces.js';

/**
 * Special tokens and their ids.
 *
 * @example
 * SPECIAL_TOKENS.bos; // { content: '<|bos|>', id: 0 }
 */
export const SPECIAL_TOKENS = {
  bos: { content: '<|bos|>', id: 0 },
  eos: { content: '<|eos|>', id: 1 },
  unk: { content: '<|unk|>', id: 2 },
} as const;

/** GPT-2's reversible map from bytes to printable characters (space → 'Ġ', newline → 'Ċ'). */
function bytesToUnicode(): string[] {
  const printable: number[] = [];
  for (let b = 33; b <= 126; b++) printable.push(b);
  for (let b = 161; b <= 172; b++) printable.push(b);
  for (let b = 174; b <= 255; b++) printable.push(b);
  const table: string[] = new Array(256);
  for (const b of printable) table[b] = String.fromCharCode(b);
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (table[b] === undefined) table[b] = String.fromCharCode(256 + n++);
  }
  return table;
}

const BYTE_CHARS = bytesToUnicode();
const UTF8 = new TextEncoder();

/**
 * The byte-level form of a piece, as stored in the vocabulary (e.g. " Mary" → "ĠMary").
 *
 * @example
 * byteLevel(' Mary'); // 'ĠMary'
 * byteLevel('\n'); // 'Ċ'
 */
export function byteLevel(piece: string): string {
  let out = '';
  for (const b of UTF8.encode(piece)) out += BYTE_CHARS[b];
  return out;
}

/**
 * A Hugging Face added-token entry.
 *
 * @example
 * buildTokenizerJson(['hi']).added_tokens[0].content; // '<|bos|>'
 */
export interface AddedTokenJson {
  id: number;
  content: string;
  single_word: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  special: boolean;
}

/**
 * The subset of the Hugging Face `tokenizer.json` schema this builder writes.
 *
 * @example
 * writeFileSync('tokenizer.json', JSON.stringify(buildTokenizerJson(docs)));
 */
export interface TokenizerJson {
  version: '1.0';
  truncation: null;
  padding: null;
  added_tokens: AddedTokenJson[];
  normalizer: null;
  pre_tokenizer: { type: 'ByteLevel'; add_prefix_space: false; trim_offsets: true; use_regex: true };
  post_processor: {
    type: 'TemplateProcessing';
    single: (
      | { SpecialToken: { id: string; type_id: number } }
      | { Sequence: { id: 'A' | 'B'; type_id: number } }
    )[];
    pair: (
      | { SpecialToken: { id: string; type_id: number } }
      | { Sequence: { id: 'A' | 'B'; type_id: number } }
    )[];
    special_tokens: Record<string, { id: string; ids: number[]; tokens: string[] }>;
  };
  decoder: { type: 'ByteLevel'; add_prefix_space: false; trim_offsets: true; use_regex: true };
  model: {
    type: 'BPE';
    dropout: null;
    unk_token: string;
    continuing_subword_prefix: null;
    end_of_word_suffix: null;
    fuse_unk: false;
    byte_fallback: false;
    ignore_merges: true;
    vocab: Record<string, number>;
    merges: [string, string][];
  };
}

/**
 * Options of {@link buildTokenizerJson}.
 *
 * @example
 * buildTokenizerJson(docs, { minCount: 2, maxVocab: 4096 });
 */
export interface BuildTokenizerOptions {
  /** Keep pieces seen at least this often (default 1: the corpus vocabulary is closed). */
  readonly minCount?: number;
  /** Upper bound on the vocabulary size (specials + 256 bytes + pieces); the most frequent pieces win. */
  readonly maxVocab?: number;
}

/**
 * Builds a `tokenizer.json` object from documents: ids 0–2 are `<|bos|>`, `<|eos|>`, `<|unk|>`,
 * then the 256 byte characters in byte order, then every multi-character piece of the documents
 * by descending count (ties in code-point order). Deterministic in the documents' contents and
 * order-independent.
 *
 * @example
 * const json = buildTokenizerJson(['When Mary and John went to the park, John gave a ball to Mary.']);
 * json.model.vocab['ĠMary']; // a single id
 */
export function buildTokenizerJson(
  docs: Iterable<string | { readonly text: string }>,
  opts: BuildTokenizerOptions = {},
): TokenizerJson {
  const minCount = opts.minCount ?? 1;
  const raw = new Map<string, number>();
  for (const d of docs) {
    for (const p of splitPieces(typeof d === 'string' ? d : d.text)) raw.set(p, (raw.get(p) ?? 0) + 1);
  }
  const counts = new Map<string, number>();
  for (const [p, n] of raw) {
    const t = byteLevel(p);
    counts.set(t, (counts.get(t) ?? 0) + n);
  }
  const specials = Object.values(SPECIAL_TOKENS);
  const vocab: Record<string, number> = {};
  for (const s of specials) vocab[s.content] = s.id;
  let next = specials.length;
  for (const c of BYTE_CHARS) vocab[c] = next++;
  const pieces = [...counts.entries()]
    .filter(([t, n]) => n >= minCount && !(t in vocab))
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const room = opts.maxVocab === undefined ? pieces.length : Math.max(0, opts.maxVocab - next);
  for (const [t] of pieces.slice(0, room)) vocab[t] = next++;

  const bos = SPECIAL_TOKENS.bos.content;
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: specials.map((s) => ({
      id: s.id,
      content: s.content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [
        { SpecialToken: { id: bos, type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
      ],
      special_tokens: { [bos]: { id: bos, ids: [SPECIAL_TOKENS.bos.id], tokens: [bos] } },
    },
    decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: SPECIAL_TOKENS.unk.content,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: true,
      vocab,
      merges: [],
    },
  };
}

/**
 * The `tokenizer_config.json` written beside the tokenizer (special tokens, no clean-up of spaces
 * on decode so decoding is exact, context length 128).
 *
 * @example
 * tokenizerConfigJson().bos_token; // '<|bos|>'
 */
export function tokenizerConfigJson(): Record<string, unknown> {
  const decoder: Record<string, unknown> = {};
  for (const s of Object.values(SPECIAL_TOKENS)) {
    decoder[String(s.id)] = {
      content: s.content,
      lstrip: false,
      normalized: false,
      rstrip: false,
      single_word: false,
      special: true,
    };
  }
  return {
    added_tokens_decoder: decoder,
    bos_token: SPECIAL_TOKENS.bos.content,
    eos_token: SPECIAL_TOKENS.eos.content,
    unk_token: SPECIAL_TOKENS.unk.content,
    clean_up_tokenization_spaces: false,
    model_max_length: 128,
    tokenizer_class: 'PreTrainedTokenizerFast',
  };
}

/**
 * The `special_tokens_map.json` written beside the tokenizer.
 *
 * @example
 * specialTokensMapJson().eos_token; // '<|eos|>'
 */
export function specialTokensMapJson(): Record<string, string> {
  return {
    bos_token: SPECIAL_TOKENS.bos.content,
    eos_token: SPECIAL_TOKENS.eos.content,
    unk_token: SPECIAL_TOKENS.unk.content,
  };
}
