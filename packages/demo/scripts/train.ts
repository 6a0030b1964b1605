/**
 * `pnpm train:demo [--steps N] [--out DIR] [--work DIR] [--fresh] [--batch N] [--lr X] [--seed N]`:
 * trains the demo model from scratch (or resumes) with the shipped recipe (`TRAIN_MIX`, then
 * `TRAIN_PHASES`); `pnpm eval:demo --card` then evaluates it and writes the model card.
 */
import { resolve } from 'node:path';
import { Command } from 'commander';
import { DEMO_MODEL_DIR } from '../src/paths.js';
import { trainDemoModel } from '../src/train.js';

const program = new Command()
  .name('train:demo')
  .description('Train the demo GPT-2 model on the planted-phenomena corpus (resumable).')
  .option('--out <dir>', 'checkpoint folder', DEMO_MODEL_DIR)
  .option('--work <dir>', 'training state folder (default: <out>/../.train-<name>)')
  .option('--steps <n>', 'optimizer steps', (v) => Number.parseInt(v, 10))
  .option('--batch <n>', 'contexts per step', (v) => Number.parseInt(v, 10))
  .option('--lr <x>', 'peak learning rate', Number.parseFloat)
  .option('--seed <n>', 'seed', (v) => Number.parseInt(v, 10))
  .option('--layers <n>', 'layers', (v) => Number.parseInt(v, 10))
  .option('--d-model <n>', 'width', (v) => Number.parseInt(v, 10))
  .option('--fresh', 'ignore a saved state and start over', false);
program.parse();
const o = program.opts<{
  out: string;
  work?: string;
  steps?: number;
  batch?: number;
  lr?: number;
  seed?: number;
  layers?: number;
  dModel?: number;
  fresh: boolean;
}>();
const r = await trainDemoModel({
  out: resolve(o.out),
  workDir: o.work ? resolve(o.work) : undefined,
  steps: o.steps,
  batchSize: o.batch,
  lr: o.lr,
  seed: o.seed,
  nLayers: o.layers,
  dModel: o.dModel,
  dMLP: o.dModel ? 4 * o.dModel : undefined,
  fresh: o.fresh,
  progress: true,
});
console.log(JSON.stringify(r));
