/**
 * The Hugging Face hub cache layout, shared with Python's `huggingface_hub` (so both reuse each
 * other's downloads):
 *
 * ```
 * $HF_HUB_CACHE/models--{org}--{name}/
 *   blobs/{etag}                     file contents, named by ETag (sha256 for LFS files)
 *   blobs/{etag}.incomplete          a download in progress (resumed with a Range request)
 *   refs/{revision}                  the commit hash a branch/tag pointed to
 *   snapshots/{commit}/{file}        relative symlink to ../../blobs/{etag} (a copy where links fail)
 *   .no_exist/{commit}/{file}        empty marker: the file does not exist at that commit
 * ```
 */
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { HubError } from './errors.js';

/**
 * The hub cache folder: `cacheDir`, else `$HF_HUB_CACHE`, `$HUGGINGFACE_HUB_CACHE`, `$HF_HOME/hub`,
 * `$XDG_CACHE_HOME/huggingface/hub`, `~/.cache/huggingface/hub`.
 *
 * @example
 * hubCacheDir(); // '/home/me/.cache/huggingface/hub'
 */
export function hubCacheDir(cacheDir?: string): string {
  const env = process.env;
  if (cacheDir) return cacheDir;
  if (env.HF_HUB_CACHE) return env.HF_HUB_CACHE;
  if (env.HUGGINGFACE_HUB_CACHE) return env.HUGGINGFACE_HUB_CACHE;
  return join(hfHome(), 'hub');
}

/**
 * The Hugging Face home folder: `$HF_HOME`, else `$XDG_CACHE_HOME/huggingface`, `~/.cache/huggingface`.
 *
 * @example
 * hfHome(); // '/home/me/.cache/huggingface'
 */
export function hfHome(): string {
  const env = process.env;
  if (env.HF_HOME) return env.HF_HOME;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'huggingface');
}

const REPO_PART = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$/;

/**
 * Throws unless `repo` is a valid hub model id (`name` or `org/name`: letters, digits, `.`, `_`,
 * `-`, no `..`, at most 96 characters per part).
 *
 * @example
 * validateRepoId('EleutherAI/pythia-70m'); // ok
 */
export function validateRepoId(repo: string): void {
  const parts = repo.split('/');
  const ok =
    parts.length <= 2 &&
    parts.every((p) => p.length <= 96 && REPO_PART.test(p) && !p.includes('..') && !p.includes('--'));
  if (!ok) {
    throw new HubError(
      'BAD_REPO_ID',
      `'${repo}' is neither an existing folder nor a valid hub model id (expected 'name' or 'org/name', ` +
        `e.g. 'gpt2' or 'EleutherAI/pythia-70m')`,
      { repo },
    );
  }
}

/**
 * The cache folder of one model repo: `{cache}/models--{org}--{name}`.
 *
 * @example
 * repoCacheDir('EleutherAI/pythia-70m', '/tmp/hub'); // '/tmp/hub/models--EleutherAI--pythia-70m'
 */
export function repoCacheDir(repo: string, cacheDir?: string): string {
  return join(hubCacheDir(cacheDir), `models--${repo.split('/').join('--')}`);
}

/**
 * True for a full 40-hex-digit git commit hash.
 *
 * @example
 * isCommitHash('main'); // false
 */
export function isCommitHash(revision: string): boolean {
  return /^[0-9a-f]{40}$/.test(revision);
}

/**
 * A path component safe to use inside the cache (etags and commits come from the server).
 *
 * @example
 * safeName('abc123', 'ETag'); // 'abc123'; '../x' throws
 */
export function safeName(s: string, what: string): string {
  if (!/^[A-Za-z0-9._-]+$/.test(s) || s === '.' || s === '..') {
    throw new HubError('BAD_RESPONSE', `server sent an unusable ${what} ${JSON.stringify(s)}`, { repo: '' });
  }
  return s;
}

/**
 * A relative repo file path (`a/b.json`), refusing absolute paths and `..`.
 *
 * @example
 * safeRepoFile('onnx/model.onnx'); // ok; '../x' throws
 */
export function safeRepoFile(file: string): string {
  const parts = file.split('/');
  if (
    file === '' ||
    file.startsWith('/') ||
    file.includes('\\') ||
    parts.some((p) => p === '' || p === '.' || p === '..')
  ) {
    throw new HubError('BAD_RESPONSE', `refusing unsafe repo file path ${JSON.stringify(file)}`, {
      repo: '',
    });
  }
  return file;
}

/**
 * The commit a revision points to in the cache (`refs/{revision}`, or the revision itself when it
 * is a commit hash with a snapshot), or null.
 *
 * @example
 * cachedCommit('/tmp/hub/models--gpt2', 'main'); // '607a30d783dfa663caf39e06633721c8d4cfcd7e'
 */
export function cachedCommit(repoDir: string, revision: string): string | null {
  if (isCommitHash(revision) && existsSync(join(repoDir, 'snapshots', revision))) return revision;
  const ref = join(repoDir, 'refs', ...revision.split('/'));
  if (!existsSync(ref)) return null;
  const commit = readFileSync(ref, 'utf8').trim();
  return /^[A-Za-z0-9._-]+$/.test(commit) ? commit : null;
}

/**
 * Records that `revision` points to `commit`.
 *
 * @example
 * writeRef(repoDir, 'main', '607a30d783dfa663caf39e06633721c8d4cfcd7e');
 */
export function writeRef(repoDir: string, revision: string, commit: string): void {
  if (revision === commit) return;
  const ref = join(repoDir, 'refs', ...revision.split('/'));
  mkdirSync(dirname(ref), { recursive: true });
  if (existsSync(ref) && readFileSync(ref, 'utf8').trim() === commit) return;
  writeFileSync(ref, commit);
}

/**
 * Points `snapshots/{commit}/{file}` at a blob: relative symlink, or a copy where links are refused.
 *
 * @example
 * linkSnapshotFile(repoDir, commit, 'config.json', join(repoDir, 'blobs', etag));
 */
export function linkSnapshotFile(repoDir: string, commit: string, file: string, blob: string): string {
  const pointer = join(repoDir, 'snapshots', commit, ...file.split('/'));
  mkdirSync(dirname(pointer), { recursive: true });
  rmSync(pointer, { force: true });
  try {
    symlinkSync(relative(dirname(pointer), blob), pointer);
  } catch {
    copyFileSync(blob, pointer);
  }
  rmSync(noExistPath(repoDir, commit, file), { force: true });
  return pointer;
}

/**
 * Path of the `.no_exist` marker of a file at a commit.
 *
 * @example
 * existsSync(noExistPath(repoDir, commit, 'tokenizer.json')); // known to be absent?
 */
export function noExistPath(repoDir: string, commit: string, file: string): string {
  return join(repoDir, '.no_exist', commit, ...file.split('/'));
}

/**
 * Records that `file` does not exist at `commit` (so later runs need not ask again).
 *
 * @example
 * markMissing(repoDir, commit, 'tokenizer.json');
 */
export function markMissing(repoDir: string, commit: string, file: string): void {
  const marker = noExistPath(repoDir, commit, file);
  mkdirSync(dirname(marker), { recursive: true });
  writeFileSync(marker, '');
}
