import { createHash } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  CheckpointError,
  type DownloadProgress,
  HubError,
  type HubOptions,
  hubCacheDir,
  hubDownload,
  hubFileExists,
  openCheckpoint,
  openSafetensors,
  repoCacheDir,
  resolveSource,
  writeSafetensors,
} from '../../src/io/index.js';
import { FakeHub } from './fakeHub.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures');
const COMMIT = 'a'.repeat(39) + '1';
const read = (p: string) => readFileSync(p);
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

const gpt2Files = {
  'config.json': read(join(FIXTURES, 'gpt2', 'config.json')),
  'generation_config.json': read(join(FIXTURES, 'gpt2', 'generation_config.json')),
  'model.safetensors': read(join(FIXTURES, 'gpt2', 'model.safetensors')),
  'tokenizer.json': read(join(FIXTURES, 'gpt2-tokenizer', 'tokenizer.json')),
  'tokenizer_config.json': read(join(FIXTURES, 'gpt2-tokenizer', 'tokenizer_config.json')),
};

function shardedFiles(): Record<string, Buffer> {
  const dir = mkdtempSync(join(tmpdir(), 'mechlens-shards-'));
  const src = openSafetensors(join(FIXTURES, 'llama', 'model.safetensors'));
  const names = [...src.entries.keys()];
  const weightMap: Record<string, string> = {};
  const out: Record<string, Buffer> = { 'config.json': read(join(FIXTURES, 'llama', 'config.json')) };
  [names.slice(0, 10), names.slice(10)].forEach((part, i) => {
    const file = `model-0000${i + 1}-of-00002.safetensors`;
    const tensors: Parameters<typeof writeSafetensors>[1] = {};
    for (const n of part) {
      tensors[n] = { dtype: 'F32', ...src.readF32(n) };
      weightMap[n] = file;
    }
    writeSafetensors(join(dir, file), tensors);
    out[file] = read(join(dir, file));
  });
  src.close();
  out['model.safetensors.index.json'] = Buffer.from(JSON.stringify({ metadata: {}, weight_map: weightMap }));
  rmSync(dir, { recursive: true });
  return out;
}

let hub: FakeHub;
let cache: string;
const savedEnv = { ...process.env };

beforeAll(async () => {
  hub = await new FakeHub({
    'org/tiny': { commit: COMMIT, files: gpt2Files },
    gpt2: { commit: 'b'.repeat(40), files: gpt2Files },
    'org/sharded': { commit: 'c'.repeat(40), files: shardedFiles() },
    'org/pickle': {
      commit: 'd'.repeat(40),
      files: { 'config.json': gpt2Files['config.json'], 'pytorch_model.bin': Buffer.from('PK') },
    },
    'org/noweights': { commit: 'e'.repeat(40), files: { 'config.json': gpt2Files['config.json'] } },
  }).start();
});
afterAll(() => hub.close());

beforeEach(() => {
  cache = mkdtempSync(join(tmpdir(), 'mechlens-hub-'));
  // isolate from the user's environment: no token, no offline flag, HF_HOME in the temp dir
  for (const k of [
    'HF_TOKEN',
    'HUGGING_FACE_HUB_TOKEN',
    'HF_HUB_OFFLINE',
    'HF_ENDPOINT',
    'HF_HUB_CACHE',
    'HF_TOKEN_PATH',
  ]) {
    delete process.env[k];
  }
  process.env.HF_HOME = join(cache, 'hf-home');
  hub.requests.length = 0;
});
afterEach(() => {
  for (const k of Object.keys(process.env)) if (!(k in savedEnv)) delete process.env[k];
  Object.assign(process.env, savedEnv);
  rmSync(cache, { recursive: true, force: true });
});

const opts = (extra: HubOptions = {}): HubOptions => ({
  endpoint: hub.hubUrl,
  cacheDir: cache,
  progress: false,
  ...extra,
});

describe('snapshot download', () => {
  it('downloads config, weights and tokenizer files into the HF cache layout', async () => {
    const dir = await resolveSource('org/tiny', opts());
    const repoDir = repoCacheDir('org/tiny', cache);
    expect(repoDir).toBe(join(cache, 'models--org--tiny'));
    expect(dir).toBe(join(repoDir, 'snapshots', COMMIT));
    expect(readFileSync(join(repoDir, 'refs', 'main'), 'utf8')).toBe(COMMIT);
    for (const [file, content] of Object.entries(gpt2Files)) {
      expect(read(join(dir, file)).equals(content)).toBe(true);
      expect(lstatSync(join(dir, file)).isSymbolicLink()).toBe(true);
    }
    // LFS files are stored under their sha256, others under their git ETag
    const model = gpt2Files['model.safetensors'];
    expect(readlinkSync(join(dir, 'model.safetensors'))).toBe(join('..', '..', 'blobs', sha256(model)));
    expect(readdirSync(join(repoDir, 'blobs')).filter((f) => f.endsWith('.incomplete'))).toEqual([]);
    // absent optional files are remembered
    expect(existsSync(join(repoDir, '.no_exist', COMMIT, 'special_tokens_map.json'))).toBe(true);
    const ckpt = openCheckpoint(dir);
    expect(ckpt.tokenizerPath).toBe(join(dir, 'tokenizer.json'));
    expect(ckpt.read('transformer.wte.weight').shape).toEqual([211, 64]);
    ckpt.close();
    // model.safetensors went through the CDN server; every other file from the hub itself
    expect(hub.count((r) => r.server === 'cdn' && r.method === 'GET')).toBe(2); // model + tokenizer.json
  });

  it('a second call is served from the cache without any request', async () => {
    await resolveSource('gpt2', opts());
    const n = hub.requests.length;
    expect(n).toBeGreaterThan(0);
    const again = await resolveSource('gpt2', opts());
    expect(hub.requests.length).toBe(n);
    expect(again).toBe(join(cache, 'models--gpt2', 'snapshots', 'b'.repeat(40)));
    // offline also works from the cache, and refresh asks again but downloads nothing new
    expect(await resolveSource('gpt2', opts({ offline: true }))).toBe(again);
    process.env.HF_HUB_OFFLINE = '1';
    expect(await resolveSource('gpt2', opts())).toBe(again);
    delete process.env.HF_HUB_OFFLINE;
    await resolveSource('gpt2', opts({ refresh: true }));
    expect(hub.count((r) => r.method === 'GET' && hub.requests.indexOf(r) >= n)).toBe(0);
    expect(hub.count((r) => r.method === 'HEAD' && hub.requests.indexOf(r) >= n)).toBeGreaterThan(0);
  });

  it('offline without a cache names what is missing', async () => {
    const err = await resolveSource('org/tiny', opts({ offline: true })).catch((e) => e);
    expect(err).toBeInstanceOf(HubError);
    expect(err.code).toBe('OFFLINE');
    expect(err.message).toMatch(/offline mode.*org\/tiny.*not complete in the cache/);
    expect(hub.requests.length).toBe(0);
  });

  it('downloads every shard of a sharded checkpoint', async () => {
    const dir = await resolveSource('org/sharded', opts());
    const ckpt = openCheckpoint(dir);
    const ref = openCheckpoint(join(FIXTURES, 'llama'));
    expect(ckpt.tensorNames.sort()).toEqual(ref.tensorNames.sort());
    for (const n of ref.tensorNames) expect(ckpt.read(n).data).toEqual(ref.read(n).data);
    ckpt.close();
    ref.close();
    expect(existsSync(join(dir, 'tokenizer.json'))).toBe(false);
  });

  it('refuses a pickle-only repo and explains; a repo without weights says what was looked for', async () => {
    const err = await resolveSource('org/pickle', opts()).catch((e) => e);
    expect(err).toBeInstanceOf(CheckpointError);
    expect(err.code).toBe('PICKLE_REFUSED');
    expect(err.message).toMatch(/repo org\/pickle .* only has pytorch_model\.bin.*safe_serialization=True/s);
    expect(hub.count((r) => r.path.includes('pytorch_model.bin') && r.method === 'GET')).toBe(0);
    await expect(resolveSource('org/noweights', opts())).rejects.toThrow(
      /repo org\/noweights at revision main has no safetensors weights \(looked for model\.safetensors and model\.safetensors\.index\.json\)/,
    );
  });

  it('reports progress with sizes, ending with done', async () => {
    const events: DownloadProgress[] = [];
    await hubDownload('org/tiny', 'tokenizer.json', opts({ progress: (e) => events.push(e) }));
    const size = gpt2Files['tokenizer.json'].length;
    expect(events.length).toBeGreaterThan(1);
    expect(
      events.every((e) => e.file === 'tokenizer.json' && e.total === size && e.repo === 'org/tiny'),
    ).toBe(true);
    for (let i = 1; i < events.length; i++)
      expect(events[i].downloaded).toBeGreaterThanOrEqual(events[i - 1].downloaded);
    expect(events.at(-1)).toMatchObject({ downloaded: size, done: true });
  });
});

describe('resumable downloads', () => {
  it('resumes an interrupted download with a Range request in the same call', async () => {
    hub.dropOnce.add('model.safetensors');
    const { path, fromCache } = await hubDownload('org/tiny', 'model.safetensors', opts());
    expect(fromCache).toBe(false);
    expect(read(path).equals(gpt2Files['model.safetensors'])).toBe(true);
    const gets = hub.requests.filter((r) => r.server === 'cdn' && r.method === 'GET');
    expect(gets.length).toBe(2);
    expect(gets[0].headers.range).toBeUndefined();
    const m = /^bytes=(\d+)-$/.exec(gets[1].headers.range ?? '');
    expect(m).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThan(0);
    expect(Number(m![1])).toBeLessThanOrEqual(gpt2Files['model.safetensors'].length >> 1);
  });

  it('keeps the partial file when retries run out and resumes on the next call', async () => {
    hub.dropOnce.add('model.safetensors');
    const err = await hubDownload('org/tiny', 'model.safetensors', opts({ retries: 0 })).catch((e) => e);
    expect(err).toBeInstanceOf(HubError);
    expect(err.code).toBe('NETWORK');
    expect(err.message).toMatch(
      /model\.safetensors of repo org\/tiny .*bytes kept in .*\.incomplete, run again to resume/,
    );
    const blob = join(repoCacheDir('org/tiny', cache), 'blobs', sha256(gpt2Files['model.safetensors']));
    const partial = lstatSync(`${blob}.incomplete`).size;
    expect(partial).toBeGreaterThan(0);
    expect(existsSync(join(repoCacheDir('org/tiny', cache), 'snapshots', COMMIT, 'model.safetensors'))).toBe(
      false,
    );
    const { path } = await hubDownload('org/tiny', 'model.safetensors', opts({ retries: 0 }));
    expect(read(path).equals(gpt2Files['model.safetensors'])).toBe(true);
    const last = hub.requests.filter((r) => r.method === 'GET').at(-1)!;
    expect(last.headers.range).toBe(`bytes=${partial}-`);
    expect(existsSync(`${blob}.incomplete`)).toBe(false);
  });

  it('a complete .incomplete file is finished with a 416 answer', async () => {
    const blobs = join(repoCacheDir('org/tiny', cache), 'blobs');
    const content = gpt2Files['model.safetensors'];
    const { mkdirSync } = await import('node:fs');
    mkdirSync(blobs, { recursive: true });
    writeFileSync(join(blobs, `${sha256(content)}.incomplete`), content);
    const { path } = await hubDownload('org/tiny', 'model.safetensors', opts());
    expect(read(path).equals(content)).toBe(true);
  });

  it('retries a 500 answer', async () => {
    hub.fail500Once.add('config.json');
    const { path } = await hubDownload('org/tiny', 'config.json', opts());
    expect(read(path).equals(gpt2Files['config.json'])).toBe(true);
    expect(hub.count((r) => r.method === 'HEAD')).toBe(2);
  });
});

describe('errors and verification', () => {
  it('a 404 says which file was missing, in which repo and revision', async () => {
    const err = await hubDownload('org/tiny', 'nope/missing.json', opts()).catch((e) => e);
    expect(err).toBeInstanceOf(HubError);
    expect(err.code).toBe('NOT_FOUND');
    expect(err.status).toBe(404);
    expect(err.message).toMatch(
      /^file nope\/missing\.json not found in repo org\/tiny at revision main \(HTTP 404/,
    );
    const repo = await hubDownload('org/absent', 'config.json', opts()).catch((e) => e);
    expect(repo.code).toBe('REPO_NOT_FOUND');
    expect(repo.message).toMatch(/repo org\/absent not found on .*set HF_TOKEN/);
    const rev = await hubDownload('org/tiny', 'config.json', opts({ revision: 'v9' })).catch((e) => e);
    expect(rev.code).toBe('REVISION_NOT_FOUND');
    expect(rev.message).toMatch(/revision v9 not found in repo org\/tiny/);
  });

  it('sends HF_TOKEN as a Bearer token to the hub but not to the CDN', async () => {
    hub.requireToken = 'hf_secret';
    try {
      const denied = await hubDownload('org/tiny', 'config.json', opts()).catch((e) => e);
      expect(denied).toBeInstanceOf(HubError);
      expect(denied.status).toBe(401);
      process.env.HF_TOKEN = 'hf_secret';
      await hubDownload('org/tiny', 'model.safetensors', opts());
      const hubReqs = hub.requests.filter((r) => r.server === 'hub' && r.headers.authorization);
      expect(hubReqs.length).toBeGreaterThan(0);
      expect(hubReqs.every((r) => r.headers.authorization === 'Bearer hf_secret')).toBe(true);
      const cdn = hub.requests.filter((r) => r.server === 'cdn');
      expect(cdn.length).toBe(1);
      expect(cdn[0].headers.authorization).toBeUndefined();
      // the token file under HF_HOME is used when HF_TOKEN is unset; token: '' sends none
      delete process.env.HF_TOKEN;
      const { mkdirSync } = await import('node:fs');
      mkdirSync(process.env.HF_HOME!, { recursive: true });
      writeFileSync(join(process.env.HF_HOME!, 'token'), 'hf_secret\n');
      await hubDownload('org/tiny', 'generation_config.json', opts());
      await expect(hubDownload('org/tiny', 'tokenizer_config.json', opts({ token: '' }))).rejects.toThrow(
        /HTTP 401/,
      );
    } finally {
      hub.requireToken = null;
    }
  });

  it('detects a size mismatch and deletes the partial file', async () => {
    hub.lieSize.set('model.safetensors', gpt2Files['model.safetensors'].length + 10);
    try {
      const err = await hubDownload('org/tiny', 'model.safetensors', opts()).catch((e) => e);
      expect(err).toBeInstanceOf(HubError);
      expect(err.code).toBe('SIZE_MISMATCH');
      expect(err.message).toMatch(
        new RegExp(
          `model\\.safetensors of repo org/tiny at revision main has ${gpt2Files['model.safetensors'].length} bytes, expected ${gpt2Files['model.safetensors'].length + 10}`,
        ),
      );
      const blobs = join(repoCacheDir('org/tiny', cache), 'blobs');
      expect(readdirSync(blobs)).toEqual([]);
    } finally {
      hub.lieSize.clear();
    }
  });

  it('detects a sha256 mismatch and deletes the corrupt file', async () => {
    hub.corrupt.add('model.safetensors');
    try {
      const err = await hubDownload('org/tiny', 'model.safetensors', opts()).catch((e) => e);
      expect(err).toBeInstanceOf(HubError);
      expect(err.code).toBe('CHECKSUM');
      expect(err.message).toMatch(
        new RegExp(`sha256 of downloaded .* expected ${sha256(gpt2Files['model.safetensors'])}`),
      );
      expect(readdirSync(join(repoCacheDir('org/tiny', cache), 'blobs'))).toEqual([]);
      expect(
        existsSync(join(repoCacheDir('org/tiny', cache), 'snapshots', COMMIT, 'model.safetensors')),
      ).toBe(false);
    } finally {
      hub.corrupt.clear();
    }
  });

  it('verifies the sha256 across a resumed download too', async () => {
    hub.dropOnce.add('model.safetensors');
    hub.corrupt.add('model.safetensors');
    try {
      const err = await hubDownload('org/tiny', 'model.safetensors', opts()).catch((e) => e);
      expect(err.code).toBe('CHECKSUM');
      expect(hub.count((r) => r.server === 'cdn' && r.headers.range !== undefined)).toBe(1);
    } finally {
      hub.corrupt.clear();
    }
  });

  it('follows the relative redirect of a renamed repo', async () => {
    hub.renamed.set('old/tiny', 'org/tiny');
    try {
      const { path } = await hubDownload('old/tiny', 'config.json', opts());
      expect(read(path).equals(gpt2Files['config.json'])).toBe(true);
      expect(path).toContain('models--old--tiny');
    } finally {
      hub.renamed.clear();
    }
  });

  it('a pinned commit already in the cache needs no request; network failures are clear', async () => {
    await hubDownload('org/tiny', 'config.json', opts());
    const n = hub.requests.length;
    await hubDownload('org/tiny', 'config.json', opts({ revision: COMMIT }));
    expect(hub.requests.length).toBe(n);
    const err = await hubDownload(
      'org/tiny',
      'config.json',
      opts({ endpoint: 'http://127.0.0.1:1', retries: 0 }),
    ).catch((e) => e);
    expect(err).toBeInstanceOf(HubError);
    expect(err.code).toBe('NETWORK');
    expect(err.message).toMatch(
      /could not reach http:\/\/127\.0\.0\.1:1 for file config\.json of repo org\/tiny/,
    );
  });
});

describe('cache location and small helpers', () => {
  it('follows HF_HUB_CACHE, then HF_HOME/hub, then XDG_CACHE_HOME', () => {
    process.env.HF_HUB_CACHE = '/x/hub-cache';
    process.env.HF_HOME = '/x/home';
    expect(hubCacheDir()).toBe('/x/hub-cache');
    expect(hubCacheDir('/explicit')).toBe('/explicit');
    delete process.env.HF_HUB_CACHE;
    expect(hubCacheDir()).toBe('/x/home/hub');
    delete process.env.HF_HOME;
    process.env.XDG_CACHE_HOME = '/x/xdg';
    expect(hubCacheDir()).toBe('/x/xdg/huggingface/hub');
    expect(repoCacheDir('EleutherAI/pythia-70m', '/c')).toBe('/c/models--EleutherAI--pythia-70m');
  });

  it('hubFileExists answers with one HEAD request', async () => {
    expect(await hubFileExists('org/pickle', 'pytorch_model.bin', opts())).toBe(true);
    expect(await hubFileExists('org/pickle', 'model.safetensors', opts())).toBe(false);
    expect(hub.requests.map((r) => r.method)).toEqual(['HEAD', 'HEAD']);
    await expect(hubFileExists('org/absent', 'x', opts())).rejects.toThrow(/repo org\/absent not found/);
  });
});
