// Signed logon tickets: the part of the Store contract suite (index.ts) that every engine runs: the
// ticket-signing keys, the receivers, and the grants that logout reads.
import assert from 'node:assert/strict';
import {
  DuplicateReceiverError,
  type TicketGrant,
  type TicketKeyRecord,
  type TicketReceiverRecord,
} from '../../../../src/core/store/index.js';
import { MINUTE, T0, type StoreTest } from './fixtures.js';

function keyRecord(kid: string, overrides: Partial<TicketKeyRecord> = {}): TicketKeyRecord {
  return {
    kid,
    algorithm: 'EdDSA',
    publicJwk: JSON.stringify({ kty: 'OKP', crv: 'Ed25519', x: kid.padEnd(43, 'A') }),
    sealedKey: null,
    createdAt: T0,
    signsFrom: T0,
    revokedAt: null,
    ...overrides,
  };
}

function receiverRecord(name: string, overrides: Partial<TicketReceiverRecord> = {}): TicketReceiverRecord {
  return { name, domain: 'example.de', url: 'https://apps.example.de/.ssod/', caPem: null, createdAt: T0, ...overrides };
}

function grant(receiver: string, overrides: Partial<TicketGrant> = {}): TicketGrant {
  return { globalId: 'g1', receiver, userId: 'u1', issuedAt: T0, expiresAt: T0 + 60 * MINUTE, ...overrides };
}

export function ticketsContract(storeTest: StoreTest): void {
  storeTest('insertTicketKey stores every field; listTicketKeys gives them oldest first; a kid is stored once', async (store) => {
    assert.deepEqual(await store.listTicketKeys(), []);
    const newer = keyRecord('kid-b', { createdAt: T0 + MINUTE, signsFrom: T0 + 11 * MINUTE, sealedKey: 'v1.sealed' });
    const older = keyRecord('kid-a');
    assert.equal(await store.insertTicketKey(newer), true);
    assert.equal(await store.insertTicketKey(older), true);
    assert.equal(await store.insertTicketKey({ ...older, signsFrom: T0 + 99 }), false);
    assert.deepEqual(await store.listTicketKeys(), [older, newer]);
  });

  storeTest('revokeTicketKey records the time once; false for no such key or one revoked already', async (store) => {
    await store.insertTicketKey(keyRecord('kid-a'));
    assert.equal(await store.revokeTicketKey('kid-a', T0 + MINUTE), true);
    assert.equal(await store.revokeTicketKey('kid-a', T0 + 2 * MINUTE), false);
    assert.equal(await store.revokeTicketKey('absent', T0), false);
    assert.equal((await store.listTicketKeys())[0]?.revokedAt, T0 + MINUTE);
  });

  storeTest('receivers: insert, get, list by name byte-wise, a taken name refused, delete', async (store) => {
    const de = receiverRecord('billing-de', { caPem: '-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n' });
    const at = receiverRecord('apps-at', { domain: 'example.at', url: 'https://example.at/.ssod/' });
    await store.insertTicketReceiver(de);
    await store.insertTicketReceiver(at);
    assert.deepEqual(await store.getTicketReceiver('billing-de'), de);
    assert.deepEqual(await store.listTicketReceivers(), [at, de]);
    await assert.rejects(store.insertTicketReceiver(receiverRecord('apps-at')), DuplicateReceiverError);
    assert.equal(await store.deleteTicketReceiver('apps-at'), true);
    assert.equal(await store.deleteTicketReceiver('apps-at'), false);
    assert.equal(await store.getTicketReceiver('apps-at'), null);
    assert.deepEqual(await store.listTicketReceivers(), [de]);
  });

  storeTest('recordTicketGrant moves a grant forward, never back; listed per session and per user', async (store) => {
    await store.insertTicketReceiver(receiverRecord('b-rec'));
    await store.insertTicketReceiver(receiverRecord('a-rec'));
    await store.recordTicketGrant(grant('b-rec'));
    await store.recordTicketGrant(grant('b-rec', { issuedAt: T0 + MINUTE, expiresAt: T0 + 61 * MINUTE }));
    await store.recordTicketGrant(grant('b-rec', { issuedAt: T0 - MINUTE, expiresAt: T0 }));
    await store.recordTicketGrant(grant('a-rec', { globalId: 'g2' }));
    await store.recordTicketGrant(grant('a-rec', { globalId: 'g3', userId: 'u2' }));
    const moved = grant('b-rec', { issuedAt: T0 + MINUTE, expiresAt: T0 + 61 * MINUTE });
    assert.deepEqual(await store.listTicketGrants({ userId: 'u1', globalId: 'g1' }), [moved]);
    assert.deepEqual(await store.listTicketGrants({ userId: 'u1', globalId: null }), [grant('a-rec', { globalId: 'g2' }), moved]);
    assert.deepEqual(await store.listTicketGrants({ userId: 'u2', globalId: 'g1' }), [], 'a session of another user');
  });

  storeTest('deleteTicketGrants keeps a grant issued again after; purge and a removed receiver drop grants', async (store) => {
    await store.insertTicketReceiver(receiverRecord('a-rec'));
    await store.insertTicketReceiver(receiverRecord('b-rec'));
    const notified = grant('a-rec');
    await store.recordTicketGrant(notified);
    await store.recordTicketGrant(grant('a-rec', { globalId: 'g2' }));
    await store.recordTicketGrant(grant('a-rec', { issuedAt: T0 + MINUTE }));
    await store.recordTicketGrant(grant('b-rec', { globalId: 'g3', expiresAt: T0 + MINUTE }));
    await store.deleteTicketGrants([notified, grant('a-rec', { globalId: 'g2' })]);
    const all = await store.listTicketGrants({ userId: 'u1', globalId: null });
    assert.deepEqual(
      all.map((g) => [g.receiver, g.globalId]),
      [
        ['a-rec', 'g1'],
        ['b-rec', 'g3'],
      ],
    );
    assert.equal(await store.purgeTicketGrants(T0 + MINUTE), 1);
    assert.equal(await store.deleteTicketReceiver('a-rec'), true);
    assert.deepEqual(await store.listTicketGrants({ userId: 'u1', globalId: null }), []);
  });
}
