/**
 * `pnpm eval:demo [--model DIR] [--quick] [--card]`: evaluates a demo checkpoint on the held-out sets
 * (models/README.md) and prints the numbers; `--card` also writes them into the model card.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadModel } from '@mechlens/core';
import { Command } from 'commander';
import { DEMO_TARGETS, evaluateDemoModel } from '../src/evaluate.js';
import { writeModelCard } from '../src/model-card.js';
import { DEMO_MODEL_DIR } from '../src/paths.js';

const o = new Command()
  .name('eval:demo')
  .option('--model <dir>', 'checkpoint folder', DEMO_MODEL_DIR)
  .option('--quick', 'small subsets (what CI runs)', false)
  .option('--card', "write the numbers into the checkpoint's README.md", false)
  .parse()
  .opts<{ model: string; quick: boolean; card: boolean }>();

const dir = resolve(o.model);
const model = await loadModel(dir);
const sizes = o.quick
  ? { ioi: 100, induction: 40, factPhrasings: 1, sentiment: 40, refusal: 60, ab: 40 }
  : undefined;
const r = await evaluateDemoModel(model, { sizes });
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const rows: [string, string, string, boolean][] = [
  ['IOI accuracy', pct(r.ioi.accuracy), `≥ ${pct(DEMO_TARGETS.ioi)}`, r.passes.ioi],
  ['induction accuracy', pct(r.induction.accuracy), `≥ ${pct(DEMO_TARGETS.induction)}`, r.passes.induction],
  ['factual recall', pct(r.facts.accuracy), `≥ ${pct(DEMO_TARGETS.facts)}`, r.passes.facts],
  [
    'refusal, harmful',
    pct(r.refusal.harmfulRefused),
    `≥ ${pct(DEMO_TARGETS.harmfulRefusal)}`,
    r.passes.harmfulRefusal,
  ],
  [
    'refusal, benign',
    pct(r.refusal.benignRefused),
    `≤ ${pct(DEMO_TARGETS.benignRefusal)}`,
    r.passes.benignRefusal,
  ],
  [
    'sentiment continuations',
    pct(r.sentiment.accuracy),
    `≥ ${pct(DEMO_TARGETS.sentiment)}`,
    r.passes.sentiment,
  ],
];
for (const [k, v, t, ok] of rows)
  console.log(`${k.padEnd(26)} ${v.padStart(7)}  target ${t.padEnd(8)} ${ok ? 'ok' : 'MISSED'}`);
console.log(
  `IOI held-out templates ${pct(r.ioi.heldOutTemplateAccuracy)}, mean logit diff ${r.ioi.meanLogitDiff.toFixed(2)}; A/B behaviour score ${r.ab.behaviourScore.toFixed(3)}; ${r.seconds.toFixed(1)} s`,
);
console.log(JSON.stringify(r));
if (o.card) {
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  writeModelCard(dir, config, r);
  console.log(`wrote ${join(dir, 'README.md')}`);
}
model.dispose();
if (Object.values(r.passes).some((p) => !p)) process.exitCode = 1;
