/**
 * What `train-sae` and `cache-activations` set up the same way: the hook list, the context size and
 * the activation store over the data options. Sharing it keeps a cache written by one command readable
 * by the other (the cache's identity comes from here).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { HookedTransformer, HookName } from '@mechlens/core';
import { ActivationStore, contextStream } from '@mechlens/sae';
import { OptionError } from '../schema.js';

/** The data options both commands take. */
export interface DataOptions {
  hook?: string;
  contextSize?: number;
  data: string;
  textField: string;
  seed: number;
  batch: number;
}

/**
 * The hook points of a comma-separated `--hook` value (default: the middle block's `hook_resid_pre`),
 * without repeats.
 *
 * @example
 * hookList(model, 'blocks.1.hook_resid_post, blocks.2.hook_resid_post');
 */
export function hookList(model: HookedTransformer, hook: string | undefined): HookName[] {
  const raw = hook ?? `blocks.${Math.floor(model.cfg.nLayers / 2)}.hook_resid_pre`;
  const hooks = [
    ...new Set(
      raw
        .split(',')
        .map((h) => h.trim())
        .filter(Boolean),
    ),
  ] as HookName[];
  if (hooks.length === 0) throw new OptionError('--hook: give at least one hook point');
  return hooks;
}

/**
 * Tokens per context: `--context-size`, else min(128, the model's context).
 *
 * @example
 * contextSizeOf(model, undefined); // 128 for the demo model
 */
export function contextSizeOf(model: HookedTransformer, contextSize: number | undefined): number {
  return contextSize ?? Math.min(128, model.cfg.nCtx);
}

/**
 * What identifies cached activations besides the store's own settings: model and data.
 *
 * @example
 * cacheDescription('models/mechlens-demo', { data: 'demo-corpus', textField: 'text', seed: 0 });
 */
export function cacheDescription(
  modelSource: string,
  o: { data: string; textField: string; seed: number },
): Record<string, unknown> {
  const model = existsSync(modelSource) ? resolve(modelSource) : modelSource;
  return { model, data: o.data, textField: o.textField, dataSeed: o.seed + 1 };
}

/**
 * The activation store of a command: contexts of `o.data` (documents seeded with `seed + 1`), shuffled
 * with `seed`, optionally backed by a writable cache folder.
 *
 * @example
 * const store = openStore(model, source, o, hooks, { withGrads: false, cacheDir: 'cache/l2' });
 */
export function openStore(
  model: HookedTransformer,
  modelSource: string,
  o: DataOptions,
  hooks: readonly HookName[],
  opts: { withGrads: boolean; cacheDir?: string },
): ActivationStore {
  const contextSize = contextSizeOf(model, o.contextSize);
  return new ActivationStore({
    model,
    hooks,
    contexts: contextStream(model, o.data, contextSize, { field: o.textField, seed: o.seed + 1 }),
    contextSize,
    batchSize: o.batch,
    seed: o.seed,
    withGrads: opts.withGrads,
    cache: opts.cacheDir
      ? { dir: resolve(opts.cacheDir), write: true, describe: cacheDescription(modelSource, o) }
      : undefined,
  });
}
