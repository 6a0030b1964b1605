/** Parsing of HF `rope_scaling` config entries (shared by the rotary adapters). */
import type { RopeScaling } from '../config.js';

/**
 * Reads HF `rope_scaling` (null, `{type|rope_type: 'linear', factor}` or the llama3 variant); throws for
 * variants the forward pass does not implement (dynamic, yarn, longrope, ...).
 *
 * @example
 * parseRopeScaling({ rope_type: 'linear', factor: 2 }, 'llama'); // { type: 'linear', factor: 2 }
 */
export function parseRopeScaling(v: unknown, arch: string): RopeScaling | null {
  if (v === null || v === undefined) return null;
  if (typeof v !== 'object') throw new Error(`${arch} config.json: rope_scaling must be an object or null`);
  const o = v as Record<string, unknown>;
  const type = (o.rope_type ?? o.type) as string | undefined;
  const num = (k: string): number => {
    const x = o[k];
    if (typeof x !== 'number') throw new Error(`${arch} config.json: rope_scaling.${k} must be a number`);
    return x;
  };
  if (type === undefined || type === 'default') return null;
  if (type === 'linear') return { type: 'linear', factor: num('factor') };
  if (type === 'llama3') {
    return {
      type: 'llama3',
      factor: num('factor'),
      lowFreqFactor: num('low_freq_factor'),
      highFreqFactor: num('high_freq_factor'),
      originalMaxPositionEmbeddings: num('original_max_position_embeddings'),
    };
  }
  throw new Error(
    `${arch}: rope_scaling type '${type}' is not supported (supported: default, linear, llama3)`,
  );
}
