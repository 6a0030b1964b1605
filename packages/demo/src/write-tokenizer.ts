/**
 * Writes the demo tokenizer files (tokenizer.json, tokenizer_config.json, special_tokens_map.json).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { corpusDocuments } from './corpus.js';
import { DEMO_MODEL_DIR } from './paths.js';
import {
  buildTokenizerJson,
  specialTokensMapJson,
  type TokenizerJson,
  tokenizerConfigJson,
} from './tokenizer.js';

/**
 * Seed of the training documents the shipped vocabulary is counted on.
 *
 * @example
 * TOKENIZER_CORPUS_SEED; // 0
 */
export const TOKENIZER_CORPUS_SEED = 0;
/**
 * Number of training documents the shipped vocabulary is counted on.
 *
 * @example
 * TOKENIZER_CORPUS_DOCS; // 50000
 */
export const TOKENIZER_CORPUS_DOCS = 50_000;

/**
 * The shipped demo tokenizer, rebuilt in memory: the vocabulary of the first
 * {@link TOKENIZER_CORPUS_DOCS} training documents of seed {@link TOKENIZER_CORPUS_SEED}.
 *
 * @example
 * const json = demoTokenizerJson();
 * Object.keys(json.model.vocab).length; // about 2,900
 */
export function demoTokenizerJson(): TokenizerJson {
  return buildTokenizerJson(
    corpusDocuments({ seed: TOKENIZER_CORPUS_SEED, split: 'train', count: TOKENIZER_CORPUS_DOCS }),
  );
}

/**
 * Serialises a JSON file the way the demo files are written (2-space indent, final newline).
 *
 * @example
 * stableJson({ a: 1 }); // '{\n  "a": 1\n}\n'
 */
export function stableJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/**
 * Writes tokenizer.json, tokenizer_config.json and special_tokens_map.json into `dir` (default
 * {@link DEMO_MODEL_DIR}) and returns the paths written. Byte-identical on every run.
 *
 * @example
 * writeDemoTokenizer(); // ['/…/models/mechlens-demo/tokenizer.json', …]
 */
export function writeDemoTokenizer(
  dir: string = DEMO_MODEL_DIR,
  json: TokenizerJson = demoTokenizerJson(),
): string[] {
  mkdirSync(dir, { recursive: true });
  const files: [string, unknown][] = [
    ['tokenizer.json', json],
    ['tokenizer_config.json', tokenizerConfigJson()],
    ['special_tokens_map.json', specialTokensMapJson()],
  ];
  return files.map(([name, value]) => {
    const path = join(dir, name);
    writeFileSync(path, stableJson(value));
    return path;
  });
}
