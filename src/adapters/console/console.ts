// The admin console's requests (docs/admin-console.md): its own HTTPS listener (app/server.ts)
// hands every request here. GET /signin and POST /signin sign an administrator in; every other page
// needs a console session (a GET without one goes to /signin, anything else gets a 403); every POST
// must come from the console's own origin, and every POST but /signin carries the session's CSRF
// token. The pages (routes.ts) call the core (core/adminConsole.ts, core/operator/), as the command
// line does.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { adminSessionOf, csrfMatches, signInAdmin, signOutAdmin, type AdminSession } from '../../core/adminConsole.js';
import type { AdminKit } from '../../core/operator/admins.js';
import type { Services } from '../../core/services.js';
import { BodyTooLargeError, decodeForm, readBody } from '../http/body.js';
import { languageOf } from '../http/language.js';
import { routeOf } from './kit.js';
import { CONSOLE_HEADERS, messagePage, sendPage, sendRedirect, signInPage } from './pages.js';
import { CONSOLE_ROUTES } from './routes.js';
import { CONSOLE_JS, SCRIPT_PATH } from './script.js';
import { CONSOLE_CSS, STYLE_PATH } from './style.js';

/** The session cookie: the `__Host-` prefix has the browser insist on Secure, Path=/ and no Domain. */
export const ADMIN_COOKIE = '__Host-ssod-admin';
export const SIGN_IN_PATH = '/signin';
export const SIGN_OUT_PATH = '/signout';
const MAX_FORM_BYTES = 8192;
/** A session secret as the core makes it: 32 bytes, base64url. */
const SECRET_FORM = /^[A-Za-z0-9_-]{43}$/;

/** What the console's handler needs besides the request. */
export interface ConsoleContext {
  readonly services: () => Services;
  readonly kit: AdminKit;
}

/** The value of the console's cookie in a Cookie header, or null (none, or not of a session's form). */
function sessionSecretOf(req: IncomingMessage): string | null {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [name, value] = part.split('=', 2).map((text) => text.trim());
    if (name === ADMIN_COOKIE && value !== undefined && SECRET_FORM.test(value)) return value;
  }
  return null;
}

function sessionCookie(secret: string): string {
  return `${ADMIN_COOKIE}=${secret}; Path=/; Secure; HttpOnly; SameSite=Strict`;
}

const CLEARED_COOKIE = `${ADMIN_COOKIE}=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0`;

/**
 * Whether a POST comes from the console's own pages: Sec-Fetch-Site says same-origin when the
 * browser sends it, and Origin, when sent, is this listener's (scheme, host and port). Under the
 * console's `Referrer-Policy: no-referrer` browsers send `Origin: null` with the console's own forms:
 * that is accepted only with `Sec-Fetch-Site: same-origin`.
 */
function fromOwnOrigin(req: IncomingMessage): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin') return false;
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  if (origin === 'null') return site === 'same-origin';
  return req.headers.host !== undefined && origin === `https://${req.headers.host}`;
}

function forbidden(res: ServerResponse, session: AdminSession | null): void {
  sendPage(
    res,
    403,
    messagePage(
      'Refused',
      'This request was refused: it did not come from a page of this console, its form has expired, or you are not signed in.',
      session,
    ),
  );
}

/** The form of a POST, or null when it is too large or not a form (then the answer has been sent). */
async function formOf(req: IncomingMessage, res: ServerResponse): Promise<URLSearchParams | null> {
  let body: Buffer;
  try {
    body = await readBody(req, MAX_FORM_BYTES);
  } catch (error) {
    if (!(error instanceof BodyTooLargeError)) throw error;
    sendPage(res, 413, messagePage('Too large', 'The form was larger than this console accepts.', null), { Connection: 'close' });
    return null;
  }
  const form = decodeForm(body);
  if (form === null) sendPage(res, 400, messagePage('Unreadable', 'The form could not be read.', null));
  return form;
}

async function signIn(context: ConsoleContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (!fromOwnOrigin(req)) {
    forbidden(res, null);
    return;
  }
  const form = await formOf(req, res);
  if (form === null) return;
  const services = context.services();
  const name = form.get('name') ?? '';
  const result = await signInAdmin(services, context.kit, {
    name,
    password: form.get('password') ?? '',
    code: form.get('code') ?? '',
    address: req.socket.remoteAddress ?? '',
    requireCode: services.options.adminTotp === 'required',
  });
  if (!result.ok) {
    sendPage(res, 401, signInPage(languageOf(req), { failed: true, name: name.slice(0, 64) }));
    return;
  }
  sendRedirect(res, '/', { 'Set-Cookie': sessionCookie(result.secret) });
}

async function signOut(context: ConsoleContext, session: AdminSession, form: URLSearchParams, res: ServerResponse): Promise<void> {
  if (!csrfMatches(session, form.get('csrf') ?? '')) {
    forbidden(res, session);
    return;
  }
  await signOutAdmin(context.services(), session);
  sendRedirect(res, SIGN_IN_PATH, { 'Set-Cookie': CLEARED_COOKIE });
}

/** The console's own style sheet and script, the only files it serves without a session. */
const STATIC_FILES: ReadonlyMap<string, { readonly type: string; readonly body: string }> = new Map([
  [STYLE_PATH, { type: 'text/css; charset=utf-8', body: CONSOLE_CSS }],
  [SCRIPT_PATH, { type: 'text/javascript; charset=utf-8', body: CONSOLE_JS }],
]);

/** Answers one request of the console's listener. */
export async function handleConsole(context: ConsoleContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '').split('?', 1)[0] ?? '';
  const method = req.method ?? '';
  const asset = method === 'GET' ? STATIC_FILES.get(path) : undefined;
  if (asset !== undefined) {
    res.writeHead(200, { ...CONSOLE_HEADERS, 'Content-Type': asset.type, 'Content-Length': Buffer.byteLength(asset.body) });
    res.end(asset.body);
    return;
  }
  const session = await adminSessionOf(context.services(), sessionSecretOf(req));
  if (path === SIGN_IN_PATH && method === 'GET') {
    if (session !== null) {
      sendRedirect(res, '/');
      return;
    }
    sendPage(res, 200, signInPage(languageOf(req), { failed: false, name: '' }));
    return;
  }
  if (path === SIGN_IN_PATH && method === 'POST') return signIn(context, req, res);
  if (session === null) {
    if (method === 'GET') sendRedirect(res, SIGN_IN_PATH);
    else forbidden(res, null);
    return;
  }
  let form: URLSearchParams | null = null;
  if (method === 'POST') {
    if (!fromOwnOrigin(req)) {
      forbidden(res, session);
      return;
    }
    form = await formOf(req, res);
    if (form === null) return;
    if (path === SIGN_OUT_PATH) return signOut(context, session, form, res);
    if (!csrfMatches(session, form.get('csrf') ?? '')) {
      forbidden(res, session);
      return;
    }
  }
  const found = routeOf(CONSOLE_ROUTES, method, path);
  if (found === null) {
    sendPage(res, 404, messagePage('Not found', 'There is no such page in this console.', session));
    return;
  }
  await found.route.handle({
    services: context.services(),
    kit: context.kit,
    viewer: session,
    actor: `admin:${session.adminName}`,
    req,
    res,
    url: new URL(`https://console.invalid${req.url ?? '/'}`),
    params: found.params,
    form,
  });
}
