// The back-channel logout over HTTPS (docs/tickets.md "Logout", core/ports/logoutSender.ts): one POST
// of `logout_token=<JWS>` to a receiver's logout endpoint, its certificate verified against the
// system's CAs or the receiver's own CA, 3 s to connect (TCP and TLS), 8 s in all, at most 4 KiB of
// reply read, no redirect followed. Only 200 and 204 mean the receiver took the token. Whatever the
// receiver does, a try settles exactly once and leaves no socket behind.
import type { ClientRequest, IncomingMessage } from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { unbracketed } from '../../core/hosts.js';
import type { LogoutAttempt, LogoutDelivery, LogoutSender } from '../../core/ports/logoutSender.js';

export interface LogoutSenderOptions {
  readonly connectTimeoutMs?: number;
  readonly timeoutMs?: number;
  /** Replaces how receivers' host names are resolved (tests: a receiver's domain on the loopback address). */
  readonly lookup?: LookupFunction;
}

const DEFAULTS = { connectTimeoutMs: 3000, timeoutMs: 8000 } as const;
/** The most of a reply read: a receiver says nothing that matters in its body. */
export const MAX_REPLY_BYTES = 4096;
const DELIVERED_STATUSES: ReadonlySet<number> = new Set([200, 204]);

function failed(reason: string): LogoutAttempt {
  return { delivered: false, reason };
}

/** The receiver's logout URL as request options; null when it is not an https URL without credentials. */
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

/** Reads at most MAX_REPLY_BYTES of the reply, then settles by its status. */
function readReply(response: IncomingMessage, finish: (attempt: LogoutAttempt) => void): void {
  const status = response.statusCode ?? 0;
  const outcome = DELIVERED_STATUSES.has(status)
    ? { delivered: true as const }
    : failed(status >= 300 && status < 400 ? `redirect refused (HTTP ${status})` : `HTTP ${status}`);
  let size = 0;
  response.on('error', () => undefined); // a reply cut short settles by 'close' below
  response.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > MAX_REPLY_BYTES) finish(outcome);
  });
  response.once('end', () => finish(outcome));
  response.once('close', () => finish(outcome));
}

export function createLogoutSender(options: LogoutSenderOptions = {}): LogoutSender {
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs;
  const timeoutMs = options.timeoutMs ?? DEFAULTS.timeoutMs;
  const inFlight = new Set<() => void>();
  let closed = false;

  function send(delivery: LogoutDelivery): Promise<LogoutAttempt> {
    const target = targetOf(delivery.url);
    if (closed) return Promise.resolve(failed('the server is stopping'));
    if (target === null) return Promise.resolve(failed('not an https URL'));
    const body = Buffer.from(new URLSearchParams({ logout_token: delivery.logoutToken }).toString(), 'utf8');
    return new Promise((resolve) => {
      const request: ClientRequest = https.request({
        host: target.host,
        port: target.port,
        path: target.path,
        method: 'POST',
        // No SNI for an address (RFC 6066); the certificate is checked against the host either way.
        servername: isIP(target.host) === 0 ? target.host : '',
        ...(delivery.caPem === null ? {} : { ca: delivery.caPem }),
        ...(options.lookup === undefined ? {} : { lookup: options.lookup }),
        rejectUnauthorized: true,
        agent: false,
        headers: {
          'Content-Type': 'application/x-www-form-urlencoded',
          'Content-Length': String(body.length),
          Connection: 'close',
        },
      });
      const timers: NodeJS.Timeout[] = [];
      let settled = false;
      const finish = (attempt: LogoutAttempt): void => {
        if (settled) return;
        settled = true;
        for (const timer of timers) clearTimeout(timer);
        inFlight.delete(abort);
        request.destroy();
        resolve(attempt);
      };
      const abort = (): void => finish(failed('the server is stopping'));
      inFlight.add(abort);
      timers.push(setTimeout(() => finish(failed(`no complete reply within ${timeoutMs} ms`)), timeoutMs));
      request.once('socket', (socket) => {
        const connecting = setTimeout(() => finish(failed(`no TLS connection within ${connectTimeoutMs} ms`)), connectTimeoutMs);
        timers.push(connecting);
        socket.once('secureConnect', () => clearTimeout(connecting));
      });
      request.on('error', (error) => finish(failed(errorReason(error))));
      request.once('response', (response) => readReply(response, finish));
      request.end(body);
    });
  }

  return {
    send,
    close() {
      closed = true;
      for (const abort of [...inFlight]) abort();
    },
  };
}
