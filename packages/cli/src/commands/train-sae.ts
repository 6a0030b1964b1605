/**
 * `mechlens train-sae`: trains a sparse autoencoder on one hook point of a checkpoint, evaluates it on
 * held-out text, and writes a SAELens folder. With no arguments: a TopK SAE on the shipped demo model's
 * middle residual stream, in a few minutes.
 */
import { copyFileSync, existsSync, renameSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { type HookedTransformer, initEngine, loadModel } from '@mechlens/core';
import { DEMO_MODEL_DIR } from '@mechlens/demo';
import {
  ARCHITECTURES,
  contextStream,
  DEMO_CORPUS,
  evaluateSae,
  type SaeEvalReport,
  saeConfig,
  saveSae,
  trainSae,
} from '@mechlens/sae';
import { progressFlag, type Schema } from '../schema.js';
import {
  CONTEXT_SIZE_OPTION,
  DATA_OPTION,
  MODEL_OPTION,
  PROGRESS_OPTION,
  TEXT_FIELD_OPTION,
} from './common-options.js';
import { contextSizeOf, hookList, openStore } from './data-setup.js';

/** The options of `mechlens train-sae` (flags, config-file keys, validation, help). */
export const TRAIN_SAE_SCHEMA = [
  MODEL_OPTION,
  {
    key: 'hook',
    flag: '--hook <names>',
    kind: 'string',
    help: 'hook point to train on; several, comma-separated, train one SAE each from one forward pass (saved to <out>/<hook>)',
    defaultHelp: 'blocks.{nLayers/2}.hook_resid_pre',
  },
  {
    key: 'architecture',
    flag: '--architecture <name>',
    kind: 'string',
    choices: ARCHITECTURES,
    help: 'SAE architecture',
    default: 'topk',
  },
  {
    key: 'latents',
    flag: '--latents <n>',
    kind: 'int',
    min: 1,
    help: 'number of latents',
    defaultHelp: 'expansion × d_in',
  },
  {
    key: 'expansion',
    flag: '--expansion <n>',
    kind: 'int',
    min: 1,
    help: 'latents per input dimension',
    default: 16,
  },
  {
    key: 'k',
    flag: '--k <n>',
    kind: 'int',
    min: 1,
    help: 'latents per token (TopK, g-SAE); top-AFA: search cap',
    defaultHelp: '32; top-AFA 256',
  },
  {
    key: 'beta',
    flag: '--beta <x>',
    kind: 'number',
    min: 0,
    help: 'g-SAE gradient weight β (on ĝ scaled to mean |ĝ| = 1 per token)',
    default: 0.1,
  },
  {
    key: 'afaCoeff',
    flag: '--afa-coeff <x>',
    kind: 'number',
    min: 0,
    help: 'top-AFA norm-matching loss weight',
    default: 1 / 32,
  },
  { key: 'l1Coeff', flag: '--l1-coeff <x>', kind: 'number', min: 0, help: 'ReLU-SAE L1 penalty', default: 5 },
  {
    key: 'normalize',
    flag: '--normalize <how>',
    kind: 'string',
    choices: ['none', 'layer_norm'],
    help: 'input normalisation',
    defaultHelp: 'none; top-AFA layer_norm',
  },
  {
    key: 'bDecInit',
    flag: '--b-dec-init <how>',
    kind: 'string',
    choices: ['geometric-median', 'mean', 'zero'],
    help: 'initial decoder bias, from the first batch',
    defaultHelp: 'geometric-median; top-AFA zero',
  },
  {
    key: 'tokens',
    flag: '--tokens <n>',
    kind: 'int',
    min: 1,
    help: 'training tokens (2M, 500k, 2e6 ok)',
    default: 2_000_000,
  },
  { key: 'batch', flag: '--batch <n>', kind: 'int', min: 1, help: 'activations per step', default: 4096 },
  {
    key: 'lr',
    flag: '--lr <x>',
    kind: 'number',
    above: 0,
    help: 'peak learning rate',
    defaultHelp: '2e-4 / sqrt(latents / 16384)',
  },
  CONTEXT_SIZE_OPTION,
  DATA_OPTION,
  TEXT_FIELD_OPTION,
  {
    key: 'out',
    flag: '--out <dir>',
    kind: 'string',
    help: 'output folder (SAELens format)',
    defaultHelp: 'saes/<model>-<hook>-<architecture>',
  },
  {
    key: 'resume',
    flag: '--resume',
    kind: 'boolean',
    help: 'continue from <out>.ckpt if present',
    default: false,
  },
  {
    key: 'seed',
    flag: '--seed <n>',
    kind: 'int',
    min: 0,
    help: 'seed (parameters and data order)',
    default: 0,
  },
  {
    key: 'checkpointEvery',
    flag: '--checkpoint-every <n>',
    kind: 'int',
    min: 1,
    help: 'steps between checkpoints',
    defaultHelp: '~20 per run',
  },
  {
    key: 'evalContexts',
    flag: '--eval-contexts <n>',
    kind: 'int',
    min: 0,
    help: 'held-out contexts for the final evaluation (0: skip)',
    default: 64,
  },
  PROGRESS_OPTION,
] as const satisfies Schema;

/** Validated options of `train-sae`. */
export interface TrainSaeCliOptions {
  model?: string;
  hook?: string;
  architecture: (typeof ARCHITECTURES)[number];
  latents?: number;
  expansion: number;
  k?: number;
  beta: number;
  afaCoeff: number;
  l1Coeff: number;
  normalize?: 'none' | 'layer_norm';
  bDecInit?: 'geometric-median' | 'mean' | 'zero';
  tokens: number;
  batch: number;
  lr?: number;
  contextSize?: number;
  data: string;
  textField: string;
  out?: string;
  cache?: string;
  resume: boolean;
  seed: number;
  checkpointEvery?: number;
  evalContexts: number;
  progress: 'auto' | 'on' | 'off';
}

/** What `train-sae` produced. */
export interface TrainSaeCliResult {
  out: string;
  steps: number;
  tokens: number;
  seconds: number;
  tokensPerSecond: number;
  train: { fvu: number; l0: number; deadFraction: number } | null;
  eval: Omit<SaeEvalReport, 'firingFrequency' | 'zf'> | null;
}

/** Held-out contexts: the demo corpus's other seed, or contexts of the file past those trained on. */
async function heldOut(
  model: HookedTransformer,
  o: TrainSaeCliOptions,
  contextSize: number,
  start: number,
): Promise<{ contexts: number[][]; note: string }> {
  const want = o.evalContexts;
  const collect = async (it: AsyncIterator<number[]>) => {
    const out: number[][] = [];
    while (out.length < want) {
      const r = await it.next();
      if (r.done) break;
      out.push(r.value);
    }
    await it.return?.();
    return out;
  };
  if (o.data === DEMO_CORPUS) {
    const seed = o.seed + 1_000; // training reads seed o.seed + 1 (see documentStream); a different seed is unseen text
    return {
      contexts: await collect(contextStream(model, DEMO_CORPUS, contextSize, { seed })(0)),
      note: 'held-out demo documents',
    };
  }
  const after = await collect(contextStream(model, o.data, contextSize, { field: o.textField })(start));
  if (after.length >= Math.min(want, 8)) return { contexts: after, note: 'contexts after the training ones' };
  return {
    contexts: await collect(contextStream(model, o.data, contextSize, { field: o.textField })(0)),
    note: 'the data ran out: evaluated on training contexts (in-sample)',
  };
}

/**
 * Runs `train-sae` with validated options for one hook point; prints progress to stderr and returns the
 * summary. (`--hook a,b` trains several: see {@link runTrainSaes}.)
 *
 * @example
 * const r = await runTrainSae({ ...defaults, tokens: 200_000, out: 'saes/quick' });
 */
export async function runTrainSae(
  o: TrainSaeCliOptions,
  log: (line: string) => void = console.log,
): Promise<TrainSaeCliResult> {
  const all = await runTrainSaes(o, log);
  return all[0];
}

/**
 * Runs `train-sae` for every hook of the comma-separated `--hook` list: one SAE per hook, trained
 * concurrently from one model forward pass per shuffle group, each saved to `<out>/<hook>` (with one
 * hook: to `<out>`).
 *
 * @example
 * const [a, b] = await runTrainSaes({ ...defaults, hook: 'blocks.1.hook_resid_post,blocks.2.hook_resid_post' });
 */
export async function runTrainSaes(
  o: TrainSaeCliOptions,
  log: (line: string) => void = console.log,
): Promise<TrainSaeCliResult[]> {
  await initEngine();
  const modelSource = o.model ?? DEMO_MODEL_DIR;
  const model = await loadModel(modelSource);
  try {
    const hooks = hookList(model, o.hook);
    const contextSize = contextSizeOf(model, o.contextSize);
    const modelName = o.model ? basename(resolve(o.model)) : 'mechlens-demo';
    const afa = o.architecture === 'topafa';
    const plans = hooks.map((hook) => {
      const shape = model.hookShape(hook, 1, 2); // validates the name, suggesting close matches
      if (shape.length !== 3)
        throw new Error(
          `--hook ${hook}: SAEs train on [batch, pos, d] hook points; this one has shape [${shape}]`,
        );
      const dIn = shape[2];
      const out =
        hooks.length === 1
          ? resolve(o.out ?? join('saes', `${modelName}-${hook}-${o.architecture}`))
          : join(resolve(o.out ?? join('saes', `${modelName}-${o.architecture}`)), hook);
      const cfg = saeConfig({
        architecture: o.architecture,
        dIn,
        dSae: o.latents ?? o.expansion * dIn,
        k: o.k ?? (afa ? 256 : o.architecture === 'relu' ? undefined : 32),
        beta: o.beta,
        afaCoeff: o.afaCoeff,
        l1Coeff: o.l1Coeff,
        normalizeActivations: o.normalize,
        metadata: {
          modelName,
          hookName: hook,
          contextSize,
          prependBos: model.bosTokenId !== null,
          datasetPath: o.data,
          excludeSpecialTokens: true,
        },
      });
      return { hook, cfg, out, ckptDir: `${out}.ckpt` };
    });
    for (const { cfg, hook } of plans)
      log(
        `training a ${cfg.architecture} SAE: ${cfg.dSae} latents on ${hook} (d_in ${cfg.dIn}) of ${modelName}, ${o.tokens.toLocaleString('en')} tokens from ${o.data}`,
      );
    const store = openStore(model, modelSource, o, hooks, {
      withGrads: o.architecture === 'gsae' && o.beta > 0,
      cacheDir: o.cache,
    });
    const views = plans.map((p) => store.view(p.hook));
    const runs = await Promise.all(
      plans.map((p, i) =>
        trainSae({
          cfg: p.cfg,
          store: views[i],
          tokens: o.tokens,
          lr: o.lr,
          bDecInit: o.bDecInit,
          seed: o.seed,
          checkpointDir: p.ckptDir,
          checkpointEvery: o.checkpointEvery,
          resume: o.resume,
          logPath: join(p.ckptDir, 'training_log.jsonl'),
          // one bar is enough when several SAEs train together
          progress: i === 0 ? progressFlag(o.progress) : false,
        }),
      ),
    );
    const consumed = Math.max(...views.map((v) => v.position().group + 1)) * store.contextsPerGroup;
    await store.close();
    const held = o.evalContexts > 0 ? await heldOut(model, o, contextSize, consumed) : null;
    const summaries: TrainSaeCliResult[] = [];
    for (let i = 0; i < plans.length; i++) {
      const { out, ckptDir } = plans[i];
      const r = runs[i];
      const report: SaeEvalReport | null = held
        ? await evaluateSae(model, r.sae, held.contexts, { progress: progressFlag(o.progress) })
        : null;
      await saveSae(r.sae, out, { sparsity: report?.firingFrequency ?? r.firingFrequency });
      const logPath = join(ckptDir, 'training_log.jsonl');
      if (existsSync(logPath)) copyFileSync(logPath, join(out, 'training_log.jsonl'));
      const summary: TrainSaeCliResult = {
        out,
        steps: r.steps,
        tokens: r.tokens,
        seconds: r.seconds,
        tokensPerSecond: r.tokens / Math.max(r.seconds, 1e-9),
        train: r.last ? { fvu: r.last.fvu, l0: r.last.l0, deadFraction: r.last.deadFraction } : null,
        eval: report ? (({ firingFrequency: _f, zf: _z, ...rest }) => rest)(report) : null,
      };
      const tmp = join(out, `.metrics.json.${process.pid}.tmp`);
      writeFileSync(tmp, `${JSON.stringify({ ...summary, evalData: held?.note ?? '' }, null, 2)}\n`);
      renameSync(tmp, join(out, 'metrics.json'));
      r.sae.dispose();
      if (plans.length > 1) log(`\n${plans[i].hook}:`);
      printSummary(summary, held?.note ?? '', log);
      summaries.push(summary);
    }
    return summaries;
  } finally {
    model.dispose();
  }
}

const pct = (v: number) => `${(100 * v).toFixed(1)}%`;

function printSummary(s: TrainSaeCliResult, note: string, log: (line: string) => void): void {
  log(
    `trained ${s.steps} steps, ${s.tokens.toLocaleString('en')} tokens in ${s.seconds.toFixed(1)} s (${Math.round(s.tokensPerSecond).toLocaleString('en')} tokens/s)`,
  );
  if (s.train)
    log(
      `last training batch: FVU ${s.train.fvu.toFixed(4)}, L0 ${s.train.l0.toFixed(1)}, dead ${pct(s.train.deadFraction)}`,
    );
  const e = s.eval;
  if (e) {
    log(`held-out evaluation (${e.tokens.toLocaleString('en')} tokens, ${note}):`);
    log(`  FVU            ${e.fvu.toFixed(4)}`);
    log(`  L0             ${e.l0.toFixed(1)}`);
    log(`  dead latents   ${pct(e.deadFraction)}`);
    if (e.ceClean !== null && e.ceSpliced !== null && e.ceZeroAblation !== null) {
      log(`  CE clean       ${e.ceClean.toFixed(4)} nats`);
      log(`  CE with SAE    ${e.ceSpliced.toFixed(4)} nats (+${(e.ceSpliced - e.ceClean).toFixed(4)})`);
      log(`  CE zero-ablate ${e.ceZeroAblation.toFixed(4)} nats`);
      log(`  CE-loss score  ${e.ceLossScore?.toFixed(4)}  KL ${e.klSpliced?.toFixed(4)} nats`);
    }
  }
  log(`saved the SAE (SAELens format) to ${s.out}`);
}
