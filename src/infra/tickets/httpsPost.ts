// One hardened HTTPS POST, shared by the back-channel logout (logoutSender.ts) and the On Session
// Start callbacks (sessionStartCaller.ts): the server's certificate verified against the system's CAs
// or a given CA, a time to connect (TCP and TLS) and a time in all, at most `maxReplyBytes` of reply
// read, no redirect followed, no agent (no socket kept). Whatever the other side does, a POST settles
// exactly once and leaves no socket behind.
import type { ClientRequest, IncomingMessage } from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { unbracketed } from '../../core/hosts.js';

export interface HttpsPostLimits {
  readonly connectTimeoutMs: number;
  readonly timeoutMs: number;
  /** The most of a reply read; beyond it the POST settles with `truncated`. */
  readonly maxReplyBytes: number;
  /** Replaces how host names are resolved (tests: a receiver's domain on the loopback address). */
  readonly lookup?: LookupFunction;
}

export interface HttpsPostRequest {
  readonly url: string;
  /** The CA the server's certificate must chain to; null: the system's CAs. */
  readonly caPem: string | null;
  readonly contentType: string;
  readonly body: Buffer;
}

/**
 * What came back: the status, the media type and the body read (complete unless `truncated`), or
 * why there is no reply, safe to log (the error's code, a timeout, the server stopping).
 */
export type HttpsPostResult =
  | {
      readonly replied: true;
      readonly status: number;
      readonly contentType: string;
      readonly body: Buffer;
      /** The reply was longer than maxReplyBytes, or cut short: `body` holds the first of it only. */
      readonly truncated: boolean;
    }
  | { readonly replied: false; readonly reason: string };

function failed(reason: string): HttpsPostResult {
  return { replied: false, reason };
}

/** The URL as request options; null when it is not an https URL without credentials. */
function targetOf(url: string): { host: string; port: number; path: string } | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== 'https:' || parsed.username !== '' || parsed.password !== '') return null;
  return {
    host: unbracketed(parsed.hostname),
    port: parsed.port === '' ? 443 : Number(parsed.port),
    path: `${parsed.pathname}${parsed.search}`,
  };
}

/** A short reason for a request error, safe to log: the error's code (ECONNREFUSED, CERT_HAS_EXPIRED, …). */
function errorReason(error: Error): string {
  const code = (error as NodeJS.ErrnoException).code;
  return code === undefined ? 'connection error' : `connection error ${code}`;
}

/** Reads at most maxReplyBytes of the reply, then settles. */
function readReply(response: IncomingMessage, maxReplyBytes: number, finish: (result: HttpsPostResult) => void): void {
  const status = response.statusCode ?? 0;
  const contentType = response.headers['content-type'] ?? '';
  const chunks: Buffer[] = [];
  let size = 0;
  const done = (truncated: boolean): void =>
    finish({ replied: true, status, contentType, body: Buffer.concat(chunks).subarray(0, maxReplyBytes), truncated });
  response.on('error', () => undefined); // a reply cut short settles by 'close' below
  response.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size - chunk.length <= maxReplyBytes) chunks.push(chunk);
    if (size > maxReplyBytes) done(true);
  });
  response.once('end', () => done(false));
  // Closed before its end: what came is all there is, and it is not complete (as a reply over the limit).
  response.once('close', () => done(!response.complete));
}

/** A POST client: `post` within the limits, `close` ends every POST in flight (the server stops) and later ones fail at once. */
export interface HttpsPoster {
  post(request: HttpsPostRequest): Promise<HttpsPostResult>;
  close(): void;
}

export function createHttpsPoster(limits: HttpsPostLimits): HttpsPoster {
  const inFlight = new Set<() => void>();
  let closed = false;

  function post(delivery: HttpsPostRequest): Promise<HttpsPostResult> {
    const target = targetOf(delivery.url);
    if (closed) return Promise.resolve(failed('the server is stopping'));
    if (target === null) return Promise.resolve(failed('not an https URL'));
    return new Promise((resolve) => {
      const request: ClientRequest = https.request({
        host: target.host,
        port: target.port,
        path: target.path,
        method: 'POST',
        // No SNI for an address (RFC 6066); the certificate is checked against the host either way.
        servername: isIP(target.host) === 0 ? target.host : '',
        ...(delivery.caPem === null ? {} : { ca: delivery.caPem }),
        ...(limits.lookup === undefined ? {} : { lookup: limits.lookup }),
        rejectUnauthorized: true,
        agent: false,
        headers: {
          'Content-Type': delivery.contentType,
          'Content-Length': String(delivery.body.length),
          Connection: 'close',
        },
      });
      const timers: NodeJS.Timeout[] = [];
      let settled = false;
      const finish = (result: HttpsPostResult): void => {
        if (settled) return;
        settled = true;
        for (const timer of timers) clearTimeout(timer);
        inFlight.delete(abort);
        request.destroy();
        resolve(result);
      };
      const abort = (): void => finish(failed('the server is stopping'));
      inFlight.add(abort);
      timers.push(setTimeout(() => finish(failed(`no complete reply within ${limits.timeoutMs} ms`)), limits.timeoutMs));
      request.once('socket', (socket) => {
        const connecting = setTimeout(
          () => finish(failed(`no TLS connection within ${limits.connectTimeoutMs} ms`)),
          limits.connectTimeoutMs,
        );
        timers.push(connecting);
        socket.once('secureConnect', () => clearTimeout(connecting));
      });
      request.on('error', (error) => finish(failed(errorReason(error))));
      request.once('response', (response) => readReply(response, limits.maxReplyBytes, finish));
      request.end(delivery.body);
    });
  }

  return {
    post,
    close() {
      closed = true;
      for (const abort of [...inFlight]) abort();
    },
  };
}
