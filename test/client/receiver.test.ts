// TicketReceiver on real servers (node:http, Express, Fastify): the ticket endpoint and its cookie,
// the logout endpoint, the user of a request from the cookie, and asking ssod once for a ticket
// (docs/tickets.md "The receiver's ticket endpoint", "A receiver asks for a ticket", "Logout").
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import express from 'express';
import fastify from 'fastify';
import {
  localTicketKeys,
  sqliteReceiverState,
  ticketExpress,
  ticketFastify,
  TicketReceiver,
  type ReceiverLog,
  type ReceiverState,
  type TicketReceiverOptions,
  type WithTicketUser,
} from '../../src/client/index.js';
import { DOMAIN, ISSUER, keySetOf, signLogoutToken, signTicket, testKey, type TestKey } from '../helpers/ticketSigner.js';

const PUBLIC_ORIGIN = 'https://apps.example.de';
const NEXT = 'https://www.example.de/welcome?x=1';

interface Site {
  readonly url: string;
  readonly logged: string[];
  close(): Promise<void>;
}

function receiverFor(key: TestKey, logged: string[], options: Partial<TicketReceiverOptions> = {}): TicketReceiver {
  const log: ReceiverLog = { info: (m) => logged.push(m), warn: (m) => logged.push(m) };
  return new TicketReceiver({
    issuer: ISSUER,
    domain: DOMAIN,
    name: 'billing-de',
    publicOrigin: PUBLIC_ORIGIN,
    keys: localTicketKeys(keySetOf(key)),
    log,
    ...options,
  });
}

/** A node:http site: the receiver's endpoints, /account (requireUser) and /home (optionalUser). */
async function nodeSite(receiver: TicketReceiver, logged: string[]): Promise<Site> {
  const server = http.createServer((req, res) => {
    void (async () => {
      if (await receiver.handle(req, res)) return;
      if (req.url?.startsWith('/account') === true) {
        const user = await receiver.requireUser(req, res);
        if (user !== null) res.end(`hello ${user.login}`);
        return;
      }
      const user = await receiver.optionalUser(req, res);
      if (!res.headersSent) res.end(user === null ? 'hello guest' : `hello ${user.login}`);
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    logged,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function ticketPath(ticket: string, next = NEXT): string {
  return `/.ssod/ticket?${new URLSearchParams({ ticket, next }).toString()}`;
}

/**
 * A GET as a browser's navigation sends it, over node:http (fetch may not set Sec-Fetch-Mode, and
 * says `cors` itself, as a script's request), read into a Response.
 */
function get(site: Site, target: string, headers: Record<string, string> = {}): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${site.url}${target}`, { headers: { 'Sec-Fetch-Mode': 'navigate', ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const answer = new Headers();
        for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) answer.append(res.rawHeaders[i] ?? '', res.rawHeaders[i + 1] ?? '');
        const status = res.statusCode ?? 0;
        resolve(new Response(status === 204 ? null : Buffer.concat(chunks), { status, headers: answer }));
      });
    });
    req.on('error', reject);
  });
}

function postLogout(site: Site, token: string): Promise<Response> {
  return fetch(`${site.url}/.ssod/logout`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ logout_token: token }).toString(),
  });
}

/** The value `name=value` of a Set-Cookie of the response, or null. */
function setCookie(response: Response, name: string): string | null {
  return response.headers.getSetCookie().find((cookie) => cookie.startsWith(`${name}=`)) ?? null;
}

/** Takes a ticket through the receiver and returns the cookie header it became. */
async function cookieFrom(site: Site, ticket: string): Promise<string> {
  const response = await get(site, ticketPath(ticket));
  const cookie = setCookie(response, 'SSOD_TICKET');
  assert.ok(cookie !== null, `no cookie: ${site.logged.join('; ')}`);
  return cookie.split(';')[0] ?? '';
}

describe('TicketReceiver on node:http', () => {
  let key: TestKey;
  let site: Site;
  let receiver: TicketReceiver;

  before(async () => {
    key = await testKey();
    const logged: string[] = [];
    receiver = receiverFor(key, logged);
    site = await nodeSite(receiver, logged);
  });
  after(() => site.close());

  test('a valid ticket becomes the domain cookie with the documented attributes, then 302 to next, not cached nor passed on', async () => {
    const nowMs = Date.now();
    const ticket = await signTicket(key, {}, nowMs);
    const response = await get(site, ticketPath(ticket));
    assert.equal(response.status, 302);
    assert.equal(response.headers.get('location'), NEXT);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    assert.equal(response.headers.get('referrer-policy'), 'no-referrer');
    const cookie = setCookie(response, 'SSOD_TICKET') ?? '';
    const maxAge = Number(/Max-Age=(\d+)/.exec(cookie)?.[1]);
    assert.ok(maxAge > 3590 && maxAge <= 3600, cookie);
    assert.equal(cookie, `SSOD_TICKET=${ticket}; Domain=${DOMAIN}; Path=/; Max-Age=${maxAge}; Secure; HttpOnly; SameSite=Lax`);
  });

  test('E35: a ticket replayed at the same receiver: on to next, without a cookie, and logged', async () => {
    const ticket = await signTicket(key);
    await cookieFrom(site, ticket);
    const again = await get(site, ticketPath(ticket));
    assert.equal(again.status, 302);
    assert.equal(again.headers.get('location'), NEXT);
    assert.equal(setCookie(again, 'SSOD_TICKET'), null);
    assert.match(site.logged.at(-1) ?? '', /refused a ticket: replayed/);
  });

  test('E35: a ticket replayed at a receiver of another domain: no cookie there', async () => {
    const logged: string[] = [];
    const other = await nodeSite(receiverFor(key, logged, { domain: 'example.fr', publicOrigin: 'https://apps.example.fr' }), logged);
    try {
      const ticket = await signTicket(key);
      await cookieFrom(site, ticket);
      const there = await get(other, ticketPath(ticket, 'https://www.example.fr/'));
      assert.equal(there.status, 302);
      assert.equal(setCookie(there, 'SSOD_TICKET'), null);
      assert.match(logged.at(-1) ?? '', /refused a ticket: domain/);
    } finally {
      await other.close();
    }
  });

  test('E35: an expired ticket, one with one byte changed, with alg none: on to next without a cookie', async () => {
    const expired = await signTicket(key, {}, Date.now() - 2 * 3600 * 1000);
    const ticket = await signTicket(key);
    const at = ticket.length - 20;
    const changed = `${ticket.slice(0, at)}${ticket[at] === 'A' ? 'B' : 'A'}${ticket.slice(at + 1)}`;
    for (const bad of [expired, changed, 'e30.e30.']) {
      const response = await get(site, ticketPath(bad));
      assert.equal(response.status, 302);
      assert.equal(setCookie(response, 'SSOD_TICKET'), null);
    }
  });

  test('ticket=none: on to next without a cookie', async () => {
    const response = await get(site, ticketPath('none'));
    assert.equal(response.status, 302);
    assert.equal(response.headers.get('location'), NEXT);
    assert.equal(response.headers.getSetCookie().length, 0);
  });

  test('E35: next outside the allow-list is a 400 page: no cookie, no redirect', async () => {
    const ticket = await signTicket(key);
    for (const next of [
      'https://evil.example/',
      'http://www.example.de/',
      'https://example.de.evil.example/',
      'javascript:alert(1)',
      '/relative',
      '',
    ]) {
      const response = await get(site, ticketPath(ticket, next));
      assert.equal(response.status, 400, next);
      assert.equal(response.headers.get('location'), null);
      assert.equal(response.headers.getSetCookie().length, 0);
      assert.equal(response.headers.get('cache-control'), 'no-store');
      assert.equal(response.headers.get('referrer-policy'), 'no-referrer');
      assert.doesNotMatch(await response.text(), /at .*\.js/);
    }
    // The ticket was not used up by the refused requests.
    assert.ok((await cookieFrom(site, ticket)).startsWith('SSOD_TICKET='));
  });

  test("next may be ssod's relay, an https origin of the domain, or an origin the operator listed", async () => {
    const logged: string[] = [];
    const listed = await nodeSite(receiverFor(key, logged, { allowedNextOrigins: ['https://partner.example.com'] }), logged);
    try {
      for (const next of [
        'https://sso.example.com:1180/next?after=billing-de&url=x',
        'https://example.de/',
        'https://partner.example.com/p',
      ]) {
        const response = await get(listed, ticketPath('none', next));
        assert.equal(response.status, 302, next);
        assert.equal(response.headers.get('location'), next);
      }
    } finally {
      await listed.close();
    }
  });

  test('the cookie signs in every request of the domain (not one-time)', async () => {
    const cookie = await cookieFrom(site, await signTicket(key));
    for (let i = 0; i < 2; i++) {
      const response = await get(site, '/account', { Cookie: cookie });
      assert.equal(response.status, 200);
      assert.equal(await response.text(), 'hello alice');
    }
  });

  test('without a cookie, requireUser asks ssod once (a 302 to <relay>/ticket, remembered 5 minutes), then answers 401', async () => {
    const response = await get(site, '/account/page?tab=2');
    assert.equal(response.status, 302);
    const location = new URL(response.headers.get('location') ?? '');
    assert.equal(`${location.origin}${location.pathname}`, 'https://sso.example.com:1180/relay/ticket');
    assert.equal(location.searchParams.get('receiver'), 'billing-de');
    assert.equal(location.searchParams.get('url'), `${PUBLIC_ORIGIN}/account/page?tab=2`);
    const asked = setCookie(response, 'SSOD_TICKET_ASKED') ?? '';
    assert.equal(asked, `SSOD_TICKET_ASKED=1; Domain=${DOMAIN}; Path=/; Max-Age=300; Secure; HttpOnly; SameSite=Lax`);
    const then = await get(site, '/account/page?tab=2', { Cookie: 'SSOD_TICKET_ASKED=1' });
    assert.equal(then.status, 401);
    assert.equal(await then.text(), 'not signed in\n');
  });

  test('the page asked for stays on the public origin whatever the request line says', async () => {
    const response = await get(site, '//evil.example/account');
    const location = new URL(response.headers.get('location') ?? '');
    assert.equal(location.searchParams.get('url'), `${PUBLIC_ORIGIN}//evil.example/account`);
  });

  test('optionalUser asks once on a navigation only; a script request or an asked browser goes on as a guest', async () => {
    assert.equal((await get(site, '/home')).status, 302);
    const script = await get(site, '/home', { 'Sec-Fetch-Mode': 'cors' });
    assert.equal(await script.text(), 'hello guest');
    assert.equal(await (await get(site, '/home', { Cookie: 'SSOD_TICKET_ASKED=1' })).text(), 'hello guest');
  });

  test('with signInUrl, requireUser sends an asked visitor there', async () => {
    const logged: string[] = [];
    const withSignIn = await nodeSite(receiverFor(key, logged, { signInUrl: 'https://apps.example.de/sign-in' }), logged);
    try {
      const response = await get(withSignIn, '/account', { Cookie: 'SSOD_TICKET_ASKED=1' });
      assert.equal(response.status, 302);
      assert.equal(response.headers.get('location'), 'https://apps.example.de/sign-in');
    } finally {
      await withSignIn.close();
    }
  });

  test('E35: after a logout token for its session, the cookie is refused and removed; 204 to the logout', async () => {
    const ticket = await signTicket(key, { sid: 'session-logout' });
    const cookie = await cookieFrom(site, ticket);
    const logout = await postLogout(site, await signLogoutToken(key, { sid: 'session-logout' }));
    assert.equal(logout.status, 204);
    const response = await get(site, '/account', { Cookie: `${cookie}; SSOD_TICKET_ASKED=1` });
    assert.equal(response.status, 401);
    assert.equal(setCookie(response, 'SSOD_TICKET'), `SSOD_TICKET=; Domain=${DOMAIN}; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Lax`);
    // A new ticket of that session is refused at the endpoint too.
    assert.equal(setCookie(await get(site, ticketPath(await signTicket(key, { sid: 'session-logout' }))), 'SSOD_TICKET'), null);
  });

  test('E35: a logout of every session of a user refuses the tickets issued before it, not those after', async () => {
    const nowMs = Date.now();
    const before = await cookieFrom(site, await signTicket(key, { sub: 'user-9', sid: 'a' }, nowMs - 10_000));
    assert.equal((await postLogout(site, await signLogoutToken(key, { sub: 'user-9', sid: null, nowMs }))).status, 204);
    assert.equal((await get(site, '/account', { Cookie: `${before}; SSOD_TICKET_ASKED=1` })).status, 401);
    const afterwards = await cookieFrom(site, await signTicket(key, { sub: 'user-9', sid: 'b' }, nowMs + 2000));
    assert.equal((await get(site, '/account', { Cookie: afterwards })).status, 200);
  });

  test('E35: a ticket used as a logout token is refused with 400; so is a bad form, a large body, another method', async () => {
    assert.equal((await postLogout(site, await signTicket(key))).status, 400);
    assert.equal((await postLogout(site, 'not-a-token')).status, 400);
    const json = await fetch(`${site.url}/.ssod/logout`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
    assert.equal(json.status, 400);
    const large = await fetch(`${site.url}/.ssod/logout`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: `logout_token=${'a'.repeat(9000)}`,
    });
    assert.equal(large.status, 400);
    assert.equal((await get(site, '/.ssod/logout')).status, 405);
    assert.equal((await fetch(`${site.url}/.ssod/ticket`, { method: 'POST' })).status, 405);
  });

  test('bad options are clear errors', () => {
    const base = { issuer: ISSUER, domain: DOMAIN, name: 'billing-de', publicOrigin: PUBLIC_ORIGIN, keys: localTicketKeys({ keys: [] }) };
    assert.throws(() => new TicketReceiver({ ...base, domain: 'localhost' }), /at least two labels/);
    assert.throws(() => new TicketReceiver({ ...base, domain: '10.0.0.1' }), /DNS name/);
    assert.throws(() => new TicketReceiver({ ...base, name: 'Billing DE' }), /receiver name/);
    assert.throws(() => new TicketReceiver({ ...base, publicOrigin: 'https://apps.example.fr' }), /public origin/);
    assert.throws(() => new TicketReceiver({ ...base, publicOrigin: 'http://apps.example.de' }), /public origin/);
    const { keys: _keys, ...withoutKeys } = base;
    assert.throws(() => new TicketReceiver({ ...withoutKeys, issuer: 'http://sso.example.com:1180/relay' }), /keysUrl/);
    assert.ok(new TicketReceiver({ ...withoutKeys, issuer: 'http://127.0.0.1:1180/relay' }));
  });
});

describe('TicketReceiver with its state in SQLite', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ssod-receiver-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('E35: after a logout and a restart of the receiver, the cookie and the replayed ticket are still refused', async () => {
    const key = await testKey();
    const file = path.join(dir, 'receiver.db');
    const open = async (): Promise<{ site: Site; state: ReceiverState }> => {
      const state = await sqliteReceiverState(file);
      const logged: string[] = [];
      return { site: await nodeSite(receiverFor(key, logged, { state }), logged), state };
    };
    const ticket = await signTicket(key, { sid: 'session-r' });
    const first = await open();
    const cookie = await cookieFrom(first.site, ticket);
    assert.equal((await postLogout(first.site, await signLogoutToken(key, { sid: 'session-r' }))).status, 204);
    await first.site.close();
    await first.state.close();
    const second = await open();
    try {
      assert.equal((await get(second.site, '/account', { Cookie: `${cookie}; SSOD_TICKET_ASKED=1` })).status, 401);
      const replay = await get(second.site, ticketPath(ticket));
      assert.equal(setCookie(replay, 'SSOD_TICKET'), null);
      assert.match(second.site.logged.at(-1) ?? '', /replayed/);
    } finally {
      await second.site.close();
      await second.state.close();
    }
  });
});

type Mount = (receiver: TicketReceiver) => Promise<{ url: string; close(): Promise<void> }>;

async function mountExpress(receiver: TicketReceiver): Promise<{ url: string; close(): Promise<void> }> {
  const app = express();
  app.use(ticketExpress(receiver));
  app.use(express.urlencoded({ extended: false }));
  app.get('/home', (req, res) => {
    res.send(`hello ${(req as express.Request & WithTicketUser).ticketUser?.login ?? 'guest'}`);
  });
  app.get('/account', ticketExpress(receiver, { required: true }), (req, res) => {
    res.send(`hello ${(req as express.Request & WithTicketUser).ticketUser?.login ?? '?'}`);
  });
  const server = await new Promise<http.Server>((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function mountFastify(receiver: TicketReceiver): Promise<{ url: string; close(): Promise<void> }> {
  const app = fastify();
  app.addHook('onRequest', ticketFastify(receiver));
  app.get('/home', (request) => Promise.resolve(`hello ${(request as WithTicketUser).ticketUser?.login ?? 'guest'}`));
  app.get('/account', { onRequest: ticketFastify(receiver, { required: true }) }, (request) =>
    Promise.resolve(`hello ${(request as WithTicketUser).ticketUser?.login ?? '?'}`),
  );
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => app.close() };
}

for (const [framework, mount] of [
  ['Express', mountExpress],
  ['Fastify', mountFastify],
] as const satisfies readonly (readonly [string, Mount])[]) {
  describe(`the ${framework} ticket adapter on a real ${framework} server`, () => {
    let key: TestKey;
    let site: Site;

    before(async () => {
      key = await testKey();
      const logged: string[] = [];
      const mounted = await mount(receiverFor(key, logged));
      site = { ...mounted, logged };
    });
    after(() => site.close());

    test('the ticket endpoint sets the cookie; the cookie signs in; the logout endpoint reads its form; then asked once and 401', async () => {
      const cookie = await cookieFrom(site, await signTicket(key, { sid: 'fw' }));
      assert.equal(await (await get(site, '/home', { Cookie: cookie })).text(), 'hello alice');
      assert.equal(await (await get(site, '/account', { Cookie: cookie })).text(), 'hello alice');
      assert.equal((await postLogout(site, await signLogoutToken(key, { sid: 'fw' }))).status, 204);
      const asking = await get(site, '/account', { Cookie: cookie });
      assert.equal(asking.status, 302);
      assert.match(asking.headers.get('location') ?? '', /^https:\/\/sso\.example\.com:1180\/relay\/ticket\?receiver=billing-de&/);
      assert.equal((await get(site, '/account', { Cookie: `${cookie}; SSOD_TICKET_ASKED=1` })).status, 401);
      assert.equal(await (await get(site, '/home', { Cookie: 'SSOD_TICKET_ASKED=1' })).text(), 'hello guest');
    });

    test('E35: next outside the allow-list is a 400 page', async () => {
      assert.equal((await get(site, ticketPath(await signTicket(key), 'https://evil.example/'))).status, 400);
    });
  });
}
