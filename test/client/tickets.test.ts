// verifyTicket and verifyLogoutToken (docs/tickets.md "What a verifier checks"), with tickets signed
// here by a test key, and the key set fetched over HTTPS from a server of the test CA.
import assert from 'node:assert/strict';
import { errors } from 'jose';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import {
  localTicketKeys,
  memoryReceiverState,
  remoteTicketKeys,
  TicketError,
  VERIFIED_TOKENS_KEPT,
  verifyLogoutToken,
  verifyTicket,
  type TicketErrorCode,
  type TicketKeys,
} from '../../src/client/index.js';
import {
  DOMAIN,
  hs256WithPublicKey,
  ISSUER,
  keySetOf,
  serveKeySet,
  sign,
  signLogoutToken,
  signTicket,
  testKey,
  ticketClaims,
  unsigned,
  type KeySetServer,
  type TestKey,
} from '../helpers/ticketSigner.js';
import { openTestCa, type TestCa } from '../helpers/testCa.js';

async function refusal(promise: Promise<unknown>): Promise<TicketErrorCode> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof TicketError) return error.code;
    throw error;
  }
  assert.fail('the token was accepted');
}

/** One byte of a part changed (the part's first character, to another base64url character). */
function changed(token: string, part: number): string {
  const parts = token.split('.');
  const text = parts[part] ?? '';
  parts[part] = (text.startsWith('A') ? 'B' : 'A') + text.slice(1);
  return parts.join('.');
}

describe('verifyTicket', () => {
  let key: TestKey;
  let keys: TicketKeys;
  const options = (): { keys: TicketKeys; issuer: string; domain: string } => ({ keys, issuer: ISSUER, domain: DOMAIN });

  before(async () => {
    key = await testKey();
    keys = localTicketKeys(keySetOf(key));
  });

  test('a valid ticket gives its user, session, times and id', async () => {
    const claims = ticketClaims();
    const user = await verifyTicket(await sign(key, claims), options());
    assert.deepEqual(user, {
      userId: 'user-1',
      login: 'alice',
      domain: DOMAIN,
      sessionHandle: 'session-1',
      issuedAt: (claims.iat ?? 0) * 1000,
      expiresAt: (claims.exp ?? 0) * 1000,
      ticketId: claims.jti,
    });
  });

  test('an ES256 key of the set verifies too; a key whose own alg differs from the header does not', async () => {
    const ec = await testKey('ES256');
    const both = localTicketKeys(keySetOf(key, ec));
    assert.equal((await verifyTicket(await signTicket(ec), { ...options(), keys: both })).login, 'alice');
    const mislabelled = localTicketKeys({ keys: [{ ...key.jwk, alg: 'ES256' }] });
    assert.equal(await refusal(verifyTicket(await signTicket(key), { ...options(), keys: mislabelled })), 'unknownKey');
  });

  test('E35: a ticket with one byte changed (header, claims or signature) is refused', async () => {
    const ticket = await signTicket(key);
    assert.equal(await refusal(verifyTicket(changed(ticket, 1), options())), 'signature');
    assert.equal(await refusal(verifyTicket(changed(ticket, 2), options())), 'signature');
    assert.equal(await refusal(verifyTicket(changed(ticket, 0), options())), 'malformed');
  });

  test('E35: a ticket with alg none is refused before any key is looked at', async () => {
    assert.equal(await refusal(verifyTicket(unsigned(key, ticketClaims()), options())), 'algorithm');
  });

  test('E35: a ticket signed HS256 with the public key as the secret is refused', async () => {
    assert.equal(await refusal(verifyTicket(hs256WithPublicKey(key, ticketClaims()), options())), 'algorithm');
  });

  test('E35: a ticket with a kid that is not published is refused', async () => {
    const other = await testKey();
    assert.equal(await refusal(verifyTicket(await signTicket(other), options())), 'unknownKey');
    assert.equal(await refusal(verifyTicket(await sign(key, ticketClaims(), { kid: 'no-such-key' }), options())), 'unknownKey');
  });

  test('E35: a ticket for another domain is refused, and so is one whose domain and aud differ or whose aud is a list', async () => {
    const elsewhere = await signTicket(key, { domain: 'example.fr', aud: 'example.fr' });
    assert.equal(await refusal(verifyTicket(elsewhere, options())), 'domain');
    assert.equal(await refusal(verifyTicket(await signTicket(key, { domain: 'example.fr' }), options())), 'domain');
    assert.equal(await refusal(verifyTicket(await signTicket(key, { aud: [DOMAIN, 'example.fr'] }), options())), 'domain');
  });

  test('E35: an expired ticket is refused; within the 30 s of clock tolerance it is still valid', async () => {
    const nowMs = Date.now();
    const ticket = await signTicket(key, {}, nowMs);
    const exp = Math.floor(nowMs / 1000) + 3600;
    assert.equal((await verifyTicket(ticket, { ...options(), now: () => (exp + 29) * 1000 })).login, 'alice');
    assert.equal(await refusal(verifyTicket(ticket, { ...options(), now: () => (exp + 30) * 1000 })), 'expired');
  });

  test('a ticket issued more than 30 s in the future is not yet valid', async () => {
    const nowMs = Date.now();
    const ticket = await signTicket(key, {}, nowMs + 31_000);
    assert.equal(await refusal(verifyTicket(ticket, { ...options(), now: () => nowMs })), 'notYetValid');
    assert.equal((await verifyTicket(ticket, { ...options(), now: () => nowMs + 2000 })).login, 'alice');
  });

  test('another issuer is refused', async () => {
    assert.equal(await refusal(verifyTicket(await signTicket(key, { iss: 'https://evil.example/relay' }), options())), 'issuer');
  });

  test('E35: a logout token used as a ticket is refused, and a ticket used as a logout token', async () => {
    assert.equal(await refusal(verifyTicket(await signLogoutToken(key), options())), 'type');
    assert.equal(await refusal(verifyLogoutToken(await signTicket(key), options())), 'type');
  });

  test('a header with jku, jwk, x5u or x5c, a missing claim, a token too long or not a JWS: malformed', async () => {
    for (const header of [{ jku: 'https://evil.example/keys' }, { jwk: key.jwk }, { x5u: 'https://evil.example/c' }, { x5c: ['AAAA'] }]) {
      assert.equal(await refusal(verifyTicket(await sign(key, ticketClaims(), header), options())), 'malformed', JSON.stringify(header));
    }
    const { sid: _sid, ...withoutSid } = ticketClaims();
    assert.equal(await refusal(verifyTicket(await sign(key, withoutSid), options())), 'malformed');
    assert.equal(await refusal(verifyTicket(await signTicket(key, { login: 42 }), options())), 'malformed');
    assert.equal(await refusal(verifyTicket(await signTicket(key, { padding: 'x'.repeat(4000) }), options())), 'malformed');
    for (const text of ['', 'a.b', 'a.b.c.d', 'not a ticket', '%%%.e30.AAAA'])
      assert.equal(await refusal(verifyTicket(text, options())), 'malformed');
  });

  test('E35: a ticket replayed at the same receiver is refused (one-time jti); without oneTime the cookie stays valid', async () => {
    const state = memoryReceiverState();
    const ticket = await signTicket(key);
    await verifyTicket(ticket, { ...options(), state, oneTime: true });
    assert.equal(await refusal(verifyTicket(ticket, { ...options(), state, oneTime: true })), 'replayed');
    assert.equal((await verifyTicket(ticket, { ...options(), state })).login, 'alice');
  });

  test('E35: a ticket after logout of its session, or of every session of its user after it was issued, is refused', async () => {
    const state = memoryReceiverState();
    const nowMs = Date.now();
    const old = await signTicket(key, { sid: 'session-2' }, nowMs - 60_000);
    await state.logOutSession('session-1');
    assert.equal(await refusal(verifyTicket(await signTicket(key), { ...options(), state })), 'loggedOut');
    await state.logOutUser('user-1', Math.floor(nowMs / 1000));
    assert.equal(await refusal(verifyTicket(old, { ...options(), state })), 'loggedOut');
    const later = await signTicket(key, { sid: 'session-3' }, nowMs + 1000);
    assert.equal((await verifyTicket(later, { ...options(), state })).sessionHandle, 'session-3');
  });

  test('a remembered ticket is checked again: its times, issuer, domain, type and logout, and its key in the key set', async () => {
    const nowMs = Date.now();
    const ticket = await signTicket(key, {}, nowMs);
    const exp = Math.floor(nowMs / 1000) + 3600;
    assert.equal((await verifyTicket(ticket, options())).login, 'alice');
    assert.equal(await refusal(verifyTicket(ticket, { ...options(), now: () => (exp + 30) * 1000 })), 'expired');
    assert.equal(await refusal(verifyTicket(ticket, { ...options(), issuer: 'https://other.example/relay' })), 'issuer');
    assert.equal(await refusal(verifyTicket(ticket, { ...options(), domain: 'example.fr' })), 'domain');
    assert.equal(await refusal(verifyLogoutToken(ticket, options())), 'type');
    const state = memoryReceiverState();
    await state.logOutSession('session-1');
    assert.equal(await refusal(verifyTicket(ticket, { ...options(), state })), 'loggedOut');
    assert.equal(await refusal(verifyTicket(ticket, { ...options(), keys: localTicketKeys({ keys: [] }) })), 'unknownKey');
    assert.equal((await verifyTicket(ticket, options())).login, 'alice');
  });

  test('a remembered ticket is verified in full when the key source gives another key object; at most VERIFIED_TOKENS_KEPT are remembered', async () => {
    const imported = async (): Promise<CryptoKey> => crypto.subtle.importKey('jwk', key.jwk, 'Ed25519', false, ['verify']);
    let current = await imported();
    let calls = 0;
    const counting: TicketKeys = (header) => {
      calls += 1;
      if (header.kid !== key.kid) throw new errors.JWKSNoMatchingKey();
      return Promise.resolve(current);
    };
    const verifyCounting = async (ticket: string): Promise<number> => {
      calls = 0;
      await verifyTicket(ticket, { keys: counting, issuer: ISSUER, domain: DOMAIN });
      return calls;
    };
    const first = await signTicket(key);
    assert.equal(await verifyCounting(first), 1); // verified by jose
    assert.equal(await verifyCounting(first), 1); // remembered: the key looked up, the same one
    current = await imported();
    assert.equal(await verifyCounting(first), 2); // another key object: looked up, then verified in full
    for (let i = 0; i < VERIFIED_TOKENS_KEPT; i++) await verifyCounting(await signTicket(key));
    current = await imported();
    assert.equal(await verifyCounting(first), 1); // forgotten: verified in full at once
  });

  test('a logout token names one session, or every session of its user before iat', async () => {
    const nowMs = Date.now();
    assert.deepEqual(await verifyLogoutToken(await signLogoutToken(key, { nowMs }), options()), {
      userId: 'user-1',
      sessionHandle: 'session-1',
      issuedAt: Math.floor(nowMs / 1000) * 1000,
    });
    assert.equal((await verifyLogoutToken(await signLogoutToken(key, { sid: null }), options())).sessionHandle, null);
    assert.equal(await refusal(verifyLogoutToken(await signLogoutToken(key, { domain: 'example.fr' }), options())), 'domain');
  });
});

describe('remoteTicketKeys', () => {
  let ca: TestCa;
  let key: TestKey;
  let server: KeySetServer;
  const verify = (ticket: string, keys: TicketKeys): Promise<unknown> => verifyTicket(ticket, { keys, issuer: ISSUER, domain: DOMAIN });

  before(async () => {
    ca = await openTestCa();
    key = await testKey();
    server = await serveKeySet(ca.server, keySetOf(key));
  });
  after(() => server.close());

  test('fetches the key set over HTTPS trusting the given CA; an untrusted server is keysUnavailable', async () => {
    assert.ok(await verify(await signTicket(key), remoteTicketKeys(server.url, { ca: ca.caPem })));
    const other = await openTestCa();
    assert.equal(await refusal(verify(await signTicket(key), remoteTicketKeys(server.url, { ca: other.caPem }))), 'keysUnavailable');
  });

  test('plain http is refused except on a loopback address', () => {
    assert.throws(() => remoteTicketKeys('http://sso.example.com/tickets/keys'), /must be https/);
    assert.doesNotThrow(() => remoteTicketKeys('http://127.0.0.1:1180/tickets/keys'));
    assert.doesNotThrow(() => remoteTicketKeys('http://[::1]:1180/tickets/keys'));
  });

  test('E35: a kid that is not published fetches the set again only after 30 s, so a flood of them costs one fetch', async () => {
    const keys = remoteTicketKeys(server.url, { ca: ca.caPem });
    await verify(await signTicket(key), keys);
    const before = server.fetches;
    const stranger = await testKey();
    for (let i = 0; i < 5; i++) assert.equal(await refusal(verify(await signTicket(stranger), keys)), 'unknownKey');
    assert.equal(server.fetches, before);
  });

  test('E35: after key rotation a ticket of the old key is valid while the old key is served, refused once it is removed', async () => {
    const next = await testKey();
    server.keySet = keySetOf(key, next);
    try {
      const keys = remoteTicketKeys(server.url, { ca: ca.caPem });
      const oldTicket = await signTicket(key);
      assert.ok(await verify(oldTicket, keys));
      assert.ok(await verify(await signTicket(next), keys));
      server.keySet = keySetOf(next);
      await keys.reload(); // what the cache's end (5 minutes) does
      assert.equal(await refusal(verify(oldTicket, keys)), 'unknownKey');
      assert.ok(await verify(await signTicket(next), keys));
    } finally {
      server.keySet = keySetOf(key);
    }
  });

  test('keys with a private member, without alg, or of another curve are left out of the set', async () => {
    const loose = { ...key.jwk, d: 'AAAA' };
    const { alg: _alg, ...withoutAlg } = key.jwk;
    for (const set of [{ keys: [loose] }, { keys: [withoutAlg] }, { keys: [{ ...key.jwk, crv: 'Ed448' }] }]) {
      server.keySet = set;
      try {
        assert.equal(await refusal(verify(await signTicket(key), remoteTicketKeys(server.url, { ca: ca.caPem }))), 'unknownKey');
      } finally {
        server.keySet = keySetOf(key);
      }
    }
  });

  test('a key set larger than 64 KiB, or not JSON, is keysUnavailable', async () => {
    for (const body of [JSON.stringify({ keys: [key.jwk], padding: 'x'.repeat(70 * 1024) }), 'not json']) {
      server.rawBody = body;
      try {
        assert.equal(await refusal(verify(await signTicket(key), remoteTicketKeys(server.url, { ca: ca.caPem }))), 'keysUnavailable');
      } finally {
        server.rawBody = null;
      }
    }
  });

  test('a key set server that never answers is keysUnavailable at the timeout', async () => {
    const silent = https.createServer({ key: ca.server.key, cert: ca.server.cert }, () => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = silent.address() as AddressInfo;
      const keys = remoteTicketKeys(`https://127.0.0.1:${port}/tickets/keys`, { ca: ca.caPem, timeoutMs: 300 });
      assert.equal(await refusal(verify(await signTicket(key), keys)), 'keysUnavailable');
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });
});
