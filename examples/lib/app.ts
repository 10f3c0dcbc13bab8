// The page server both example applications share: a login page, a protected home page that
// shows who is signed in (and, in an application group, the group's shared session variable, with a
// form to change it), and logout. Everything about single sign-on is the SDK's: SsoApp (Open Fusion
// SSO protocol, section 2.2) and, for an application in another DNS domain, TicketReceiver (its pages know
// the user from the domain's signed logon ticket, docs/tickets.md); this file is only pages and forms.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { cookieOf, isFault, type SignedInUser, type SsoApp, type TicketReceiver } from '../../src/client/index.js';

export interface ExampleApp {
  /** Short name, also the registered application name. */
  readonly name: string;
  readonly title: string;
  /** The accent colour, so the two applications are told apart at a glance. */
  readonly color: string;
  readonly host: string;
  readonly port: number;
}

export interface Neighbour {
  readonly title: string;
  readonly url: string;
}

/**
 * A session variable of the application group that the home page shows (docs/groups.md "Session
 * variables"), and with `editable` changes through a form.
 */
export interface SharedVariable {
  /** The application that declared it. */
  readonly owner: string;
  readonly name: string;
  /** What the page calls it. */
  readonly label: string;
  readonly editable: boolean;
}

export interface RunningApp {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Who the home page shows: from the application's own session (SsoApp) or from the domain's ticket. */
interface PageUser {
  readonly userId: string;
  readonly login: string;
}

/** What single sign-on the pages use, given once the application is registered. */
interface Attached {
  readonly sso: SsoApp;
  readonly neighbours: readonly Neighbour[];
  /** In another DNS domain: the application is its own ticket receiver, and its pages know the user from the ticket. */
  readonly tickets: TicketReceiver | null;
  /** In an application group: the shared session variable the home page shows. */
  readonly shared: SharedVariable | null;
}

const CSRF_COOKIE = 'login_csrf';
const LOGOUT_EVERYWHERE_PATH = '/logout/everywhere';
const SHARED_PATH = '/shared';
const SHARED_CSRF_COOKIE = 'shared_csrf';
const MAX_FORM_BYTES = 8 * 1024;

/** The registered url of an example application (docs/DECISIONS.md "URLs": the port always written out). */
export function appUrlOf(app: ExampleApp, port = app.port, scheme: 'http' | 'https' = 'http'): string {
  return `${scheme}://${app.host}:${port}/`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(app: ExampleApp, heading: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(`${heading} · ${app.title}`)}</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; margin: 0; background: #f4f5f7; color: #1a202c; }
  header { background: ${app.color}; color: #fff; padding: 14px 32px; font-size: 20px; font-weight: 600; }
  main { max-width: 480px; margin: 40px auto; background: #fff; padding: 24px 32px; border-radius: 8px; box-shadow: 0 1px 4px #0002; }
  label { display: block; margin: 12px 0 4px; } input { width: 100%; padding: 8px; box-sizing: border-box; }
  button { margin-top: 16px; padding: 8px 20px; background: ${app.color}; color: #fff; border: 0; border-radius: 4px; font-size: 15px; cursor: pointer; }
  .error { color: #c53030; } .muted { color: #718096; font-size: 14px; }
</style></head>
<body><header>${escapeHtml(app.title)}</header><main>${body}</main></body></html>`;
}

function send(res: http.ServerResponse, status: number, html: string): void {
  res.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Cache-Control': 'no-store',
    'Content-Length': Buffer.byteLength(html),
  });
  res.end(html);
}

async function readForm(req: http.IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_FORM_BYTES) throw new Error('form too large');
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** What the home page shows of the shared variable: its value, and the form to change it (with its CSRF value). */
interface SharedView {
  readonly variable: SharedVariable;
  readonly value: string;
  readonly csrf: string | null;
  readonly notice: string | null;
}

function sharedSection(view: SharedView | null): string {
  if (view === null) return '';
  const { variable, value, csrf, notice } = view;
  const form =
    csrf === null
      ? ''
      : `<form method="post" action="${SHARED_PATH}" id="shared-form">
  <input type="hidden" name="csrf" value="${escapeHtml(csrf)}">
  <label for="shared-value">Switch to another ${escapeHtml(variable.label)}</label><input id="shared-value" name="value" maxlength="64" required>
  <button type="submit">Switch</button>
</form>`;
  return `<p>Current ${escapeHtml(variable.label)}: <strong id="shared">${escapeHtml(value)}</strong>
<span class="muted">(shared by the applications of this group)</span></p>
${notice === null ? '' : `<p class="error" id="shared-notice">${escapeHtml(notice)}</p>`}${form}`;
}

function homePage(
  app: ExampleApp,
  user: PageUser,
  neighbours: readonly Neighbour[],
  tickets: TicketReceiver | null,
  shared: SharedView | null = null,
): string {
  const links = neighbours.map((n) => `<li><a href="${escapeHtml(n.url)}">${escapeHtml(n.title)}</a></li>`).join('');
  const how = tickets === null ? '' : `, known from the signed logon ticket of ${escapeHtml(tickets.domain)}: no call to ssod`;
  return page(
    app,
    'Home',
    `<h1>Welcome to ${escapeHtml(app.title)}</h1>
<p>Signed in as <strong id="login">${escapeHtml(user.login)}</strong></p>
<p class="muted">User id <code id="user-id">${escapeHtml(user.userId)}</code>${how}</p>
${sharedSection(shared)}
${links === '' ? '' : `<p>Your other applications (no second sign-in):</p><ul>${links}</ul>`}
<form method="post" action="/logout"><button id="logout" type="submit">Log out everywhere</button></form>`,
  );
}

function loginPage(app: ExampleApp, next: string, csrf: string, error: boolean): string {
  return page(
    app,
    'Sign in',
    `<h1>Sign in to ${escapeHtml(app.title)}</h1>
${error ? '<p class="error" id="error">Wrong login or password.</p>' : ''}
<form method="post" action="/login" id="login-form">
  <input type="hidden" name="next" value="${escapeHtml(next)}"><input type="hidden" name="csrf" value="${escapeHtml(csrf)}">
  <label for="login">Login</label><input id="login" name="login" autocomplete="username" required>
  <label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
  <button type="submit">Sign in</button>
</form>
<p class="muted">One sign-in for every application of this site.</p>`,
  );
}

function showLogin(app: ExampleApp, res: http.ServerResponse, next: string, error: boolean): void {
  // Login CSRF: the form carries the value of a SameSite cookie, which a cross-site POST lacks.
  const csrf = randomBytes(16).toString('base64url');
  res.setHeader('Set-Cookie', `${CSRF_COOKIE}=${csrf}; Path=/login; HttpOnly; SameSite=Lax`);
  send(res, error ? 401 : 200, loginPage(app, next, csrf, error));
}

/**
 * The ticket cookie of the application's domain, removed (with the attributes it was set with), so
 * that the page does not show the user while the logout goes round.
 */
function dropTicketCookie(res: http.ServerResponse, tickets: TicketReceiver): void {
  res.setHeader('Set-Cookie', `${tickets.cookieName}=; Domain=${tickets.domain}; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Lax`);
}

function redirect(res: http.ServerResponse, location: string): void {
  res.writeHead(302, { Location: location, 'Cache-Control': 'no-store' });
  res.end();
}

/** The home page: the user from the domain's ticket in another DNS domain, else from the application's own session (through the relay). */
async function home(app: ExampleApp, attached: Attached, req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
  const { sso, neighbours, tickets } = attached;
  if (tickets === null) {
    const user = await sso.requireUser(req, res);
    if (user !== null) sendHome(app, attached, res, user, null);
    return;
  }
  // After ssod's sign-in page the browser arrives with an ssosid this page does not need: keep it out of history.
  if (url.searchParams.has('ssosid')) {
    redirect(res, sso.ownUrl('/').href);
    return;
  }
  const user = await tickets.requireUser(req, res);
  if (user !== null) send(res, 200, homePage(app, user, neighbours, tickets));
}

/**
 * The home page of a user of the application's own session, with the shared variable as the last
 * verification read it. The form to change it carries the value of a SameSite cookie (as the login form).
 */
function sendHome(app: ExampleApp, attached: Attached, res: http.ServerResponse, user: SignedInUser, notice: string | null): void {
  const { shared } = attached;
  let view: SharedView | null = null;
  if (shared !== null) {
    let csrf: string | null = null;
    if (shared.editable) {
      csrf = randomBytes(16).toString('base64url');
      res.setHeader('Set-Cookie', `${SHARED_CSRF_COOKIE}=${csrf}; Path=${SHARED_PATH}; HttpOnly; SameSite=Lax`);
    }
    view = {
      variable: shared,
      value: user.variables?.value(shared.name, shared.owner) ?? '(not shared with this application)',
      csrf,
      notice,
    };
  }
  send(res, notice === null ? 200 : 409, homePage(app, user, attached.neighbours, null, view));
}

/** The form of the shared variable: written under the version rule (docs/groups.md), then back to the home page. */
async function changeShared(app: ExampleApp, attached: Attached, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const { sso, shared } = attached;
  const form = await readForm(req);
  const user = await sso.requireUser(req, res);
  if (user === null || shared === null) return;
  const csrf = cookieOf(req, SHARED_CSRF_COOKIE);
  if (csrf === null || !sameText(csrf, form.get('csrf') ?? '') || user.variables === undefined) {
    sendHome(app, attached, res, user, 'Not changed: the form was not ours; try again.');
    return;
  }
  try {
    await user.variables.set(shared.name, (form.get('value') ?? '').trim(), shared.owner);
  } catch (error) {
    // Another application wrote first (the version rule), or the value is over its length: the page shows the value now held.
    if (!isFault(error, 'invalidParameter')) throw error;
    sendHome(app, attached, res, user, 'Not changed: it was changed meanwhile or the value is too long; try again.');
    return;
  }
  redirect(res, sso.ownUrl('/').href);
}

/**
 * Log out everywhere from a page that knows the user from the ticket only: the application's own
 * session of the global session comes through the relay (SsoApp), and closeSession ends the global
 * session, after which ssod tells every receiver (docs/tickets.md "Logout").
 */
async function logoutEverywhere(attached: Attached, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const user = await attached.sso.requireUser(req, res);
  if (user !== null) await attached.sso.logout(req, res, '/');
}

async function route(app: ExampleApp, attached: Attached, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const { sso, tickets } = attached;
  if (tickets !== null && (await tickets.handle(req, res))) return;
  const url = new URL(req.url ?? '/', sso.appUrl);
  if (req.method === 'GET' && url.pathname === '/') {
    await home(app, attached, req, res, url);
  } else if (req.method === 'GET' && url.pathname === sso.loginPath) {
    const next = url.searchParams.get('next') ?? '/';
    const user = await sso.currentUser(req);
    if (user === null) showLogin(app, res, next, false);
    else redirect(res, sso.ownUrl(next).href);
  } else if (req.method === 'POST' && url.pathname === sso.loginPath) {
    const form = await readForm(req);
    const next = form.get('next') ?? '/';
    const csrf = cookieOf(req, CSRF_COOKIE);
    if (csrf === null || !sameText(csrf, form.get('csrf') ?? '')) {
      showLogin(app, res, next, true);
      return;
    }
    const result = await sso.login(res, { login: form.get('login') ?? '', password: form.get('password') ?? '' }, next);
    if (result === 'invalidCredentials') showLogin(app, res, next, true);
  } else if (req.method === 'POST' && url.pathname === '/logout') {
    if (tickets === null) return sso.logout(req, res);
    dropTicketCookie(res, tickets);
    redirect(res, sso.ownUrl(LOGOUT_EVERYWHERE_PATH).href);
  } else if (req.method === 'POST' && url.pathname === SHARED_PATH && attached.shared?.editable === true && tickets === null) {
    await changeShared(app, attached, req, res);
  } else if (req.method === 'GET' && url.pathname === LOGOUT_EVERYWHERE_PATH && tickets !== null) {
    await logoutEverywhere(attached, req, res);
  } else {
    send(res, 404, page(app, 'Not found', '<h1>Not found</h1><p><a href="/">Home</a></p>'));
  }
}

/**
 * Opens an example application on 127.0.0.1 (port 0: any free port), over HTTPS when `tls` is given.
 * Its pages answer once `attach` gives it the SsoApp (and, in another DNS domain, its TicketReceiver):
 * an application registers its url, port included (docs/DECISIONS.md "URLs"), so the port must be
 * known before the SsoApp exists.
 */
export async function listenExampleApp(
  app: ExampleApp,
  port = app.port,
  tls: { readonly key: string; readonly cert: string } | null = null,
): Promise<
  RunningApp & {
    attach(sso: SsoApp, neighbours?: readonly Neighbour[], tickets?: TicketReceiver | null, shared?: SharedVariable | null): void;
  }
> {
  let attached: Attached | null = null;
  const listener: http.RequestListener = (req, res) => {
    if (attached === null) {
      send(res, 503, page(app, 'Starting', '<h1>Starting…</h1>'));
      return;
    }
    route(app, attached, req, res).catch((error: unknown) => {
      console.error(`${app.name}: ${error instanceof Error ? error.message : String(error)}`);
      if (!res.headersSent) send(res, 503, page(app, 'Unavailable', '<h1>Sign-in is unavailable</h1><p>Please try again in a moment.</p>'));
      else res.destroy();
    });
  };
  const server = tls === null ? http.createServer(listener) : https.createServer({ key: tls.key, cert: tls.cert }, listener);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    url: appUrlOf(app, bound, tls === null ? 'http' : 'https'),
    port: bound,
    attach(sso, neighbours = [], tickets = null, shared = null) {
      attached = { sso, neighbours, tickets, shared };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
