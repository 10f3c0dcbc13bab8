// ssod's own sign-in page and the pages of the relay listener (docs/sign-in-page.md), spoken to as a
// browser would, without one: the form and its headers, the double submit that binds it to this
// browser, the generic answer to every failure and the audit it leaves, the session it starts, the
// languages, the pass-through pages, and the relay's refusals in the same page kit. test/e2e drives
// the same pages in Chromium.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { call, registerApp, startTestServer, type HttpReply, type RegisteredApp, type TestServer } from '../../helpers/server.js';
import { pairOf, relayRequest, setCookieNamed, type RelayRequest } from './request.js';

const PANEL = 'https://panel.example.com:8443/';
const BILLING = 'https://billing.example.com:443/';
const ALICE = { login: 'alice@example.com', password: 'wonderland' };
const MAX_LOGIN_FAILURES = 3;
const sameOrigin = { 'Sec-Fetch-Site': 'same-origin', Origin: 'null' };

const loginPath = (url: string) => `/login?${new URLSearchParams({ url }).toString()}`;

/** The value of a hidden field of the form. */
function hidden(body: string, name: string): string {
  return new RegExp(`name="${name}" value="([^"]*)"`).exec(body)?.[1] ?? '';
}

/** The CSP's directives by name. */
function cspOf(reply: HttpReply): Map<string, string> {
  const csp = String(reply.headers['content-security-policy'] ?? '');
  return new Map(csp.split(';').map((directive) => directive.trim().split(/\s+(.*)/s, 2) as [string, string]));
}

/** What every page of the relay listener carries (the page kit). */
function assertPageHeaders(reply: HttpReply, language = 'en'): void {
  assert.match(reply.headers['content-type'] ?? '', /^text\/html; charset=utf-8$/);
  assert.equal(reply.headers['cache-control'], 'no-store');
  assert.equal(reply.headers['referrer-policy'], 'no-referrer');
  assert.equal(reply.headers['x-frame-options'], 'DENY');
  assert.equal(reply.headers['x-content-type-options'], 'nosniff');
  assert.equal(reply.headers['content-language'], language);
  const csp = cspOf(reply);
  assert.equal(csp.get('default-src'), "'none'");
  assert.equal(csp.get('frame-ancestors'), "'none'");
  assert.equal(csp.get('base-uri'), "'none'");
  assert.match(csp.get('form-action') ?? '', /^'self'(?: https?:\/\/[^\s;]+)?$/);
  assert.doesNotMatch(String(reply.headers['content-security-policy']), /unsafe-inline|script-src/);
  // The one inline style is the one the policy allows by its hash.
  const style = /<style>([\s\S]*?)<\/style>/.exec(reply.body)?.[1] ?? '';
  assert.equal(csp.get('style-src'), `'sha256-${createHash('sha256').update(style).digest('base64')}'`);
  assert.match(reply.body, new RegExp(`^<!doctype html>\\n<html lang="${language}">`));
  assert.doesNotMatch(reply.body, /<script/i);
}

describe('the sign-in page', () => {
  let ts: TestServer;
  let panel: RegisteredApp;
  let aliceId: string;
  before(async () => {
    ts = await startTestServer({ argon2MemoryKib: 8192, argon2Iterations: 1, maxLoginFailures: MAX_LOGIN_FAILURES });
    panel = await registerApp(ts, PANEL, 'panel');
    await registerApp(ts, BILLING, 'billing');
    aliceId = (await call(ts, 'createUser', ALICE, { credentials: panel.credentials })).field('userId') ?? '';
  });
  after(() => ts.close());

  const request = (r: RelayRequest) => relayRequest(ts.relayPort, r);
  /** A browser that opened the form for `url`: its cookie and the form's fields. */
  const openForm = async (url = `${PANEL}inbox?x=1`, headers: Record<string, string> = {}) => {
    const page = await request({ path: loginPath(url), headers });
    return { page, cookie: pairOf(setCookieNamed(page, 'ssod-login')), csrf: hidden(page.body, 'csrf'), url };
  };
  const post = (cookie: string, form: Record<string, string>, headers: Record<string, string> = sameOrigin) =>
    request({ method: 'POST', path: '/login', cookie, form, headers });
  const signInAs = async (login: string, password: string) => {
    const { cookie, csrf, url } = await openForm();
    return post(cookie, { login, password, url, csrf });
  };
  const failuresOf = async (target: string) => ts.server.services.store.queryAudit({ type: 'authentication.failed', target, limit: 100 });

  test('G54: GET shows the form: the page kit headers, a form cookie bound to this browser, labelled fields', async () => {
    const { page, cookie, csrf } = await openForm();
    assert.equal(page.status, 200);
    assertPageHeaders(page);
    assert.equal(cspOf(page).get('form-action'), "'self' https://panel.example.com:8443", 'the form redirects on to the application');
    assert.match(
      setCookieNamed(page, 'ssod-login') ?? '',
      /^ssod-login=[A-Za-z0-9_-]{43}; Max-Age=\d+; Path=\/; HttpOnly; SameSite=Strict$/,
    );
    assert.equal(setCookieNamed(page, 'sid'), undefined);
    // The form carries a code derived from the cookie, never the cookie's value.
    assert.match(csrf, /^[A-Za-z0-9_-]{43}$/);
    assert.ok(!page.body.includes(cookie.slice('ssod-login='.length)));
    assert.equal(hidden(page.body, 'url'), `${PANEL}inbox?x=1`);
    assert.match(page.body, /<form method="post" action="login"/);
    assert.match(page.body, /<label for="login">Login<\/label>\n<input id="login" name="login" value="" autocomplete="username"/);
    assert.match(
      page.body,
      /<label for="password">Password<\/label>\n<input id="password" name="password" type="password" autocomplete="current-password"/,
    );
    assert.equal(page.body.match(/ autofocus/g)?.length, 1);
    assert.match(page.body, /id="login"[^>]* autofocus/);
    assert.match(page.body, /<title>Sign in<\/title>/);
    assert.match(page.body, /You then continue to <bdi>panel\.example\.com:8443<\/bdi>\./);
    assert.doesNotMatch(page.body, /role="alert"|Other ways to sign in/, 'no error, and no identity providers configured');
  });

  test('HEAD answers as GET without a body', async () => {
    const reply = await request({ method: 'HEAD', path: loginPath(PANEL) });
    assert.equal(reply.status, 200);
    assert.ok(Number(reply.headers['content-length']) > 0);
    assert.equal(reply.body, '');
  });

  test('G51: a url that is not an address of a registered application, or none, or two: a 400 page and no cookie', async () => {
    for (const path of [
      loginPath('https://evil.example/'),
      loginPath('javascript:alert(1)//panel.example.com:8443/'),
      '/login',
      `/login?url=${encodeURIComponent(PANEL)}&url=${encodeURIComponent(BILLING)}`,
    ]) {
      const reply = await request({ path });
      assert.equal(reply.status, 400, path);
      assertPageHeaders(reply);
      assert.equal(reply.headers['set-cookie'], undefined, path);
      assert.equal(reply.headers.location, undefined, path);
      assert.doesNotMatch(reply.body, /<form/);
      assert.doesNotMatch(reply.body, /<a href/, 'no way back to an address that is not a registered application');
    }
  });

  test('the right password: the relay cookie, then back to the page with an ssosid the application verifies', async () => {
    const { cookie, csrf, url } = await openForm();
    const reply = await post(cookie, { login: ALICE.login, password: ALICE.password, url, csrf });
    assert.equal(reply.status, 302);
    assert.equal(reply.headers['cache-control'], 'no-store');
    const location = new URL(reply.headers.location ?? '');
    assert.equal(`${location.origin}${location.pathname}`, 'https://panel.example.com:8443/inbox');
    assert.equal(location.searchParams.get('x'), '1');
    const ssosid = location.searchParams.get('ssosid') ?? '';
    assert.ok(ssosid.startsWith(PANEL), ssosid);
    // verifySession by the application itself, with its certificate (case F37: only its own sessions).
    assert.equal((await call(ts, 'verifySession', { sessionId: ssosid }, { credentials: panel.credentials })).field('userId'), aliceId);
    assert.match(setCookieNamed(reply, 'sid') ?? '', /^sid=[A-Za-z0-9_-]{43}; Max-Age=\d+; Path=\/; HttpOnly; SameSite=Lax$/);
    assert.match(setCookieNamed(reply, 'ssod-login') ?? '', /^ssod-login=; Max-Age=0;/, 'the form cookie is cleared');
    // The relay cookie is the relay's: another application gets its own session of the same user.
    const sid = pairOf(setCookieNamed(reply, 'sid'));
    const forBilling = await request({ path: `/relay?${new URLSearchParams({ url: BILLING }).toString()}`, cookie: sid });
    const billingSession = new URL(forBilling.headers.location ?? '').searchParams.get('ssosid') ?? '';
    assert.ok(billingSession.startsWith(BILLING), billingSession);
    assert.equal((await call(ts, 'verifySession', { sessionId: billingSession })).field('userId'), aliceId);
    // The trail says who signed in and from where.
    const [succeeded] = await ts.server.services.store.queryAudit({
      type: 'authentication.succeeded',
      target: `user:${aliceId}`,
      limit: 1,
    });
    assert.equal(succeeded?.actor, 'guest');
    assert.equal(succeeded.detail.address, '127.0.0.1');
    assert.equal(succeeded.detail.method, 'password');
  });

  test('a browser that is signed in already skips the form: straight back with its ssosid', async () => {
    const sid = pairOf(setCookieNamed(await signInAs(ALICE.login, ALICE.password), 'sid'));
    const reply = await request({ path: loginPath(`${BILLING}account`), cookie: sid });
    assert.equal(reply.status, 302);
    const ssosid = new URL(reply.headers.location ?? '').searchParams.get('ssosid') ?? '';
    assert.ok(ssosid.startsWith(BILLING), ssosid);
    assert.equal((await call(ts, 'verifySession', { sessionId: ssosid })).field('userId'), aliceId);
    assert.equal(reply.headers['set-cookie'], undefined);
    // A cookie of no live session shows the form.
    assert.equal((await request({ path: loginPath(PANEL), cookie: `sid=${'A'.repeat(43)}` })).status, 200);
  });

  test('a wrong password and an unknown login get the same page: one generic message, the login kept, the password focused', async () => {
    const wrong = await signInAs(ALICE.login, 'not her password');
    const unknown = await signInAs('nobody@example.com', 'whatever');
    for (const reply of [wrong, unknown]) {
      assert.equal(reply.status, 200);
      assertPageHeaders(reply);
      assert.equal(setCookieNamed(reply, 'sid'), undefined);
      assert.match(reply.body, /<p id="sign-in-error" class="error" role="alert">The login or password is not right\.<\/p>/);
      assert.match(reply.body, /id="password"[^>]* aria-invalid="true" aria-describedby="sign-in-error" autofocus>/);
      assert.equal(reply.body.match(/ autofocus/g)?.length, 1);
      assert.match(hidden(reply.body, 'csrf'), /^[A-Za-z0-9_-]{43}$/, 'the form can be sent again');
    }
    assert.match(wrong.body, /id="login" name="login" value="alice@example\.com"/);
    const withoutLogin = (body: string) => body.replace(/name="login" value="[^"]*"/, '').replace(/name="csrf" value="[^"]*"/, '');
    assert.equal(withoutLogin(wrong.body), withoutLogin(unknown.body), 'nothing tells the two apart');
    // Both are in the audit trail, with the address of the browser.
    const [failed] = await failuresOf(`user:${aliceId}`);
    assert.equal(failed?.outcome, 'wrongPassword');
    assert.equal(failed.actor, 'guest');
    assert.equal(failed.detail.address, '127.0.0.1');
    assert.equal((await failuresOf('login:nobody@example.com'))[0]?.outcome, 'unknownUser');
    await signInAs(ALICE.login, ALICE.password); // the count of alice starts over
  });

  test('G54: the login is echoed as text: markup in it is escaped', async () => {
    const reply = await signInAs('<script>alert(1)</script>"><img src=x>', 'x');
    assert.equal(reply.status, 200);
    assert.ok(reply.body.includes('value="&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img src=x&gt;"'), reply.body);
    assert.doesNotMatch(reply.body, /<script|<img/);
  });

  test('an empty login or password is not a guess: the form again, nothing counted', async () => {
    const before = (await failuresOf(`user:${aliceId}`)).length;
    const reply = await signInAs(ALICE.login, '');
    assert.equal(reply.status, 200);
    assert.match(reply.body, /role="alert"/);
    assert.equal((await failuresOf(`user:${aliceId}`)).length, before);
  });

  test('G50: login CSRF: no form cookie, a code of another browser, or a post from another site: 403 and a way back to the form', async () => {
    const mine = await openForm();
    const theirs = await openForm();
    const form = { login: ALICE.login, password: ALICE.password, url: mine.url, csrf: mine.csrf };
    const refused: [string, Promise<HttpReply>][] = [
      ['without the form cookie', post('', form)],
      ["with another browser's cookie", post(theirs.cookie, form)],
      ['with a forged code', post(mine.cookie, { ...form, csrf: 'A'.repeat(43) })],
      ['without a code', post(mine.cookie, { login: ALICE.login, password: ALICE.password, url: mine.url, csrf: '' })],
      ['from another site (Fetch Metadata)', post(mine.cookie, form, { 'Sec-Fetch-Site': 'cross-site', Origin: 'https://evil.example' })],
      ['from another origin', post(mine.cookie, form, { Origin: 'https://evil.example' })],
    ];
    for (const [what, pending] of refused) {
      const reply = await pending;
      assert.equal(reply.status, 403, what);
      assertPageHeaders(reply);
      assert.equal(setCookieNamed(reply, 'sid'), undefined, what);
      assert.match(reply.body, /<h1>The form has expired<\/h1>\n<p>The form expired, please try again\.<\/p>/, what);
      const again = `login?${new URLSearchParams({ url: mine.url }).toString()}`;
      assert.ok(reply.body.includes(`<a href="${again}">Back to the sign-in form</a>`), reply.body);
    }
    // The person's own form still works.
    assert.equal((await post(mine.cookie, form)).status, 302);
  });

  test('a post that is not the form: 415 for another type, 413 over 8 KiB, 400 for missing fields or an unregistered url', async () => {
    const { cookie, csrf, url } = await openForm();
    const asText = await request({ method: 'POST', path: '/login', cookie, headers: { ...sameOrigin, 'Content-Type': 'text/plain' } });
    assert.equal(asText.status, 415);
    assertPageHeaders(asText);
    const big = await post(cookie, { login: ALICE.login, password: 'x'.repeat(9000), url, csrf });
    assert.equal(big.status, 413);
    assert.equal((await post(cookie, { login: ALICE.login, url, csrf })).status, 400);
    assert.equal((await post(cookie, { login: ALICE.login, password: ALICE.password, url: 'https://evil.example/', csrf })).status, 400);
  });

  test('F43: a form whose fields are not UTF-8, raw or percent-encoded, is a 400 page, never the password it would decode to', async () => {
    // The password that Latin-1 bytes would become with replacement characters: "p", U+FFFD, "ss".
    await call(ts, 'createUser', { login: 'latin1', password: 'p\uFFFDss' }, { credentials: panel.credentials });
    const { cookie, csrf, url } = await openForm();
    const fields = (password: string): string =>
      ['login=latin1', `password=${password}`, `url=${encodeURIComponent(url)}`, `csrf=${csrf}`].join('&');
    const postRaw = (body: Buffer) =>
      request({
        method: 'POST',
        path: '/login',
        cookie,
        headers: sameOrigin,
        body: { text: body, contentType: 'application/x-www-form-urlencoded' },
      });
    const before = (await failuresOf('login:latin1')).length;
    const refused: [string, Promise<HttpReply>][] = [
      ['percent-encoded Latin-1 (ä)', postRaw(Buffer.from(fields('p%E4ss')))],
      ['percent-encoded Latin-1 (ö)', postRaw(Buffer.from(fields('p%F6ss')))],
      ['a percent-encoded surrogate', postRaw(Buffer.from(fields('p%ED%A0%80ss')))],
      ['a raw Latin-1 byte', postRaw(Buffer.concat([Buffer.from(fields('p')), Buffer.from([0xe4]), Buffer.from('ss')]))],
    ];
    for (const [what, pending] of refused) {
      const reply = await pending;
      assert.equal(reply.status, 400, what);
      assertPageHeaders(reply);
      assert.match(reply.body, /<h1>This form cannot be read<\/h1>\n<p>The form was not sent as UTF-8 text\./, what);
      assert.equal(setCookieNamed(reply, 'sid'), undefined, what);
    }
    assert.equal((await failuresOf('login:latin1')).length, before, 'nothing was checked or counted');
    assert.equal((await ts.server.services.store.getThrottles(['login:latin1']))[0], undefined);
    // The same password sent as UTF-8 signs in; a '%' that starts no escape stays as it is, as in any form.
    assert.equal((await postRaw(Buffer.from(fields('p%EF%BF%BDss')))).status, 302);
    const percent = await openForm();
    await call(ts, 'createUser', { login: 'percent', password: '100%+sure' }, { credentials: panel.credentials });
    const plain = `login=percent&password=100%+sure&url=${encodeURIComponent(percent.url)}&csrf=${percent.csrf}`;
    const reply = await request({
      method: 'POST',
      path: '/login',
      cookie: percent.cookie,
      headers: sameOrigin,
      body: { text: plain, contentType: 'application/x-www-form-urlencoded' },
    });
    assert.equal(reply.status, 200, 'read as "100% sure" (a + is a space), which is not the password');
    assert.equal(
      (await post(percent.cookie, { login: 'percent', password: '100%+sure', url: percent.url, csrf: percent.csrf })).status,
      302,
    );
  });

  test('throttling applies: after maxLoginFailures wrong passwords the right one is refused too, with the same page', async () => {
    await call(ts, 'createUser', { login: 'bob', password: 'right-password' }, { credentials: panel.credentials });
    for (let i = 0; i < MAX_LOGIN_FAILURES; i += 1) assert.equal((await signInAs('bob', `wrong-${i}`)).status, 200);
    const locked = await signInAs('bob', 'right-password');
    assert.equal(locked.status, 200);
    assert.equal(setCookieNamed(locked, 'sid'), undefined);
    assert.match(locked.body, /The login or password is not right\./);
    const lock = (await ts.server.services.store.getThrottles(['login:bob']))[0]?.lockedUntil ?? null;
    assert.ok(lock !== null, 'the login is locked');
    ts.advanceClock(lock - ts.server.services.now() + 1000);
    assert.equal((await signInAs('bob', 'right-password')).status, 302, 'after the lock the right password works');
  });

  test('Accept-Language picks English, German or French by weight; the page and its lang follow', async () => {
    const cases: [string | undefined, string, string][] = [
      [undefined, 'en', 'Sign in'],
      ['de-DE,de;q=0.9,en;q=0.8', 'de', 'Anmelden'],
      ['fr-CH, fr;q=0.9', 'fr', 'Connexion'],
      ['de;q=0, fr;q=0.5', 'fr', 'Connexion'],
      ['ja, zh;q=0.9', 'en', 'Sign in'],
      ['en;q=0.1, de;q=0.2', 'de', 'Anmelden'],
      ['*', 'en', 'Sign in'],
      [';;;,,,q=2, de;q=abc, ===', 'en', 'Sign in'],
    ];
    for (const [header, language, title] of cases) {
      const { page } = await openForm(PANEL, header === undefined ? {} : { 'Accept-Language': header });
      assert.equal(page.status, 200, header);
      assertPageHeaders(page, language);
      assert.ok(page.body.includes(`<title>${title}</title>`), `${header ?? '(none)'}: ${page.body}`);
    }
    const form = await openForm(PANEL, { 'Accept-Language': 'de' });
    const german = await post(
      form.cookie,
      { login: ALICE.login, password: 'nope', url: form.url, csrf: form.csrf },
      { ...sameOrigin, 'Accept-Language': 'de' },
    );
    assert.match(german.body, /Anmeldename oder Passwort ist nicht richtig\./);
  });

  test('G54: a huge Accept-Language header does not crash the listener: refused whole, or read only in part', async () => {
    const huge = `${'x-garbage;q=0.5, '.repeat(60_000)}de`; // about 1 MB
    const refused = await request({ path: loginPath(PANEL), headers: { 'Accept-Language': huge } }).catch(() => null);
    assert.ok(refused === null || refused.status === 431, `status ${refused?.status}`);
    const long = `${'x-garbage;q=0.5, '.repeat(500)}de`; // within the header limit
    const read = await request({ path: loginPath(PANEL), headers: { 'Accept-Language': long } });
    assert.equal(read.status, 200);
    assert.equal(read.headers['content-language'], 'en', 'only the start of the header is read');
    assert.equal((await request({ path: '/livez' })).status, 200);
  });
});

describe('the pass-through pages and the relay refusals in the page kit', () => {
  let ts: TestServer;
  before(async () => {
    ts = await startTestServer();
    await registerApp(ts, PANEL, 'panel');
  });
  after(() => ts.close());
  const request = (r: RelayRequest) => relayRequest(ts.relayPort, r);

  test('/signed-in says so, with "Continue" only to an address of a registered application', async () => {
    const plain = await request({ path: '/signed-in' });
    assert.equal(plain.status, 200);
    assertPageHeaders(plain);
    assert.match(plain.body, /<h1>You are signed in<\/h1>/);
    assert.doesNotMatch(plain.body, /<a /);
    const onward = await request({ path: `/signed-in?${new URLSearchParams({ url: `${PANEL}home?a=1&b=2` }).toString()}` });
    assert.ok(onward.body.includes('<a href="https://panel.example.com:8443/home?a=1&amp;b=2">Continue</a>'), onward.body);
    const elsewhere = await request({ path: `/signed-in?${new URLSearchParams({ url: 'https://evil.example/' }).toString()}` });
    assert.equal(elsewhere.status, 200);
    assert.doesNotMatch(elsewhere.body, /<a |evil/);
    const german = await request({ path: '/signed-in', headers: { 'Accept-Language': 'de' } });
    assert.match(german.body, /<h1>Sie sind angemeldet<\/h1>/);
  });

  test('/sign-in-failed words each reason; an unknown one reads as failed', async () => {
    const expected: [string, string][] = [
      ['failed', 'Sign-in did not succeed'],
      ['unavailable', 'Sign-in is unavailable'],
      ['notAllowed', 'Sign-in is not allowed'],
      ['<script>', 'Sign-in did not succeed'],
      ['', 'Sign-in did not succeed'],
    ];
    for (const [reason, title] of expected) {
      const reply = await request({ path: `/sign-in-failed?${new URLSearchParams({ reason }).toString()}` });
      assert.equal(reply.status, 200, reason);
      assertPageHeaders(reply);
      assert.ok(reply.body.includes(`<h1>${title}</h1>`), reply.body);
      assert.doesNotMatch(reply.body, /<script>/);
    }
    const back = await request({ path: `/sign-in-failed?${new URLSearchParams({ reason: 'notAllowed', url: `${PANEL}x` }).toString()}` });
    assert.ok(back.body.includes('<a href="https://panel.example.com:8443/">Back to <bdi>panel.example.com:8443</bdi></a>'), back.body);
    const french = await request({ path: '/sign-in-failed?reason=unavailable', headers: { 'Accept-Language': 'fr' } });
    assert.match(french.body, /<h1>Connexion indisponible<\/h1>/);
  });

  test("the relay's refusals are pages of the kit, in the person's language", async () => {
    const unregistered = await request({ path: `/relay?${new URLSearchParams({ url: 'https://evil.example/' }).toString()}` });
    assert.equal(unregistered.status, 400);
    assertPageHeaders(unregistered);
    assert.match(unregistered.body, /<h1>This link does not work<\/h1>/);
    const german = await request({ path: '/relay?token=abc', headers: { 'Accept-Language': 'de-AT' } });
    assert.equal(german.status, 400);
    assertPageHeaders(german, 'de');
    assert.match(german.body, /Der Anmeldelink ist unvollständig oder beschädigt\./);
    const notForm = await request({ method: 'POST', path: '/relay', headers: { ...sameOrigin, 'Content-Type': 'text/plain' } });
    assert.equal(notForm.status, 415);
    assertPageHeaders(notForm);
  });
});

describe('the sign-in page over HTTPS (--relay-tls on)', () => {
  let ts: TestServer;
  before(async () => {
    ts = await startTestServer({ relayTls: 'on', argon2MemoryKib: 8192, argon2Iterations: 1 });
    const panel = await registerApp(ts, PANEL, 'panel');
    await call(ts, 'createUser', ALICE, { credentials: panel.credentials });
  });
  after(() => ts.close());

  test('the form cookie and the relay cookie carry the __Host- prefix and Secure', async () => {
    const request = (r: RelayRequest) => relayRequest(ts.relayPort, { ...r, ca: ts.caPem });
    const page = await request({ path: loginPath(PANEL) });
    assert.match(
      setCookieNamed(page, '__Host-ssod-login') ?? '',
      /^__Host-ssod-login=[A-Za-z0-9_-]{43}; Max-Age=\d+; Path=\/; HttpOnly; SameSite=Strict; Secure$/,
    );
    const cookie = pairOf(setCookieNamed(page, '__Host-ssod-login'));
    // A plain `ssod-login` cookie (which a sibling host could plant) is not the form's.
    const planted = await request({
      method: 'POST',
      path: '/login',
      cookie: cookie.replace('__Host-', ''),
      form: { ...ALICE, url: PANEL, csrf: hidden(page.body, 'csrf') },
      headers: sameOrigin,
    });
    assert.equal(planted.status, 403);
    const reply = await request({
      method: 'POST',
      path: '/login',
      cookie,
      form: { ...ALICE, url: PANEL, csrf: hidden(page.body, 'csrf') },
      headers: sameOrigin,
    });
    assert.equal(reply.status, 302);
    assert.match(setCookieNamed(reply, '__Host-sid') ?? '', /; HttpOnly; SameSite=Lax; Secure$/);
  });
});
