// The SSO Relay (Open Fusion SSO protocol, section 2): one GET route with two commands.
//   GET /relay?token=T&url=U  set global cookie: consume T, set the cookie, 302 to U.
//   GET /relay?url=U          get global session: 302 to U with ssosid=<local session id> or none.
// U must be a URL of a registered application's origin; anything else is a 400 page, no redirect.
// A token of another user than the browser's live cookie asks the person first (confirm.ts). With
// receivers of logon tickets configured, a cookie set goes through them first (hops.ts).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { bindCookie, localSessionForCookie, redeemRelayToken, sessionOfCookie } from '../../core/sessions.js';
import type { Services } from '../../core/services.js';
import { withSsosid } from '../../core/urls.js';
import { askToSwitch, handleConfirmation } from './confirm.js';
import { continueThroughReceivers } from './hops.js';
import {
  answerRelayRequest,
  logRelay,
  queryOf,
  redirect,
  refuse,
  registeredOrigin,
  relayCookieNames,
  relayCookieOf,
  setCookieHeader,
} from './responses.js';

interface RelayQuery {
  readonly url: string;
  readonly token: string | null;
}

function parseQuery(rawUrl: string): RelayQuery | string {
  const params = queryOf(rawUrl);
  const urls = params.getAll('url');
  const tokens = params.getAll('token');
  if (urls.length !== 1 || urls[0] === undefined) return 'Give exactly one url parameter.';
  if (tokens.length > 1) return 'Give at most one token parameter.';
  return { url: urls[0], token: tokens[0] ?? null };
}

/** GET and POST /relay; `secure` when the relay is served over HTTPS. */
export function handleRelay(services: Services, req: IncomingMessage, res: ServerResponse, secure: boolean): Promise<void> {
  return answerRelayRequest(services, req, res, (requestId) =>
    req.method === 'POST' ? handleConfirmation(services, req, res, secure, requestId) : relay(services, req, res, secure, requestId),
  );
}

async function relay(services: Services, req: IncomingMessage, res: ServerResponse, secure: boolean, requestId: string): Promise<void> {
  const query = parseQuery(req.url ?? '');
  if (typeof query === 'string') {
    refuse(req, res, 'badQuery');
    logRelay(services, { requestId, command: '-', outcome: 'badQuery', status: 400, error: query });
    return;
  }
  const origin = await registeredOrigin(services, query.url);
  if (origin === null) {
    refuse(req, res, 'unregisteredUrl');
    logRelay(services, { requestId, command: query.token === null ? 'getSession' : 'setCookie', outcome: 'unregisteredUrl', status: 400 });
    return;
  }
  const names = relayCookieNames(secure);
  const cookie = relayCookieOf(req.headers.cookie, names.session);
  if (query.token !== null) {
    const redeemed = /^[0-9a-f]{32}$/.test(query.token) ? await redeemRelayToken(services, query.token) : null;
    if (redeemed === null) {
      redirect(res, query.url);
      logRelay(services, { requestId, command: 'setCookie', outcome: 'invalidToken', origin: origin.baseUrl, status: 302 });
      return;
    }
    // Login CSRF (docs/SECURITY.md, case F48): a token of another user never replaces a live
    // session of this browser silently.
    const current = cookie === null ? null : await sessionOfCookie(services, cookie);
    if (current !== null && current.session.userId !== redeemed.session.userId) {
      await askToSwitch(services, req, res, { url: query.url, origin, current, next: redeemed, names, secure });
      logRelay(services, { requestId, command: 'setCookie', outcome: 'confirmationAsked', origin: origin.baseUrl, status: 200 });
      return;
    }
    const bound = await bindCookie(services, redeemed);
    const location = await continueThroughReceivers(services, secure, { url: query.url, withSession: false }, bound.value);
    redirect(res, location, { 'Set-Cookie': setCookieHeader(names.session, bound.value, bound.maxAgeSeconds, 'Lax', secure) });
    logRelay(services, { requestId, command: 'setCookie', outcome: 'ok', origin: origin.baseUrl, status: 302 });
    return;
  }
  const sessionId = cookie === null ? null : await localSessionForCookie(services, cookie, origin.baseUrl);
  redirect(res, withSsosid(query.url, sessionId ?? 'none'));
  logRelay(services, {
    requestId,
    command: 'getSession',
    outcome: sessionId === null ? 'none' : 'ok',
    origin: origin.baseUrl,
    status: 302,
  });
}
