// What the relay listener's routes share: the url rule, headers, cookies, redirects, refusal pages,
// forms, and the frame of every request (its id, its time, and the answer while the store is down).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Services } from '../../core/services.js';
import type { SessionCookie } from '../../core/sessions.js';
import { StoreUnavailableError } from '../../core/store/index.js';
import { originOfRedirectUrl, type Origin } from '../../core/urls.js';
import type { LogFields } from '../../infra/log.js';
import { BodyTooLargeError, decodeForm, readBody } from '../http/body.js';
import { continueThroughReceivers } from './hops.js';
import { nextRequestId } from '../http/http.js';
import { countRelayRequest, timeRelayRequest } from '../http/metrics.js';
import { languageOf } from '../http/language.js';
import { messagesFor, type Problem } from './messages.js';
import { RELAY_HEADERS, backLink, noticePage, sendPage } from './pages.js';

/**
 * The relay listener's cookies: the global session cookie, the pending confirmation of a switch to
 * another user (docs/SECURITY.md, case F48), and the sign-in form's own (signIn.ts). Over HTTPS they carry the `__Host-` prefix, with which
 * the browser keeps them only when Secure, Path=/ and without Domain, so that no other host (a
 * sibling subdomain, a plain-HTTP page) can plant or overwrite them. Over HTTP a prefixed cookie
 * would be refused, so they keep the names of the Open Fusion SSO protocol, section 2.
 */
export interface RelayCookieNames {
  readonly session: string;
  readonly pending: string;
  readonly signInForm: string;
}

export function relayCookieNames(secure: boolean): RelayCookieNames {
  return secure
    ? { session: '__Host-sid', pending: '__Host-sid-confirm', signInForm: '__Host-ssod-login' }
    : { session: 'sid', pending: 'sid-confirm', signInForm: 'ssod-login' };
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

/**
 * The answer that ends a sign-in at the relay (the sign-in page's form, a SAML response): the
 * browser's session cookie, the sign-in form's cookie dropped (its form is done with), and a 302 to
 * `url` with the ssosid of its application, as the relay's get-session command answers; through the
 * receivers of logon tickets first when there are any (hops.ts).
 */
export async function redirectSignedIn(
  services: Services,
  res: ServerResponse,
  secure: boolean,
  signedIn: { readonly url: string; readonly cookie: SessionCookie },
): Promise<void> {
  const names = relayCookieNames(secure);
  const location = await continueThroughReceivers(services, secure, { url: signedIn.url, withSession: true }, signedIn.cookie.value);
  redirect(res, location, {
    'Set-Cookie': [
      setCookieHeader(names.session, signedIn.cookie.value, signedIn.cookie.maxAgeSeconds, 'Lax', secure),
      setCookieHeader(names.signInForm, '', 0, 'Strict', secure),
    ],
  });
}

export interface Refusal {
  readonly status?: number;
  readonly headers?: Readonly<Record<string, string | readonly string[]>>;
  /** The registered application the request came from, when it is known: the page links back to it. */
  readonly back?: Origin | null;
}

/** A refusal page in the person's language: what went wrong, and a way back when there is one. */
export function refuse(req: IncomingMessage, res: ServerResponse, problem: Problem, refusal: Refusal = {}): void {
  const language = languageOf(req);
  const messages = messagesFor(language);
  const back = refusal.back === undefined || refusal.back === null ? null : backLink(messages, refusal.back);
  sendPage(res, refusal.status ?? 400, noticePage(language, messages.problems[problem], back), refusal.headers);
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
 * What a form of the relay listener carries in place of a value that only this browser's cookie
 * holds: derived from it, so only a page this browser received can answer, and the cookie's value
 * is never in a page.
 */
export function formCode(purpose: string, cookieValue: string): string {
  return createHash('sha256').update(`ssod ${purpose}\0`, 'utf8').update(cookieValue, 'utf8').digest('base64url');
}

export function sameCode(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * A POST that a page of another site sent, as far as the browser's Fetch Metadata and Origin tell.
 * Referrer-Policy no-referrer makes a browser send `Origin: null` for the listener's own forms; the
 * host alone is compared, since a TLS-terminating proxy in front serves the relay under another scheme.
 */
export function crossSite(req: IncomingMessage): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin') return true;
  const origin = req.headers.origin;
  if (origin === undefined || origin === 'null') return false;
  try {
    return new URL(origin).host !== req.headers.host;
  } catch {
    return true;
  }
}

/**
 * The fields of a posted form (application/x-www-form-urlencoded) read within `limit` bytes; null
 * after answering a body of another type (415), a larger one (413, and the connection closes), or
 * one that is not UTF-8 (400: never read with replacement characters, case F43).
 */
export async function readPostedForm(
  req: IncomingMessage,
  res: ServerResponse,
  limit: number,
  log: (outcome: string, status: number) => void,
): Promise<URLSearchParams | null> {
  if (!/^application\/x-www-form-urlencoded\s*(?:;|$)/i.test(req.headers['content-type'] ?? '')) {
    refuse(req, res, 'badContentType', { status: 415 });
    log('badContentType', 415);
    return null;
  }
  let body: Buffer;
  try {
    body = await readBody(req, limit);
  } catch (error) {
    if (!(error instanceof BodyTooLargeError)) throw error;
    refuse(req, res, 'tooLarge', { status: 413, headers: { Connection: 'close' } });
    log('tooLarge', 413);
    return null;
  }
  const fields = decodeForm(body);
  if (fields === null) {
    refuse(req, res, 'badEncoding');
    log('badEncoding', 400);
  }
  return fields;
}

/** The query parameters of a request target (path and query). */
export function queryOf(target: string | undefined): URLSearchParams {
  const raw = target ?? '';
  const at = raw.indexOf('?');
  return new URLSearchParams(at === -1 ? '' : raw.slice(at + 1));
}

/** The one value of a field of a form or a query, or null when it is absent or given more than once. */
export function oneField(form: URLSearchParams, name: string): string | null {
  const values = form.getAll(name);
  return values.length === 1 ? (values[0] ?? null) : null;
}

/**
 * Answers one request of the relay listener: a request id for its log line, its time in
 * ssod_relay_request_duration_seconds, and while the store is down a 503 page that lets the browser
 * retry (never a redirect without a decision). Anything else unexpected goes on to the listener's guard.
 */
export async function answerRelayRequest(
  services: Services,
  req: IncomingMessage,
  res: ServerResponse,
  handler: (requestId: string) => Promise<void>,
): Promise<void> {
  const requestId = nextRequestId();
  const started = performance.now();
  try {
    await handler(requestId);
  } catch (error) {
    if (!(error instanceof StoreUnavailableError) || res.headersSent) throw error;
    refuse(req, res, 'unavailable', { status: 503, headers: { 'Retry-After': '5' } });
    logRelay(services, { requestId, command: '-', outcome: 'storeUnavailable', status: 503, error: error.message }, 'warn');
  } finally {
    timeRelayRequest((performance.now() - started) / 1000);
  }
}
