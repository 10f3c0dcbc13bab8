// What the relay's routes share: the url rule, headers, cookies, redirects and refusal pages.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Services } from '../../core/services.js';
import { StoreUnavailableError } from '../../core/store/index.js';
import { originOfRedirectUrl, type Origin } from '../../core/urls.js';
import type { LogFields } from '../../infra/log.js';
import { nextRequestId, sendPage } from '../http/http.js';
import { countRelayRequest, timeRelayRequest } from '../http/metrics.js';

export const RELAY_HEADERS = { 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' } as const;

/**
 * The relay's cookies: the global session cookie, and the pending confirmation of a switch to
 * another user (docs/SECURITY.md, case F48). Over HTTPS they carry the `__Host-` prefix, with which
 * the browser keeps them only when Secure, Path=/ and without Domain, so that no other host (a
 * sibling subdomain, a plain-HTTP page) can plant or overwrite them. Over HTTP a prefixed cookie
 * would be refused, so they keep the names of the Open Fusion SSO protocol, section 2.
 */
export interface RelayCookieNames {
  readonly session: string;
  readonly pending: string;
}

export function relayCookieNames(secure: boolean): RelayCookieNames {
  return secure ? { session: '__Host-sid', pending: '__Host-sid-confirm' } : { session: 'sid', pending: 'sid-confirm' };
}

/** The value of the cookie `name` in a Cookie header, or null; only values the relay could have issued (base64url of 32 bytes). */
export function relayCookieOf(header: string | undefined, name: string): string | null {
  if (header === undefined) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) {
      const value = part.slice(eq + 1).trim();
      return /^[A-Za-z0-9_-]{43}$/.test(value) ? value : null;
    }
  }
  return null;
}

/** A Set-Cookie value of the relay: HttpOnly, Path=/, no Domain, Secure over HTTPS. */
export function setCookieHeader(name: string, value: string, maxAgeSeconds: number, sameSite: 'Lax' | 'Strict', secure: boolean): string {
  return `${name}=${value}; Max-Age=${maxAgeSeconds}; Path=/; HttpOnly; SameSite=${sameSite}${secure ? '; Secure' : ''}`;
}

export function redirect(res: ServerResponse, location: string, extra: Readonly<Record<string, string | readonly string[]>> = {}): void {
  res.writeHead(302, { ...RELAY_HEADERS, ...extra, Location: location, 'Content-Length': 0 });
  res.end();
}

export function refuse(res: ServerResponse, message: string, status = 400, extra: Readonly<Record<string, string>> = {}): void {
  sendPage(res, status, status === 403 ? 'Forbidden' : 'Bad request', message, { ...RELAY_HEADERS, ...extra });
}

/** The origin of `url`, or null when it is not an address of a registered application. */
export async function registeredOrigin(services: Services, url: string): Promise<Origin | null> {
  const origin = originOfRedirectUrl(url);
  return origin !== null && (await services.store.hasApplicationUrl(origin.baseUrl)) ? origin : null;
}

/** The end of a relay request: one log line, and one count by command and outcome (ssod_relay_requests_total). */
export function logRelay(
  services: Services,
  fields: LogFields & { readonly command: string; readonly outcome: string },
  level: 'info' | 'warn' = 'info',
): void {
  services.log[level]('relay', fields);
  countRelayRequest(fields.command, fields.outcome);
}

/**
 * Answers one request of the relay listener: a request id for its log line, its time in
 * ssod_relay_request_duration_seconds, and while the store is down a 503 page that lets the browser
 * retry (never a redirect without a decision). Anything else unexpected goes on to the listener's guard.
 */
export async function answerRelayRequest(
  services: Services,
  _req: IncomingMessage,
  res: ServerResponse,
  handler: (requestId: string) => Promise<void>,
): Promise<void> {
  const requestId = nextRequestId();
  const started = performance.now();
  try {
    await handler(requestId);
  } catch (error) {
    if (!(error instanceof StoreUnavailableError) || res.headersSent) throw error;
    sendPage(res, 503, 'Service unavailable', 'Sign-on is unavailable for a moment. Please try again shortly.', {
      ...RELAY_HEADERS,
      'Retry-After': '5',
    });
    logRelay(services, { requestId, command: '-', outcome: 'storeUnavailable', status: 503, error: error.message }, 'warn');
  } finally {
    timeRelayRequest((performance.now() - started) / 1000);
  }
}
