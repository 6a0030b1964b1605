/**
 * `mechlens eval-sae <dir>`: evaluates a saved SAE (SAELens, sparsify or mechlens folder) on held-out
 * text: FVU, L0, dead latents, and next-token CE / KL with the SAE spliced in.
 */
import { initEngine, loadModel } from '@mechlens/core';
import { DEMO_MODEL_DIR } from '@mechlens/demo';
import { contextStream, evaluateSae, loadSae } from '@mechlens/sae';
import { progressFlag, type Schema } from '../schema.js';
import { DATA_OPTION, MODEL_OPTION, PROGRESS_OPTION, TEXT_FIELD_OPTION } from './common-options.js';

/** The options of `mechlens eval-sae`. */
export const EVAL_SAE_SCHEMA = [
  MODEL_OPTION,
  DATA_OPTION,
  TEXT_FIELD_OPTION,
  {
    key: 'contexts',
    flag: '--contexts <n>',
    kind: 'int',
    min: 1,
    help: 'contexts to evaluate on',
    default: 64,
  },
  {
    key: 'contextSize',
    flag: '--context-size <n>',
    kind: 'int',
    min: 2,
    help: 'tokens per context',
    defaultHelp: "the SAE's training context size",
  },
  {
    key: 'gsaeSelection',
    flag: '--gsae-selection <how>',
    kind: 'string',
    choices: ['gradient', 'topk'],
    help: 'g-SAE selection: with the LM-loss gradient (as trained) or plain TopK',
    default: 'gradient',
  },
  { key: 'json', flag: '--json', kind: 'boolean', help: 'print the report as JSON', default: false },
  PROGRESS_OPTION,
] as const satisfies Schema;

/** Validated options of `eval-sae`. */
export interface EvalSaeCliOptions {
  model?: string;
  data: string;
  textField: string;
  contexts: number;
  contextSize?: number;
  gsaeSelection: 'gradient' | 'topk';
  json: boolean;
  progress: 'auto' | 'on' | 'off';
}

/**
 * Runs `eval-sae` on the SAE in `dir`.
 *
 * @example
 * await runEvalSae('saes/mechlens-demo-blocks.2.hook_resid_pre-topk', { data: 'demo-corpus', textField: 'text', contexts: 64, json: false });
 */
export async function runEvalSae(
  dir: string,
  o: EvalSaeCliOptions,
  log: (line: string) => void = console.log,
): Promise<void> {
  await initEngine();
  const sae = await loadSae(dir);
  const model = await loadModel(o.model ?? DEMO_MODEL_DIR);
  try {
    const contextSize = o.contextSize ?? Math.min(sae.cfg.metadata.contextSize, model.cfg.nCtx);
    const it = contextStream(model, o.data, contextSize, { field: o.textField, seed: 1_000 })(0);
    const contexts: number[][] = [];
    while (contexts.length < o.contexts) {
      const r = await it.next();
      if (r.done) break;
      contexts.push(r.value);
    }
    const r = await evaluateSae(model, sae, contexts, {
      progress: progressFlag(o.progress),
      gsaeSelection: o.gsaeSelection,
    });
    const { firingFrequency: _f, zf: _z, ...numbers } = r;
    if (o.json) {
      log(
        JSON.stringify({
          sae: dir,
          hook: sae.cfg.metadata.hookName,
          architecture: sae.cfg.architecture,
          ...numbers,
        }),
      );
      return;
    }
    log(
      `${sae.cfg.architecture} SAE, ${sae.cfg.dSae} latents on ${sae.cfg.metadata.hookName}; ${r.tokens} tokens`,
    );
    log(`  FVU            ${r.fvu.toFixed(4)}`);
    log(`  L0             ${r.l0.toFixed(1)}`);
    log(`  dead latents   ${(100 * r.deadFraction).toFixed(1)}%`);
    if (r.ceClean !== null && r.ceSpliced !== null) {
      log(`  CE clean       ${r.ceClean.toFixed(4)} nats`);
      log(`  CE with SAE    ${r.ceSpliced.toFixed(4)} nats`);
      log(`  CE zero-ablate ${r.ceZeroAblation?.toFixed(4)} nats`);
      log(`  CE-loss score  ${r.ceLossScore?.toFixed(4)}  KL ${r.klSpliced?.toFixed(4)} nats`);
    }
  } finally {
    sae.dispose();
    model.dispose();
  }
}
