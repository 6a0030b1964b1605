/**
 * processWeights / processParams: folding and centring leave the logits unchanged (centring the unembedding
 * shifts each position's logits by a constant), on the gpt2, gpt_neox and qwen2 fixtures and on random
 * llama models with non-trivial norm weights and GQA value biases; RMSNorm refuses writing-weight centring.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createRandomModel,
  expectedShapes,
  HookedTransformer,
  loadModel,
  type ModelParams,
  type ProcessWeightsOptions,
  paramEntries,
  processParams,
  processWeights,
  type TensorParams,
  tf,
} from '../../src/index.js';
import { errorLog, expectClose, fixtureDir, fixtureInputs, maxAbsDiff } from './helpers.js';

const log = errorLog();
afterAll(() => log.print());

const FOLD_ONLY: ProcessWeightsOptions = {
  foldLn: true,
  centerWritingWeights: false,
  centerUnembed: false,
  foldValueBiases: false,
};
const NOTHING: ProcessWeightsOptions = {
  foldLn: false,
  centerWritingWeights: false,
  centerUnembed: false,
  foldValueBiases: false,
};

/** Asserts the params have exactly the shapes the (processed) config promises. */
function expectConsistent(model: HookedTransformer): void {
  const shapes = expectedShapes(model.config) as unknown as ModelParams<number[] | null>;
  const want = new Map(paramEntries(shapes as unknown as TensorParams).map(([p]) => [p, true]));
  const got = paramEntries(model.params);
  expect(got.map(([p]) => p).sort()).toEqual([...want.keys()].sort());
  for (const [path, t] of got) {
    const parts = path.split('.');
    let s: unknown = shapes;
    for (const k of parts) s = (s as Record<string, unknown>)[k];
    expect(t.shape, path).toEqual(s);
  }
}

/** Logits of the original and a processed copy; checks the processed model against the original. */
function compare(
  model: HookedTransformer,
  ids: number[][],
  opts: ProcessWeightsOptions,
  what: string,
): { processed: HookedTransformer; a: tf.Tensor; b: tf.Tensor } {
  const processed = processWeights(model, opts);
  expectConsistent(processed);
  const a = model.forward(ids);
  const b = processed.forward(ids);
  if (opts.centerUnembed ?? true) {
    // logits move by a per-position constant: equal after subtracting the mean over the vocabulary, and
    // log-softmax is unchanged
    const [ca, cb, la, lb] = tf.tidy(() => [
      tf.sub(a, tf.mean(a, -1, true)),
      tf.sub(b, tf.mean(b, -1, true)),
      tf.logSoftmax(a),
      tf.logSoftmax(b),
    ]);
    log.note(`${what}: centred logits`, expectClose(cb, ca, 1e-5));
    log.note(`${what}: log-softmax`, expectClose(lb, la, 1e-5));
    // processed logits are themselves centred, and differ from the raw ones by a non-zero constant
    const rowMeans = tf.tidy(() => tf.mean(b, -1).dataSync());
    for (const m of rowMeans) expect(Math.abs(m)).toBeLessThan(1e-6);
    const shift = tf.tidy(() => tf.sub(a, b).dataSync());
    expect(maxAbsDiff(shift, new Float32Array(shift.length))).toBeGreaterThan(1e-4);
    tf.dispose([ca, cb, la, lb]);
  } else {
    log.note(`${what}: logits`, expectClose(b, a, 1e-5));
  }
  return { processed, a, b };
}

describe.each(['gpt2', 'gpt_neox', 'qwen2'] as const)('%s fixture', (arch) => {
  let model: HookedTransformer;
  const ids = fixtureInputs(arch);
  beforeAll(async () => {
    model = await loadModel(fixtureDir(arch));
  });
  afterAll(() => model.dispose());
  const isLN = arch !== 'qwen2';

  it('foldLn alone: logits unchanged; norms become weight 1, no bias', () => {
    const { processed, a, b } = compare(model, ids, FOLD_ONLY, `${arch} foldLn`);
    for (const n of [
      processed.params.lnFinal,
      ...processed.params.blocks.flatMap((blk) => [blk.ln1, blk.ln2]),
    ]) {
      expect(Array.from(n.w.dataSync()).every((x) => x === 1)).toBe(true);
      expect(n.b).toBeNull();
    }
    expect(processed.config.biases.norm).toBe(false);
    expect(processed.config.tiedEmbeddings).toBe(false);
    expect(processed.config.normType).toBe(model.config.normType);
    if (isLN) {
      // reading weights are centred over d_model, and the final norm's bias went into a new b_U
      const colMeans = tf.tidy(() => tf.mean(processed.params.blocks[0].W_Q, 0).dataSync());
      for (const m of colMeans) expect(Math.abs(m)).toBeLessThan(1e-6);
      expect(model.params.b_U).toBeNull();
      expect(processed.params.b_U?.shape).toEqual([211]);
      expect(processed.config.biases.unembed).toBe(true);
    }
    tf.dispose([a, b]);
    processed.dispose();
  });

  it('every option at its default: logits equal up to a per-position constant', () => {
    const { processed, a, b } = compare(model, ids, {}, `${arch} all defaults`);
    if (isLN) {
      const rowMeans = tf.tidy(() => tf.mean(processed.params.W_E, -1).dataSync());
      for (const m of rowMeans) expect(Math.abs(m)).toBeLessThan(1e-7);
    }
    for (const blk of processed.params.blocks) {
      expect(Array.from(blk.b_V?.dataSync() ?? [])).toEqual(new Array(model.config.nKVHeads * 16).fill(0));
    }
    // qwen2 has value biases but no b_O: folding creates it
    if (arch === 'qwen2') {
      expect(model.params.blocks[0].b_O).toBeNull();
      expect(processed.config.biases.attnOut).toBe(true);
    }
    tf.dispose([a, b]);
    processed.dispose();
  });

  it('without centerUnembed, all other processing leaves the logits unchanged', () => {
    const { processed, a, b } = compare(
      model,
      ids,
      { centerUnembed: false },
      `${arch} fold+centre writing+value biases`,
    );
    tf.dispose([a, b]);
    processed.dispose();
  });

  it('leaves the original untouched and owns exactly its own tensors', () => {
    const before = tf.memory().numTensors;
    const logits0 = model.forward(ids);
    const p = processWeights(model);
    const n = paramEntries(p.params).length;
    p.dispose();
    expect(tf.memory().numTensors).toBe(before + 1);
    const logits1 = model.forward(ids);
    expect(Array.from(logits1.dataSync())).toEqual(Array.from(logits0.dataSync()));
    tf.dispose([logits0, logits1]);
    expect(n).toBeGreaterThan(20);
    // processParams with everything off is a plain copy
    const copy = processParams(model.config, model.params, NOTHING);
    const orig = paramEntries(model.params);
    const copied = paramEntries(copy.params);
    expect(copied.map(([k]) => k)).toEqual(orig.map(([k]) => k));
    copied.forEach(([, t], i) => {
      expect(t).not.toBe(orig[i][1]);
      expect(Array.from(t.dataSync())).toEqual(Array.from(orig[i][1].dataSync()));
    });
    for (const [, t] of copied) t.dispose();
    expect(copy.config).toEqual(model.config);
  });
});

describe('random llama (RMSNorm, GQA) with non-trivial norm weights and value biases', () => {
  let model: HookedTransformer;
  const ids = [
    [1, 5, 9, 30, 2, 77, 50],
    [3, 3, 8, 100, 42, 7, 0],
  ];
  beforeAll(async () => {
    const base = await createRandomModel(
      {
        arch: 'llama',
        nLayers: 2,
        dModel: 64,
        nHeads: 4,
        nKVHeads: 2,
        dMLP: 176,
        dVocab: 120,
        nCtx: 32,
        biases: { qkv: true, attnOut: false, mlp: false, norm: false, unembed: false },
      },
      { seed: 3, initRange: 0.12, biasStd: 0.05 },
    );
    // norm weights 1 + 0.2·N(0,1) (random models start at 1, where folding would be trivial)
    const { config, params } = processParams(base.config, base.params, NOTHING);
    base.dispose();
    let seed = 11;
    const perturb = (w: tf.Tensor) => {
      const r = tf.tidy(() => tf.add(1, tf.mul(0.2, tf.randomNormal(w.shape, 0, 1, 'float32', seed++))));
      w.dispose();
      return r;
    };
    params.lnFinal.w = perturb(params.lnFinal.w);
    for (const b of params.blocks) {
      b.ln1.w = perturb(b.ln1.w);
      b.ln2.w = perturb(b.ln2.w);
    }
    model = new HookedTransformer(config, params);
  });
  afterAll(() => model.dispose());

  it('foldLn (weights only) and foldValueBiases keep the logits; centerUnembed keeps log-probs', () => {
    const f = compare(model, ids, FOLD_ONLY, 'llama foldLn');
    expect(f.processed.params.blocks[0].b_Q).toEqual(expect.objectContaining({ shape: [64] }));
    tf.dispose([f.a, f.b]);
    f.processed.dispose();
    const v = compare(model, ids, { ...NOTHING, foldValueBiases: true }, 'llama foldValueBiases (GQA)');
    expect(v.processed.params.blocks[1].b_O?.shape).toEqual([64]);
    expect(v.processed.config.biases.attnOut).toBe(true);
    tf.dispose([v.a, v.b]);
    v.processed.dispose();
    const all = compare(model, ids, {}, 'llama defaults');
    tf.dispose([all.a, all.b]);
    all.processed.dispose();
  });

  it('refuses to centre writing weights of an RMSNorm model', () => {
    const before = tf.memory().numTensors;
    expect(() => processWeights(model, { centerWritingWeights: true })).toThrow(
      /centerWritingWeights needs LayerNorm, but this llama model uses RMSNorm/,
    );
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a GQA value-bias fold maps query head h to kv head h // group', () => {
    // b_O gained = Σ_h b_V[h // 2] · W_O[h], computed on the host
    const p = processWeights(model, { ...NOTHING, foldValueBiases: true });
    const bV = model.params.blocks[0].b_V?.arraySync() as number[];
    const WO = model.params.blocks[0].W_O.arraySync() as number[][];
    const want = new Array<number>(64).fill(0);
    for (let h = 0; h < 4; h++) {
      for (let j = 0; j < 16; j++) {
        const bias = bV[Math.floor(h / 2) * 16 + j];
        for (let o = 0; o < 64; o++) want[o] += bias * WO[h * 16 + j][o];
      }
    }
    const got = p.params.blocks[0].b_O?.dataSync() as Float32Array;
    expect(maxAbsDiff(got, want)).toBeLessThan(1e-6);
    p.dispose();
  });
});

describe('a LayerNorm model without qkv/MLP biases gains them when LN biases are folded', () => {
  it('creates zero-filled bias groups and keeps the logits', async () => {
    const model = await createRandomModel(
      {
        nLayers: 2,
        dModel: 32,
        nHeads: 4,
        dVocab: 50,
        nCtx: 16,
        biases: { qkv: false, attnOut: false, mlp: false, norm: true, unembed: false },
      },
      { seed: 5, initRange: 0.2, biasStd: 0.1 },
    );
    const ids = [[1, 2, 3, 4, 5, 6]];
    const { processed, a, b } = compare(
      model,
      ids,
      { centerUnembed: false },
      'gpt2-like without linear biases',
    );
    // ln1's bias creates b_Q/b_K/b_V, ln2's b_in (so the MLP group gets a zero b_out), ln_final's b_U; the
    // value-bias fold then moves b_V into a new b_O
    expect(processed.config.biases).toEqual({
      qkv: true,
      attnOut: true,
      mlp: true,
      norm: false,
      unembed: true,
    });
    expect(Array.from(processed.params.blocks[0].b_out?.dataSync() ?? [1])).toEqual(new Array(32).fill(0));
    tf.dispose([a, b]);
    processed.dispose();
    model.dispose();
  });
});
