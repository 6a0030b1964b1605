/** The architecture adapter registry, keyed by HF `model_type`. */
import type { Adapter } from './common.js';
import { gptNeoxAdapter } from './gpt-neox.js';
import { gpt2Adapter } from './gpt2.js';
import { llamaAdapter } from './llama.js';
import { qwen2Adapter } from './qwen2.js';

export type { Adapter, WeightSource } from './common.js';

const ADAPTERS: readonly Adapter[] = [gpt2Adapter, gptNeoxAdapter, llamaAdapter, qwen2Adapter];

/**
 * Every supported HF `model_type`.
 *
 * @example
 * supportedModelTypes(); // ['gpt2', 'gpt_neox', 'llama', 'mistral', 'qwen2']
 */
export function supportedModelTypes(): string[] {
  return ADAPTERS.flatMap((a) => a.modelTypes);
}

/**
 * The adapter for an HF config's `model_type`; throws listing the supported types otherwise.
 *
 * @example
 * const adapter = adapterFor({ model_type: 'qwen2' });
 */
export function adapterFor(hf: Record<string, unknown>): Adapter {
  const t = hf.model_type;
  if (typeof t !== 'string') {
    throw new Error(`config.json has no model_type; supported: ${supportedModelTypes().join(', ')}`);
  }
  const a = ADAPTERS.find((x) => x.modelTypes.includes(t));
  if (!a) throw new Error(`unsupported model_type '${t}'; supported: ${supportedModelTypes().join(', ')}`);
  return a;
}
