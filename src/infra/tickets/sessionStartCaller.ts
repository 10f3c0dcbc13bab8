// The On Session Start callbacks over HTTPS (docs/groups.md, core/ports/sessionStartCaller.ts): one
// POST of the signed request (`Content-Type: application/jwt`) to the URL an application registered,
// through the hardened POST of httpsPost.ts: 3 s to connect (TCP and TLS), 5 s in all, at most
// 16 KiB of reply (a longer one is a failure), no redirect followed, the certificate verified.
import type { LookupFunction } from 'node:net';
import { MAX_SESSION_START_REPLY_BYTES } from '../../core/sessionStart.js';
import type { SessionStartCaller, SessionStartDelivery, SessionStartReply } from '../../core/ports/sessionStartCaller.js';
import { createHttpsPoster } from './httpsPost.js';

export interface SessionStartCallerOptions {
  readonly connectTimeoutMs?: number;
  readonly timeoutMs?: number;
  /**
   * The CA that endpoints registered without one of their own must chain to, instead of the
   * system's CAs (tests: ssod's own test CA).
   */
  readonly defaultCaPem?: string;
  readonly lookup?: LookupFunction;
}

const DEFAULTS = { connectTimeoutMs: 3000, timeoutMs: 5000 } as const;

export function createSessionStartCaller(options: SessionStartCallerOptions = {}): SessionStartCaller {
  const poster = createHttpsPoster({
    connectTimeoutMs: options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs,
    timeoutMs: options.timeoutMs ?? DEFAULTS.timeoutMs,
    maxReplyBytes: MAX_SESSION_START_REPLY_BYTES,
    ...(options.lookup === undefined ? {} : { lookup: options.lookup }),
  });

  let closed = false;

  async function call(delivery: SessionStartDelivery): Promise<SessionStartReply> {
    const result = await poster.post({
      url: delivery.url,
      caPem: delivery.caPem ?? options.defaultCaPem ?? null,
      contentType: 'application/jwt',
      body: Buffer.from(delivery.token, 'utf8'),
    });
    if (!result.replied) return closed ? { ok: false, reason: result.reason, stopping: true } : { ok: false, reason: result.reason };
    if (result.truncated) return { ok: false, reason: `a reply over ${MAX_SESSION_START_REPLY_BYTES} bytes` };
    return { ok: true, status: result.status, contentType: result.contentType, body: result.body };
  }

  return {
    call,
    close() {
      closed = true;
      poster.close();
    },
  };
}
