// The reverse proxy of `ssod receiver`: every request that is not the receiver's own goes on to the
// upstream web server with the user of the domain cookie in X-SSOD-User-Id and X-SSOD-Login. What
// the browser sent under those names never reaches the upstream; neither do the ticket cookies.
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { TicketUser } from '../client/index.js';

export interface ProxyOptions {
  readonly upstream: URL;
  /** The largest request body passed on (413 beyond). */
  readonly maxBodyBytes: number;
  /** How long the upstream may stay silent, connecting, answering or streaming. */
  readonly timeoutMs: number;
  /** Cookies of the receiver, kept from the upstream. */
  readonly cookieNames: readonly string[];
}

/** RFC 9110 section 7.6.1: meant for one connection only, never forwarded. */
const HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
];
/** The headers in which the proxy speaks for the receiver; a browser's own are dropped. */
const OWN_PREFIX = 'x-ssod-';

/** Headers without the hop-by-hop ones, including those the Connection header names. */
function endToEnd(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const named = (headers.connection ?? '').split(',').map((name) => name.trim().toLowerCase());
  const kept: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.includes(name) || named.includes(name)) continue;
    kept[name] = value;
  }
  return kept;
}

/** The Cookie header without the receiver's cookies (the upstream gets the user in headers, not the bearer ticket). */
function withoutCookies(cookie: string | undefined, names: readonly string[]): string | null {
  if (cookie === undefined) return null;
  const kept = cookie
    .split(';')
    .map((part) => part.trim())
    .filter((part) => part !== '' && !names.includes(part.slice(0, part.indexOf('=') === -1 ? undefined : part.indexOf('='))));
  return kept.length === 0 ? null : kept.join('; ');
}

/** A login in a header: printable ASCII as is, anything else (and %) percent-encoded as UTF-8, so decodeURIComponent gives it back. */
export function headerLogin(login: string): string {
  return login.replace(/[^\x21-\x24\x26-\x7e]/gu, (c) => encodeURIComponent(c));
}

/** What the upstream receives: the browser's end-to-end headers, none of ours, and the user when there is one. */
function upstreamHeaders(req: IncomingMessage, user: TicketUser | null, options: ProxyOptions): Record<string, string | string[]> {
  const headers = Object.fromEntries(
    Object.entries(endToEnd(req.headers)).filter(([name]) => !name.startsWith(OWN_PREFIX) && name !== 'cookie'),
  );
  const cookie = withoutCookies(req.headers.cookie, options.cookieNames);
  if (cookie !== null) headers.cookie = cookie;
  headers.host = options.upstream.host;
  if (req.headers.host !== undefined) headers['x-forwarded-host'] = req.headers.host;
  headers['x-forwarded-proto'] = 'https';
  const from = req.socket.remoteAddress;
  if (from !== undefined) headers['x-forwarded-for'] = [req.headers['x-forwarded-for'], from].filter((v) => v !== undefined).join(', ');
  if (user !== null) {
    headers['x-ssod-user-id'] = user.userId;
    headers['x-ssod-login'] = headerLogin(user.login);
  }
  return headers;
}

function fail(res: ServerResponse, status: number, text: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(`${text}\n`);
}

/** Passes one request on to the upstream and its answer back, streamed both ways. */
export function proxy(req: IncomingMessage, res: ServerResponse, user: TicketUser | null, options: ProxyOptions): void {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > options.maxBodyBytes) {
    req.resume();
    fail(res, 413, 'the request body is too large');
    return;
  }
  const target = new URL(options.upstream);
  const base = target.pathname.replace(/\/$/, '');
  const path = req.url?.startsWith('/') === true ? req.url : '/';
  const request = target.protocol === 'https:' ? https.request : http.request;
  const upstream = request(
    target,
    {
      method: req.method,
      path: `${base}${path}`,
      headers: upstreamHeaders(req, user, options),
      timeout: options.timeoutMs,
    },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, endToEnd(answer.headers));
      answer.pipe(res);
      answer.on('error', () => res.destroy());
    },
  );
  // One answer only: an upstream destroyed after a 413 or a timeout reports an error of its own.
  let failed = false;
  const failOnce = (status: number, text: string): void => {
    if (failed) return;
    failed = true;
    fail(res, status, text);
  };
  upstream.on('timeout', () => {
    failOnce(504, 'the upstream did not answer in time');
    upstream.destroy();
  });
  upstream.on('error', (error) => failOnce(502, `the upstream could not be reached (${error.message})`));
  res.on('close', () => {
    if (!res.writableFinished) upstream.destroy();
  });
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size <= options.maxBodyBytes) return;
    req.unpipe(upstream);
    req.resume();
    failOnce(413, 'the request body is too large');
    upstream.destroy();
  });
  req.pipe(upstream);
}
