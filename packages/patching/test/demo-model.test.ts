/**
 * Behaviour on the shipped demo model: activation patching localises the planted IOI and induction
 * behaviours in the heads the attention analysis names, and AtP/RelP agree with it per component type
 * (RelP at least as well as AtP where AtP is weakest, as in the RelP paper, on induction).
 */
import { type HookedTransformer, initEngine, loadModel, tf } from '@mechlens/core';
import {
  DEMO_MODEL_DIR,
  type HeadAnalysis,
  headAnalysis,
  inductionPatchingPairs,
  ioiPatchingPairs,
  type PatchingPairs,
} from '@mechlens/demo';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ComponentType, compareSweeps, metrics, type PatchingRow, patchingSweep } from '../src/index.js';

let model: HookedTransformer;
let ioi: ReturnType<typeof ioiPatchingPairs>;
let induction: PatchingPairs;
let analysis: HeadAnalysis;

beforeAll(async () => {
  await initEngine();
  model = await loadModel(DEMO_MODEL_DIR);
  ioi = ioiPatchingPairs(model, { n: 16 });
  induction = inductionPatchingPairs(model, { n: 16 });
  analysis = headAnalysis(model); // what the model card reports
});
afterAll(() => model.dispose());

const optsOf = (p: PatchingPairs) => ({
  clean: p.clean,
  corrupt: p.corrupt,
  metric: metrics.logitDiff(p.correct, p.wrong),
});

/** Heads by activation patching, largest |score| first. */
function rankedHeads(p: PatchingPairs, direction: 'denoising' | 'noising'): PatchingRow[] {
  const t = patchingSweep(model, { ...optsOf(p), component: 'head', method: 'activation', direction });
  return (t.objects() as PatchingRow[]).sort((a, b) => Math.abs(b.score) - Math.abs(a.score));
}

/** Pearson correlation of AtP and RelP with activation patching, per component type. */
function methodAgreement(p: PatchingPairs): Record<string, { atp: number; relp: number }> {
  const report: Record<string, { atp: number; relp: number }> = {};
  for (const component of ['resid_pre', 'attn_out', 'mlp_out', 'head'] as ComponentType[]) {
    const truth = patchingSweep(model, { ...optsOf(p), component, method: 'activation' });
    const atp = compareSweeps(
      truth,
      patchingSweep(model, { ...optsOf(p), component, method: 'attribution' }),
    );
    const relp = compareSweeps(truth, patchingSweep(model, { ...optsOf(p), component, method: 'relevance' }));
    report[component] = { atp: atp.pearson, relp: relp.pearson };
  }
  return report;
}

describe('IOI on the demo model', () => {
  it('the corruption flips the answer: clean logit difference > 0 > corrupted', () => {
    const m = metrics.logitDiff(ioi.correct, ioi.wrong);
    const [c, k] = [ioi.clean, ioi.corrupt].map((rows) => {
      const l = model.forward(rows);
      const v = m(l).dataSync()[0];
      l.dispose();
      return v;
    });
    expect(c).toBeGreaterThan(2);
    expect(k).toBeLessThan(-2);
  });

  it('the heads activation patching ranks highest are the ones the attention analysis finds attending to the names; heads that do not attend to them barely matter', () => {
    const before = tf.memory().numTensors;
    const names = (r: PatchingRow) =>
      analysis.heads.find((h) => h.layer === r.layer && h.head === r.head)?.ioiNames ?? Number.NaN;
    for (const direction of ['denoising', 'noising'] as const) {
      const rows = rankedHeads(ioi, direction);
      expect(Math.abs(rows[0].score)).toBeGreaterThan(0.3);
      for (const r of rows.slice(0, 3)) expect(names(r), `L${r.layer}H${r.head}`).toBeGreaterThan(0.5);
      for (const r of rows.filter((x) => names(x) < 0.1)) expect(Math.abs(r.score)).toBeLessThan(0.1);
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('AtP and RelP agree with activation patching per component type', () => {
    const report = methodAgreement(ioi);
    console.log('IOI Pearson correlation with activation patching:', JSON.stringify(report));
    for (const c of Object.keys(report)) {
      expect(report[c].atp).toBeGreaterThan(0.9);
      expect(report[c].relp).toBeGreaterThan(0.9);
    }
  });
});

describe('induction on the demo model', () => {
  it("activation patching ranks first the model card's induction head, in both directions", () => {
    const named = analysis.top.induction;
    for (const direction of ['denoising', 'noising'] as const) {
      const rows = rankedHeads(induction, direction);
      expect({ layer: rows[0].layer, head: rows[0].head }).toEqual({ layer: named.layer, head: named.head });
      expect(Math.abs(rows[0].score)).toBeGreaterThan(0.5);
    }
  });

  it('AtP and RelP agree with activation patching; RelP at least as well on the residual stream and MLPs', () => {
    const report = methodAgreement(induction);
    console.log('Induction Pearson correlation with activation patching:', JSON.stringify(report));
    for (const c of Object.keys(report)) {
      expect(report[c].atp).toBeGreaterThan(0.9);
      expect(report[c].relp).toBeGreaterThan(0.9);
    }
    expect(report.resid_pre.relp).toBeGreaterThanOrEqual(report.resid_pre.atp);
    expect(report.mlp_out.relp).toBeGreaterThanOrEqual(report.mlp_out.atp);
  });
});
