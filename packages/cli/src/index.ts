/**
 * @mechlens/cli — the `mechlens` command as a library: the program, its commands and their typed option
 * schemas (usable from scripts and notebooks).
 *
 * @example
 * import { runTrainSae } from '@mechlens/cli';
 * await runTrainSae({ architecture: 'topk', expansion: 16, beta: 0.1, afaCoeff: 1 / 32, l1Coeff: 5, tokens: 200_000, batch: 4096, data: 'demo-corpus', textField: 'text', resume: false, seed: 0, evalContexts: 16, progress: 'auto' });
 */
export {
  CACHE_ACTIVATIONS_SCHEMA,
  type CacheActivationsCliOptions,
  parseShard,
  runCacheActivations,
} from './commands/cache-activations.js';
export {
  cacheDescription,
  contextSizeOf,
  type DataOptions,
  hookList,
  openStore,
} from './commands/data-setup.js';
export {
  EVAL_SAE_SCHEMA,
  type EvalSaeCliOptions,
  runEvalSae,
} from './commands/eval-sae.js';
export {
  runTrainSae,
  runTrainSaes,
  TRAIN_SAE_SCHEMA,
  type TrainSaeCliOptions,
  type TrainSaeCliResult,
} from './commands/train-sae.js';
export { buildProgram, main } from './program.js';
export {
  addSchemaOptions,
  OptionError,
  type OptionKind,
  type OptionSpec,
  parseOption,
  resolveOptions,
  type Schema,
} from './schema.js';
