/**
 * Minimal HTTP(S) client on Node's `http`/`https` modules for hub downloads: one request at a time,
 * redirects handled by the caller, idle timeout, no body decoding (`Accept-Encoding: identity`, so
 * Content-Length counts the file's own bytes).
 */
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';

/**
 * Response of {@link httpSend}; `body` must be consumed or destroyed by the caller.
 *
 * @example
 * const res: HttpResponse = await httpSend(url, 'GET', {});
 * for await (const chunk of res.body) console.log(chunk.length);
 */
export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: IncomingMessage;
}

/**
 * Network-level failure (connection refused/reset, timeout, premature end): worth retrying.
 *
 * @example
 * try { await httpSend('http://127.0.0.1:1/', 'HEAD', {}); }
 * catch (e) { if (e instanceof NetworkError) console.log('retry later'); }
 */
export class NetworkError extends Error {
  override readonly name = 'NetworkError';
}

/**
 * Sends one request and resolves with the response head (does not follow redirects).
 *
 * @example
 * const res = await httpSend('https://huggingface.co/gpt2/resolve/main/config.json', 'HEAD', {});
 * res.body.resume();
 */
export function httpSend(
  url: string,
  method: 'GET' | 'HEAD',
  headers: Record<string, string>,
  timeoutMs = 30_000,
): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      reject(new NetworkError(`invalid URL ${url}`));
      return;
    }
    const send = u.protocol === 'https:' ? httpsRequest : u.protocol === 'http:' ? httpRequest : null;
    if (!send) {
      reject(new NetworkError(`unsupported protocol in ${url} (need http or https)`));
      return;
    }
    const req = send(u, { method, headers: { 'accept-encoding': 'identity', ...headers } }, (res) => {
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res });
    });
    req.setTimeout(timeoutMs, () =>
      req.destroy(new NetworkError(`no response from ${u.host} for ${timeoutMs} ms`)),
    );
    req.on('error', (e) =>
      reject(e instanceof NetworkError ? e : new NetworkError(`${method} ${url}: ${e.message}`)),
    );
    req.end();
  });
}

/**
 * A header's single value (first one if repeated).
 *
 * @example
 * header(res.headers, 'x-repo-commit'); // 'a1b2…' or undefined
 */
export function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}
