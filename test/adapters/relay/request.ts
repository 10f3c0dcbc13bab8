// One request to the relay listener, over HTTP or (with `ca`) HTTPS, with any method, cookie,
// headers and form (or other) body: what a browser sends, without a browser.
import http from 'node:http';
import https from 'node:https';
import type { HttpReply } from '../../helpers/server.js';

export interface RelayRequest {
  readonly method?: 'GET' | 'HEAD' | 'POST';
  /** Path and query, e.g. `/relay?url=…`. */
  readonly path: string;
  readonly cookie?: string;
  /** A form body, sent as application/x-www-form-urlencoded. */
  readonly form?: Readonly<Record<string, string>>;
  /** A body sent as it is (a string as UTF-8, bytes as they are), with `contentType` (instead of a form). */
  readonly body?: { readonly text: string | Buffer; readonly contentType: string };
  readonly headers?: Readonly<Record<string, string>>;
  /** The CA to trust: the relay is then spoken to over HTTPS. */
  readonly ca?: string;
}

export function relayRequest(port: number, request: RelayRequest): Promise<HttpReply> {
  const body = request.body?.text ?? (request.form === undefined ? null : new URLSearchParams(request.form).toString());
  const contentType = request.body?.contentType ?? 'application/x-www-form-urlencoded';
  const headers: Record<string, string> = {
    ...(request.cookie === undefined ? {} : { Cookie: request.cookie }),
    ...(body === null ? {} : { 'Content-Type': contentType, 'Content-Length': String(Buffer.byteLength(body)) }),
    ...request.headers,
  };
  const options = { host: '127.0.0.1', port, path: request.path, method: request.method ?? 'GET', agent: false, headers };
  return new Promise((resolve, reject) => {
    const onReply = (res: http.IncomingMessage): void => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    };
    const req =
      request.ca === undefined
        ? http.request(options, onReply)
        : https.request({ ...options, ca: request.ca, servername: 'localhost' }, onReply);
    req.on('error', reject);
    req.end(body ?? undefined);
  });
}

/** `name=value` of the Set-Cookie for `name`, or undefined. */
export function setCookieNamed(reply: HttpReply, name: string): string | undefined {
  return reply.headers['set-cookie']?.find((c) => c.startsWith(`${name}=`));
}

export function pairOf(setCookie: string | undefined): string {
  return (setCookie ?? '').split(';', 1)[0] ?? '';
}
