/**
 * Shared pieces of the architecture adapters: the adapter interface, config-field readers with clear
 * errors, and tensor readers that check shapes and convert HF layouts to the canonical `[in, out]` one.
 */
import type { ModelConfig } from '../config.js';
import type { HostTensor, ModelParams } from '../params.js';

/**
 * Where adapters read HF tensors from (a checkpoint, or an in-memory map in tests).
 *
 * @example
 * const src: WeightSource = { tensorNames: ckpt.tensorNames, has: (n) => ckpt.has(n), read: (n) => ckpt.read(n) };
 */
export interface WeightSource {
  /** Every tensor name. */
  tensorNames: string[];
  has(name: string): boolean;
  read(name: string): HostTensor;
}

/**
 * One architecture family: turns an HF config into a {@link ModelConfig} and HF tensors into the
 * canonical parameters.
 *
 * @example
 * const adapter = adapterFor(hfConfig);
 * const cfg = adapter.config(hfConfig);
 * const host = adapter.weights(src, cfg);
 */
export interface Adapter {
  /** HF `model_type` values this adapter handles. */
  modelTypes: readonly string[];
  config(hf: Record<string, unknown>): ModelConfig;
  weights(src: WeightSource, cfg: ModelConfig): ModelParams<HostTensor>;
}

/**
 * Reads a required numeric config field (first of `keys` present), or `fallback` when given.
 *
 * @example
 * cfgNum({ n_embd: 768 }, 'gpt2', ['n_embd', 'hidden_size']); // 768
 */
export function cfgNum(hf: Record<string, unknown>, arch: string, keys: string[], fallback?: number): number {
  for (const k of keys) {
    const v = hf[k];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
  }
  if (fallback !== undefined) return fallback;
  throw new Error(`${arch} config.json: missing numeric field ${keys.map((k) => `'${k}'`).join(' / ')}`);
}

/**
 * Reads an optional numeric config field (null when absent or null).
 *
 * @example
 * cfgNumOrNull({ n_inner: null }, 'n_inner'); // null
 */
export function cfgNumOrNull(hf: Record<string, unknown>, key: string): number | null {
  const v = hf[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/**
 * Reads a boolean config field with a default.
 *
 * @example
 * cfgBool(hf, 'use_parallel_residual', true);
 */
export function cfgBool(hf: Record<string, unknown>, key: string, fallback: boolean): boolean {
  const v = hf[key];
  return typeof v === 'boolean' ? v : fallback;
}

/**
 * Reads a string config field with a default.
 *
 * @example
 * cfgStr(hf, 'hidden_act', 'silu');
 */
export function cfgStr(hf: Record<string, unknown>, key: string, fallback: string): string {
  const v = hf[key];
  return typeof v === 'string' ? v : fallback;
}

/**
 * First token id of a config field that may be a number or a list (HF allows both for eos).
 *
 * @example
 * cfgTokenId({ eos_token_id: [2, 3] }, 'eos_token_id'); // 2
 */
export function cfgTokenId(hf: Record<string, unknown>, key: string): number | null {
  const v = hf[key];
  if (typeof v === 'number') return v;
  if (Array.isArray(v) && typeof v[0] === 'number') return v[0];
  return null;
}

const shapeStr = (s: readonly number[]): string => `[${s.join(', ')}]`;

/**
 * A reader over a weight source that resolves an optional name prefix (e.g. `transformer.` in
 * GPT2LMHeadModel checkpoints, absent in GPT2Model ones) and checks every tensor's shape.
 *
 * @example
 * const r = new TensorReader(src, 'gpt2', ['transformer.', ''], 'wte.weight');
 * const wte = r.take('wte.weight', [50257, 768]);
 */
export class TensorReader {
  private readonly prefix: string;

  constructor(
    private readonly src: WeightSource,
    private readonly arch: string,
    /** Candidate prefixes, tried in order with `probe` (a tensor every checkpoint of the family has). */
    prefixes: string[],
    probe: string,
  ) {
    const found = prefixes.find((p) => src.has(p + probe));
    if (found === undefined) {
      const sample = src.tensorNames.slice(0, 5).join(', ');
      throw new Error(
        `${arch} checkpoint: cannot find tensor '${prefixes[0]}${probe}' (tried prefixes ${prefixes
          .map((p) => `'${p}'`)
          .join(', ')}); the file has ${src.tensorNames.length} tensors, e.g. ${sample}`,
      );
    }
    this.prefix = found;
  }

  /** True when `name` (under the resolved prefix) exists. */
  has(name: string, absolute = false): boolean {
    return this.src.has(absolute ? name : this.prefix + name);
  }

  /** Reads `name` and checks it has shape `shape`. `absolute` skips the prefix. */
  take(name: string, shape: number[], absolute = false): HostTensor {
    const full = absolute ? name : this.prefix + name;
    if (!this.src.has(full)) throw new Error(`${this.arch} checkpoint is missing tensor '${full}'`);
    const t = this.src.read(full);
    if (t.shape.length !== shape.length || t.shape.some((x, i) => x !== shape[i])) {
      throw new Error(
        `${this.arch} checkpoint tensor '${full}' has shape ${shapeStr(t.shape)}, expected ${shapeStr(shape)}`,
      );
    }
    return t;
  }

  /** Reads `name` when present (with the shape check), else null. */
  maybe(name: string, shape: number[], absolute = false): HostTensor | null {
    return this.has(name, absolute) ? this.take(name, shape, absolute) : null;
  }

  /** Reads an `nn.Linear` weight stored `[out, in]` and returns it as `[in, out]`. */
  linear(name: string, out: number, inp: number, absolute = false): HostTensor {
    return transpose2d(this.take(name, [out, inp], absolute));
  }
}

/**
 * Transposes a 2-D host tensor (cache-blocked).
 *
 * @example
 * transpose2d({ shape: [2, 3], data: Float32Array.of(1, 2, 3, 4, 5, 6) }).data; // 1,4,2,5,3,6
 */
export function transpose2d(t: HostTensor): HostTensor {
  const [r, c] = t.shape;
  const src = t.data;
  const dst = new Float32Array(r * c);
  const B = 32;
  for (let i0 = 0; i0 < r; i0 += B) {
    const i1 = Math.min(r, i0 + B);
    for (let j0 = 0; j0 < c; j0 += B) {
      const j1 = Math.min(c, j0 + B);
      for (let i = i0; i < i1; i++) {
        const row = i * c;
        for (let j = j0; j < j1; j++) dst[j * r + i] = src[row + j];
      }
    }
  }
  return { shape: [c, r], data: dst };
}

/**
 * Columns `[start, start + n)` of a 2-D host tensor.
 *
 * @example
 * sliceCols({ shape: [1, 3], data: Float32Array.of(1, 2, 3) }, 1, 2).data; // 2,3
 */
export function sliceCols(t: HostTensor, start: number, n: number): HostTensor {
  const [r, c] = t.shape;
  const out = new Float32Array(r * n);
  for (let i = 0; i < r; i++) out.set(t.data.subarray(i * c + start, i * c + start + n), i * n);
  return { shape: [r, n], data: out };
}

/**
 * Elements `[start, start + n)` of a 1-D host tensor.
 *
 * @example
 * slice1d({ shape: [3], data: Float32Array.of(1, 2, 3) }, 1, 2).data; // 2,3
 */
export function slice1d(t: HostTensor, start: number, n: number): HostTensor {
  return { shape: [n], data: t.data.slice(start, start + n) };
}
