/**
 * Where the demo model lives in the repository.
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Absolute path of `models/mechlens-demo` (the demo model folder: tokenizer files now, the trained
 * checkpoint later), resolved from this package's location (works from `src/` and `dist/`).
 *
 * @example
 * import { loadTokenizer } from '@mechlens/core';
 * const tok = await loadTokenizer(DEMO_MODEL_DIR);
 */
export const DEMO_MODEL_DIR: string = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '../../../models/mechlens-demo',
);

/**
 * Absolute path of the demo `tokenizer.json`.
 *
 * @example
 * existsSync(DEMO_TOKENIZER_PATH); // true once `pnpm --filter @mechlens/demo build:tokenizer` ran
 */
export const DEMO_TOKENIZER_PATH: string = resolve(DEMO_MODEL_DIR, 'tokenizer.json');
