/**
 * A local stand-in for the Hugging Face hub, for tests: serves `/{repo}/resolve/{revision}/{file}`
 * like huggingface.co (HEAD/GET, `X-Repo-Commit`, git-sha1 ETags for small files, a 302 to a
 * separate "CDN" server with `X-Linked-Etag` = sha256 / `X-Linked-Size` for LFS files, hub error
 * codes, Range requests) and can misbehave on purpose: drop a connection halfway, lie about a size,
 * corrupt bytes, fail with 500, require a token.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeRepo {
  commit: string;
  files: Record<string, Buffer>;
  /** Files served as LFS (redirect to the CDN, sha256 ETag). Default: *.safetensors, tokenizer.json. */
  lfs?: string[];
}

export interface RecordedRequest {
  server: 'hub' | 'cdn';
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const gitSha1 = (b: Buffer) =>
  createHash('sha1')
    .update(Buffer.concat([Buffer.from(`blob ${b.length}\0`), b]))
    .digest('hex');

export class FakeHub {
  readonly requests: RecordedRequest[] = [];
  /** Files whose next GET sends half the body and then drops the connection (once each). */
  readonly dropOnce = new Set<string>();
  /** Files whose HEAD reports this size instead of the real one. */
  readonly lieSize = new Map<string, number>();
  /** Files whose GET body has one byte flipped (the metadata stays right). */
  readonly corrupt = new Set<string>();
  /** Files whose next HEAD answers 500 (once each). */
  readonly fail500Once = new Set<string>();
  /** When set, resolve requests without `Authorization: Bearer {token}` get 401. */
  requireToken: string | null = null;
  /** Old repo name → new name (answered with a relative 307, like a renamed repo). */
  readonly renamed = new Map<string, string>();
  private hub!: Server;
  private cdn!: Server;
  hubUrl = '';
  cdnUrl = '';

  constructor(readonly repos: Record<string, FakeRepo>) {}

  async start(): Promise<this> {
    this.hub = createServer((req, res) => this.onHub(req, res));
    this.cdn = createServer((req, res) => this.onCdn(req, res));
    const listen = (s: Server) =>
      new Promise<string>((ok) =>
        s.listen(0, '127.0.0.1', () => ok(`http://127.0.0.1:${(s.address() as AddressInfo).port}`)),
      );
    this.hubUrl = await listen(this.hub);
    this.cdnUrl = await listen(this.cdn);
    return this;
  }

  async close(): Promise<void> {
    const stop = (s: Server) =>
      new Promise<void>((ok) => {
        s.closeAllConnections();
        s.close(() => ok());
      });
    await Promise.all([stop(this.hub), stop(this.cdn)]);
  }

  count(filter: (r: RecordedRequest) => boolean = () => true): number {
    return this.requests.filter(filter).length;
  }

  private record(server: 'hub' | 'cdn', req: IncomingMessage): void {
    this.requests.push({ server, method: req.method ?? '', path: req.url ?? '', headers: req.headers });
  }

  private isLfs(repo: FakeRepo, file: string): boolean {
    return (
      (repo.lfs ?? []).includes(file) ||
      (!repo.lfs && (file.endsWith('.safetensors') || file === 'tokenizer.json'))
    );
  }

  private findByName(name: string): Buffer | undefined {
    for (const repo of Object.values(this.repos)) if (repo.files[name]) return repo.files[name];
    return undefined;
  }

  private onHub(req: IncomingMessage, res: ServerResponse): void {
    this.record('hub', req);
    const path = decodeURIComponent((req.url ?? '').split('?')[0]);
    const at = path.indexOf('/resolve/');
    if (at < 0) {
      this.error(res, 404, 'EntryNotFound');
      return;
    }
    const repoId = path.slice(1, at);
    const rest = path.slice(at + '/resolve/'.length);
    const slash = rest.indexOf('/');
    const revision = rest.slice(0, slash);
    const file = rest.slice(slash + 1);
    const newName = this.renamed.get(repoId);
    if (newName) {
      res.writeHead(307, { location: `/${newName}/resolve/${revision}/${file}` }).end();
      return;
    }
    if (this.requireToken && req.headers.authorization !== `Bearer ${this.requireToken}`) {
      this.error(res, 401, 'RepositoryNotFound', 'Invalid credentials in Authorization header');
      return;
    }
    const repo = this.repos[repoId];
    if (!repo) {
      this.error(res, 401, 'RepositoryNotFound', 'Repository not found');
      return;
    }
    if (revision !== 'main' && revision !== repo.commit) {
      this.error(res, 404, 'RevisionNotFound', 'Invalid rev id');
      return;
    }
    const content = repo.files[file];
    if (!content) {
      this.error(res, 404, 'EntryNotFound', 'Entry not found', repo.commit);
      return;
    }
    if (req.method === 'HEAD' && this.fail500Once.delete(file)) {
      this.error(res, 500, undefined, 'boom');
      return;
    }
    const size = this.lieSize.get(file) ?? content.length;
    if (this.isLfs(repo, file)) {
      res
        .writeHead(302, {
          location: `${this.cdnUrl}/cdn/${sha256(content)}/${encodeURIComponent(file)}`,
          'x-repo-commit': repo.commit,
          'x-linked-etag': `"${sha256(content)}"`,
          'x-linked-size': String(size),
          etag: `"${gitSha1(Buffer.from('pointer'))}"`,
        })
        .end();
      return;
    }
    const headers = { 'x-repo-commit': repo.commit, etag: `"${gitSha1(content)}"` };
    if (req.method === 'HEAD') {
      res.writeHead(200, { ...headers, 'content-length': String(size) }).end();
      return;
    }
    this.sendBody(req, res, file, content, headers);
  }

  private onCdn(req: IncomingMessage, res: ServerResponse): void {
    this.record('cdn', req);
    const parts = (req.url ?? '').split('/');
    const file = decodeURIComponent(parts[3] ?? '');
    const content = this.findByName(file);
    if (!content || sha256(content) !== parts[2]) {
      res.writeHead(404).end();
      return;
    }
    this.sendBody(req, res, file, content, {});
  }

  /** GET body with Range support and the configured misbehaviour. */
  private sendBody(
    req: IncomingMessage,
    res: ServerResponse,
    file: string,
    content: Buffer,
    headers: Record<string, string>,
  ): void {
    let body = content;
    if (this.corrupt.has(file)) {
      body = Buffer.from(content);
      body[body.length >> 1] ^= 0xff;
    }
    let status = 200;
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const extra: Record<string, string> = { 'accept-ranges': 'bytes' };
    if (range) {
      const start = Number(range[1]);
      if (start >= body.length) {
        res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
        return;
      }
      status = 206;
      extra['content-range'] = `bytes ${start}-${body.length - 1}/${body.length}`;
      body = body.subarray(start);
    }
    res.writeHead(status, { ...headers, ...extra, 'content-length': String(body.length) });
    if (this.dropOnce.delete(file)) {
      res.write(body.subarray(0, body.length >> 1), () => setTimeout(() => res.socket?.destroy(), 20));
      return;
    }
    res.end(body);
  }

  private error(res: ServerResponse, status: number, code?: string, message?: string, commit?: string): void {
    const h: Record<string, string> = {};
    if (code) h['x-error-code'] = code;
    if (message) h['x-error-message'] = message;
    if (commit) h['x-repo-commit'] = commit;
    res.writeHead(status, h).end();
  }
}
