// The admin console over its own HTTPS listener (docs/admin-console.md): the headers of every
// answer, a page without a session, sign-in with its cookie, CSRF refusals (no token, a wrong one,
// another origin, another site), a session used after sign-out, the console's paths absent from the
// SOAP and relay listeners, and the warning of a non-loopback bind.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  ADMIN_PASSWORD,
  FAST_HASHING,
  addTestAdmin,
  consoleRequest,
  csrfOf,
  sessionCookieOf,
  startConsoleServer,
  totpCode,
  type ConsoleAnswer,
} from '../../helpers/adminConsole.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { openTestCa } from '../../helpers/testCa.js';

const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

describe('the admin console listener', () => {
  let ts: TestServer & { adminPort: number };
  let secret: string;
  const signIns: string[] = [];

  before(async () => {
    ts = await startConsoleServer();
    ({ secret } = await addTestAdmin(ts, 'root'));
  });
  after(() => ts.close());

  /** Signs in over HTTP with the next unused time step's code; the session cookie. */
  async function signIn(): Promise<string> {
    ts.advanceClock(30_000);
    const code = totpCode(secret, ts.server.services.now());
    const answer = await consoleRequest(ts, '/signin', {
      form: { name: 'root', password: ADMIN_PASSWORD, code },
      headers: { Origin: `https://127.0.0.1:${ts.adminPort}`, 'Sec-Fetch-Site': 'same-origin' },
    });
    assert.equal(answer.status, 303);
    assert.equal(answer.headers.location, '/');
    const cookie = sessionCookieOf(answer);
    assert.ok(cookie !== null);
    signIns.push(cookie);
    return cookie;
  }

  function assertConsoleHeaders(answer: ConsoleAnswer): void {
    assert.equal(answer.headers['content-security-policy'], CSP);
    assert.equal(answer.headers['x-content-type-options'], 'nosniff');
    assert.equal(answer.headers['referrer-policy'], 'no-referrer');
    assert.equal(answer.headers['cache-control'], 'no-store');
    assert.equal(answer.headers['x-frame-options'], 'DENY');
  }

  test('every answer carries the strict headers: the sign-in page, the style sheet, a redirect, a refusal', async () => {
    for (const answer of [
      await consoleRequest(ts, '/signin'),
      await consoleRequest(ts, '/static/console.css'),
      await consoleRequest(ts, '/static/console.js'),
      await consoleRequest(ts, '/'),
      await consoleRequest(ts, '/', { form: {} }),
    ]) {
      assertConsoleHeaders(answer);
    }
    const page = await consoleRequest(ts, '/signin');
    assert.equal(page.status, 200);
    assert.doesNotMatch(
      page.body.replace('<script src="/static/console.js" defer></script>', ''),
      /<script|style=/,
      'no inline script or style',
    );
    const script = await consoleRequest(ts, '/static/console.js');
    assert.equal(script.status, 200);
    assert.equal(script.headers['content-type'], 'text/javascript; charset=utf-8');
    assertConsoleHeaders(script);
    for (const field of ['name', 'password', 'code']) assert.match(page.body, new RegExp(`<label for="${field}">`));
  });

  test('I59: a console request without a session: GET goes to /signin, POST is refused', async () => {
    const get = await consoleRequest(ts, '/');
    assert.equal(get.status, 303);
    assert.equal(get.headers.location, '/signin');
    assert.equal((await consoleRequest(ts, '/signout', { form: { csrf: 'x' } })).status, 403);
    assert.equal((await consoleRequest(ts, '/', { cookie: 'A'.repeat(43) })).status, 303, 'an unknown cookie is no session');
  });

  test('sign-in sets a __Host- cookie (Secure, HttpOnly, SameSite=Strict, Path=/); the overview shows the store figures', async () => {
    ts.advanceClock(30_000);
    const answer = await consoleRequest(ts, '/signin', {
      form: { name: 'root', password: ADMIN_PASSWORD, code: totpCode(secret, ts.server.services.now()) },
    });
    const [cookie] = answer.headers['set-cookie'] ?? [];
    assert.match(cookie ?? '', /^__Host-ssod-admin=[A-Za-z0-9_-]{43}; Path=\/; Secure; HttpOnly; SameSite=Strict$/);
    const overview = await consoleRequest(ts, '/', { cookie: sessionCookieOf(answer) ?? '' });
    assert.equal(overview.status, 200);
    assertConsoleHeaders(overview);
    assert.match(overview.body, /Signed in as <strong>root<\/strong>/);
    for (const figure of ['Live sessions', 'Sign-ins in the last hour', 'Locked now', 'Store \\(sqlite\\)', 'Healthy']) {
      assert.match(overview.body, new RegExp(figure));
    }
  });

  test("I58: CSRF: a POST without the token, with another session's, from another origin or another site is refused with 403; nothing ends", async () => {
    const cookie = await signIn();
    const otherCsrf = csrfOf(await consoleRequest(ts, '/', { cookie: await signIn() }));
    const csrf = csrfOf(await consoleRequest(ts, '/', { cookie }));
    const refusals: [string, Record<string, string>, Record<string, string>][] = [
      ['no token', {}, {}],
      ["another session's token", { csrf: otherCsrf }, {}],
      ['another origin (the relay on the same host)', { csrf }, { Origin: `http://127.0.0.1:${ts.relayPort}` }],
      ['another site', { csrf }, { 'Sec-Fetch-Site': 'cross-site' }],
      ['a sibling of the same site', { csrf }, { 'Sec-Fetch-Site': 'same-site' }],
      ['Origin null without Sec-Fetch-Site', { csrf }, { Origin: 'null' }],
      ['Origin null from another site', { csrf }, { Origin: 'null', 'Sec-Fetch-Site': 'cross-site' }],
    ];
    for (const [why, form, headers] of refusals) {
      const answer = await consoleRequest(ts, '/signout', { cookie, form, headers });
      assert.equal(answer.status, 403, why);
      assertConsoleHeaders(answer);
    }
    assert.equal((await consoleRequest(ts, '/', { cookie })).status, 200, 'the session goes on');
    const crossSiteSignIn = await consoleRequest(ts, '/signin', {
      form: { name: 'root', password: ADMIN_PASSWORD, code: '000000' },
      headers: { Origin: 'https://evil.example' },
    });
    assert.equal(crossSiteSignIn.status, 403, 'login CSRF: a sign-in posted from another site');
  });

  test('I59: sign-out ends the session in the store: the cookie used again gets /signin, and a POST with it 403', async () => {
    const cookie = await signIn();
    const csrf = csrfOf(await consoleRequest(ts, '/', { cookie }));
    const out = await consoleRequest(ts, '/signout', {
      cookie,
      form: { csrf },
      headers: { Origin: `https://127.0.0.1:${ts.adminPort}`, 'Sec-Fetch-Site': 'same-origin' },
    });
    assert.equal(out.status, 303);
    assert.equal(out.headers.location, '/signin');
    assert.match((out.headers['set-cookie'] ?? [])[0] ?? '', /Max-Age=0/);
    const again = await consoleRequest(ts, '/', { cookie });
    assert.equal(again.status, 303);
    assert.equal(again.headers.location, '/signin');
    assert.equal((await consoleRequest(ts, '/signout', { cookie, form: { csrf } })).status, 403);
  });

  test("the SOAP and relay listeners serve none of the console's paths", async () => {
    const relay = await new Promise<number>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port: ts.relayPort, path: '/signin' }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
        .on('error', reject);
    });
    assert.equal(relay, 404);
    const soap = await new Promise<number>((resolve, reject) => {
      https
        .get({ host: '127.0.0.1', port: ts.soapPort, path: '/static/console.css', ca: ts.caPem }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
        .on('error', reject);
    });
    assert.equal(soap, 404);
  });

  test("the sign-in page speaks the browser's language (German, French), English otherwise", async () => {
    const page = (language: string) => consoleRequest(ts, '/signin', { headers: { 'Accept-Language': language } });
    assert.match((await page('de-CH, en;q=0.5')).body, /<html lang="de">[\s\S]*Passwort/);
    assert.match((await page('fr')).body, /<html lang="fr">[\s\S]*Mot de passe/);
    assert.match((await page('ja')).body, /<html lang="en">[\s\S]*Password/);
  });
});

describe("the admin console with the operator's certificate", () => {
  test('--admin-cert-file and --admin-key-file: the console presents that certificate; one without the other is refused', async () => {
    const ca = await openTestCa();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ssod-console-cert-'));
    const [certFile, keyFile] = [path.join(dir, 'console.crt'), path.join(dir, 'console.key')];
    writeFileSync(certFile, ca.server.cert);
    writeFileSync(keyFile, ca.server.key, { mode: 0o600 });
    try {
      const ts = await startConsoleServer({ adminCertFile: certFile, adminKeyFile: keyFile });
      try {
        const page = await consoleRequest({ caPem: ca.caPem, adminPort: ts.adminPort }, '/signin');
        assert.equal(page.status, 200, "the console is reached trusting the operator's CA, not ssod's");
        await assert.rejects(consoleRequest(ts, '/signin'), /certificate/, "ssod's CA does not vouch for it");
      } finally {
        await ts.close();
      }
      await assert.rejects(startConsoleServer({ adminCertFile: certFile }), /--admin-cert-file and --admin-key-file go together/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the admin console on a non-loopback address', () => {
  test('starts when the operator gives the address, with a warning in the log', async () => {
    const ts = await startConsoleServer({ adminBind: '0.0.0.0' });
    try {
      const warning = ts.logRecords().find((record) => record.level === 'warn' && String(record.msg).includes('admin console'));
      assert.ok(warning !== undefined);
      assert.equal(warning.adminBind, '0.0.0.0');
      assert.equal((await consoleRequest(ts, '/signin')).status, 200);
    } finally {
      await ts.close();
    }
  });

  test('is off without --admin-port', async () => {
    const ts = await startTestServer(FAST_HASHING);
    try {
      assert.equal(ts.server.adminPort, null);
    } finally {
      await ts.close();
    }
  });
});
