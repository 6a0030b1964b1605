/**
 * Behaviour on the shipped demo model: activation patching localises the planted IOI behaviour in the
 * heads the attention analysis names, and AtP/RelP agree with it per component type.
 */
import { type HookedTransformer, initEngine, loadModel, tf } from '@mechlens/core';
import { DEMO_MODEL_DIR, type HeadAnalysis, headAnalysis, ioiPatchingPairs } from '@mechlens/demo';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ComponentType, compareSweeps, metrics, type PatchingRow, patchingSweep } from '../src/index.js';

let model: HookedTransformer;
let ioi: ReturnType<typeof ioiPatchingPairs>;
let analysis: HeadAnalysis;

beforeAll(async () => {
  await initEngine();
  model = await loadModel(DEMO_MODEL_DIR);
  ioi = ioiPatchingPairs(model, { n: 16 });
  analysis = headAnalysis(model); // what the model card reports
});
afterAll(() => model.dispose());

describe('IOI on the demo model', () => {
  const opts = () => ({
    clean: ioi.clean,
    corrupt: ioi.corrupt,
    metric: metrics.logitDiff(ioi.correct, ioi.wrong),
  });

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

  it("activation patching ranks first the model card's IOI name-attending head, in both directions", () => {
    const named = analysis.top.ioiNames;
    const before = tf.memory().numTensors;
    for (const direction of ['denoising', 'noising'] as const) {
      const t = patchingSweep(model, { ...opts(), component: 'head', method: 'activation', direction });
      const rows = (t.objects() as PatchingRow[]).sort((a, b) => Math.abs(b.score) - Math.abs(a.score));
      expect({ layer: rows[0].layer, head: rows[0].head }).toEqual({ layer: named.layer, head: named.head });
      if (direction === 'denoising') expect(rows[0].score).toBeGreaterThan(0.3);
      else expect(rows[0].score).toBeLessThan(-0.3);
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('AtP and RelP agree with activation patching per component type; RelP at least as well on the residual stream and MLPs', () => {
    const report: Record<string, { atp: number; relp: number }> = {};
    for (const component of ['resid_pre', 'attn_out', 'mlp_out', 'head'] as ComponentType[]) {
      const truth = patchingSweep(model, { ...opts(), component, method: 'activation' });
      const atp = compareSweeps(truth, patchingSweep(model, { ...opts(), component, method: 'attribution' }));
      const relp = compareSweeps(truth, patchingSweep(model, { ...opts(), component, method: 'relevance' }));
      report[component] = { atp: atp.pearson, relp: relp.pearson };
    }
    console.log('IOI Pearson correlation with activation patching:', JSON.stringify(report));
    for (const c of Object.keys(report)) {
      expect(report[c].atp).toBeGreaterThan(0.8);
      expect(report[c].relp).toBeGreaterThan(0.9);
    }
    expect(report.resid_pre.relp).toBeGreaterThanOrEqual(report.resid_pre.atp);
    expect(report.mlp_out.relp).toBeGreaterThanOrEqual(report.mlp_out.atp);
  });
});
