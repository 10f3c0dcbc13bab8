// Sessions for the console's sessions and audit pages in tests: two applications and their users
// made through the SOAP API, sign-ins that start sessions (authenticate with a baseUrl), a session
// joined by a second application through the relay, and what the command line lists of them.
import assert from 'node:assert/strict';
import type { ConsoleInBrowser } from './consoleBrowser.js';
import { call, registerApp, relayGet, type RegisteredApp, type TestServer } from './server.js';

export const PANEL = 'https://panel.example.com:8443/';
export const BILLING = 'https://billing.example.com:443/';
const PASSWORD = 'a password of the test';

export interface SessionFixture {
  readonly panel: RegisteredApp;
  readonly billing: RegisteredApp;
  /** userId by login. */
  readonly users: ReadonlyMap<string, string>;
}

/** The two applications, and users of the panel with these logins. */
export async function seedSessions(ts: TestServer, logins: readonly string[]): Promise<SessionFixture> {
  const panel = await registerApp(ts, PANEL, 'panel');
  const billing = await registerApp(ts, BILLING, 'billing');
  const users = new Map<string, string>();
  for (const login of logins) {
    const created = await call(ts, 'createUser', { login, password: PASSWORD }, { credentials: panel.credentials });
    users.set(login, created.field('userId') ?? assert.fail(created.body));
  }
  return { panel, billing, users };
}

export interface StartedSession {
  /** The local session id the application got. */
  readonly sessionId: string;
  readonly relayToken: string;
}

/** authenticate with a baseUrl: a new global session with its local session there. */
export async function signIn(ts: TestServer, login: string, baseUrl: string): Promise<StartedSession> {
  const reply = await call(ts, 'authenticate', { login, password: PASSWORD, baseUrl });
  const sessionId = reply.field('sessionId') ?? assert.fail(reply.body);
  return { sessionId, relayToken: reply.field('relayToken') ?? '' };
}

/** The browser takes the relay token to the relay, then visits `otherUrl`: the session reaches that application too. Its local session id there. */
export async function joinThroughRelay(ts: TestServer, session: StartedSession, url: string, otherUrl: string): Promise<string> {
  const first = await relayGet(ts, new URLSearchParams({ token: session.relayToken, url }).toString());
  const cookie = (first.headers['set-cookie']?.[0] ?? '').split(';', 1)[0] ?? '';
  const second = await relayGet(ts, new URLSearchParams({ url: otherUrl }).toString(), cookie);
  return new URL(second.headers.location ?? assert.fail('no redirect')).searchParams.get('ssosid') ?? '';
}

/** Whether verifySession still names a user for the local session (as a guest asks). */
export async function isLive(ts: TestServer, sessionId: string): Promise<boolean> {
  const reply = await call(ts, 'verifySession', { sessionId });
  return reply.fault === undefined && reply.field('userId') !== undefined;
}

/** What `ssod sessions list --json` lists: the global session ids with their applications. */
export async function listedSessions(
  console: ConsoleInBrowser,
  filter: readonly string[] = [],
): Promise<{ readonly id: string; readonly login: string; readonly applications: string[] }[]> {
  const listed = await console.cli(['sessions', 'list', ...filter, '--json']);
  assert.equal(listed.code, 0, listed.stderr);
  return JSON.parse(listed.stdout) as { id: string; login: string; applications: string[] }[];
}

/** The signed-in administrator's console cookie, for requests made without the browser. */
export async function consoleCookie(console: ConsoleInBrowser): Promise<string> {
  const cookie = (await console.context.cookies()).find((each) => each.name === '__Host-ssod-admin');
  return cookie?.value ?? assert.fail('not signed in');
}
