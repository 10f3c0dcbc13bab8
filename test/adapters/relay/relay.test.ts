// The SSO Relay (protocol §2.2, docs/DECISIONS.md "Sessions and the relay", the catalog's section C (docs/SECURITY.md)).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { call, registerApp, relayGet, startTestServer, type RegisteredApp, type TestServer } from '../../helpers/server.js';

const PANEL = 'https://panel.example.com:8443/';
const BILLING = 'https://billing.example.com:443/';

describe('relay', () => {
  let ts: TestServer;
  let panel: RegisteredApp;
  before(async () => {
    ts = await startTestServer();
    panel = await registerApp(ts, PANEL, 'panel');
    await registerApp(ts, BILLING, 'billing');
    await call(ts, 'createUser', { login: 'alice', password: 'wonderland' }, { credentials: panel.credentials });
  });
  after(() => ts.close());

  const signIn = async () => {
    const reply = await call(ts, 'authenticate', { login: 'alice', password: 'wonderland', baseUrl: PANEL });
    return { token: reply.field('relayToken') ?? '', sessionId: reply.field('sessionId') ?? '', userId: reply.field('userId') ?? '' };
  };
  const q = (params: Record<string, string>) => new URLSearchParams(params).toString();
  const cookieOf = (setCookie: string[] | undefined) => (setCookie?.[0] ?? '').split(';', 1)[0] ?? '';

  test('set global cookie: 302 to url with a fresh HttpOnly, SameSite=Lax cookie (protocol §2.2.1, C23)', async () => {
    const { token } = await signIn();
    const reply = await relayGet(ts, q({ token, url: 'https://panel.example.com:8443/home' }));
    assert.equal(reply.status, 302);
    assert.equal(reply.headers.location, 'https://panel.example.com:8443/home');
    assert.equal(reply.headers['cache-control'], 'no-store');
    assert.equal(reply.headers['referrer-policy'], 'no-referrer');
    const setCookie = reply.headers['set-cookie']?.[0] ?? '';
    assert.match(setCookie, /^sid=[A-Za-z0-9_-]{43}; Max-Age=\d+; Path=\/; HttpOnly; SameSite=Lax$/);
    assert.doesNotMatch(setCookie, /Domain=|Secure/i);
    assert.ok(!setCookie.includes(token), 'the cookie is never the token itself');
  });

  test('get global session: the cookie gives each application its own local session id, the same on every call (protocol §2.2.2)', async () => {
    const { token, sessionId, userId } = await signIn();
    const cookie = cookieOf((await relayGet(ts, q({ token, url: PANEL }))).headers['set-cookie']);
    const forPanel = await relayGet(ts, q({ url: 'https://panel.example.com:8443/page?x=1' }), cookie);
    assert.equal(forPanel.status, 302);
    const panelLocation = new URL(forPanel.headers.location ?? '');
    assert.equal(panelLocation.searchParams.get('x'), '1');
    assert.equal(panelLocation.searchParams.get('ssosid'), sessionId, 'the authenticating application gets its own session back');

    const forBilling = await relayGet(ts, q({ url: 'https://billing.example.com/account' }), cookie);
    const billingSession = new URL(forBilling.headers.location ?? '').searchParams.get('ssosid') ?? '';
    assert.ok(billingSession.startsWith(BILLING), billingSession);
    assert.equal((await call(ts, 'verifySession', { sessionId: billingSession })).field('userId'), userId);
    const again = await relayGet(ts, q({ url: 'https://billing.example.com:443/other' }), cookie);
    assert.equal(new URL(again.headers.location ?? '').searchParams.get('ssosid'), billingSession);
  });

  test('single logout: closeSession of one local session ends them all and the cookie gives none', async () => {
    const { token, sessionId } = await signIn();
    const cookie = cookieOf((await relayGet(ts, q({ token, url: PANEL }))).headers['set-cookie']);
    const billingSession =
      new URL((await relayGet(ts, q({ url: BILLING }), cookie)).headers.location ?? '').searchParams.get('ssosid') ?? '';
    await call(ts, 'closeSession', { sessionId: billingSession });
    assert.equal((await call(ts, 'verifySession', { sessionId })).fault, 'noSuchSession');
    const after = await relayGet(ts, q({ url: PANEL }), cookie);
    assert.equal(new URL(after.headers.location ?? '').searchParams.get('ssosid'), 'none');
  });

  test('no cookie, a garbage cookie or a never-issued cookie: ssosid=none (C22)', async () => {
    for (const cookie of [undefined, 'sid=garbage', `sid=${'A'.repeat(43)}`, 'other=1']) {
      const reply = await relayGet(ts, q({ url: 'https://panel.example.com:8443' }), cookie);
      assert.equal(reply.status, 302);
      assert.equal(reply.headers.location, 'https://panel.example.com:8443?ssosid=none');
    }
  });

  test('C21: a token works once; the second use sets no cookie; a malformed token sets none', async () => {
    const { token } = await signIn();
    const first = await relayGet(ts, q({ token, url: PANEL }));
    const second = await relayGet(ts, q({ token, url: PANEL }));
    assert.ok(first.headers['set-cookie']);
    assert.equal(second.status, 302);
    assert.equal(second.headers['set-cookie'], undefined);
    const bad = await relayGet(ts, q({ token: 'not-a-token', url: PANEL }));
    assert.equal(bad.status, 302);
    assert.equal(bad.headers['set-cookie'], undefined);
  });

  test('C21: parallel uses of one token: exactly one cookie', async () => {
    const { token } = await signIn();
    const replies = await Promise.all(Array.from({ length: 10 }, () => relayGet(ts, q({ token, url: PANEL }))));
    assert.equal(replies.filter((r) => r.headers['set-cookie'] !== undefined).length, 1);
  });

  test('C21: an expired token sets no cookie', async () => {
    const { token } = await signIn();
    ts.advanceClock(61_000);
    const reply = await relayGet(ts, q({ token, url: PANEL }));
    assert.equal(reply.status, 302);
    assert.equal(reply.headers['set-cookie'], undefined);
  });

  test('C16, C17, C18: a url that is not exactly a registered origin gets a 400 page and no redirect', async () => {
    const { token } = await signIn();
    const refused = [
      'https://evil.example.com:8443/',
      'https://panel.example.com.evil.com:8443/',
      'https://panel.example.com:8444/',
      'http://panel.example.com:8443/',
      'https://panel.example.com.:8443/',
      'https://user@panel.example.com:8443/',
      'https://panel.example.com:8443@evil.com/',
      '//panel.example.com:8443/',
      'https:\\\\panel.example.com:8443/',
      'https://panel.example.com\\@evil.com:8443/',
      'https://panel%2Eexample.com:8443/',
      'javascript:alert(1)//panel.example.com:8443/',
      'data:text/html,<script>alert(1)</script>',
      '/relative',
      '',
    ];
    for (const url of refused) {
      for (const params of [{ url }, { url, token }] as Record<string, string>[]) {
        const reply = await relayGet(ts, q(params));
        assert.equal(reply.status, 400, url);
        assert.equal(reply.headers.location, undefined, url);
        assert.equal(reply.headers['set-cookie'], undefined, url);
        assert.match(reply.headers['content-type'] ?? '', /^text\/html/);
      }
    }
    // The token was not consumed by the refused requests.
    assert.ok((await relayGet(ts, q({ token, url: PANEL }))).headers['set-cookie']);
  });

  test('C17: other case in scheme and host and the default port written or not are the same origin', async () => {
    for (const url of ['HTTPS://PANEL.EXAMPLE.COM:8443/', 'https://billing.example.com/', 'https://billing.example.com:443/x']) {
      assert.equal((await relayGet(ts, q({ url }))).status, 302, url);
    }
  });

  test('C19: CR/LF, raw or encoded, is a 400 with no header injection', async () => {
    for (const url of [
      'https://panel.example.com:8443/\r\nSet-Cookie: x=1',
      'https://panel.example.com:8443/%0d%0aSet-Cookie:%20x=1',
      'https://panel.example.com:8443/%0A',
    ]) {
      const reply = await relayGet(ts, q({ url }));
      assert.equal(reply.status, 400, JSON.stringify(url));
      assert.equal(reply.headers['set-cookie'], undefined);
    }
  });

  test('C20: an ssosid already in the url is replaced; the server one goes before the fragment', async () => {
    const reply = await relayGet(ts, q({ url: 'https://panel.example.com:8443/p?a=1&ssosid=forged&SSOSID=x&b=2#frag' }));
    assert.equal(reply.headers.location, 'https://panel.example.com:8443/p?a=1&b=2&ssosid=none#frag');
  });

  test('two url parameters, or none, are a 400', async () => {
    assert.equal((await relayGet(ts, 'url=https%3A%2F%2Fpanel.example.com%3A8443%2F&url=https%3A%2F%2Fevil.com%2F')).status, 400);
    assert.equal((await relayGet(ts, 'token=abc')).status, 400);
  });

  test('the relay cookie value is new on every token exchange (C23)', async () => {
    const a = cookieOf((await relayGet(ts, q({ token: (await signIn()).token, url: PANEL }))).headers['set-cookie']);
    const b = cookieOf((await relayGet(ts, q({ token: (await signIn()).token, url: PANEL }))).headers['set-cookie']);
    assert.notEqual(a, b);
  });
});
