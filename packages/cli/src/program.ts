/**
 * The `mechlens` command line (commander): `train-sae` and `eval-sae`, each with options generated from
 * its typed schema and an optional JSON `--config` file.
 */
import { Command } from 'commander';
import {
  CACHE_ACTIVATIONS_SCHEMA,
  type CacheActivationsCliOptions,
  runCacheActivations,
} from './commands/cache-activations.js';
import { EVAL_SAE_SCHEMA, type EvalSaeCliOptions, runEvalSae } from './commands/eval-sae.js';
import { runTrainSaes, TRAIN_SAE_SCHEMA, type TrainSaeCliOptions } from './commands/train-sae.js';
import { addSchemaOptions, OptionError, resolveOptions } from './schema.js';

/**
 * Builds the `mechlens` program (not yet parsed).
 *
 * @example
 * await buildProgram().parseAsync(['node', 'mechlens', 'train-sae', '--tokens', '200k']);
 */
export function buildProgram(): Command {
  const program = new Command()
    .name('mechlens')
    .description('Mechanistic interpretability on a laptop CPU: train and evaluate sparse autoencoders.')
    .showHelpAfterError();
  const train = new Command('train-sae')
    .description(
      'Train a sparse autoencoder on one hook point of a model, evaluate it on held-out text and save it in SAELens format. With no options: a TopK SAE on the shipped demo model (a few minutes).',
    )
    .option(
      '--config <file.json>',
      'JSON file of option values (keys as in --help, camelCase); the command line wins',
    );
  addSchemaOptions(train, TRAIN_SAE_SCHEMA).action(async (raw: Record<string, unknown>) => {
    const o = resolveOptions(TRAIN_SAE_SCHEMA, raw, raw.config as string | undefined);
    await runTrainSaes(o as unknown as TrainSaeCliOptions);
  });
  const evalCmd = new Command('eval-sae')
    .description(
      'Evaluate a saved SAE (SAELens, sparsify or mechlens folder): FVU, L0, dead latents, spliced CE/KL.',
    )
    .argument('<dir>', 'the SAE folder')
    .option('--config <file.json>', 'JSON file of option values');
  addSchemaOptions(evalCmd, EVAL_SAE_SCHEMA).action(async (dir: string, raw: Record<string, unknown>) => {
    const o = resolveOptions(EVAL_SAE_SCHEMA, raw, raw.config as string | undefined);
    await runEvalSae(dir, o as unknown as EvalSaeCliOptions);
  });
  const cache = new Command('cache-activations')
    .description(
      'Compute activations at hook points and store them on disk (safetensors groups), optionally as shard i/n of a larger cache; train-sae --cache reads them.',
    )
    .option('--config <file.json>', 'JSON file of option values');
  addSchemaOptions(cache, CACHE_ACTIVATIONS_SCHEMA).action(async (raw: Record<string, unknown>) => {
    const o = resolveOptions(CACHE_ACTIVATIONS_SCHEMA, raw, raw.config as string | undefined);
    await runCacheActivations(o as unknown as CacheActivationsCliOptions);
  });
  program.addCommand(train).addCommand(evalCmd).addCommand(cache);
  return program;
}

/**
 * Parses `argv` and runs the command; option errors print one line and exit with status 2, other
 * errors print their message and exit with status 1.
 *
 * @example
 * await main(process.argv);
 */
export async function main(argv: readonly string[]): Promise<void> {
  try {
    await buildProgram().parseAsync([...argv]);
  } catch (e) {
    if (e instanceof OptionError) {
      console.error(`mechlens: ${e.message}`);
      process.exit(2);
    }
    console.error(`mechlens: ${(e as Error).message}`);
    if (process.env.MECHLENS_DEBUG) console.error(e);
    process.exit(1);
  }
}
