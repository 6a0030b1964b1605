/**
 * Whole-model downloads: the files a causal LM needs from a hub repo, into one snapshot folder of
 * the HF cache, reusing a complete cached snapshot without any request.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CheckpointError, HubError } from './errors.js';
import { type HubDownloadResult, type HubOptions, hubDownload, hubFileExists, isHubOffline } from './hub.js';
import {
  cachedCommit,
  markMissing,
  noExistPath,
  repoCacheDir,
  safeRepoFile,
  validateRepoId,
} from './hubCache.js';

/**
 * Optional files fetched with a snapshot when the repo has them.
 *
 * @example
 * OPTIONAL_SNAPSHOT_FILES.includes('tokenizer.json'); // true
 */
export const OPTIONAL_SNAPSHOT_FILES = [
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'generation_config.json',
] as const;

/**
 * The shard files named by a `model.safetensors.index.json` text, unique, sorted.
 *
 * @example
 * shardFiles('{"weight_map":{"a":"model-00001-of-00002.safetensors"}}'); // ['model-00001-of-00002.safetensors']
 */
export function shardFiles(indexJson: string): string[] {
  const idx = JSON.parse(indexJson) as { weight_map?: unknown };
  if (typeof idx.weight_map !== 'object' || idx.weight_map === null || Array.isArray(idx.weight_map)) {
    throw new Error('index has no weight_map object');
  }
  const files = new Set<string>();
  for (const v of Object.values(idx.weight_map as Record<string, unknown>)) {
    if (typeof v !== 'string') throw new Error('weight_map values must be file names');
    files.add(v);
  }
  return [...files].sort();
}

/** Files a cached snapshot still lacks (empty when complete); an optional file marked missing counts as done. */
function missingFromSnapshot(repoDir: string, commit: string, includeOptional: boolean): string[] {
  const dir = join(repoDir, 'snapshots', commit);
  const has = (f: string) => existsSync(join(dir, ...f.split('/')));
  const known = (f: string) => has(f) || existsSync(noExistPath(repoDir, commit, f));
  const missing: string[] = [];
  if (!has('config.json')) missing.push('config.json');
  if (!has('model.safetensors')) {
    if (has('model.safetensors.index.json')) {
      try {
        const shards = shardFiles(readFileSync(join(dir, 'model.safetensors.index.json'), 'utf8'));
        missing.push(...shards.filter((s) => !has(s)));
      } catch {
        missing.push('model.safetensors.index.json');
      }
    } else missing.push('model.safetensors');
  }
  if (includeOptional) missing.push(...OPTIONAL_SNAPSHOT_FILES.filter((f) => !known(f)));
  return missing;
}

async function optional(repo: string, file: string, opts: HubOptions): Promise<HubDownloadResult | null> {
  try {
    return await hubDownload(repo, file, opts);
  } catch (e) {
    if (e instanceof HubError && e.code === 'NOT_FOUND') return null;
    throw e;
  }
}

/**
 * Downloads what a causal LM needs from a hub repo: `config.json`, the weights
 * (`model.safetensors`, or `model.safetensors.index.json` and every shard), and when present
 * `tokenizer.json`, `tokenizer_config.json`, `special_tokens_map.json`, `generation_config.json`,
 * all at the commit `config.json` resolved to. Returns the snapshot folder. A complete cached
 * snapshot of the revision is used without any request unless `refresh` is set. Pickle-only repos
 * (`pytorch_model.bin`) are refused with a {@link CheckpointError}.
 *
 * @example
 * const dir = await downloadSnapshot('EleutherAI/pythia-70m', { progress: true });
 * const ckpt = openCheckpoint(dir);
 */
export async function downloadSnapshot(repo: string, opts: HubOptions = {}): Promise<string> {
  validateRepoId(repo);
  const revision = opts.revision ?? 'main';
  const repoDir = repoCacheDir(repo, opts.cacheDir);
  const offline = isHubOffline(opts);
  const cached = cachedCommit(repoDir, revision);
  if (cached && (!opts.refresh || offline)) {
    if (missingFromSnapshot(repoDir, cached, !offline).length === 0)
      return join(repoDir, 'snapshots', cached);
  }
  if (offline) {
    const missing = cached ? missingFromSnapshot(repoDir, cached, false) : ['the whole snapshot'];
    throw new HubError(
      'OFFLINE',
      `offline mode (HF_HUB_OFFLINE): repo ${repo} at revision ${revision} is not complete in the cache ` +
        `${repoDir} (missing: ${missing.join(', ')})`,
      { repo, revision },
    );
  }
  const { commit } = await hubDownload(repo, 'config.json', { ...opts, revision });
  const pinned: HubOptions = { ...opts, revision: commit }; // every other file from the same commit
  if (!(await optional(repo, 'model.safetensors', pinned))) {
    markMissing(repoDir, commit, 'model.safetensors');
    const index = await optional(repo, 'model.safetensors.index.json', pinned);
    if (!index) {
      for (const pickle of ['pytorch_model.bin', 'pytorch_model.bin.index.json']) {
        if (await hubFileExists(repo, pickle, pinned)) {
          const where = `repo ${repo} (revision ${revision})`;
          throw new CheckpointError(
            'PICKLE_REFUSED',
            pickleMessage(where, pickle, repo, `./${repo.split('/').pop()}`),
          );
        }
      }
      throw new HubError(
        'NOT_FOUND',
        `repo ${repo} at revision ${revision} has no safetensors weights (looked for model.safetensors and ` +
          `model.safetensors.index.json)`,
        { repo, revision, status: 404 },
      );
    }
    let shards: string[];
    try {
      shards = shardFiles(readFileSync(index.path, 'utf8')).map(safeRepoFile);
    } catch (e) {
      throw new CheckpointError('BAD_INDEX', `${index.path}: ${(e as Error).message}`);
    }
    for (const shard of shards) await hubDownload(repo, shard, pinned);
  }
  for (const file of OPTIONAL_SNAPSHOT_FILES) {
    if (!(await optional(repo, file, pinned))) markMissing(repoDir, commit, file);
  }
  return join(repoDir, 'snapshots', commit);
}

/**
 * The explanation given when only a pickle checkpoint exists: why it is refused, and the one-line
 * conversion to safetensors (`from` is a folder or hub id, `to` the folder to write).
 *
 * @example
 * const msg = pickleMessage('folder ./m', 'pytorch_model.bin', './m', './m');
 * throw new CheckpointError('PICKLE_REFUSED', msg);
 */
export function pickleMessage(where: string, file: string, from: string, to: string): string {
  const tok =
    from === to
      ? ''
      : `from transformers import AutoTokenizer; AutoTokenizer.from_pretrained('${from}').save_pretrained('${to}'); `;
  return (
    `${where} only has ${file}, a PyTorch pickle checkpoint. mechlens refuses pickle files: unpickling can run ` +
    `arbitrary code, and reading them needs Python. Convert it to safetensors once (Python with torch and ` +
    `transformers):\n  python -c "from transformers import AutoModelForCausalLM; ${tok}` +
    `AutoModelForCausalLM.from_pretrained('${from}').save_pretrained('${to}', safe_serialization=True)"\n` +
    `then load '${to}'.`
  );
}
