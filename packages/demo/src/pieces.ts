/**
 * The split of text into pre-tokens ("pieces") used by the demo tokenizer: the GPT-2 byte-level
 * pre-tokenizer regex, which keeps a word's leading space with the word (" Mary"), puts each run
 * of punctuation in its own piece and separates English contractions ("'s").
 */

/** The GPT-2 / Hugging Face `ByteLevel` pre-tokenizer pattern (with `use_regex: true`). */
const PIECE_PATTERN = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/**
 * Splits text into pieces exactly as the demo tokenizer's pre-tokenizer does; with the demo
 * vocabulary each piece of corpus text is exactly one token, and `pieces.join('') === text`.
 *
 * @example
 * splitPieces('When Mary left, John said:\nhi'); // ['When', ' Mary', ' left', ',', ' John', ' said', ':', '\n', 'hi']
 */
export function splitPieces(text: string): string[] {
  return text.match(PIECE_PATTERN) ?? [];
}
