// Login CSRF (docs/SECURITY.md, case F48): a browser with a live relay cookie of one user that
// arrives with a relay token of another (an attacker's own token sent to a victim) is not switched
// silently. The token is consumed at once, so the link works only once; the new session is bound to
// a pending value kept in an HttpOnly, SameSite=Strict cookie of this browser, and a page asks the
// person whether to continue as the new user or stay. The page's form carries only a code derived
// from that pending value, so only this browser's own page can confirm, once.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { bindCookie, declineSession, sessionOfCookie, type UnsealedSession } from '../../core/sessions.js';
import type { Services } from '../../core/services.js';
import type { Origin } from '../../core/urls.js';
import { BodyTooLargeError, readBody } from '../http/body.js';
import { escapeHtml } from '../http/http.js';
import {
  RELAY_HEADERS,
  logRelay,
  redirect,
  refuse,
  registeredOrigin,
  relayCookieOf,
  setCookieHeader,
  type RelayCookieNames,
  relayCookieNames,
} from './responses.js';

/** How long the browser keeps a pending confirmation: time enough to read the page. */
const PENDING_MAX_AGE_SECONDS = 600;
const FORM_LIMIT_BYTES = 4096;

const STYLE = [
  'body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f4f5f7;color:#1d2330}',
  'main{max-width:34rem;margin:3rem auto;padding:2rem;background:#fff;border:1px solid #d8dbe2;border-radius:8px}',
  'h1{font-size:1.4rem;margin:0 0 1rem}',
  '.who{font-weight:600;overflow-wrap:anywhere}',
  '.warn{background:#fff6e0;border-left:4px solid #d99a00;padding:.6rem .8rem}',
  'form{display:flex;flex-wrap:wrap;gap:.8rem;margin:1.5rem 0 1rem}',
  'button{font:inherit;padding:.6rem 1.1rem;border-radius:6px;border:1px solid #2456c7;cursor:pointer}',
  '.stay{background:#2456c7;color:#fff}',
  '.switch{background:#fff;color:#2456c7}',
  '.next{color:#5a6170;font-size:.9rem;overflow-wrap:anywhere}',
].join('');
const STYLE_HASH = createHash('sha256').update(STYLE).digest('base64');

const PAGE_HEADERS = {
  ...RELAY_HEADERS,
  'Content-Type': 'text/html; charset=utf-8',
  // Loads nothing, runs nothing, cannot be framed (clickjacking the buttons), posts only to itself.
  'Content-Security-Policy': `default-src 'none'; style-src 'sha256-${STYLE_HASH}'; frame-ancestors 'none'; base-uri 'none'`,
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
} as const;

/** What the form carries: derived from the pending value, which only this browser's cookie holds. */
function confirmationCode(pending: string): string {
  return createHash('sha256').update('ssod confirm\0', 'utf8').update(pending, 'utf8').digest('base64url');
}

function sameCode(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** A login as page text: escaped, and isolated so that bidirectional controls in it cannot reorder the sentence. */
function who(login: string): string {
  return `<bdi class="who">${escapeHtml(login)}</bdi>`;
}

function page(currentLogin: string, nextLogin: string, url: string, origin: Origin, code: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Switch account?</title><style>${STYLE}</style></head>
<body><main>
<h1>Switch account?</h1>
<p>This browser is signed in as ${who(currentLogin)}.</p>
<p>A sign-in link now asks to sign it in as ${who(nextLogin)} instead.</p>
<p class="warn">If you did not just sign in as ${who(nextLogin)} yourself, stay signed in as ${who(currentLogin)}: a link sent by someone else can sign you in to their account, so that they see what you do there.</p>
<form method="post" action="relay">
<input type="hidden" name="url" value="${escapeHtml(url)}">
<input type="hidden" name="confirm" value="${code}">
<button type="submit" name="choice" value="stay" class="stay" autofocus>Stay signed in as ${who(currentLogin)}</button>
<button type="submit" name="choice" value="switch" class="switch">Continue as ${who(nextLogin)}</button>
</form>
<p class="next">Either way, you then go on to ${escapeHtml(origin.baseUrl)}</p>
</main></body></html>
`;
}

export interface SwitchRequest {
  readonly url: string;
  readonly origin: Origin;
  /** The session of the browser's relay cookie. */
  readonly current: UnsealedSession;
  /** The session of the relay token, already consumed. */
  readonly next: UnsealedSession;
  readonly names: RelayCookieNames;
  readonly secure: boolean;
}

/** Answers the token with the page that asks; the token's session waits under a pending value of this browser. */
export async function askToSwitch(services: Services, res: ServerResponse, request: SwitchRequest): Promise<void> {
  const pending = await bindCookie(services, request.next);
  const [currentUser, nextUser] = await Promise.all([
    services.store.getUser(request.current.session.userId),
    services.store.getUser(request.next.session.userId),
  ]);
  const body = page(currentUser?.login ?? '', nextUser?.login ?? '', request.url, request.origin, confirmationCode(pending.value));
  const maxAge = Math.min(PENDING_MAX_AGE_SECONDS, pending.maxAgeSeconds);
  res.writeHead(200, {
    ...PAGE_HEADERS,
    'Set-Cookie': setCookieHeader(request.names.pending, pending.value, maxAge, 'Strict', request.secure),
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}

/**
 * A POST that a page of another site sent, as far as the browser's Fetch Metadata and Origin tell.
 * Referrer-Policy no-referrer makes a browser send `Origin: null` for the relay's own form; the host
 * alone is compared, since a TLS-terminating proxy in front serves the relay under another scheme.
 */
function crossSite(req: IncomingMessage): boolean {
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

interface Choice {
  readonly url: string;
  readonly confirm: string;
  readonly choice: 'stay' | 'switch';
}

function parseForm(body: string): Choice | null {
  const form = new URLSearchParams(body);
  const one = (name: string): string | null => {
    const values = form.getAll(name);
    return values.length === 1 ? (values[0] ?? null) : null;
  };
  const [url, confirm, choice] = [one('url'), one('confirm'), one('choice')];
  if (url === null || confirm === null || (choice !== 'stay' && choice !== 'switch')) return null;
  return { url, confirm, choice };
}

/** POST /relay: the person's answer to the page of askToSwitch. */
export async function handleConfirmation(
  services: Services,
  req: IncomingMessage,
  res: ServerResponse,
  secure: boolean,
  requestId: string,
): Promise<void> {
  const names = relayCookieNames(secure);
  const clearPending = { 'Set-Cookie': setCookieHeader(names.pending, '', 0, 'Strict', secure) };
  const log = (outcome: string, status: number): void => logRelay(services, { requestId, command: 'confirm', outcome, status });
  if (!/^application\/x-www-form-urlencoded\s*(?:;|$)/i.test(req.headers['content-type'] ?? '')) {
    refuse(res, 'Send the form of the relay.', 415);
    log('badContentType', 415);
    return;
  }
  let body: Buffer;
  try {
    body = await readBody(req, FORM_LIMIT_BYTES);
  } catch (error) {
    if (!(error instanceof BodyTooLargeError)) throw error;
    refuse(res, 'The form is too large.', 413, { Connection: 'close' });
    log('tooLarge', 413);
    return;
  }
  const form = parseForm(body.toString('utf8'));
  const origin = form === null ? null : await registeredOrigin(services, form.url);
  if (form === null || origin === null) {
    refuse(res, 'The form is not one the relay sent.', 400, clearPending);
    log('badForm', 400);
    return;
  }
  const pending = relayCookieOf(req.headers.cookie, names.pending);
  const found =
    pending === null || crossSite(req) || !sameCode(form.confirm, confirmationCode(pending))
      ? null
      : await sessionOfCookie(services, pending);
  if (found === null) {
    refuse(
      res,
      'This question was not asked in this browser, or it is no longer open. Go back to the application and sign in again.',
      403,
      clearPending,
    );
    log('refused', 403);
    return;
  }
  if (form.choice === 'stay') {
    await declineSession(services, found.session);
    redirect(res, form.url, clearPending);
    log('stayed', 302);
    return;
  }
  // A fresh cookie value: the pending one stops working, so the answer counts once.
  const bound = await bindCookie(services, found);
  redirect(res, form.url, {
    'Set-Cookie': [setCookieHeader(names.session, bound.value, bound.maxAgeSeconds, 'Lax', secure), clearPending['Set-Cookie']],
  });
  log('switched', 302);
}
