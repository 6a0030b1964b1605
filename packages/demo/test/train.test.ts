import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModel, loadTokenizer, tf } from '@mechlens/core';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DEMO_TOKENIZER_PATH,
  exportTrainingState,
  learningRate,
  modelCard,
  nextTokenLoss,
  phasedLearningRate,
  sinusoidalPositions,
  trainDemoModel,
  trainingContexts,
} from '../src/index.js';

const root = mkdtempSync(join(tmpdir(), 'mechlens-train-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const tiny = {
  nLayers: 1,
  dModel: 32,
  nHeads: 2,
  dMLP: 64,
  contextLength: 32,
  batchSize: 4,
  evalContexts: 4,
};

describe('learningRate', () => {
  it('warms up linearly, then decays by a cosine to the floor', () => {
    const o = { lr: 1e-3, warmupSteps: 10, steps: 110, minLrFraction: 0.1 };
    expect(learningRate(0, o)).toBeCloseTo(1e-4, 12);
    expect(learningRate(9, o)).toBeCloseTo(1e-3, 12);
    expect(learningRate(10, o)).toBeCloseTo(1e-3, 12);
    expect(learningRate(59.5, o)).toBeCloseTo(0.55e-3, 6);
    expect(learningRate(109, o)).toBeCloseTo(1e-4, 12);
  });
});

describe('phasedLearningRate', () => {
  it("follows learningRate until a phase restarts it, then decays from that phase's rate to its floor", () => {
    const o = { lr: 1e-3, warmupSteps: 10, steps: 110, minLrFraction: 0.1 };
    const phases = [
      { from: 40, mix: { facts: 1 } },
      { from: 60, mix: { drills: 1 }, lr: 2e-3 },
    ];
    for (const t of [0, 9, 39, 40, 59]) expect(phasedLearningRate(t, o, phases)).toBe(learningRate(t, o));
    expect(phasedLearningRate(60, o, phases)).toBeCloseTo(2e-3, 12);
    expect(phasedLearningRate(84.5, o, phases)).toBeCloseTo(1.1e-3, 6);
    expect(phasedLearningRate(109, o, phases)).toBeCloseTo(2e-4, 12);
    expect(phasedLearningRate(50, o, [])).toBe(learningRate(50, o));
  });
});

describe('nextTokenLoss', () => {
  it('equals the mean negative log-probability of each next token', () => {
    const logits = tf.randomNormal([2, 3, 5], 0, 1, 'float32', 1) as tf.Tensor3D;
    const ids = [
      [0, 3, 1],
      [2, 2, 4],
    ];
    const lp = tf.logSoftmax(logits).arraySync() as number[][][];
    let want = 0;
    for (let b = 0; b < 2; b++) for (let t = 0; t < 2; t++) want -= lp[b][t][ids[b][t + 1]];
    const loss = nextTokenLoss(logits, ids);
    expect(loss.dataSync()[0]).toBeCloseTo(want / 4, 5);
    tf.dispose([logits, loss]);
  });
});

describe('trainDemoModel', () => {
  it('lowers the loss, writes a loadable checkpoint, and resumes (here inside a later phase) to bitwise the same weights', async () => {
    const phases = [{ from: 4, mix: { drills: 1 }, lr: 5e-3 }];
    const before = tf.memory().numTensors;
    const straight = await trainDemoModel({
      ...tiny,
      out: join(root, 'a'),
      steps: 8,
      lr: 1e-2,
      warmupSteps: 2,
      phases,
    });
    expect(tf.memory().numTensors).toBe(before);
    const log = readFileSync(join(root, '.train-a', 'log.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(log).toHaveLength(8);
    expect(log[4].lr).toBeCloseTo(5e-3, 12); // the phase from step 4 restarted the learning rate
    expect(log[7].loss).toBeLessThan(log[0].loss - 0.3);
    expect(straight.finalEvalLoss).toBeLessThan(log[0].loss);

    // interrupted after step 5 (state saved every step), then resumed
    await expect(
      trainDemoModel({
        ...tiny,
        out: join(root, 'b'),
        steps: 8,
        lr: 1e-2,
        warmupSteps: 2,
        phases,
        checkpointEvery: 1,
        onStep: (s) => {
          if (s.step === 5) throw new Error('interrupted');
        },
      }),
    ).rejects.toThrow('interrupted');
    await trainDemoModel({ ...tiny, out: join(root, 'b'), steps: 8, lr: 1e-2, warmupSteps: 2, phases });
    const a = readFileSync(join(root, 'a', 'model.safetensors'));
    const b = readFileSync(join(root, 'b', 'model.safetensors'));
    expect(Buffer.compare(a, b)).toBe(0);

    // the last saved training state exported as a checkpoint equals the final checkpoint
    expect(await exportTrainingState(join(root, '.train-a'), join(root, 'exported'))).toEqual({ step: 8 });
    const exp = await loadModel(join(root, 'exported'));
    const fin = await loadModel(join(root, 'a'));
    const ids = [[0, 5, 9, 13]];
    const [l1, l2] = [exp.forward(ids), fin.forward(ids)];
    expect(Array.from(l1.dataSync())).toEqual(Array.from(l2.dataSync()));
    tf.dispose([l1, l2]);
    exp.dispose();
    fin.dispose();
    await expect(exportTrainingState(join(root, 'nowhere'), join(root, 'x'))).rejects.toThrow(
      /no training state/,
    );

    const m = await loadModel(join(root, 'a'));
    expect(m.config).toMatchObject({ arch: 'gpt2', nLayers: 1, dModel: 32, nCtx: 32 });
    expect(m.toTokens('When Mary and John')[0][0]).toBe(0);
    m.dispose();
    // the phase changed the data and the learning rate: without it the weights differ
    await trainDemoModel({ ...tiny, out: join(root, 'c'), steps: 8, lr: 1e-2, warmupSteps: 2, phases: [] });
    expect(Buffer.compare(a, readFileSync(join(root, 'c', 'model.safetensors')))).not.toBe(0);
    // a different recipe in the same work dir is refused
    await expect(trainDemoModel({ ...tiny, dModel: 64, out: join(root, 'a'), steps: 8 })).rejects.toThrow(
      /different recipe/,
    );
    await expect(
      trainDemoModel({ ...tiny, out: join(root, 'd'), steps: 8, phases: [{ from: 0, mix: { facts: 1 } }] }),
    ).rejects.toThrow(/increasing whole steps/);
    await expect(
      trainDemoModel({ ...tiny, out: join(root, 'd'), steps: 8, phases: [{ from: 3, mix: { facts: 0 } }] }),
    ).rejects.toThrow(/no positive weight/);
  });
});

describe('trainingContexts', () => {
  it('follows the mix (a one-phenomenon mix gives only that phenomenon)', async () => {
    const tok = await loadTokenizer(DEMO_TOKENIZER_PATH);
    const it = trainingContexts((t) => tok.encode(t), { seed: 0, mix: { facts: 1 }, contextLength: 128 });
    for (let i = 0; i < 5; i++) {
      const text = tok.decode(it.next().value as number[]);
      expect(text).not.toMatch(/Assistant:|Word list:|Question:/);
      expect(text).toMatch(/city|river|dish|country/i);
    }
  });
});

describe('sinusoidalPositions and modelCard', () => {
  it('builds scaled sin/cos tables', () => {
    const t = sinusoidalPositions(3, 4, 0.5);
    expect(t[0]).toBe(0);
    expect(t[1]).toBeCloseTo(0.5, 7);
    expect(t[4]).toBeCloseTo(0.5 * Math.sin(1), 6);
    expect(t[4 * 2 + 2]).toBeCloseTo(0.5 * Math.sin(2 / 100), 6);
  });

  it('writes the measured numbers and the missed targets into the card', () => {
    const head0 = { layer: 0, head: 1, previousToken: 0.7, induction: 0.01, ioiNames: 0.02 };
    const head1 = { layer: 1, head: 0, previousToken: 0.1, induction: 0.05, ioiNames: 0.8 };
    const passes = {
      ioi: true,
      induction: false,
      facts: true,
      harmfulRefusal: true,
      benignRefusal: true,
      sentiment: true,
    };
    const md = modelCard(
      {
        n_layer: 2,
        n_embd: 64,
        n_head: 4,
        n_inner: 256,
        n_positions: 128,
        vocab_size: 100,
        mechlens: {
          recipe: {
            steps: 10,
            batchSize: 2,
            contextLength: 128,
            mix: { ioi: 1, drills: 0 },
            phases: [{ from: 5, mix: { ioi: 0.6, drills: 0.4 }, lr: 0.002 }],
          },
        },
      },
      {
        ioi: { n: 10, accuracy: 0.912, heldOutTemplateAccuracy: 0.9, meanLogitDiff: 2 },
        induction: { n: 3, positions: 20, accuracy: 0.05 },
        facts: { n: 5, accuracy: 0.8, byRelation: { country: 0.8 } },
        sentiment: { n: 4, accuracy: 1 },
        refusal: { n: 4, harmfulRefused: 1, benignRefused: 0 },
        ab: { n: 2, behaviourScore: 0.7 },
        heldOutLoss: { contexts: 2, nats: 1.5 },
        passes,
        heads: {
          heads: [head0, head1],
          top: { previousToken: head0, induction: head1, ioiNames: head1 },
        },
        seconds: 1,
      },
    );
    expect(md).toContain('| 91.2% |');
    expect(md).toContain(
      'document mix ioi 1; from step 5, mix ioi 0.6, drills 0.4 with the learning rate restarted at 0.002 (cosine decay to',
    );
    expect(md).toContain('Targets missed: induction');
    expect(md).toContain('- previous-token head: L0H1 (0.70)');
    expect(md).toContain('- IOI name-attending head: L1H0 (0.80)');
    expect(md).toContain('| L1H0 | 0.10 | 0.05 | 0.80 |');
    expect(md).toContain(
      'strongest induction attention (from a repeated token to the successor of its earlier occurrence) is 0.05 (L1H0)',
    );
  });
});
