// The admin console in tests (docs/admin-console.md): an ssod with its console listener on a free
// port, administrators added through the core as `ssod admins add` adds them, the current TOTP code
// of a secret, and requests over real TLS to the console.
import { openAdminKit } from '../../src/app/compose.js';
import { addAdmin, type AdminKit, type SecondFactor } from '../../src/core/operator/admins.js';
import { TOTP_PERIOD_S } from '../../src/core/ports/oneTimeCodes.js';
import { oneTimeCodes } from '../../src/infra/console/totp.js';
import type { OptionName } from '../../src/config/options.js';
import { freePort } from './ports.js';
import { httpsRequest, startTestServer, type HttpReply, type TestServer } from './server.js';

export const ADMIN_PASSWORD = 'a long console password';
/** Cheap hashing: the tests hash many passwords. */
export const FAST_HASHING = { argon2MemoryKib: 8192, argon2Iterations: 1 } as const;

/** A test server with the console on a free port. */
export async function startConsoleServer(
  overrides: Partial<Record<OptionName, string | number>> = {},
): Promise<TestServer & { adminPort: number }> {
  const ts = await startTestServer({ ...FAST_HASHING, adminPort: await freePort(), ...overrides });
  const adminPort = ts.server.adminPort;
  if (adminPort === null) throw new Error('the console did not start');
  return Object.assign(ts, { adminPort });
}

/** The server's admin kit, as `ssod admins` opens it. */
export function kitOf(ts: TestServer): Promise<AdminKit> {
  const { options, store } = ts.server.services;
  return openAdminKit(options, store);
}

/** Adds an administrator through the core, as `ssod admins add` does. */
export async function addTestAdmin(ts: TestServer, name: string, password = ADMIN_PASSWORD): Promise<SecondFactor> {
  return addAdmin(ts.server.services, await kitOf(ts), { name, password }, 'operator');
}

/** The TOTP code of `secret` for the time step of `at` (ms), as an authenticator app shows it. */
export function totpCode(secret: string, at: number): string {
  return oneTimeCodes.codeAt(secret, Math.floor(at / 1000 / TOTP_PERIOD_S));
}

/** A console's answer. */
export type ConsoleAnswer = HttpReply;

/** A console to send requests to: an in-process server, or a process on a known port. */
export type ConsoleTarget = TestServer | { readonly caPem: string; readonly adminPort: number };

/** One request to the console over a fresh TLS connection (the SOAP helpers' request, to the console's port), trusting the server's CA. */
export function consoleRequest(
  ts: ConsoleTarget,
  path: string,
  request: { method?: string; cookie?: string; form?: Readonly<Record<string, string>>; headers?: Readonly<Record<string, string>> } = {},
): Promise<ConsoleAnswer> {
  const port = 'server' in ts ? ts.server.adminPort : ts.adminPort;
  if (port === null) throw new Error('this server has no admin console');
  return httpsRequest(
    { soapPort: port, caPem: ts.caPem },
    request.form === undefined ? null : new URLSearchParams(request.form).toString(),
    {
      path,
      ...(request.method !== undefined ? { method: request.method } : {}),
      contentType: 'application/x-www-form-urlencoded',
      headers: { ...(request.cookie !== undefined ? { Cookie: `__Host-ssod-admin=${request.cookie}` } : {}), ...request.headers },
    },
  );
}

/** The session secret a successful sign-in set, or null. */
export function sessionCookieOf(answer: ConsoleAnswer): string | null {
  const cookies = answer.headers['set-cookie'] ?? [];
  for (const cookie of cookies) {
    const match = /^__Host-ssod-admin=([A-Za-z0-9_-]{43});/.exec(cookie);
    if (match?.[1] !== undefined) return match[1];
  }
  return null;
}

/** The CSRF token of a page's forms. */
export function csrfOf(answer: ConsoleAnswer): string {
  const token = /name="csrf" value="([^"]+)"/.exec(answer.body)?.[1];
  if (token === undefined) throw new Error('no csrf field on the page');
  return token;
}

/** Signs `name` in over HTTP with the next unused time step's code (the server's clock moves on 30 s); the session cookie and a CSRF token of its pages. */
export async function signInOverHttp(
  ts: TestServer & { adminPort: number },
  name: string,
  secret: string,
): Promise<{ readonly cookie: string; readonly csrf: string; readonly headers: Readonly<Record<string, string>> }> {
  ts.advanceClock(30_000);
  const headers = { Origin: `https://127.0.0.1:${ts.adminPort}`, 'Sec-Fetch-Site': 'same-origin' };
  const answer = await consoleRequest(ts, '/signin', {
    form: { name, password: ADMIN_PASSWORD, code: totpCode(secret, ts.server.services.now()) },
    headers,
  });
  const cookie = sessionCookieOf(answer);
  if (cookie === null) throw new Error(`sign-in refused: ${answer.status}`);
  return { cookie, csrf: csrfOf(await consoleRequest(ts, '/', { cookie })), headers };
}
