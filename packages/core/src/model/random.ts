/**
 * Models with seeded random weights (GPT-2-style initialization) for tests and benchmarks.
 */
import { initEngine } from '../engine/index.js';
import type { Tokenizer } from '../io/index.js';
import { transpose2d } from './adapters/common.js';
import { completeConfig, type ModelConfigInput } from './config.js';
import { HookedTransformer } from './hooked-transformer.js';
import {
  expectedShapes,
  type HostTensor,
  type ModelParams,
  type NormParams,
  uploadParams,
} from './params.js';

/**
 * Options of {@link createRandomModel}.
 *
 * @example
 * await createRandomModel(cfg, { seed: 1, initRange: 0.02, biasStd: 0.01 });
 */
export interface RandomModelOptions {
  /** PRNG seed (default 0): the same seed gives bitwise the same weights. */
  seed?: number;
  /** Standard deviation of weight matrices and embeddings (default 0.02, GPT-2's initializer_range). */
  initRange?: number;
  /** Standard deviation of biases (default 0, as GPT-2's init; nonzero exercises bias paths in tests). */
  biasStd?: number;
  /** Attach a tokenizer (its vocabulary must fit `dVocab`). */
  tokenizer?: Tokenizer | null;
}

// Ziggurat tables (Marsaglia & Tsang 2000, 128 layers) for standard normal sampling.
const KN = new Int32Array(128);
const WN = new Float64Array(128);
const FN = new Float64Array(128);
{
  let dn = 3.442619855899;
  let tn = dn;
  const vn = 9.91256303526217e-3;
  const m1 = 2147483648;
  const q = vn / Math.exp(-0.5 * dn * dn);
  KN[0] = Math.floor((dn / q) * m1);
  KN[1] = 0;
  WN[0] = q / m1;
  WN[127] = dn / m1;
  FN[0] = 1;
  FN[127] = Math.exp(-0.5 * dn * dn);
  for (let i = 126; i >= 1; i--) {
    dn = Math.sqrt(-2 * Math.log(vn / dn + Math.exp(-0.5 * dn * dn)));
    KN[i + 1] = Math.floor((dn / tn) * m1);
    tn = dn;
    FN[i] = Math.exp(-0.5 * dn * dn);
    WN[i] = dn / m1;
  }
}

/** Seeded N(0, 1) generator (mulberry32 + ziggurat); `fill` writes std-scaled samples. */
class NormalSource {
  private a: number;

  constructor(seed: number) {
    this.a = seed | 0;
  }

  private next(): number {
    this.a = (this.a + 0x6d2b79f5) | 0;
    let t = Math.imul(this.a ^ (this.a >>> 15), this.a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return t ^ (t >>> 14);
  }

  private uniform(): number {
    return (this.next() >>> 0) / 4294967296 + 1 / 8589934592;
  }

  /** The slow path of the ziggurat (outside the rectangles). */
  private tail(hz0: number): number {
    let hz = hz0;
    let iz = hz & 127;
    for (;;) {
      let x = hz * WN[iz];
      if (iz === 0) {
        let y: number;
        do {
          x = -Math.log(this.uniform()) * 0.2904764;
          y = -Math.log(this.uniform());
        } while (y + y < x * x);
        return hz > 0 ? 3.44262 + x : -3.44262 - x;
      }
      if (FN[iz] + this.uniform() * (FN[iz - 1] - FN[iz]) < Math.exp(-0.5 * x * x)) return x;
      hz = this.next();
      iz = hz & 127;
      if (Math.abs(hz) < KN[iz]) return hz * WN[iz];
    }
  }

  fill(data: Float32Array, std: number): void {
    if (std === 0) return;
    let a = this.a;
    for (let i = 0; i < data.length; i++) {
      // mulberry32, inlined on the fast path
      a = (a + 0x6d2b79f5) | 0;
      let t = Math.imul(a ^ (a >>> 15), a | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      const hz = t ^ (t >>> 14);
      const iz = hz & 127;
      if (Math.abs(hz) < KN[iz]) {
        data[i] = hz * WN[iz] * std;
      } else {
        this.a = a;
        data[i] = this.tail(hz) * std;
        a = this.a;
      }
    }
    this.a = a;
  }
}

/**
 * A model with seeded random weights (mulberry32 + ziggurat normals): matrices and embeddings N(0, initRange²), output projections scaled
 * by 1/sqrt(2·nLayers) (GPT-2), norm weights 1, biases N(0, biasStd²). Calls `initEngine()` first.
 *
 * @example
 * // GPT-2-small shape
 * const model = await createRandomModel(
 *   { nLayers: 12, dModel: 768, nHeads: 12, dMLP: 3072, dVocab: 50257, nCtx: 1024 }, { seed: 1 });
 * const llamaLike = await createRandomModel(
 *   { arch: 'llama', nLayers: 2, dModel: 64, nHeads: 4, nKVHeads: 2, dMLP: 176, dVocab: 100, nCtx: 64 });
 */
export async function createRandomModel(
  config: ModelConfigInput,
  opts: RandomModelOptions = {},
): Promise<HookedTransformer> {
  await initEngine();
  const cfg = completeConfig(config);
  const src = new NormalSource(opts.seed ?? 0);
  const std = opts.initRange ?? 0.02;
  const biasStd = opts.biasStd ?? 0;
  const outStd = std / Math.sqrt(2 * cfg.nLayers);
  const shapes = expectedShapes(cfg);
  const normal = (shape: number[], sd: number): HostTensor => {
    const data = new Float32Array(shape.reduce((p, q) => p * q, 1));
    src.fill(data, sd);
    return { shape, data };
  };
  const w = (s: number[], sd = std) => normal(s, sd);
  const b = (s: number[] | null) => (s ? normal(s, biasStd) : null);
  const ones = (s: number[]): HostTensor => ({ shape: s, data: new Float32Array(s[0]).fill(1) });
  const norm = (n: NormParams<number[]>): NormParams<HostTensor> => ({ w: ones(n.w), b: b(n.b) });
  const W_E = w(shapes.W_E);
  const host: ModelParams<HostTensor> = {
    W_E,
    W_pos: shapes.W_pos ? w(shapes.W_pos, std / 2) : null,
    blocks: shapes.blocks.map((s) => ({
      ln1: norm(s.ln1),
      ln2: norm(s.ln2),
      W_Q: w(s.W_Q),
      b_Q: b(s.b_Q),
      W_K: w(s.W_K),
      b_K: b(s.b_K),
      W_V: w(s.W_V),
      b_V: b(s.b_V),
      W_O: w(s.W_O, outStd),
      b_O: b(s.b_O),
      W_in: w(s.W_in),
      b_in: b(s.b_in),
      W_gate: s.W_gate ? w(s.W_gate) : null,
      b_gate: b(s.b_gate),
      W_out: w(s.W_out, outStd),
      b_out: b(s.b_out),
    })),
    lnFinal: norm(shapes.lnFinal),
    W_U: cfg.tiedEmbeddings ? transpose2d(W_E) : w(shapes.W_U),
    b_U: b(shapes.b_U),
  };
  if (opts.tokenizer && opts.tokenizer.vocabSize > cfg.dVocab) {
    throw new Error(
      `createRandomModel: tokenizer has ${opts.tokenizer.vocabSize} tokens but dVocab = ${cfg.dVocab}`,
    );
  }
  return new HookedTransformer(cfg, uploadParams(host, cfg), opts.tokenizer ?? null);
}
