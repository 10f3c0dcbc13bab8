// Single sign-on for a node:http application (protocol §2.2): a page that needs a signed-in user sends
// the browser through the relay, receives ssosid, verifies it (protocol §5.18) and keeps the
// application's own session: its own HttpOnly cookie with a random value, mapped server-side.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SsoClient } from './client.js';
import { isFault } from './errors.js';
import { applicationIdOf } from './identity.js';
import { SessionVariables } from './sessionVariables.js';
import { baseUrlOf, getSessionUrl, readSsosid, setCookieUrl, signInPageUrl, withoutSsosid } from './relay.js';

/** Where a visitor without a session signs in: the application's own login page, or ssod's sign-in page. */
export type SignInAt = 'application' | 'ssod';

export interface SsoAppOptions {
  /** A client with the application's own certificate. */
  readonly client: SsoClient;
  /** The application's registered url, `scheme://host:port/` (protocol §5.1): the relay returns only there. */
  readonly appUrl: string;
  /** The relay endpoint; by default the one getSettings reports (protocol §2.1), asked once. */
  readonly relayUrl?: string;
  /** The application's login page (default `/login`); it receives `next`, the page to return to. */
  readonly loginPath?: string;
  /**
   * Where a visitor without a session signs in (default `application`): the application's login page
   * (`loginPath`, with `login()` behind its form), or `ssod`, ssod's own sign-in page beside the relay
   * (`<relay>/login?url=<the page>`), which sends the visitor back to the page signed in.
   */
  readonly signInAt?: SignInAt;
  /** Name of the application's own session cookie (default `ssoapp`). */
  readonly cookieName?: string;
  /**
   * How long a verified session is trusted before verifySession is asked again (default 0: every
   * protected request). closeSession elsewhere (single logout) is seen only at that check.
   */
  readonly revalidateMs?: number;
  /** A local session unused this long is forgotten (default 6000 s, the usersSessionsTimeout default of protocol §5.20). */
  readonly idleMs?: number;
  /**
   * Verify with ssox:verifySession instead of verifySession (docs/groups.md "Session variables"): the
   * user then carries the session's variables that the application may read, refreshed at each
   * verification, with a setter under the version rule, and whether the visit was its first.
   */
  readonly sessionVariables?: boolean;
  /** This application's id, the owner of its own variables; by default read from the client's certificate. */
  readonly applicationId?: string;
}

export interface SignedInUser {
  readonly userId: string;
  readonly login: string;
  /** The local session id of protocol §5.17, as closeSession and verifySession take it. */
  readonly sessionId: string;
  /** With the option `sessionVariables`: the session's variables this application may read. */
  readonly variables?: SessionVariables;
  /** With the option `sessionVariables`: the verification that started this application's session was its first visit to the global session. */
  readonly firstVisit?: boolean;
}

interface LocalSession extends SignedInUser {
  checkedAt: number;
  lastSeenAt: number;
}

/** What a verification tells: the user, and with session variables the variables and the first visit. */
interface Verified {
  readonly userId: string;
  readonly variables?: SessionVariables;
  readonly firstVisit?: boolean;
}

export type LoginResult = 'redirected' | 'invalidCredentials';

const STATE_PARAM = 'sso_state';
const STATE_MAX_AGE_SECONDS = 300;
const SWEEP_EVERY = 256;

function randomValue(): string {
  return randomBytes(32).toString('base64url');
}

function digest(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The value of one cookie in a request, or null. */
export function cookieOf(req: IncomingMessage, name: string): string | null {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

/** Adds a Set-Cookie header to those already set on the response. */
export function appendSetCookie(res: ServerResponse, cookie: string): void {
  const existing = res.getHeader('Set-Cookie');
  const list = existing === undefined ? [] : Array.isArray(existing) ? existing : [String(existing)];
  res.setHeader('Set-Cookie', [...list, cookie]);
}

function redirect(res: ServerResponse, location: string): void {
  res.writeHead(302, { Location: location, 'Cache-Control': 'no-store', 'Content-Length': 0 });
  res.end();
}

export class SsoApp {
  readonly appUrl: URL;
  /** `scheme://host:port/` of appUrl: every local session id minted for this application begins with it. */
  readonly baseUrl: string;
  readonly loginPath: string;
  readonly signInAt: SignInAt;
  readonly #client: SsoClient;
  readonly #cookieName: string;
  readonly #stateCookieName: string;
  readonly #secure: boolean;
  readonly #revalidateMs: number;
  readonly #idleMs: number;
  readonly #variablesFor: string | null;
  #relayUrl: string | undefined;
  // Keyed by SHA-256 of the cookie value, so the map holds no usable cookie.
  readonly #sessions = new Map<string, LocalSession>();
  #created = 0;

  constructor(options: SsoAppOptions) {
    this.appUrl = new URL(options.appUrl);
    this.baseUrl = baseUrlOf(this.appUrl);
    this.#client = options.client;
    this.loginPath = options.loginPath ?? '/login';
    this.signInAt = options.signInAt ?? 'application';
    this.#cookieName = options.cookieName ?? 'ssoapp';
    this.#stateCookieName = `${this.#cookieName}_relay`;
    this.#secure = this.appUrl.protocol === 'https:';
    this.#revalidateMs = options.revalidateMs ?? 0;
    this.#idleMs = options.idleMs ?? 6000 * 1000;
    this.#relayUrl = options.relayUrl;
    const cert = options.client.identity?.cert;
    const applicationId = options.applicationId ?? (cert === undefined ? null : applicationIdOf(cert));
    if (options.sessionVariables === true && applicationId === null)
      throw new TypeError(
        "sessionVariables needs the application's id: give applicationId, or a client with the application's certificate",
      );
    this.#variablesFor = options.sessionVariables === true ? applicationId : null;
  }

  /** verifySession, or ssox:verifySession with the option `sessionVariables` (updating `held`, the variables of a session of ours). */
  async #verify(sessionId: string, held?: SessionVariables): Promise<Verified> {
    if (this.#variablesFor === null) return { userId: (await this.#client.verifySession({ sessionId })).userId };
    const verified = await this.#client.verifySessionWithVariables(sessionId);
    if (held !== undefined) {
      held.refresh(verified.variables);
      return { userId: verified.userId, variables: held, firstVisit: verified.firstVisit };
    }
    const variables = new SessionVariables(this.#client, sessionId, this.#variablesFor, verified.variables);
    return { userId: verified.userId, variables, firstVisit: verified.firstVisit };
  }

  async #relay(): Promise<string> {
    this.#relayUrl ??= (await this.#client.getSettings()).relayEndpointUrl;
    return this.#relayUrl;
  }

  #cookie(name: string, value: string, maxAgeSeconds: number | null): string {
    const age = maxAgeSeconds === null ? '' : `; Max-Age=${maxAgeSeconds}`;
    return `${name}=${value}; Path=/; HttpOnly; SameSite=Lax${age}${this.#secure ? '; Secure' : ''}`;
  }

  /** The absolute URL of a path on this application; anything pointing elsewhere becomes the home page (no open redirect). */
  ownUrl(target: string | null | undefined): URL {
    const fallback = new URL('/', this.appUrl);
    if (target === null || target === undefined || target === '') return fallback;
    try {
      const url = new URL(target, this.appUrl);
      return url.origin === this.appUrl.origin ? url : fallback;
    } catch {
      return fallback;
    }
  }

  /** A state for a trip to ssod and back: in the return URL and in our cookie, so that only this browser's own return is accepted. */
  #stateFor(res: ServerResponse, back: URL): URL {
    const state = randomValue();
    const url = new URL(back);
    url.searchParams.set(STATE_PARAM, state);
    appendSetCookie(res, this.#cookie(this.#stateCookieName, state, STATE_MAX_AGE_SECONDS));
    return url;
  }

  /** Sends a visitor without a session to sign in, to come back to `next`: at the application's login page, or at ssod's. */
  async #signInRedirect(res: ServerResponse, next: URL): Promise<void> {
    if (this.signInAt === 'ssod') {
      redirect(res, signInPageUrl(await this.#relay(), this.#stateFor(res, next)));
      return;
    }
    const login = new URL(this.loginPath, this.appUrl);
    login.searchParams.set('next', next.pathname + next.search);
    redirect(res, login.href);
  }

  #local(req: IncomingMessage): { key: string; session: LocalSession } | null {
    const value = cookieOf(req, this.#cookieName);
    if (value === null) return null;
    const key = digest(value);
    const session = this.#sessions.get(key);
    if (session === undefined) return null;
    if (Date.now() - session.lastSeenAt > this.#idleMs) {
      this.#sessions.delete(key);
      return null;
    }
    return { key, session };
  }

  #sweep(): void {
    const now = Date.now();
    for (const [key, session] of this.#sessions) if (now - session.lastSeenAt > this.#idleMs) this.#sessions.delete(key);
  }

  /** Starts the application's own session for a verified local session id. */
  async #startLocal(res: ServerResponse, sessionId: string, verified: Verified): Promise<SignedInUser> {
    const { userId } = verified;
    const { login } = await this.#client.getUser({ userId });
    const value = randomValue();
    const now = Date.now();
    const session: LocalSession = { sessionId, userId, login, checkedAt: now, lastSeenAt: now };
    if (verified.variables !== undefined) Object.assign(session, { variables: verified.variables, firstVisit: verified.firstVisit });
    this.#sessions.set(digest(value), session);
    if (++this.#created % SWEEP_EVERY === 0) this.#sweep();
    appendSetCookie(res, this.#cookie(this.#cookieName, value, null));
    return session;
  }

  #endLocal(req: IncomingMessage, res: ServerResponse): LocalSession | null {
    const local = this.#local(req);
    if (local !== null) this.#sessions.delete(local.key);
    appendSetCookie(res, this.#cookie(this.#cookieName, '', 0));
    return local?.session ?? null;
  }

  /**
   * The signed-in user of this request, without sending anything: the application's own session,
   * checked with verifySession when it is older than `revalidateMs`. Null when there is none.
   */
  async currentUser(req: IncomingMessage): Promise<SignedInUser | null> {
    const local = this.#local(req);
    if (local === null) return null;
    const { key, session } = local;
    const now = Date.now();
    if (now - session.checkedAt >= this.#revalidateMs) {
      try {
        await this.#verify(session.sessionId, session.variables);
      } catch (error) {
        // protocol §5.19: closeSession by any application ends this session too (single logout).
        if (!isFault(error, 'noSuchSession')) throw error;
        this.#sessions.delete(key);
        return null;
      }
      session.checkedAt = now;
    }
    session.lastSeenAt = now;
    return session;
  }

  /**
   * protocol §2.2 for a page that needs a signed-in user. Returns the user, or null after answering the
   * request itself: a redirect to the relay (no session of ours yet), back to the clean page
   * (ssosid verified, our session started) or to the login page (ssosid=none).
   */
  async requireUser(req: IncomingMessage, res: ServerResponse): Promise<SignedInUser | null> {
    const requested = new URL(req.url ?? '/', this.appUrl);
    const answer = readSsosid(requested);
    if (answer.kind !== 'absent') return await this.#relayReturn(req, res, requested, answer);
    const user = await this.currentUser(req);
    if (user !== null) return user;
    // Ask the relay whether this browser already signed in elsewhere (protocol §2.2.2). The state
    // travels in the return URL and in our cookie, so an ssosid pasted into a link by someone
    // else (login CSRF, session fixation) is never accepted.
    redirect(res, getSessionUrl(await this.#relay(), this.#stateFor(res, withoutSsosid(requested, this.appUrl))));
    return null;
  }

  async #relayReturn(req: IncomingMessage, res: ServerResponse, requested: URL, answer: ReturnType<typeof readSsosid>): Promise<null> {
    const clean = withoutSsosid(requested, this.appUrl);
    const state = clean.searchParams.get(STATE_PARAM);
    clean.searchParams.delete(STATE_PARAM);
    const expected = cookieOf(req, this.#stateCookieName);
    appendSetCookie(res, this.#cookie(this.#stateCookieName, '', 0));
    const ours = state !== null && expected !== null && sameText(state, expected);
    // A session id minted for another application's base URL is refused before it is verified:
    // any registered application receives its visitors' ids, and one passed on to us must not
    // sign its holder in here as that visitor (docs/SECURITY.md, case F37).
    if (!ours || answer.kind !== 'session' || !answer.sessionId.startsWith(this.baseUrl)) {
      // ssosid=none (no global session), or an answer not ours: the user signs in (Open Fusion SSO protocol, section 2.2).
      await this.#signInRedirect(res, clean);
      return null;
    }
    try {
      await this.#startLocal(res, answer.sessionId, await this.#verify(answer.sessionId));
    } catch (error) {
      if (!isFault(error, 'noSuchSession', 'invalidParameter')) throw error;
      await this.#signInRedirect(res, clean);
      return null;
    }
    // Back to the page without ssosid, so the id stays out of history and Referer.
    redirect(res, clean.href);
    return null;
  }

  /**
   * Signs a user in from the application's login form (protocol §5.17 with baseUrl), starts our own
   * session and sends the browser through the relay to set the global cookie (protocol §2.2.1), then
   * on to `next` (a page of this application).
   */
  async login(
    res: ServerResponse,
    credentials: { readonly login: string; readonly password: string },
    next?: string | null,
  ): Promise<LoginResult> {
    let reply;
    try {
      reply = await this.#client.authenticate({ login: credentials.login, password: credentials.password, baseUrl: this.appUrl.href });
    } catch (error) {
      if (isFault(error, 'invalidCredentials', 'noSuchUser', 'invalidParameter')) return 'invalidCredentials';
      throw error;
    }
    const { sessionId, relayToken, userId } = reply;
    if (sessionId === undefined || relayToken === undefined) throw new Error('authenticate with a baseUrl returned no session');
    // With session variables, the new session's variables (its defaults) are read at once.
    await this.#startLocal(res, sessionId, this.#variablesFor === null ? { userId } : await this.#verify(sessionId));
    redirect(res, setCookieUrl(await this.#relay(), relayToken, this.ownUrl(next)));
    return 'redirected';
  }

  /**
   * Signs the user out everywhere: closeSession ends the global session and every application's
   * local session of it (protocol §5.19; a local-only logout would be undone by the relay on the next
   * page). Then redirects to `next` (default: the login page; with `signInAt: 'ssod'`, the home page, which
   * sends the visitor on to ssod's sign-in page).
   */
  async logout(req: IncomingMessage, res: ServerResponse, next?: string | null): Promise<void> {
    const ended = this.#endLocal(req, res);
    if (ended !== null) await this.#client.closeSession({ sessionId: ended.sessionId });
    redirect(res, this.ownUrl(next ?? (this.signInAt === 'ssod' ? '/' : this.loginPath)).href);
  }

  /** Wraps a node:http handler that needs a signed-in user. */
  protect(
    handler: (req: IncomingMessage, res: ServerResponse, user: SignedInUser) => void | Promise<void>,
  ): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
    return async (req, res) => {
      const user = await this.requireUser(req, res);
      if (user !== null) await handler(req, res, user);
    };
  }
}
