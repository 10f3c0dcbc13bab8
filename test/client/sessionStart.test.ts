// verifySessionStartCallback and sessionStartAnswer (docs/groups.md "On Session Start callbacks"),
// with requests signed here by a test key: what is accepted, and every check that refuses one.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import type { JWTPayload } from 'jose';
import {
  localTicketKeys,
  sessionStartAnswer,
  TicketError,
  verifySessionStartCallback,
  type TicketErrorCode,
  type TicketKeys,
} from '../../src/client/index.js';
import { hs256WithPublicKey, ISSUER, keySetOf, sign, signTicket, testKey, unsigned, type TestKey } from '../helpers/ticketSigner.js';

const URL_ = 'https://panel.example.com/ssod/session-start';

function requestClaims(overrides: JWTPayload = {}, nowMs = Date.now()): JWTPayload {
  const iat = Math.floor(nowMs / 1000);
  return {
    iss: ISSUER,
    aud: URL_,
    iat,
    exp: iat + 60,
    jti: 'session-1:app-1',
    sid: 'session-1',
    sub: 'user-1',
    login: 'alice',
    app: 'app-1',
    started_for: 'app-0',
    group: 'books',
    order: 'firstVisit',
    ...overrides,
  };
}

async function refusal(promise: Promise<unknown>): Promise<TicketErrorCode> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof TicketError) return error.code;
    throw error;
  }
  assert.fail('the request was accepted');
}

describe('verifySessionStartCallback', () => {
  let key: TestKey;
  let keys: TicketKeys;
  const signRequest = (claims: JWTPayload) => sign(key, claims, { typ: 'ssod-session-start+jwt' });

  before(async () => {
    key = await testKey();
    keys = localTicketKeys(keySetOf(key));
  });

  test('callbacks: a valid request gives the session, the user, who is called and why', async () => {
    const claims = requestClaims();
    const request = await verifySessionStartCallback(Buffer.from(await signRequest(claims)), keys, {
      url: URL_,
      issuer: ISSUER,
      applicationId: 'app-1',
    });
    assert.deepEqual(request, {
      requestId: 'session-1:app-1',
      sessionHandle: 'session-1',
      userId: 'user-1',
      login: 'alice',
      applicationId: 'app-1',
      startedFor: 'app-0',
      group: 'books',
      order: 'firstVisit',
      issuedAt: (claims.iat ?? 0) * 1000,
      expiresAt: (claims.exp ?? 0) * 1000,
    });
    const { group: _group, ...ungrouped } = requestClaims();
    assert.equal((await verifySessionStartCallback(await signRequest(ungrouped), keys, { url: URL_ })).group, null);
  });

  test('H55: callbacks: another URL, issuer or application, an expired request, a ticket, alg none or HS256 with the public key are refused', async () => {
    const good = requestClaims();
    assert.equal(await refusal(verifySessionStartCallback(await signRequest(good), keys, { url: `${URL_}/other` })), 'domain');
    assert.equal(
      await refusal(verifySessionStartCallback(await signRequest(good), keys, { url: URL_, issuer: 'https://evil.example/relay' })),
      'issuer',
    );
    assert.equal(await refusal(verifySessionStartCallback(await signRequest(good), keys, { url: URL_, applicationId: 'app-2' })), 'domain');
    const old = requestClaims({}, Date.now() - 10 * 60_000);
    assert.equal(await refusal(verifySessionStartCallback(await signRequest(old), keys, { url: URL_ })), 'expired');
    assert.equal(await refusal(verifySessionStartCallback(await signTicket(key, { aud: URL_ }), keys, { url: URL_ })), 'type');
    assert.equal(await refusal(verifySessionStartCallback(unsigned(key, good), keys, { url: URL_ })), 'algorithm');
    assert.equal(await refusal(verifySessionStartCallback(hs256WithPublicKey(key, good), keys, { url: URL_ })), 'algorithm');
    assert.equal(
      await refusal(verifySessionStartCallback(await signRequest(requestClaims({ order: 'whenever' })), keys, { url: URL_ })),
      'malformed',
    );
    const { started_for: _startedFor, ...missing } = good;
    assert.equal(await refusal(verifySessionStartCallback(await signRequest(missing), keys, { url: URL_ })), 'malformed');
    const other = await testKey();
    assert.equal(
      await refusal(verifySessionStartCallback(await sign(other, good, { typ: 'ssod-session-start+jwt' }), keys, { url: URL_ })),
      'unknownKey',
    );
  });

  test('callbacks: sessionStartAnswer is a 200 JSON reply with the variables', () => {
    const answer = sessionStartAnswer({ plan: 'gold' });
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.headers, { 'Content-Type': 'application/json' });
    assert.deepEqual(JSON.parse(answer.body), { variables: { plan: 'gold' } });
    assert.deepEqual(JSON.parse(sessionStartAnswer().body), { variables: {} });
  });
});
