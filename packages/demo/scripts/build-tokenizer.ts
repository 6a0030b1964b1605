/**
 * `pnpm --filter @mechlens/demo build:tokenizer`: regenerates models/mechlens-demo/tokenizer.json,
 * tokenizer_config.json and special_tokens_map.json from the demo corpus (byte-identical on every
 * run). packages/demo/test/tokenizer.test.ts checks that @mechlens/core loads them, that every
 * evaluation text round-trips and that the committed files are up to date.
 */
import {
  demoTokenizerJson,
  SPECIAL_TOKENS,
  TOKENIZER_CORPUS_DOCS,
  writeDemoTokenizer,
} from '../src/index.js';

const json = demoTokenizerJson();
const written = writeDemoTokenizer(undefined, json);
for (const p of written) console.log(`wrote ${p}`);
const size = Object.keys(json.model.vocab).length;
const words = size - Object.keys(SPECIAL_TOKENS).length - 256;
console.log(
  `vocabulary: ${size} tokens (3 special, 256 bytes, ${words} corpus pieces from ${TOKENIZER_CORPUS_DOCS} documents)`,
);
