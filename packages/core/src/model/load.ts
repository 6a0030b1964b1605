/**
 * Loading a Hugging Face checkpoint (local folder or hub id) into a {@link HookedTransformer}.
 */
import { type EngineOptions, initEngine } from '../engine/index.js';
import { type HubOptions, loadTokenizer, openCheckpoint, resolveSource } from '../io/index.js';
import type { WeightSource } from './adapters/index.js';
import { adapterFor } from './adapters/index.js';
import { HookedTransformer } from './hooked-transformer.js';
import { uploadParams } from './params.js';

/**
 * Options of {@link loadModel}.
 *
 * @example
 * await loadModel('EleutherAI/pythia-70m', { hub: { revision: 'main' }, tokenizer: true });
 */
export interface LoadModelOptions {
  /** Hub download options (revision, cache dir, token, ...), used when `source` is a hub id. */
  hub?: HubOptions;
  /** Load `tokenizer.json` when the folder has one (default true). */
  tokenizer?: boolean;
  /** Engine selection passed to `initEngine`. */
  engine?: EngineOptions;
}

/**
 * Loads a checkpoint folder or hub id (`gpt2`, `EleutherAI/pythia-70m`, ...) of a supported architecture
 * (gpt2, gpt_neox, llama, mistral, qwen2). Starts the engine first.
 *
 * @example
 * const model = await loadModel('packages/core/test/fixtures/llama');
 * const logits = model.forward([[1, 5, 9]]);
 */
export async function loadModel(source: string, options: LoadModelOptions = {}): Promise<HookedTransformer> {
  await initEngine(options.engine);
  const dir = await resolveSource(source, options.hub);
  const ckpt = openCheckpoint(dir);
  try {
    const adapter = adapterFor(ckpt.config);
    const cfg = adapter.config(ckpt.config);
    const gen = ckpt.generationConfig;
    if (cfg.eosTokenId === null && gen && typeof gen.eos_token_id === 'number')
      cfg.eosTokenId = gen.eos_token_id;
    if (cfg.bosTokenId === null && gen && typeof gen.bos_token_id === 'number')
      cfg.bosTokenId = gen.bos_token_id;
    const src: WeightSource = {
      tensorNames: ckpt.tensorNames,
      has: (n) => ckpt.has(n),
      read: (n) => ckpt.read(n),
    };
    const params = uploadParams(adapter.weights(src, cfg), cfg);
    const tokenizer =
      options.tokenizer !== false && ckpt.tokenizerPath ? await loadTokenizer(ckpt.tokenizerPath) : null;
    return new HookedTransformer(cfg, params, tokenizer);
  } finally {
    ckpt.close();
  }
}
