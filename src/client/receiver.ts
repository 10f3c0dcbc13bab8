// A ticket receiver for one DNS domain (docs/tickets.md "The receiver's ticket endpoint" and
// "Logout"), for node:http: its two endpoints under basePath, the domain cookie SSOD_TICKET that a
// valid ticket becomes, and the user of any request of the domain from that cookie. A visitor
// without the cookie is sent to ssod's relay once per 5 minutes to ask for a ticket.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { appendSetCookie, cookieOf } from './middleware.js';
import { memoryReceiverState, type ReceiverState } from './receiverState.js';
import {
  isLoopbackUrl,
  remoteTicketKeys,
  TicketError,
  verifyLogoutToken,
  verifyTicket,
  type TicketKeys,
  type TicketUser,
} from './tickets.js';

/** Where the receiver says what it refused, and why (never to the browser). */
export interface ReceiverLog {
  info(message: string): void;
  warn(message: string): void;
}

export interface TicketReceiverOptions {
  /** ssod's relay URL (getSettings `relayEndpointUrl`): the tickets' `iss`, and where a ticket is asked for. */
  readonly issuer: string;
  /** The DNS domain this receiver serves, as configured in ssod (`ssod receivers add … --domain`). */
  readonly domain: string;
  /** This receiver's name in ssod (`ssod receivers add NAME`). */
  readonly name: string;
  /** This site's own https origin, inside the domain: the page a ticket is asked for is on it. */
  readonly publicOrigin: string;
  /** The verification keys; by default ssod's key set, fetched from keysUrl. */
  readonly keys?: TicketKeys;
  /** ssod's key set (default `/tickets/keys` beside the relay, when the relay is https or on loopback). */
  readonly keysUrl?: string;
  /** PEM certificates trusted for keysUrl (default: the system CAs). */
  readonly ca?: string | readonly string[];
  /** Where the endpoints `ticket` and `logout` are (default `/.ssod/`). */
  readonly basePath?: string;
  /** Origins, besides ssod's relay and https origins of the domain, that the ticket endpoint may send the browser on to. */
  readonly allowedNextOrigins?: readonly string[];
  /** Accepted tickets and logouts (default: in memory, lost at a restart). */
  readonly state?: ReceiverState;
  /** The domain cookie (default `SSOD_TICKET`). */
  readonly cookieName?: string;
  /** Where requireUser sends a visitor without a ticket after asking once (default: a plain 401). */
  readonly signInUrl?: string;
  /** The clock, in milliseconds since the epoch (default Date.now). */
  readonly now?: () => number;
  readonly log?: ReceiverLog;
}

const ASK_AGAIN_AFTER_SECONDS = 300;
const MAX_LOGOUT_BODY_BYTES = 8 * 1024;
const RECEIVER_NAME = /^[a-z0-9-]{1,63}$/;
const DNS_NAME = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
/** Headers of every answer of the endpoints: the ticket in the URL is neither cached nor passed on as a Referer. */
const ENDPOINT_HEADERS = { 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' };

const consoleLog: ReceiverLog = {
  info: (message) => console.info(`ssod receiver: ${message}`),
  warn: (message) => console.warn(`ssod receiver: ${message}`),
};

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A minimal page: a status and one sentence, escaped, never a stack trace. */
function page(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  const body = `<!doctype html>\n<meta charset="utf-8">\n<title>${status}</title>\n<p>${escapeHtml(text)}</p>\n`;
  res.writeHead(status, {
    ...headers,
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'X-Content-Type-Options': 'nosniff',
  });
  res.end(body);
}

function redirectTo(res: ServerResponse, location: string, headers: Record<string, string> = {}): void {
  res.writeHead(302, { 'Cache-Control': 'no-store', ...headers, Location: location, 'Content-Length': 0 });
  res.end();
}

/** Whether `host` is the domain or a name inside it. */
function inDomain(host: string, domain: string): boolean {
  return host === domain || host.endsWith(`.${domain}`);
}

/** The path and query of a request, read as a path whatever the request line held (`//host/x`, an absolute URL). */
function requestPath(req: IncomingMessage): { pathname: string; search: string; params: URLSearchParams } {
  try {
    const target = req.url ?? '/';
    // Origin-form (`/x`, also `//x`) is a path on this host; anything else (absolute-form) is parsed as a URL.
    const url = target.startsWith('/') ? new URL(`http://request.invalid${target}`) : new URL(target);
    return { pathname: url.pathname, search: url.search, params: url.searchParams };
  } catch {
    return { pathname: '', search: '', params: new URLSearchParams() };
  }
}

/** A GET that a person's browser makes to show a page (not a script's fetch, an image, a form post). */
function isNavigation(req: IncomingMessage): boolean {
  const mode = req.headers['sec-fetch-mode'];
  return req.method === 'GET' && (mode === undefined || mode === 'navigate');
}

function checkedOrigin(text: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new TypeError(`${what} ${JSON.stringify(text)} is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new TypeError(`${what} ${url.href} must be http or https`);
  if (url.username !== '' || url.password !== '') throw new TypeError(`${what} must not hold a user name or password`);
  return url;
}

function checkedDomain(domain: string): string {
  if (!DNS_NAME.test(domain) || !domain.includes('.') || isIP(domain) !== 0)
    throw new TypeError(`the domain ${JSON.stringify(domain)} must be a lower-case DNS name of at least two labels, such as example.de`);
  return domain;
}

/** The receiver of one DNS domain: see the file comment. */
export class TicketReceiver {
  readonly issuer: string;
  readonly domain: string;
  readonly name: string;
  readonly publicOrigin: string;
  readonly basePath: string;
  readonly cookieName: string;
  readonly #askedCookieName: string;
  readonly #keys: TicketKeys;
  readonly #state: ReceiverState;
  readonly #allowedNext: ReadonlySet<string>;
  readonly #relayOrigin: string;
  readonly #signInUrl: string | null;
  readonly #now: () => number;
  readonly #log: ReceiverLog;

  constructor(options: TicketReceiverOptions) {
    const issuer = checkedOrigin(options.issuer, 'the issuer (ssod relay URL)');
    this.issuer = options.issuer;
    this.#relayOrigin = issuer.origin;
    this.domain = checkedDomain(options.domain);
    if (!RECEIVER_NAME.test(options.name))
      throw new TypeError(
        `the receiver name ${JSON.stringify(options.name)} must be lower-case letters, digits and -, up to 63 characters`,
      );
    this.name = options.name;
    const origin = checkedOrigin(options.publicOrigin, 'the public origin');
    if (origin.protocol !== 'https:' || !inDomain(origin.hostname, this.domain))
      throw new TypeError(`the public origin ${origin.origin} must be https, on ${this.domain} or a host inside it`);
    this.publicOrigin = origin.origin;
    this.basePath = options.basePath ?? '/.ssod/';
    if (!this.basePath.startsWith('/') || !this.basePath.endsWith('/'))
      throw new TypeError(`the base path ${this.basePath} must begin and end with /`);
    this.cookieName = options.cookieName ?? 'SSOD_TICKET';
    this.#askedCookieName = `${this.cookieName}_ASKED`;
    this.#keys =
      options.keys ?? remoteTicketKeys(this.#keysUrl(options.keysUrl, issuer), { ...(options.ca === undefined ? {} : { ca: options.ca }) });
    this.#state = options.state ?? memoryReceiverState(options.now === undefined ? {} : { now: options.now });
    this.#allowedNext = new Set((options.allowedNextOrigins ?? []).map((o) => checkedOrigin(o, 'an allowed next origin').origin));
    this.#signInUrl = options.signInUrl === undefined ? null : checkedOrigin(options.signInUrl, 'the sign-in URL').href;
    this.#now = options.now ?? Date.now;
    this.#log = options.log ?? consoleLog;
  }

  #keysUrl(given: string | undefined, issuer: URL): URL {
    if (given !== undefined) return new URL(given);
    const url = new URL('/tickets/keys', issuer);
    if (url.protocol === 'https:' || isLoopbackUrl(url)) return url;
    throw new TypeError(
      `the relay ${issuer.origin} is plain http: give the key set URL (keysUrl), the https /tickets/keys of ssod's SOAP listener`,
    );
  }

  /** `SSOD_TICKET=…; Domain=…` with the attributes docs/tickets.md names. */
  #cookie(name: string, value: string, maxAgeSeconds: number): string {
    return `${name}=${value}; Domain=${this.domain}; Path=/; Max-Age=${maxAgeSeconds}; Secure; HttpOnly; SameSite=Lax`;
  }

  /**
   * Answers the receiver's endpoints (`<basePath>ticket`, `<basePath>logout`); false for any other
   * path, which the caller serves itself.
   */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const { pathname, params } = requestPath(req);
    if (pathname === `${this.basePath}ticket`) {
      // GET only: a HEAD (a link preview) must not use up the one-time ticket.
      if (req.method === 'GET') await this.#ticketEndpoint(params, res);
      else page(res, 405, 'Use GET.', { ...ENDPOINT_HEADERS, Allow: 'GET' });
      return true;
    }
    if (pathname === `${this.basePath}logout`) {
      if (req.method === 'POST') await this.#logoutEndpoint(req, res);
      else page(res, 405, 'Use POST.', { ...ENDPOINT_HEADERS, Allow: 'POST' });
      return true;
    }
    return false;
  }

  /** Where the ticket endpoint may send the browser on to (docs/tickets.md, ticket endpoint step 1), or null. */
  allowedNext(next: string): URL | null {
    let url: URL;
    try {
      url = new URL(next);
    } catch {
      return null;
    }
    if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.username !== '' || url.password !== '') return null;
    if (url.origin === this.#relayOrigin || this.#allowedNext.has(url.origin)) return url;
    return url.protocol === 'https:' && inDomain(url.hostname, this.domain) ? url : null;
  }

  async #ticketEndpoint(params: URLSearchParams, res: ServerResponse): Promise<void> {
    const nexts = params.getAll('next');
    const tickets = params.getAll('ticket');
    const next = nexts.length === 1 && nexts[0] !== undefined ? this.allowedNext(nexts[0]) : null;
    if (next === null) {
      page(res, 400, 'The page to return to is missing or not allowed here.', ENDPOINT_HEADERS);
      return;
    }
    const ticket = tickets.length === 1 ? tickets[0] : undefined;
    if (ticket === undefined || ticket === '') {
      page(res, 400, 'The request holds no ticket.', ENDPOINT_HEADERS);
      return;
    }
    await this.#accept(ticket, next, res);
  }

  async #accept(ticket: string, next: URL, res: ServerResponse): Promise<void> {
    const headers: Record<string, string> = { ...ENDPOINT_HEADERS };
    if (ticket !== 'none') {
      try {
        const user = await verifyTicket(ticket, this.#verifyOptions(true));
        const maxAge = Math.floor((user.expiresAt - this.#now()) / 1000);
        if (maxAge > 0) res.setHeader('Set-Cookie', this.#cookie(this.cookieName, ticket, maxAge));
        this.#log.info(`accepted a ticket of user ${user.userId} (session ${user.sessionHandle})`);
      } catch (error) {
        // A stale ticket never breaks the way to the page: on without a cookie.
        this.#log.warn(`refused a ticket: ${messageOf(error)}`);
      }
    }
    redirectTo(res, next.href, headers);
  }

  #verifyOptions(oneTime: boolean): Parameters<typeof verifyTicket>[1] {
    return { keys: this.#keys, issuer: this.issuer, domain: this.domain, now: this.#now, state: this.#state, oneTime };
  }

  async #logoutEndpoint(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (type !== 'application/x-www-form-urlencoded') {
      req.resume();
      page(res, 400, 'Send the logout token as a form (application/x-www-form-urlencoded).', ENDPOINT_HEADERS);
      return;
    }
    const body = await readLimited(req, MAX_LOGOUT_BODY_BYTES);
    const tokens = body === null ? [] : new URLSearchParams(body).getAll('logout_token');
    const token = tokens.length === 1 ? tokens[0] : undefined;
    if (token === undefined) {
      page(res, 400, 'The request holds no logout token, or more than one, or is too large.', { ...ENDPOINT_HEADERS, Connection: 'close' });
      return;
    }
    try {
      const order = await verifyLogoutToken(token, { keys: this.#keys, issuer: this.issuer, domain: this.domain, now: this.#now });
      if (order.sessionHandle !== null) await this.#state.logOutSession(order.sessionHandle);
      else await this.#state.logOutUser(order.userId, Math.floor(order.issuedAt / 1000));
      this.#log.info(
        `logged out ${order.sessionHandle === null ? `every session of user ${order.userId}` : `session ${order.sessionHandle}`}`,
      );
    } catch (error) {
      this.#log.warn(`refused a logout token: ${messageOf(error)}`);
      page(res, 400, 'The logout token was refused.', ENDPOINT_HEADERS);
      return;
    }
    res.writeHead(204, ENDPOINT_HEADERS);
    res.end();
  }

  /**
   * The user of a request, from the domain cookie (not one-time: every request of the domain carries
   * it; logouts are checked). Null without a valid cookie.
   */
  async userOf(req: IncomingMessage): Promise<TicketUser | null> {
    return (await this.#cookieUser(req)).user;
  }

  async #cookieUser(req: IncomingMessage): Promise<{ user: TicketUser | null; refused: boolean }> {
    const value = cookieOf(req, this.cookieName);
    if (value === null || value === '') return { user: null, refused: false };
    try {
      return { user: await verifyTicket(value, this.#verifyOptions(false)), refused: false };
    } catch (error) {
      this.#log.info(`refused the ${this.cookieName} cookie: ${messageOf(error)}`);
      // A key set that cannot be read says nothing about the cookie: it stays for the next request.
      return { user: null, refused: !(error instanceof TicketError && error.code === 'keysUnavailable') };
    }
  }

  /** The user, and a refused cookie removed from the browser. */
  async #userClearing(req: IncomingMessage, res: ServerResponse): Promise<TicketUser | null> {
    const { user, refused } = await this.#cookieUser(req);
    if (refused) appendSetCookie(res, this.#cookie(this.cookieName, '', 0));
    return user;
  }

  /** The URL at ssod that issues this browser a ticket for the page of this request (docs/tickets.md "A receiver asks for a ticket"). */
  askUrl(req: IncomingMessage): string {
    const { pathname, search } = requestPath(req);
    // Under the relay's own path (docs/tickets.md): for the relay https://sso.example.com:1180/relay, …/relay/ticket.
    const url = new URL(`${this.issuer.replace(/\/+$/, '')}/ticket`);
    url.search = new URLSearchParams({ receiver: this.name, url: `${this.publicOrigin}${pathname}${search}` }).toString();
    return url.href;
  }

  /** Sends the browser to ask for a ticket unless it asked in the last 5 minutes; true when it was sent. */
  #askOnce(req: IncomingMessage, res: ServerResponse): boolean {
    if (!isNavigation(req) || cookieOf(req, this.#askedCookieName) !== null) return false;
    appendSetCookie(res, this.#cookie(this.#askedCookieName, '1', ASK_AGAIN_AFTER_SECONDS));
    redirectTo(res, this.askUrl(req));
    return true;
  }

  /**
   * For a page that needs a signed-in user: the user, or null after answering the request itself
   * (a redirect to ask ssod for a ticket, once per 5 minutes; then the sign-in URL, or a 401).
   */
  async requireUser(req: IncomingMessage, res: ServerResponse): Promise<TicketUser | null> {
    const user = await this.#userClearing(req, res);
    if (user !== null || this.#askOnce(req, res)) return user;
    if (this.#signInUrl !== null && isNavigation(req)) redirectTo(res, this.#signInUrl);
    else {
      res.writeHead(401, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
      res.end('not signed in\n');
    }
    return null;
  }

  /**
   * For a page that anyone may see: the user or null. A navigation without a ticket asks ssod once
   * (then null is returned after the redirect was sent: the caller must not answer again; see `res.headersSent`).
   */
  async optionalUser(req: IncomingMessage, res: ServerResponse): Promise<TicketUser | null> {
    const user = await this.#userClearing(req, res);
    if (user === null) this.#askOnce(req, res);
    return user;
  }

  /** Stops what the receiver holds open (its state). */
  async close(): Promise<void> {
    await this.#state.close();
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The request body as text, or null when it is larger than `limit` bytes (the rest is not read). */
function readLimited(req: IncomingMessage, limit: number): Promise<string | null> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (value: string | null): void => {
      if (done) return;
      done = true;
      resolve(value);
    };
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.pause();
        finish(null);
      } else chunks.push(chunk);
    });
    req.on('end', () => finish(Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => finish(null));
    req.on('close', () => finish(null));
  });
}
