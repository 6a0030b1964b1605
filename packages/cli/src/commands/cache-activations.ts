/**
 * `mechlens cache-activations`: computes a model's activations at one or several hook points and stores
 * them as safetensors groups in a cache folder, optionally as shard i of n (groups g with g mod n = i),
 * so a large cache can be filled by n independent processes on any scheduler. `train-sae --cache <dir>`
 * with the same data options then trains from it, with exactly the batches a live run would see.
 */
import { resolve } from 'node:path';
import { initEngine, loadModel, ProgressBar } from '@mechlens/core';
import { DEMO_MODEL_DIR } from '@mechlens/demo';
import { OptionError, progressFlag, type Schema } from '../schema.js';
import {
  CONTEXT_SIZE_OPTION,
  DATA_OPTION,
  MODEL_OPTION,
  PROGRESS_OPTION,
  TEXT_FIELD_OPTION,
} from './common-options.js';
import { hookList, openStore } from './data-setup.js';

/** The options of `mechlens cache-activations`. */
export const CACHE_ACTIVATIONS_SCHEMA = [
  MODEL_OPTION,
  {
    key: 'hook',
    flag: '--hook <names>',
    kind: 'string',
    help: 'hook point(s), comma-separated (one forward pass serves all)',
    defaultHelp: 'blocks.{nLayers/2}.hook_resid_pre',
  },
  { key: 'out', flag: '--out <dir>', kind: 'string', help: 'cache folder' },
  {
    key: 'tokens',
    flag: '--tokens <n>',
    kind: 'int',
    min: 1,
    help: 'tokens to cache (all shards together)',
    default: 2_000_000,
  },
  {
    key: 'shard',
    flag: '--shard <i/n>',
    kind: 'string',
    help: 'this process fills groups g with g mod n = i',
    default: '0/1',
  },
  {
    key: 'batch',
    flag: '--batch <n>',
    kind: 'int',
    min: 1,
    help: 'activations per training step (must match train-sae)',
    default: 4096,
  },
  CONTEXT_SIZE_OPTION,
  DATA_OPTION,
  TEXT_FIELD_OPTION,
  { key: 'seed', flag: '--seed <n>', kind: 'int', min: 0, help: 'seed (must match train-sae)', default: 0 },
  {
    key: 'gradients',
    flag: '--gradients',
    kind: 'boolean',
    help: 'also store LM-loss gradients (for g-SAE)',
    default: false,
  },
  PROGRESS_OPTION,
] as const satisfies Schema;

/** Validated options of `cache-activations`. */
export interface CacheActivationsCliOptions {
  model?: string;
  hook?: string;
  out?: string;
  tokens: number;
  shard: string;
  batch: number;
  contextSize?: number;
  data: string;
  textField: string;
  seed: number;
  gradients: boolean;
  progress: 'auto' | 'on' | 'off';
}

/**
 * Parses `i/n` (0 <= i < n).
 *
 * @example
 * parseShard('2/8'); // { index: 2, count: 8 }
 */
export function parseShard(s: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(s.trim());
  const index = m ? Number(m[1]) : Number.NaN;
  const count = m ? Number(m[2]) : Number.NaN;
  if (!m || count < 1 || index >= count)
    throw new OptionError(`--shard: expected i/n with 0 <= i < n, got '${s}'`);
  return { index, count };
}

/**
 * Fills this shard's groups of the cache.
 *
 * @example
 * await runCacheActivations({ out: 'cache/l2', tokens: 4_000_000, shard: '0/4', batch: 4096, data: 'demo-corpus', textField: 'text', seed: 0, gradients: false, progress: 'auto' });
 */
export async function runCacheActivations(
  o: CacheActivationsCliOptions,
  log: (line: string) => void = console.log,
): Promise<{ groups: number[] }> {
  if (!o.out) throw new OptionError('--out: give the cache folder');
  const { index, count } = parseShard(o.shard);
  await initEngine();
  const modelSource = o.model ?? DEMO_MODEL_DIR;
  const model = await loadModel(modelSource);
  try {
    const hooks = hookList(model, o.hook);
    const store = openStore(model, modelSource, o, hooks, { withGrads: o.gradients, cacheDir: o.out });
    const steps = Math.ceil(o.tokens / o.batch);
    // a group serves up to 8 batches (fewer when separators are dropped): cache with a margin; train-sae
    // computes and adds any group still missing
    const groups = Math.ceil(steps / 6) + 1;
    const mine: number[] = [];
    for (let g = index; g < groups; g += count) mine.push(g);
    log(
      `caching ${hooks.join(', ')}: groups ${mine.length} of ${groups} (shard ${index}/${count}) into ${resolve(o.out)}`,
    );
    const bar = new ProgressBar({
      total: mine.length,
      label: 'cache',
      unit: 'groups',
      enabled: progressFlag(o.progress),
    });
    for (const g of mine) {
      await store.cacheGroup(g);
      bar.tick();
    }
    bar.finish();
    await store.close();
    log(`done: ${mine.length} groups`);
    return { groups: mine };
  } finally {
    model.dispose();
  }
}
