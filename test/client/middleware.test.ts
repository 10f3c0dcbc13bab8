// SsoApp on a real node:http server (protocol §2.2), spoken to without a browser: the relay trip, the
// state that binds an ssosid to the browser that asked for it, and revalidation after a logout
// elsewhere. (test/e2e drives the same code in Chromium.)
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import express from 'express';
import fastify from 'fastify';
import { SsoApp, SsoClient, splitIdentityPem, ssoExpress, ssoFastify } from '../../src/client/index.js';
import { registerApp, relayGet, startTestServer, type TestServer } from '../helpers/server.js';
import { freePort } from '../helpers/ports.js';
import { ifAssigned } from '../helpers/defined.js';

interface Reply {
  readonly status: number;
  readonly location: string;
  readonly cookies: readonly string[];
  readonly body: string;
}

async function get(url: string, cookie = ''): Promise<Reply> {
  const response = await fetch(url, { redirect: 'manual', headers: cookie === '' ? {} : { Cookie: cookie } });
  return {
    status: response.status,
    location: response.headers.get('location') ?? '',
    cookies: response.headers.getSetCookie(),
    body: await response.text(),
  };
}

function cookiePair(setCookie: string | undefined): string {
  return (setCookie ?? '').split(';')[0] ?? '';
}

/** Stops what a suite started: the application's client and server, and ssod. */
async function stopAll(client: SsoClient | undefined, server: http.Server | undefined, ts: TestServer | undefined): Promise<void> {
  client?.close();
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await ts?.close();
}

/** The client of an application registered at appUrl, which has created the user alice (password `secret`). */
async function registeredClient(ts: TestServer, name: string, appUrl: string): Promise<SsoClient> {
  const guest = new SsoClient({ soapUrl: `https://127.0.0.1:${ts.soapPort}/soap`, ca: ts.caPem });
  const { certificate } = await guest.registerApplication({ name, displayName: name, version: '1', url: appUrl });
  guest.close();
  const client = new SsoClient({ soapUrl: guest.soapUrl, ca: ts.caPem, identity: splitIdentityPem(certificate) });
  await client.createUser({ login: 'alice', password: 'secret' });
  return client;
}

describe('SsoApp on node:http', () => {
  let ts: TestServer;
  let client: SsoClient;
  let server: http.Server;
  let appUrl: string;
  let relayUrl: string;

  before(async () => {
    ts = await startTestServer();
    server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    appUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    client = await registeredClient(ts, 'app', appUrl);
    const sso = new SsoApp({ client, appUrl, cookieName: 'app' });
    relayUrl = (await client.getSettings()).relayEndpointUrl;
    const page = sso.protect((_req, res, user) => {
      res.end(`hello ${user.login}`);
    });
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      page(req, res).catch(() => res.destroy());
    });
  });

  after(() => stopAll(ifAssigned(client), ifAssigned(server), ifAssigned(ts)));

  async function sessionId(): Promise<string> {
    const { sessionId } = await client.authenticate({ login: 'alice', password: 'secret', baseUrl: appUrl });
    return sessionId ?? '';
  }

  test('no session of ours: to the relay, with a state bound to this browser', async () => {
    const reply = await get(`${appUrl}page?x=1`);
    assert.equal(reply.status, 302);
    const relay = new URL(reply.location);
    assert.equal(`${relay.origin}${relay.pathname}`, relayUrl);
    const back = new URL(relay.searchParams.get('url') ?? '');
    assert.equal(back.pathname, '/page');
    assert.equal(back.searchParams.get('x'), '1');
    const state = back.searchParams.get('sso_state') ?? '';
    assert.match(state, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(cookiePair(reply.cookies[0]), `app_relay=${state}`);
  });

  test('ssosid=none: to the login page with the page to come back to', async () => {
    const reply = await get(`${appUrl}page?sso_state=s&ssosid=none`, 'app_relay=s');
    assert.equal(reply.status, 302);
    assert.equal(reply.location, `${appUrl}login?next=%2Fpage`);
  });

  test('a valid ssosid this browser did not ask for is refused (session fixation)', async () => {
    const sid = encodeURIComponent(await sessionId());
    const reply = await get(`${appUrl}page?sso_state=s&ssosid=${sid}`);
    assert.equal(reply.status, 302);
    assert.match(reply.location, /\/login\?next=/);
    assert.ok(reply.cookies.every((c) => !c.startsWith('app=')));
  });

  test("F37: an application refuses a session id minted for another application's base URL, without verifying it", async () => {
    // A visitor signed in here and holding the relay cookie visits an attacker's application,
    // registered like any other (Open Fusion SSO protocol, section 4.2): the relay hands it the
    // visitor's local session id for the attacker's own url.
    const evil = await registerApp(ts, 'https://evil.example.com:443/', 'evil');
    const victim = await client.authenticate({ login: 'alice', password: 'secret', baseUrl: appUrl });
    const relayCookie = cookiePair(
      (await relayGet(ts, new URLSearchParams({ token: victim.relayToken ?? '', url: appUrl }).toString())).headers['set-cookie']?.[0],
    );
    const leaked =
      new URL((await relayGet(ts, new URLSearchParams({ url: evil.url }).toString(), relayCookie)).headers.location ?? '').searchParams.get(
        'ssosid',
      ) ?? '';
    assert.ok(leaked.startsWith(evil.url), leaked);
    // The attacker's browser asks this application for a page, then brings the leaked id back
    // with the state it was given, as if the relay had answered with it.
    const start = await get(`${appUrl}page`);
    const state = new URL(new URL(start.location).searchParams.get('url') ?? '').searchParams.get('sso_state') ?? '';
    const verified: string[] = [];
    const verifySession = client.verifySession.bind(client);
    // An own property shadows the method until it is deleted again; it passes every call through.
    Reflect.set(
      client,
      'verifySession',
      (...args: Parameters<typeof verifySession>) => (verified.push(args[0].sessionId), verifySession(...args)),
    );
    try {
      const reply = await get(`${appUrl}page?sso_state=${state}&ssosid=${encodeURIComponent(leaked)}`, cookiePair(start.cookies[0]));
      assert.equal(reply.status, 302);
      assert.equal(reply.location, `${appUrl}login?next=%2Fpage`);
      assert.ok(
        reply.cookies.every((c) => !c.startsWith('app=')),
        'no session of ours was started',
      );
      assert.deepEqual(verified, [], 'the id is refused before verifySession is asked');
    } finally {
      Reflect.deleteProperty(client, 'verifySession');
    }
  });

  test('a verified ssosid starts our own session; a logout elsewhere ends it', async () => {
    const id = await sessionId();
    const reply = await get(`${appUrl}page?sso_state=s&ssosid=${encodeURIComponent(id)}`, 'app_relay=s');
    assert.equal(reply.status, 302);
    assert.equal(reply.location, `${appUrl}page`, 'ssosid and state are taken out of the URL');
    const own = reply.cookies.find((c) => c.startsWith('app='));
    assert.match(own ?? '', /^app=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax$/);
    const page = await get(`${appUrl}page`, cookiePair(own));
    assert.equal(page.status, 200);
    assert.equal(page.body, 'hello alice');

    await client.closeSession({ sessionId: id }); // protocol §5.19: e.g. another application's logout
    const after = await get(`${appUrl}page`, cookiePair(own));
    assert.equal(after.status, 302);
    assert.ok(after.location.startsWith(relayUrl), 'back through the relay, which will answer none');
  });
});

/** A framework's server with one protected page at /account that answers `hello <login>`. */
interface FrameworkApp {
  readonly url: string;
  close(): Promise<void>;
}

type Mount = (sso: SsoApp, port: number) => Promise<FrameworkApp>;

async function mountExpress(sso: SsoApp, port: number): Promise<FrameworkApp> {
  const app = express();
  app.get('/account', ssoExpress(sso), (req, res) => {
    res.send(`hello ${(req as express.Request & { ssoUser?: { login: string } }).ssoUser?.login ?? '?'}`);
  });
  const server = await new Promise<http.Server>((resolve) => {
    const listening = app.listen(port, '127.0.0.1', () => resolve(listening));
  });
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function mountFastify(sso: SsoApp, port: number): Promise<FrameworkApp> {
  const app = fastify();
  app.get('/account', { preHandler: ssoFastify(sso) }, (request) =>
    Promise.resolve(`hello ${(request as { ssoUser?: { login: string } }).ssoUser?.login ?? '?'}`),
  );
  await app.listen({ port, host: '127.0.0.1' });
  return { url: `http://127.0.0.1:${port}/`, close: () => app.close() };
}

for (const [framework, mount] of [
  ['Express', mountExpress],
  ['Fastify', mountFastify],
] as const satisfies readonly (readonly [string, Mount])[]) {
  describe(`the ${framework} adapter on a real ${framework} server`, () => {
    let ts: TestServer;
    let client: SsoClient;
    let app: FrameworkApp;

    before(async () => {
      ts = await startTestServer();
      const port = await freePort();
      const appUrl = `http://127.0.0.1:${port}/`;
      client = await registeredClient(ts, framework, appUrl);
      app = await mount(new SsoApp({ client, appUrl, cookieName: 'app' }), port);
    });

    after(async () => {
      ifAssigned(client)?.close();
      await ifAssigned(app)?.close();
      await ifAssigned(ts)?.close();
    });

    test('without a session the page sends the browser through the relay; with one it shows the user', async () => {
      const anonymous = await get(`${app.url}account`);
      assert.equal(anonymous.status, 302);
      assert.equal(new URL(anonymous.location).pathname, '/relay');

      const { sessionId } = await client.authenticate({ login: 'alice', password: 'secret', baseUrl: app.url });
      const back = await get(`${app.url}account?sso_state=s&ssosid=${encodeURIComponent(sessionId ?? '')}`, 'app_relay=s');
      assert.equal(back.status, 302);
      assert.equal(back.location, `${app.url}account`);
      const own = cookiePair(back.cookies.find((c) => c.startsWith('app=')));
      const page = await get(`${app.url}account`, own);
      assert.equal(page.status, 200);
      assert.equal(page.body, 'hello alice');
    });
  });
}

/**
 * A browser without one: follows nothing by itself, keeps the cookies of each origin apart (a
 * browser would share 127.0.0.1's among ports; apart, nothing passes between the two by accident).
 */
class CookieJar {
  readonly #cookies = new Map<string, Map<string, string>>();

  async request(url: string, init: { method?: string; form?: Record<string, string> } = {}): Promise<Reply> {
    const origin = new URL(url).origin;
    const jar = this.#cookies.get(origin) ?? new Map<string, string>();
    this.#cookies.set(origin, jar);
    const cookie = [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await fetch(url, {
      method: init.method ?? 'GET',
      redirect: 'manual',
      headers: {
        ...(cookie === '' ? {} : { Cookie: cookie }),
        ...(init.form === undefined ? {} : { 'Content-Type': 'application/x-www-form-urlencoded', 'Sec-Fetch-Site': 'same-origin' }),
      },
      ...(init.form === undefined ? {} : { body: new URLSearchParams(init.form).toString() }),
    });
    for (const setCookie of response.headers.getSetCookie()) {
      const [name = '', value = ''] = cookiePair(setCookie).split(/=(.*)/s, 2);
      if (/Max-Age=0(;|$)/.test(setCookie)) jar.delete(name);
      else jar.set(name, value);
    }
    return { status: response.status, location: response.headers.get('location') ?? '', cookies: [], body: await response.text() };
  }
}

describe("SsoApp with signInAt: 'ssod'", () => {
  let ts: TestServer;
  let client: SsoClient;
  let server: http.Server;
  let appUrl: string;
  let relayOrigin: string;

  before(async () => {
    ts = await startTestServer({ argon2MemoryKib: 8192, argon2Iterations: 1 });
    server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    appUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    client = await registeredClient(ts, 'ssodsignin', appUrl);
    relayOrigin = `http://127.0.0.1:${ts.relayPort}`;
    const sso = new SsoApp({ client, appUrl, cookieName: 'app', relayUrl: `${relayOrigin}/relay`, signInAt: 'ssod' });
    const page = sso.protect((_req, res, user) => {
      res.end(`hello ${user.login}`);
    });
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      const answered = req.url === '/logout' ? sso.logout(req, res) : page(req, res);
      answered.catch(() => res.destroy());
    });
  });

  after(() => stopAll(ifAssigned(client), ifAssigned(server), ifAssigned(ts)));

  test("ssosid=none: to ssod's sign-in page beside the relay, with a new state bound to this browser", async () => {
    const reply = await get(`${appUrl}page?x=1&sso_state=s&ssosid=none`, 'app_relay=s');
    assert.equal(reply.status, 302);
    const signIn = new URL(reply.location);
    assert.equal(`${signIn.origin}${signIn.pathname}`, `${relayOrigin}/login`);
    const back = new URL(signIn.searchParams.get('url') ?? '');
    assert.equal(`${back.origin}${back.pathname}`, `${appUrl}page`);
    assert.equal(back.searchParams.get('x'), '1');
    assert.equal(back.searchParams.get('ssosid'), null);
    const state = back.searchParams.get('sso_state') ?? '';
    assert.match(state, /^[A-Za-z0-9_-]{43}$/);
    assert.notEqual(state, 's');
    assert.equal(cookiePair(reply.cookies.at(-1)), `app_relay=${state}`, 'the last word on the state cookie is the new state');
  });

  test('a visitor goes through the relay to the sign-in page and comes back signed in; logout goes home', async () => {
    const browser = new CookieJar();
    const toRelay = await browser.request(`${appUrl}page`);
    assert.ok(toRelay.location.startsWith(`${relayOrigin}/relay?`), toRelay.location);
    const none = await browser.request(toRelay.location);
    assert.match(none.location, /[?&]ssosid=none$/);
    const toSignIn = await browser.request(none.location);
    assert.ok(toSignIn.location.startsWith(`${relayOrigin}/login?`), toSignIn.location);
    const form = await browser.request(toSignIn.location);
    assert.equal(form.status, 200);
    const field = (name: string): string => new RegExp(`name="${name}" value="([^"]*)"`).exec(form.body)?.[1] ?? '';
    const signedIn = await browser.request(`${relayOrigin}/login`, {
      method: 'POST',
      form: { login: 'alice', password: 'secret', url: field('url').replace(/&amp;/g, '&'), csrf: field('csrf') },
    });
    assert.equal(signedIn.status, 302);
    assert.match(signedIn.location, /[?&]ssosid=http%3A%2F%2F127\.0\.0\.1/);
    const clean = await browser.request(signedIn.location);
    assert.equal(clean.location, `${appUrl}page`);
    assert.equal((await browser.request(clean.location)).body, 'hello alice');
    const out = await browser.request(`${appUrl}logout`, { method: 'POST' });
    assert.equal(out.location, appUrl, 'home, which sends the visitor on to sign in');
    assert.ok((await browser.request(`${appUrl}page`)).location.startsWith(`${relayOrigin}/relay?`));
  });
});
