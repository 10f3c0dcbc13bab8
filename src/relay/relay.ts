// The SSO Relay (003 §2, DESIGN.md "Sessions and the relay"): one GET route with two commands.
//   GET /relay?token=T&url=U  set global cookie: consume T, set the cookie, 302 to U.
//   GET /relay?url=U          get global session: 302 to U with ssosid=<local session id> or none.
// U must be a URL of a registered application's origin; anything else is a 400 page, no redirect.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { exchangeRelayToken, localSessionForCookie, type RelayCookie } from '../domain/sessions.js';
import type { Services } from '../domain/services.js';
import { originOfRedirectUrl, withSsosid } from '../domain/urls.js';
import { nextRequestId, sendPage } from '../server/http.js';
import { StoreUnavailableError } from '../store/types.js';

export const COOKIE_NAME = 'sid';

const RELAY_HEADERS = { 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' } as const;

/** The value of the relay cookie in a Cookie header, or null. */
export function relayCookieOf(header: string | undefined): string | null {
  if (header === undefined) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === COOKIE_NAME) {
      const value = part.slice(eq + 1).trim();
      // Only values the relay could have issued (base64url of 32 bytes) are looked up.
      return /^[A-Za-z0-9_-]{43}$/.test(value) ? value : null;
    }
  }
  return null;
}

function setCookieHeader(cookie: RelayCookie, secure: boolean): string {
  return `${COOKIE_NAME}=${cookie.value}; Max-Age=${cookie.maxAgeSeconds}; Path=/; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;
}

function redirect(res: ServerResponse, location: string, extra: Readonly<Record<string, string>> = {}): void {
  res.writeHead(302, { ...RELAY_HEADERS, ...extra, Location: location, 'Content-Length': 0 });
  res.end();
}

function refuse(res: ServerResponse, message: string): void {
  sendPage(res, 400, 'Bad request', message, RELAY_HEADERS);
}

interface RelayQuery {
  readonly url: string;
  readonly token: string | null;
}

function parseQuery(rawUrl: string): RelayQuery | string {
  const queryAt = rawUrl.indexOf('?');
  let params: URLSearchParams;
  try {
    params = new URLSearchParams(queryAt === -1 ? '' : rawUrl.slice(queryAt + 1));
  } catch {
    return 'The query string is not readable.';
  }
  const urls = params.getAll('url');
  const tokens = params.getAll('token');
  if (urls.length !== 1 || urls[0] === undefined) return 'Give exactly one url parameter.';
  if (tokens.length > 1) return 'Give at most one token parameter.';
  return { url: urls[0], token: tokens[0] ?? null };
}

export async function handleRelay(services: Services, req: IncomingMessage, res: ServerResponse, secure: boolean): Promise<void> {
  const requestId = nextRequestId();
  try {
    await relay(services, req, res, secure, requestId);
  } catch (error) {
    if (!(error instanceof StoreUnavailableError) || res.headersSent) throw error;
    // The store is down (issue 3): say so and let the browser retry; never a redirect without a decision.
    sendPage(res, 503, 'Service unavailable', 'Sign-on is unavailable for a moment. Please try again shortly.', { ...RELAY_HEADERS, 'Retry-After': '5' });
    services.log.warn('relay', { requestId, outcome: 'storeUnavailable', status: 503, error: error.message });
  }
}

async function relay(services: Services, req: IncomingMessage, res: ServerResponse, secure: boolean, requestId: string): Promise<void> {
  const query = parseQuery(req.url ?? '');
  if (typeof query === 'string') {
    refuse(res, query);
    services.log.info('relay', { requestId, command: '-', outcome: 'badQuery', status: 400 });
    return;
  }
  const origin = originOfRedirectUrl(query.url);
  if (origin === null || !(await services.store.hasApplicationUrl(origin.baseUrl))) {
    refuse(res, 'The url parameter is not an address of a registered application.');
    services.log.info('relay', { requestId, command: query.token === null ? 'getSession' : 'setCookie', outcome: 'unregisteredUrl', status: 400 });
    return;
  }
  if (query.token !== null) {
    const cookie = /^[0-9a-f]{32}$/.test(query.token) ? await exchangeRelayToken(services, query.token) : null;
    redirect(res, query.url, cookie === null ? {} : { 'Set-Cookie': setCookieHeader(cookie, secure) });
    services.log.info('relay', { requestId, command: 'setCookie', outcome: cookie === null ? 'invalidToken' : 'ok', origin: origin.baseUrl, status: 302 });
    return;
  }
  const cookie = relayCookieOf(req.headers.cookie);
  const sessionId = cookie === null ? null : await localSessionForCookie(services, cookie, origin.baseUrl);
  redirect(res, withSsosid(query.url, sessionId ?? 'none'));
  services.log.info('relay', { requestId, command: 'getSession', outcome: sessionId === null ? 'none' : 'ok', origin: origin.baseUrl, status: 302 });
}
