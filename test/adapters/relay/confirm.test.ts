// The relay's cookie names and its question before a switch to another user (login CSRF), over
// HTTP and over HTTPS (--relay-tls on). test/e2e drives the same page in Chromium.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { call, registerApp, startTestServer, type TestServer } from '../../helpers/server.js';
import { pairOf, relayRequest, setCookieNamed, type RelayRequest } from './request.js';

const PANEL = 'https://panel.example.com:8443/';
const ALICE = { login: 'alice@example.com', password: 'wonderland' };
// A login with markup in it (logins hold no spaces): the page must show it as text.
const MALLORY = { login: 'mallory<img/src=x>&"q"', password: 'looking-glass' };

const transports = [
  { label: 'HTTP', overrides: {}, secure: false, session: 'sid', pending: 'sid-confirm' },
  { label: 'HTTPS', overrides: { relayTls: 'on' }, secure: true, session: '__Host-sid', pending: '__Host-sid-confirm' },
] as const;

for (const transport of transports) {
  describe(`the relay over ${transport.label}`, () => {
    let ts: TestServer;
    before(async () => {
      ts = await startTestServer({ ...transport.overrides, argon2MemoryKib: 8192, argon2Iterations: 1 });
      const panel = await registerApp(ts, PANEL, 'panel');
      for (const user of [ALICE, MALLORY]) await call(ts, 'createUser', user, { credentials: panel.credentials });
    });
    after(() => ts.close());

    const relay = (request: RelayRequest) => relayRequest(ts.relayPort, { ...request, ...(transport.secure ? { ca: ts.caPem } : {}) });
    const q = (params: Record<string, string>) => `/relay?${new URLSearchParams(params).toString()}`;
    const signIn = async (user: { login: string; password: string }) => {
      const reply = await call(ts, 'authenticate', { ...user, baseUrl: PANEL });
      return { token: reply.field('relayToken') ?? '', sessionId: reply.field('sessionId') ?? '', userId: reply.field('userId') ?? '' };
    };
    /** A browser signed in as alice: her relay cookie as a Cookie header pair. */
    const aliceBrowser = async () =>
      pairOf(setCookieNamed(await relay({ path: q({ token: (await signIn(ALICE)).token, url: PANEL }) }), transport.session));
    /** The user that a relay cookie signs in, through the relay's get-session command. */
    const userOfCookie = async (cookie: string) => {
      const location = (await relay({ path: q({ url: PANEL }), cookie })).headers.location ?? '';
      const ssosid = new URL(location).searchParams.get('ssosid') ?? 'none';
      return ssosid === 'none' ? null : (await call(ts, 'verifySession', { sessionId: ssosid })).field('userId');
    };
    /** alice's browser opens a link with mallory's token: the page, its pending cookie and the code in its form. */
    const attackerLink = async () => {
      const cookie = await aliceBrowser();
      const mallory = await signIn(MALLORY);
      const page = await relay({ path: q({ token: mallory.token, url: `${PANEL}inbox` }), cookie });
      const pending = pairOf(setCookieNamed(page, transport.pending));
      const code = /name="confirm" value="([^"]*)"/.exec(page.body)?.[1] ?? '';
      return { cookie, mallory, page, pending, code };
    };
    const sameOrigin = { 'Sec-Fetch-Site': 'same-origin', Origin: 'null' };
    const answer = (cookie: string, form: Record<string, string>, headers: Record<string, string> = sameOrigin) =>
      relay({ method: 'POST', path: '/relay', cookie, form, headers });

    test(`C23: the relay cookie is ${transport.session}: HttpOnly, SameSite=Lax, Path=/, no Domain${transport.secure ? ', Secure' : ''}`, async () => {
      const reply = await relay({ path: q({ token: (await signIn(ALICE)).token, url: PANEL }) });
      assert.equal(reply.status, 302);
      const setCookie = reply.headers['set-cookie'] ?? [];
      assert.equal(setCookie.length, 1);
      const secure = transport.secure ? '; Secure' : '';
      assert.match(
        setCookie[0] ?? '',
        new RegExp(`^${transport.session}=[A-Za-z0-9_-]{43}; Max-Age=\\d+; Path=/; HttpOnly; SameSite=Lax${secure}$`),
      );
      const value = pairOf(setCookie[0]).slice(transport.session.length + 1);
      assert.equal(await userOfCookie(`${transport.session}=${value}`), (await signIn(ALICE)).userId);
      // Only the cookie of this transport's name is read: over HTTPS a plain `sid` (which any
      // page of a sibling host or plain HTTP could have planted) is not.
      const other = transport.secure ? 'sid' : '__Host-sid';
      assert.equal(await userOfCookie(`${other}=${value}`), null);
    });

    test('F48: a relay token of another user than the live cookie gets a page that asks first; the cookie stays', async () => {
      const { cookie, mallory, page, pending, code } = await attackerLink();
      assert.equal(page.status, 200);
      assert.match(page.headers['content-type'] ?? '', /^text\/html; charset=utf-8$/);
      assert.equal(page.headers['cache-control'], 'no-store');
      assert.equal(page.headers['referrer-policy'], 'no-referrer');
      assert.equal(page.headers['x-frame-options'], 'DENY');
      assert.equal(page.headers['x-content-type-options'], 'nosniff');
      const csp = String(page.headers['content-security-policy'] ?? '');
      assert.match(csp, /(?:^|; )default-src 'none'(?:;|$)/);
      assert.match(csp, /(?:^|; )frame-ancestors 'none'(?:;|$)/);
      assert.doesNotMatch(csp, /unsafe-inline|script-src/);
      assert.equal(page.headers.location, undefined);
      // No new relay cookie: only the pending answer, bound to this browser.
      assert.equal(setCookieNamed(page, transport.session), undefined);
      const secure = transport.secure ? '; Secure' : '';
      assert.match(
        setCookieNamed(page, transport.pending) ?? '',
        new RegExp(`^${transport.pending}=[A-Za-z0-9_-]{43}; Max-Age=\\d+; Path=/; HttpOnly; SameSite=Strict${secure}$`),
      );
      // Both logins, as text; nothing of the request reflected unescaped; no secret in the page.
      assert.ok(page.body.includes('alice@example.com'));
      assert.ok(page.body.includes('mallory&lt;img/src=x&gt;&amp;&quot;q&quot;'), page.body);
      assert.ok(!page.body.includes('<img'), 'the login is not markup');
      assert.ok(!page.body.includes(mallory.token), 'the token is not in the page');
      assert.ok(!page.body.includes(pending.slice(pending.indexOf('=') + 1)), 'the pending value is not in the page');
      assert.match(code, /^[A-Za-z0-9_-]{43}$/);
      assert.equal(await userOfCookie(cookie), (await signIn(ALICE)).userId, 'the browser is still alice');

      // The link is spent: opened again, it sets nothing and asks nothing.
      const again = await relay({ path: q({ token: mallory.token, url: PANEL }), cookie });
      assert.equal(again.status, 302);
      assert.equal(again.headers['set-cookie'], undefined);
    });

    test('F48: "continue" on the page of this browser switches the cookie to the other user, once', async () => {
      const { mallory, pending, code } = await attackerLink();
      const form = { url: `${PANEL}inbox`, confirm: code, choice: 'switch' };
      const reply = await answer(pending, form);
      assert.equal(reply.status, 302);
      assert.equal(reply.headers.location, `${PANEL}inbox`);
      assert.equal(reply.headers['cache-control'], 'no-store');
      const switched = pairOf(setCookieNamed(reply, transport.session));
      assert.equal(await userOfCookie(switched), mallory.userId);
      assert.match(setCookieNamed(reply, transport.pending) ?? '', /Max-Age=0;/, 'the pending answer is cleared');
      // The same answer sent again is refused and changes nothing.
      const replay = await answer(pending, form);
      assert.equal(replay.status, 403);
      assert.equal(setCookieNamed(replay, transport.session), undefined);
      assert.equal(await userOfCookie(switched), mallory.userId);
    });

    test('F48: "stay" keeps the cookie and ends the session the token started', async () => {
      const { cookie, mallory, pending, code } = await attackerLink();
      const reply = await answer(pending, { url: PANEL, confirm: code, choice: 'stay' });
      assert.equal(reply.status, 302);
      assert.equal(reply.headers.location, PANEL);
      assert.equal(setCookieNamed(reply, transport.session), undefined);
      assert.equal(await userOfCookie(cookie), (await signIn(ALICE)).userId);
      assert.equal((await call(ts, 'verifySession', { sessionId: mallory.sessionId })).fault, 'noSuchSession');
      assert.equal((await answer(pending, { url: PANEL, confirm: code, choice: 'switch' })).status, 403, 'nothing left to switch to');
    });

    test('F48: an answer forged elsewhere is refused: no pending cookie, a wrong code, another site, a foreign url', async () => {
      const { cookie, mallory, pending, code } = await attackerLink();
      const form = { url: PANEL, confirm: code, choice: 'switch' };
      const forged: [string, Promise<Awaited<ReturnType<typeof answer>>>][] = [
        ['without the pending cookie', answer(cookie, form)],
        ['with a wrong code', answer(pending, { ...form, confirm: 'A'.repeat(43) })],
        ['from another site (Fetch Metadata)', answer(pending, form, { 'Sec-Fetch-Site': 'cross-site', Origin: 'https://evil.example' })],
        ['from another origin', answer(pending, form, { Origin: 'https://evil.example' })],
      ];
      for (const [what, pendingReply] of forged) {
        const reply = await pendingReply;
        assert.equal(reply.status, 403, what);
        assert.equal(setCookieNamed(reply, transport.session), undefined, what);
      }
      const foreign = await answer(pending, { ...form, url: 'https://evil.example/' });
      assert.equal(foreign.status, 400);
      assert.equal(foreign.headers.location, undefined);
      const notForm = await relay({
        method: 'POST',
        path: '/relay',
        cookie: pending,
        headers: { ...sameOrigin, 'Content-Type': 'text/plain' },
      });
      assert.equal(notForm.status, 415);
      assert.equal(await userOfCookie(cookie), (await signIn(ALICE)).userId, 'still alice');
      // None of them used the question up: the person's own answer still works.
      assert.equal(await userOfCookie(pairOf(setCookieNamed(await answer(pending, form), transport.session))), mallory.userId);
    });

    test('F48: a token of the same user as the live cookie goes through silently, as before', async () => {
      const cookie = await aliceBrowser();
      const reply = await relay({ path: q({ token: (await signIn(ALICE)).token, url: PANEL }), cookie });
      assert.equal(reply.status, 302);
      assert.equal(reply.headers.location, PANEL);
      const renewed = pairOf(setCookieNamed(reply, transport.session));
      assert.notEqual(renewed, cookie);
      assert.equal(setCookieNamed(reply, transport.pending), undefined);
      assert.equal(await userOfCookie(renewed), (await signIn(ALICE)).userId);
    });
  });
}
