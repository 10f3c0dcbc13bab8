// Signed logon tickets in the core (docs/tickets.md), on a real server with a replaced clock: the first
// key made at the first start, a ticket's header and claims, verified offline with the published key
// set by jose alone, rotation (a ticket of the old key verifies while that key is published and is
// refused after), revocation, the online check of ssox:verifyTicket, grants and logout tokens.
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, SignJWT, base64url } from 'jose';
import { SsoError } from '../../src/core/errors.js';
import { revokeTicketKey, rotateTicketKey, ticketKeysNow } from '../../src/core/operator/tickets.js';
import { Refusal } from '../../src/core/refusal.js';
import { sessionOfCookie, startBrowserSession, endSession } from '../../src/core/sessions.js';
import type { GlobalSessionRecord } from '../../src/core/store/index.js';
import { RETIRING_MARGIN_MS, ROTATION_DELAY_MS } from '../../src/core/ticketKeys.js';
import {
  forgetGrants,
  grantsToNotify,
  issueTicket,
  receiverNamed,
  ticketIssuer,
  ticketKeySet,
  signLogoutToken,
  verifyTicketOnline,
  type TicketReceiver,
} from '../../src/core/tickets.js';
import { ticketKeyFile } from '../../src/infra/keys/tickets.js';
import { defined } from '../helpers/defined.js';
import { call, registerApp, startTestServer, type TestServer } from '../helpers/server.js';

const FAST = { argon2MemoryKib: 8192, argon2Iterations: 1, sessionTimeout: 86_400, sessionLifetime: 172_800 } as const;
const LIFETIME_MS = 3600 * 1000;
const CACHE_MS = 5000;

describe('signed logon tickets in the core', () => {
  let ts: TestServer;
  let userId: string;
  let receiver: TicketReceiver;
  const services = () => ts.server.services;

  /** A live global session of the user, bound to a browser as the sign-in page binds one. */
  async function newSession(): Promise<GlobalSessionRecord> {
    const cookie = await startBrowserSession(services(), userId, 'operator', null);
    return defined(await sessionOfCookie(services(), cookie.value), 'the session').session;
  }

  /** The key set the server publishes, as a verifier caches it. */
  const keySet = async () => createLocalJWKSet(await ticketKeySet(services()));

  /** Lets the node's 5 s caches of the keys and the receivers expire. */
  const afterCaches = () => ts.advanceClock(CACHE_MS);

  before(async () => {
    ts = await startTestServer(FAST);
    const panel = await registerApp(ts);
    userId = defined(
      (await call(ts, 'createUser', { login: 'alice', password: 'alice pw' }, { credentials: panel.credentials })).field('userId'),
      'userId',
    );
    await ts.server.services.store.insertTicketReceiver({
      name: 'billing-de',
      domain: 'example.de',
      url: 'https://apps.example.de/.ssod/',
      caPem: null,
      createdAt: Date.now(),
    });
    receiver = defined(await receiverNamed(services(), 'billing-de'), 'the receiver');
  });
  after(() => ts.close());

  test('the first start made one key that signs, its private half a 0600 file in a 0700 directory of the data directory', async () => {
    const states = await ticketKeysNow(services());
    assert.deepEqual(
      states.map((status) => status.state),
      ['signing'],
    );
    const key = defined(states[0], 'the key').key;
    assert.equal(key.sealedKey, null, 'nothing of the private key in a SQLite store');
    assert.equal(statSync(ticketKeyFile(ts.dataDir, key.kid)).mode & 0o777, 0o600);
    assert.equal(statSync(path.join(ts.dataDir, 'tickets')).mode & 0o777, 0o700);
    const set = await ticketKeySet(services());
    assert.deepEqual(set.keys, [
      { kty: 'OKP', crv: 'Ed25519', x: (JSON.parse(key.publicJwk) as { x: string }).x, kid: key.kid, alg: 'EdDSA', use: 'sig' },
    ]);
  });

  test('a ticket: header alg, kid, typ only; every claim; verified with the published key set by jose alone', async () => {
    const session = await newSession();
    const ticket = await issueTicket(services(), session, receiver);
    const [signer] = (await ticketKeysNow(services())).filter((status) => status.state === 'signing');
    assert.deepEqual(decodeProtectedHeader(ticket), { alg: 'EdDSA', kid: signer?.key.kid, typ: 'ssod-ticket+jwt' });
    const claims = decodeJwt(ticket);
    assert.deepEqual(Object.keys(claims).sort(), ['aud', 'domain', 'exp', 'iat', 'iss', 'jti', 'login', 'sid', 'sub']);
    assert.equal(claims.iss, `http://127.0.0.1:${ts.relayPort}/relay`);
    assert.deepEqual(
      [claims.sub, claims.login, claims.domain, claims.aud, claims.sid],
      [userId, 'alice', 'example.de', 'example.de', session.id],
    );
    assert.equal((claims.exp ?? 0) - (claims.iat ?? 0), 3600);
    assert.equal(base64url.decode(String(claims.jti)).length, 16);
    const { payload } = await jwtVerify(ticket, await keySet(), {
      algorithms: ['EdDSA'],
      typ: 'ssod-ticket+jwt',
      issuer: ticketIssuer(services()),
      audience: 'example.de',
      currentDate: new Date(services().now()),
    });
    assert.equal(payload.sub, userId);
    assert.deepEqual(await verifyTicketOnline(services(), ticket), {
      userId,
      login: 'alice',
      domain: 'example.de',
      expiresAt: (claims.exp ?? 0) * 1000,
    });
  });

  test('a ticket never outlives its global session: exp is the end of its absolute lifetime', async () => {
    const session = await newSession();
    const ending = { ...session, expiresAt: services().now() + 600_000 };
    const claims = decodeJwt(await issueTicket(services(), ending, receiver));
    assert.equal(claims.exp, Math.floor(ending.expiresAt / 1000));
  });

  test('E35: a ticket with one byte changed, alg none, an HMAC keyed with the public key, or expired is refused: invalidParameter', async () => {
    const ticket = await issueTicket(services(), await newSession(), receiver);
    const [header, payload, signature] = ticket.split('.') as [string, string, string];
    const changed = `${header}.${payload}.${signature.slice(0, 10)}${signature[10] === 'A' ? 'B' : 'A'}${signature.slice(11)}`;
    const none = `${base64url.encode(JSON.stringify({ alg: 'none', kid: decodeProtectedHeader(ticket).kid, typ: 'ssod-ticket+jwt' }))}.${payload}.`;
    const x = (await ticketKeySet(services())).keys.map((key) => (key as { x: string }).x)[0] ?? '';
    const hmac = await new SignJWT(decodeJwt(ticket))
      .setProtectedHeader({ alg: 'HS256', kid: decodeProtectedHeader(ticket).kid, typ: 'ssod-ticket+jwt' })
      .sign(new TextEncoder().encode(x));
    for (const [name, forged] of [
      ['one byte changed', changed],
      ['alg none', none],
      ['HMAC with the public key', hmac],
      ['not a JWS', 'ticket'],
      ['too long', `${header}.${'A'.repeat(5000)}.${signature}`],
    ] as const) {
      await assert.rejects(
        verifyTicketOnline(services(), forged),
        (error: unknown) => error instanceof SsoError && error.code === 'invalidParameter',
        name,
      );
    }
    ts.advanceClock(LIFETIME_MS + 31_000);
    try {
      await assert.rejects(verifyTicketOnline(services(), ticket), /has expired/);
    } finally {
      ts.advanceClock(-(LIFETIME_MS + 31_000));
    }
  });

  test('a valid ticket of an ended session: noSuchSession online; its grant lists the receiver to notify, once', async () => {
    const session = await newSession();
    const ticket = await issueTicket(services(), session, receiver);
    await endSession(services(), session.id, 'operator');
    await assert.rejects(
      verifyTicketOnline(services(), ticket),
      (error: unknown) => error instanceof SsoError && error.code === 'noSuchSession',
    );
    const grants = await grantsToNotify(services(), { userId, globalId: session.id });
    assert.deepEqual(
      grants.map((grant) => [grant.receiver, grant.globalId]),
      [['billing-de', session.id]],
    );
    const everySession = await grantsToNotify(services(), { userId, globalId: null });
    assert.ok(everySession.some((grant) => grant.globalId === session.id));
    await forgetGrants(services(), grants);
    assert.deepEqual(await grantsToNotify(services(), { userId, globalId: session.id }), []);
  });

  test('a logout token: typ ssod-logout+jwt, sid or none, 120 s; never taken for a ticket', async () => {
    const one = await signLogoutToken(services(), receiver, { userId, sid: 'abc' });
    const all = await signLogoutToken(services(), receiver, { userId, sid: null });
    assert.equal(decodeProtectedHeader(one).typ, 'ssod-logout+jwt');
    const claims = decodeJwt(one);
    assert.deepEqual(Object.keys(claims).sort(), ['aud', 'domain', 'exp', 'iat', 'iss', 'jti', 'sid', 'sub']);
    assert.equal((claims.exp ?? 0) - (claims.iat ?? 0), 120);
    assert.equal(decodeJwt(all).sid, undefined);
    await jwtVerify(all, await keySet(), { typ: 'ssod-logout+jwt', audience: 'example.de', currentDate: new Date(services().now()) });
    await assert.rejects(verifyTicketOnline(services(), one), /typ/);
  });

  test('revocation: the only key that can sign is kept, with what to do; after rotate --now it is withdrawn at once', async () => {
    const signing = defined(
      (await ticketKeysNow(services())).find((status) => status.state === 'signing'),
      'the signing key',
    ).key;
    const ticket = await issueTicket(services(), await newSession(), receiver);
    await assert.rejects(revokeTicketKey(services(), signing.kid), (error: unknown) => {
      assert.ok(error instanceof Refusal);
      assert.match(error.message, /no other key can sign now: run `ssod tickets rotate --now` first/);
      return true;
    });
    const fresh = await rotateTicketKey(services(), true);
    await revokeTicketKey(services(), signing.kid);
    assert.deepEqual(
      (await ticketKeySet(services())).keys.map((key) => (key as { kid: string }).kid),
      [fresh.kid],
    );
    await assert.rejects(verifyTicketOnline(services(), ticket), /kid names no key/);
    assert.equal(decodeProtectedHeader(await issueTicket(services(), await newSession(), receiver)).kid, fresh.kid);
    await assert.rejects(revokeTicketKey(services(), signing.kid), /revoked already/);
    await assert.rejects(revokeTicketKey(services(), 'no-such-kid'), /no ticket key "no-such-kid"; the keys are: /);
    afterCaches();
  });
  test('rotation: a new key is published at once and signs 10 minutes later; the old one verifies while published, is refused after', async () => {
    const old = defined(
      (await ticketKeysNow(services())).find((status) => status.state === 'signing'),
      'the signing key',
    ).key;
    const oldTicket = await issueTicket(services(), await newSession(), receiver);
    const rotated = await rotateTicketKey(services(), false);
    assert.equal(rotated.signsFrom - services().now() <= ROTATION_DELAY_MS, true);
    assert.deepEqual(
      (await ticketKeySet(services())).keys.map((key) => (key as { kid: string }).kid),
      [old.kid, rotated.kid],
      'published at once',
    );
    assert.equal(decodeProtectedHeader(await issueTicket(services(), await newSession(), receiver)).kid, old.kid, 'pending: not yet');

    ts.advanceClock(ROTATION_DELAY_MS);
    assert.equal(decodeProtectedHeader(await issueTicket(services(), await newSession(), receiver)).kid, rotated.kid, 'signs now');
    const lastOld = defined(
      (await ticketKeysNow(services())).find((status) => status.key.kid === old.kid),
      'the old key',
    );
    assert.equal(lastOld.state, 'retiring');
    assert.equal(lastOld.publishedUntil, rotated.signsFrom + LIFETIME_MS + RETIRING_MARGIN_MS);
    assert.equal((await verifyTicketOnline(services(), oldTicket)).userId, userId, 'the old key is still published');

    // Lowering ticketLifetime shortens how long the retiring key stays published: its tickets are refused early, never late.
    await services().store.writeSettings({ ticketLifetime: '60' }, services().now());
    await services().settings.refresh();
    try {
      ts.advanceClock(60_000 + RETIRING_MARGIN_MS);
      assert.equal((await ticketKeysNow(services())).find((status) => status.key.kid === old.kid)?.state, 'retired');
      await assert.rejects(verifyTicketOnline(services(), oldTicket), /kid names no key/);
      assert.deepEqual(
        (await ticketKeySet(services())).keys.map((key) => (key as { kid: string }).kid),
        [rotated.kid],
      );
    } finally {
      await services().store.writeSettings({ ticketLifetime: '3600' }, services().now());
      await services().settings.refresh();
    }
  });
});
