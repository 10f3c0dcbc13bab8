// The back-channel logout over HTTPS (docs/tickets.md "Logout", core/ports/logoutSender.ts): one POST
// of `logout_token=<JWS>` to a receiver's logout endpoint, its certificate verified against the
// system's CAs or the receiver's own CA, 3 s to connect (TCP and TLS), 8 s in all, at most 4 KiB of
// reply read, no redirect followed (the hardened POST of httpsPost.ts). Only 200 and 204 mean the
// receiver took the token. Whatever the receiver does, a try settles exactly once and leaves no socket behind.
import type { LookupFunction } from 'node:net';
import type { LogoutAttempt, LogoutDelivery, LogoutSender } from '../../core/ports/logoutSender.js';
import { createHttpsPoster } from './httpsPost.js';

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

export function createLogoutSender(options: LogoutSenderOptions = {}): LogoutSender {
  const poster = createHttpsPoster({
    connectTimeoutMs: options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs,
    timeoutMs: options.timeoutMs ?? DEFAULTS.timeoutMs,
    maxReplyBytes: MAX_REPLY_BYTES,
    ...(options.lookup === undefined ? {} : { lookup: options.lookup }),
  });

  async function send(delivery: LogoutDelivery): Promise<LogoutAttempt> {
    const body = Buffer.from(new URLSearchParams({ logout_token: delivery.logoutToken }).toString(), 'utf8');
    const result = await poster.post({ url: delivery.url, caPem: delivery.caPem, contentType: 'application/x-www-form-urlencoded', body });
    if (!result.replied) return { delivered: false, reason: result.reason };
    // The status decides, whatever the length of the body: a receiver says nothing that matters in it.
    if (DELIVERED_STATUSES.has(result.status)) return { delivered: true };
    const { status } = result;
    return { delivered: false, reason: status >= 300 && status < 400 ? `redirect refused (HTTP ${status})` : `HTTP ${status}` };
  }

  return { send, close: () => poster.close() };
}
