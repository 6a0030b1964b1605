/**
 * Downloads files and whole model snapshots from the Hugging Face hub (or any server with the same
 * `/{repo}/resolve/{revision}/{file}` layout, e.g. a mirror set with `HF_ENDPOINT`) into the shared
 * HF cache (see `hubCache.ts`). Downloads resume with Range requests into `blobs/{etag}.incomplete`,
 * are retried on network errors, and are verified against the expected size and, for LFS files
 * (whose ETag is the sha256), the sha256.
 */
import { createHash, type Hash } from 'node:crypto';
import {
  createReadStream,
  existsSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  truncateSync,
} from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import { HubError } from './errors.js';
import { type HttpResponse, header, httpSend, NetworkError } from './http.js';
import {
  cachedCommit,
  hfHome,
  isCommitHash,
  linkSnapshotFile,
  markMissing,
  noExistPath,
  repoCacheDir,
  safeName,
  safeRepoFile,
  validateRepoId,
  writeRef,
} from './hubCache.js';
import { ProgressBar } from './progress.js';

/**
 * One progress event of a file download.
 *
 * @example
 * await hubDownload('gpt2', 'model.safetensors', {
 *   progress: (e: DownloadProgress) => console.log(e.file, e.downloaded, e.total),
 * });
 */
export interface DownloadProgress {
  repo: string;
  file: string;
  /** Bytes of the file on disk so far (a resumed download starts above 0). */
  downloaded: number;
  /** Expected size, when the server said. */
  total: number | null;
  /** True on the last event of a file. */
  done: boolean;
}

/**
 * Options of hub downloads; every field has an environment-variable or built-in default.
 *
 * @example
 * const opts: HubOptions = { revision: 'main', cacheDir: '/tmp/hf', progress: true };
 * await resolveSource('gpt2', opts);
 */
export interface HubOptions {
  /** Branch, tag or commit (default `main`). */
  revision?: string;
  /** Hub URL (default `$HF_ENDPOINT` or `https://huggingface.co`). */
  endpoint?: string;
  /** Cache folder (default `$HF_HUB_CACHE`, `$HF_HOME/hub`, `~/.cache/huggingface/hub`). */
  cacheDir?: string;
  /** Access token (default `$HF_TOKEN`, then the token file `$HF_HOME/token`); '' sends none. */
  token?: string;
  /** A progress bar on stderr (`true` forces it, `false` disables it; default: when stderr is a TTY), or a callback. */
  progress?: boolean | ((e: DownloadProgress) => void);
  /** Use only the cache, no network (default `$HF_HUB_OFFLINE`). */
  offline?: boolean;
  /** Ask the server even when the cache already has a complete snapshot of the revision (default false). */
  refresh?: boolean;
  /** Extra attempts after a network error or an HTTP 5xx/429, each resuming where the last stopped (default 4). */
  retries?: number;
  /** Idle timeout of one request in ms (default 30000). */
  timeoutMs?: number;
}

/**
 * What {@link hubDownload} produced.
 *
 * @example
 * const { path, commit, fromCache }: HubDownloadResult = await hubDownload('gpt2', 'config.json');
 */
export interface HubDownloadResult {
  /** `snapshots/{commit}/{file}` in the cache. */
  path: string;
  /** The commit the file was resolved at. */
  commit: string;
  /** True when nothing was fetched (cache hit). */
  fromCache: boolean;
}

interface Ctx {
  repo: string;
  revision: string;
  endpoint: string;
  repoDir: string;
  token: string | undefined;
  offline: boolean;
  retries: number;
  timeoutMs: number;
  progress: HubOptions['progress'];
}

function envTrue(v: string | undefined): boolean {
  return v !== undefined && ['1', 'on', 'yes', 'true'].includes(v.trim().toLowerCase());
}

/**
 * The token sent to the hub: `opts.token`, else `$HF_TOKEN`, `$HUGGING_FACE_HUB_TOKEN`, the file
 * `$HF_TOKEN_PATH` or `$HF_HOME/token`; undefined when none (or when `opts.token` is '').
 *
 * @example
 * resolveHubToken({ token: 'hf_xxx' }); // 'hf_xxx'
 */
export function resolveHubToken(opts: Pick<HubOptions, 'token'> = {}): string | undefined {
  if (opts.token !== undefined) return opts.token || undefined;
  const env = process.env;
  const fromEnv = env.HF_TOKEN || env.HUGGING_FACE_HUB_TOKEN;
  if (fromEnv) return fromEnv.trim();
  const file = env.HF_TOKEN_PATH || join(hfHome(), 'token');
  try {
    return readFileSync(file, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

function context(repo: string, opts: HubOptions): Ctx {
  validateRepoId(repo);
  const endpoint = (opts.endpoint ?? process.env.HF_ENDPOINT ?? 'https://huggingface.co').replace(/\/+$/, '');
  return {
    repo,
    revision: opts.revision ?? 'main',
    endpoint,
    repoDir: repoCacheDir(repo, opts.cacheDir),
    token: resolveHubToken(opts),
    offline: isHubOffline(opts),
    retries: opts.retries ?? 4,
    timeoutMs: opts.timeoutMs ?? 30_000,
    progress: opts.progress,
  };
}

/**
 * The resolve URL of a repo file: `{endpoint}/{repo}/resolve/{revision}/{file}`.
 *
 * @example
 * hubFileUrl('https://huggingface.co', 'gpt2', 'main', 'config.json');
 * // 'https://huggingface.co/gpt2/resolve/main/config.json'
 */
export function hubFileUrl(endpoint: string, repo: string, revision: string, file: string): string {
  const path = file.split('/').map(encodeURIComponent).join('/');
  return `${endpoint}/${repo}/resolve/${encodeURIComponent(revision)}/${path}`;
}

function describe(ctx: Ctx, file: string, revision: string): string {
  return `file ${file} of repo ${ctx.repo} at revision ${revision}`;
}

/** The error for a non-2xx response, worded for the hub's error codes. */
function httpError(ctx: Ctx, file: string, revision: string, url: string, res: HttpResponse): HubError {
  const status = res.status;
  const code = header(res.headers, 'x-error-code');
  const serverMsg = header(res.headers, 'x-error-message');
  const info = { repo: ctx.repo, file, revision, status, url };
  const suffix = `(HTTP ${status} from ${url}${serverMsg ? `: ${serverMsg}` : ''})`;
  const tokenHint = ctx.token ? '' : '; if the repo is private or gated, set HF_TOKEN';
  if (code === 'RepositoryNotFound') {
    return new HubError(
      'REPO_NOT_FOUND',
      `repo ${ctx.repo} not found on ${ctx.endpoint}${tokenHint} ${suffix}`,
      info,
    );
  }
  if (code === 'RevisionNotFound') {
    return new HubError(
      'REVISION_NOT_FOUND',
      `revision ${revision} not found in repo ${ctx.repo} ${suffix}`,
      info,
    );
  }
  if (code === 'GatedRepo') {
    return new HubError(
      'UNAUTHORIZED',
      `repo ${ctx.repo} is gated: accept its conditions on its hub page and set HF_TOKEN ${suffix}`,
      info,
    );
  }
  if (status === 404 || code === 'EntryNotFound') {
    return new HubError(
      'NOT_FOUND',
      `file ${file} not found in repo ${ctx.repo} at revision ${revision} ${suffix}`,
      info,
    );
  }
  if (status === 401 || status === 403) {
    return new HubError(
      'UNAUTHORIZED',
      `access to ${describe(ctx, file, revision)} refused${ctx.token ? ' (the token was sent)' : tokenHint} ${suffix}`,
      info,
    );
  }
  return new HubError('HTTP', `could not download ${describe(ctx, file, revision)} ${suffix}`, info);
}

function retryable(e: unknown): boolean {
  if (e instanceof NetworkError) return true;
  return e instanceof HubError && e.code === 'HTTP' && (e.status === 429 || (e.status ?? 0) >= 500);
}

function authHeaders(ctx: Ctx, url: string): Record<string, string> {
  const h: Record<string, string> = { 'user-agent': 'mechlens/0.1 (hf-hub compatible)' };
  if (ctx.token && new URL(url).origin === new URL(ctx.endpoint).origin)
    h.authorization = `Bearer ${ctx.token}`;
  return h;
}

interface FileMeta {
  commit: string;
  etag: string;
  size: number | null;
  downloadUrl: string;
}

function normalizeEtag(raw: string | undefined): string | undefined {
  return raw?.replace(/^W\//, '').replace(/^"|"$/g, '') || undefined;
}

function isRelativeLocation(loc: string): boolean {
  return !/^[a-z][a-z0-9+.-]*:/i.test(loc) && !loc.startsWith('//');
}

/** HEAD the resolve URL; follows relative redirects only (renamed repos), like huggingface_hub. */
async function fileMetadata(ctx: Ctx, file: string, revision: string): Promise<FileMeta> {
  return withRetries(ctx, () => fileMetadataOnce(ctx, file, revision)).catch((e) => {
    if (!(e instanceof NetworkError)) throw e;
    const url = hubFileUrl(ctx.endpoint, ctx.repo, revision, file);
    throw new HubError(
      'NETWORK',
      `could not reach ${ctx.endpoint} for ${describe(ctx, file, revision)}: ${e.message} ` +
        `(after ${ctx.retries + 1} attempts; set HF_HUB_OFFLINE=1 to use only the cache)`,
      { repo: ctx.repo, file, revision, url },
    );
  });
}

async function fileMetadataOnce(ctx: Ctx, file: string, revision: string): Promise<FileMeta> {
  let url = hubFileUrl(ctx.endpoint, ctx.repo, revision, file);
  for (let hop = 0; hop < 10; hop++) {
    const res = await httpSend(url, 'HEAD', authHeaders(ctx, url), ctx.timeoutMs);
    res.body.resume();
    const loc = header(res.headers, 'location');
    if (res.status >= 300 && res.status < 400 && loc && isRelativeLocation(loc)) {
      url = new URL(loc, url).href;
      continue;
    }
    const redirect = res.status >= 300 && res.status < 400 ? loc : undefined;
    if (!redirect && (res.status < 200 || res.status >= 300)) throw httpError(ctx, file, revision, url, res);
    const etag = normalizeEtag(header(res.headers, 'x-linked-etag') ?? header(res.headers, 'etag'));
    if (!etag) {
      throw new HubError(
        'BAD_RESPONSE',
        `the server sent no ETag for ${describe(ctx, file, revision)} (${url}); is ${ctx.endpoint} a Hugging Face hub? (HF_ENDPOINT)`,
        { repo: ctx.repo, file, revision, status: res.status, url },
      );
    }
    const sizeHeader =
      header(res.headers, 'x-linked-size') ?? (redirect ? undefined : header(res.headers, 'content-length'));
    const size = sizeHeader !== undefined && /^\d+$/.test(sizeHeader) ? Number(sizeHeader) : null;
    const commit = header(res.headers, 'x-repo-commit') ?? revision;
    return {
      commit: safeName(commit, 'commit'),
      etag: safeName(etag, 'ETag'),
      size,
      downloadUrl: redirect ? new URL(redirect, url).href : url,
    };
  }
  throw new HubError('BAD_RESPONSE', `too many redirects for ${describe(ctx, file, revision)}`, {
    repo: ctx.repo,
    file,
    revision,
  });
}

async function withRetries<T>(ctx: Ctx, fn: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (!retryable(e) || attempt >= ctx.retries) throw e;
      await new Promise((r) => setTimeout(r, Math.min(200 * 2 ** attempt, 5000)));
    }
  }
}

/** GET following every redirect; the token is only sent to the hub's own origin. */
async function getFollowing(
  ctx: Ctx,
  url: string,
  extra: Record<string, string>,
): Promise<HttpResponse & { url: string }> {
  let current = url;
  for (let hop = 0; hop < 10; hop++) {
    const res = await httpSend(current, 'GET', { ...authHeaders(ctx, current), ...extra }, ctx.timeoutMs);
    const loc = header(res.headers, 'location');
    if (res.status >= 300 && res.status < 400 && loc) {
      res.body.resume();
      current = new URL(loc, current).href;
      continue;
    }
    return { ...res, url: current };
  }
  throw new NetworkError(`too many redirects from ${url}`);
}

function progressSink(
  ctx: Ctx,
  file: string,
  total: number | null,
): (downloaded: number, done: boolean) => void {
  const p = ctx.progress;
  if (typeof p === 'function')
    return (downloaded, done) => p({ repo: ctx.repo, file, downloaded, total, done });
  const enabled = p === true || (p === undefined && process.stderr.isTTY === true);
  if (!enabled) return () => {};
  const bar = new ProgressBar({ total, label: file, unit: 'bytes', enabled: true });
  return (downloaded, done) => {
    bar.update(downloaded);
    if (done) bar.finish();
  };
}

async function hashPrefix(path: string, hash: Hash): Promise<void> {
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
}

/**
 * Downloads `url` into `incomplete`, resuming from its current size with a Range request. Returns
 * the sha256 hex of the complete file when `wantSha` (hashing the resumed prefix too).
 */
async function downloadResumable(
  ctx: Ctx,
  file: string,
  revision: string,
  url: string,
  incomplete: string,
  expected: number | null,
  wantSha: boolean,
): Promise<string | null> {
  const report = progressSink(ctx, file, expected);
  let digest: string | null = null;
  await withRetries(ctx, async () => {
    let start = existsSync(incomplete) ? statSync(incomplete).size : 0;
    if (expected !== null && start > expected) {
      truncateSync(incomplete, 0);
      start = 0;
    }
    const res = await getFollowing(ctx, url, start > 0 ? { range: `bytes=${start}-` } : {});
    if (res.status === 416 && start > 0) {
      res.body.resume();
      const total = /\/(\d+)$/.exec(header(res.headers, 'content-range') ?? '')?.[1];
      if (total === undefined || Number(total) !== start) truncateSync(incomplete, 0);
      if (total !== undefined && Number(total) === start) {
        const hash = wantSha ? createHash('sha256') : null;
        if (hash) await hashPrefix(incomplete, hash);
        digest = hash ? hash.digest('hex') : null;
        return;
      }
      throw new NetworkError(`server refused to resume ${file} at byte ${start}; restarting`);
    }
    if (res.status !== 200 && res.status !== 206) {
      res.body.resume();
      throw httpError(ctx, file, revision, res.url, res);
    }
    if (res.status === 206) {
      const cr = /^bytes (\d+)-/.exec(header(res.headers, 'content-range') ?? '');
      if (!cr || Number(cr[1]) !== start) {
        res.body.destroy();
        truncateSync(incomplete, 0);
        throw new NetworkError(`server resumed ${file} at the wrong offset; restarting`);
      }
    } else {
      start = 0; // server ignored the Range header: start over
    }
    const length = header(res.headers, 'content-length');
    const bodyLength = length !== undefined && /^\d+$/.test(length) ? Number(length) : null;
    const hash = wantSha ? createHash('sha256') : null;
    if (hash && start > 0) await hashPrefix(incomplete, hash);
    const fh = await open(incomplete, start > 0 ? 'a' : 'w');
    let written = start;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let diskError: Error | null = null;
    const flush = async () => {
      if (pendingBytes === 0) return;
      const buf = pending.length === 1 ? pending[0] : Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
      try {
        await fh.write(buf);
      } catch (e) {
        diskError = e as Error; // a local problem (disk full, permissions): not worth retrying
        throw e;
      }
      hash?.update(buf);
      written += buf.length;
      report(written, false);
    };
    try {
      for await (const chunk of res.body) {
        pending.push(chunk as Buffer);
        pendingBytes += (chunk as Buffer).length;
        if (pendingBytes >= 1 << 20) await flush();
      }
      await flush();
    } catch (e) {
      if (diskError) throw diskError;
      await flush(); // keep every byte received so the next attempt resumes after it
      throw new NetworkError(`download of ${file} interrupted at byte ${written}: ${(e as Error).message}`);
    } finally {
      await fh.close();
    }
    if (bodyLength !== null && written - start < bodyLength) {
      throw new NetworkError(`download of ${file} ended early at byte ${written}`);
    }
    digest = hash ? hash.digest('hex') : null;
  }).catch((e) => {
    if (e instanceof NetworkError) {
      const have = existsSync(incomplete) ? statSync(incomplete).size : 0;
      throw new HubError(
        'NETWORK',
        `could not download ${describe(ctx, file, revision)}: ${e.message} (after ${ctx.retries + 1} attempts; ` +
          `${have} bytes kept in ${incomplete}, run again to resume)`,
        { repo: ctx.repo, file, revision, url },
      );
    }
    throw e;
  });
  const size = statSync(incomplete).size;
  report(size, true);
  return digest;
}

/**
 * Downloads one repo file into the HF cache (or finds it there) and returns its snapshot path.
 * A revision that is a commit hash already in the cache, or offline mode, needs no network.
 *
 * @example
 * const { path } = await hubDownload('gpt2', 'config.json');
 * const config = JSON.parse(readFileSync(path, 'utf8'));
 */
export async function hubDownload(
  repo: string,
  file: string,
  opts: HubOptions = {},
): Promise<HubDownloadResult> {
  const ctx = context(repo, opts);
  return downloadFile(ctx, safeRepoFile(file), ctx.revision);
}

async function downloadFile(ctx: Ctx, file: string, revision: string): Promise<HubDownloadResult> {
  const known = cachedCommit(ctx.repoDir, revision);
  if (known && (ctx.offline || isCommitHash(revision))) {
    const pointer = join(ctx.repoDir, 'snapshots', known, ...file.split('/'));
    if (existsSync(pointer)) return { path: pointer, commit: known, fromCache: true };
    if (ctx.offline && existsSync(noExistPath(ctx.repoDir, known, file))) {
      throw new HubError(
        'NOT_FOUND',
        `file ${file} not found in repo ${ctx.repo} at revision ${revision} (cached answer)`,
        {
          repo: ctx.repo,
          file,
          revision,
          status: 404,
        },
      );
    }
  }
  if (ctx.offline) {
    throw new HubError(
      'OFFLINE',
      `offline mode (HF_HUB_OFFLINE): ${describe(ctx, file, revision)} is not in the cache ${ctx.repoDir}`,
      { repo: ctx.repo, file, revision },
    );
  }
  let meta: FileMeta;
  try {
    meta = await fileMetadata(ctx, file, revision);
  } catch (e) {
    if (e instanceof HubError && e.code === 'NOT_FOUND' && isCommitHash(revision))
      markMissing(ctx.repoDir, revision, file);
    throw e;
  }
  writeRef(ctx.repoDir, revision, meta.commit);
  const blobs = join(ctx.repoDir, 'blobs');
  const blob = join(blobs, meta.etag);
  if (existsSync(blob) && (meta.size === null || statSync(blob).size === meta.size)) {
    return {
      path: linkSnapshotFile(ctx.repoDir, meta.commit, file, blob),
      commit: meta.commit,
      fromCache: true,
    };
  }
  await mkdir(blobs, { recursive: true });
  const incomplete = `${blob}.incomplete`;
  const sha = /^[0-9a-f]{64}$/.test(meta.etag) ? meta.etag : null;
  const digest = await downloadResumable(
    ctx,
    file,
    revision,
    meta.downloadUrl,
    incomplete,
    meta.size,
    sha !== null,
  );
  const size = statSync(incomplete).size;
  const info = { repo: ctx.repo, file, revision, url: meta.downloadUrl };
  if (meta.size !== null && size !== meta.size) {
    rmSync(incomplete, { force: true });
    throw new HubError(
      'SIZE_MISMATCH',
      `downloaded ${describe(ctx, file, revision)} has ${size} bytes, expected ${meta.size}; the partial file was deleted`,
      info,
    );
  }
  if (sha !== null && digest !== sha) {
    rmSync(incomplete, { force: true });
    throw new HubError(
      'CHECKSUM',
      `sha256 of downloaded ${describe(ctx, file, revision)} is ${digest}, expected ${sha}; the corrupt file was deleted`,
      info,
    );
  }
  renameSync(incomplete, blob);
  return {
    path: linkSnapshotFile(ctx.repoDir, meta.commit, file, blob),
    commit: meta.commit,
    fromCache: false,
  };
}

/**
 * Whether a repo file exists (one HEAD request; false on 404).
 *
 * @example
 * if (await hubFileExists('gpt2', 'pytorch_model.bin')) console.log('has a pickle checkpoint');
 */
export async function hubFileExists(repo: string, file: string, opts: HubOptions = {}): Promise<boolean> {
  const ctx = context(repo, opts);
  try {
    await fileMetadata(ctx, safeRepoFile(file), ctx.revision);
    return true;
  } catch (e) {
    if (e instanceof HubError && e.code === 'NOT_FOUND') return false;
    throw e;
  }
}

/**
 * Whether hub access is cache-only: `opts.offline`, else `$HF_HUB_OFFLINE` (1/on/yes/true).
 *
 * @example
 * isHubOffline({ offline: true }); // true
 */
export function isHubOffline(opts: Pick<HubOptions, 'offline'> = {}): boolean {
  return opts.offline ?? envTrue(process.env.HF_HUB_OFFLINE);
}
