// The Store contract of a browser session started without a relay token and of the outbox of
// domain events (src/core/store/outbox.ts, src/core/store/sessions.ts): the part of the Store
// contract suite (index.ts) that every engine runs.
import assert from 'node:assert/strict';
import type { AuditEvent } from '../../../../src/core/store/index.js';
import { seedOwnedUser, sessionParts, type StoreTest } from './fixtures.js';

const T0 = 1_700_000_000_000;
const LEASE = 30_000;

function event(at: number, type = 'user.created'): { at: number; type: string; payload: string } {
  return { at, type, payload: JSON.stringify({ type, actor: 'operator', at }) };
}

function auditEvent(target: string): AuditEvent {
  return { at: T0, type: 'user.created', actor: 'operator', target, outcome: 'ok', detail: { login: 'a' } };
}

export function outboxContract(storeTest: StoreTest): void {
  {
    storeTest('insertGlobalSession stores a session bound to its cookie, with no local session and no token', async (store) => {
      const user = await seedOwnedUser(store);
      const { global } = sessionParts(user.id, { cookieHash: 'c'.repeat(64), cookieSealedSecret: 'c2VhbGVk' });
      await store.insertGlobalSession(global);
      assert.deepEqual(await store.findSessionByCookie('c'.repeat(64)), global);
      assert.deepEqual(
        (await store.listSessions({ userId: user.id, limit: 10 })).map((s) => s.baseUrls),
        [[]],
      );
    });

    storeTest('ensureLocalSession says whether it inserted', async (store) => {
      const user = await seedOwnedUser(store);
      const { global, local } = sessionParts(user.id);
      await store.insertGlobalSession(global);
      assert.equal(await store.ensureLocalSession(local), true);
      assert.equal(await store.ensureLocalSession({ ...local, createdAt: local.createdAt + 1 }), false);
    });

    storeTest('appended events get increasing ids and are read back in order, after a position, a page at a time', async (store) => {
      const ids = [];
      for (let i = 0; i < 5; i++) ids.push(await store.appendOutboxEvent(event(T0 + i)));
      assert.deepEqual(
        [...ids].sort((a, b) => a - b),
        ids,
      );
      assert.equal(new Set(ids).size, 5);
      const page = await store.readOutbox(ids[1] ?? 0, 2);
      assert.deepEqual(
        page,
        [ids[2], ids[3]].map((id, i) => ({ id, ...event(T0 + 2 + i) })),
      );
      assert.deepEqual(await store.readOutbox(ids[4] ?? 0, 10), []);
    });

    storeTest('a cursor starts at 0, or at the last event; one owner holds its lease until it expires or is given up', async (store) => {
      const last = await store.appendOutboxEvent(event(T0));
      assert.equal(await store.claimOutboxCursor('a', 'node1', T0, T0 + LEASE, false), 0);
      assert.equal(await store.claimOutboxCursor('b', 'node1', T0, T0 + LEASE, true), last);
      assert.equal(await store.claimOutboxCursor('a', 'node2', T0 + 1, T0 + 1 + LEASE, false), null, 'held by node1');
      assert.equal(await store.claimOutboxCursor('a', 'node1', T0 + 1, T0 + 1 + LEASE, false), 0, 'the owner renews it');
      assert.equal(await store.claimOutboxCursor('a', 'node2', T0 + 1 + LEASE, T0 + 1 + 2 * LEASE, false), 0, 'expired: node2 takes it');
      assert.equal(await store.advanceOutboxCursor('a', 'node1', last, T0 + 2 * LEASE), false, 'node1 holds it no more');
      await store.releaseOutboxCursor('a', 'node2');
      assert.equal(await store.claimOutboxCursor('a', 'node1', T0 + 2, T0 + 2 + LEASE, false), 0, 'given up: free at once');
    });

    storeTest('a cursor moves forward only, and only for the lease holder', async (store) => {
      const first = await store.appendOutboxEvent(event(T0));
      const second = await store.appendOutboxEvent(event(T0));
      await store.claimOutboxCursor('a', 'node1', T0, T0 + LEASE, false);
      assert.equal(await store.advanceOutboxCursor('a', 'node1', second, T0 + LEASE), true);
      assert.equal(await store.advanceOutboxCursor('a', 'node1', first, T0 + LEASE), true);
      await store.releaseOutboxCursor('a', 'node1');
      assert.equal(await store.claimOutboxCursor('a', 'node2', T0, T0 + LEASE, false), second);
    });

    storeTest('trimOutbox deletes the events older than a time and those every cursor has passed', async (store) => {
      const old = await store.appendOutboxEvent(event(T0));
      const passed = await store.appendOutboxEvent(event(T0 + 10));
      const pending = await store.appendOutboxEvent(event(T0 + 10));
      await store.claimOutboxCursor('a', 'n', T0, T0 + LEASE, false);
      await store.advanceOutboxCursor('a', 'n', passed, T0 + LEASE);
      await store.claimOutboxCursor('b', 'n', T0, T0 + LEASE, false);
      assert.equal(await store.trimOutbox(T0 + 5), 1, 'only the old one: b has passed nothing');
      await store.advanceOutboxCursor('b', 'n', pending, T0 + LEASE);
      assert.equal(await store.trimOutbox(T0 + 5), 1, 'a has passed `passed`, b everything');
      assert.deepEqual(
        (await store.readOutbox(0, 10)).map((e) => e.id),
        [pending],
      );
      assert.ok(old < passed);
    });

    storeTest('appendAuditOfEvent writes one record per event however often it is called', async (store) => {
      const id = await store.appendOutboxEvent(event(T0));
      assert.equal(await store.appendAuditOfEvent(id, auditEvent('user:x')), true);
      assert.equal(await store.appendAuditOfEvent(id, auditEvent('user:x')), false);
      await store.appendAudit(auditEvent('user:x'));
      await store.appendAudit(auditEvent('user:x'));
      assert.equal((await store.queryAudit({ target: 'user:x', limit: 10 })).length, 3, 'records of no event are never deduplicated');
    });

    storeTest('an event appended with its audit record writes both at once, the record naming that event', async (store) => {
      const first = await store.appendOutboxEvent(event(T0), auditEvent('user:y'));
      const second = await store.appendOutboxEvent(event(T0 + 1), auditEvent('user:z'));
      assert.ok(second > first);
      assert.equal(await store.appendAuditOfEvent(first, auditEvent('user:y')), false, 'the record of the first event is there');
      assert.equal(await store.appendAuditOfEvent(second, auditEvent('user:z')), false, 'and of the second');
      assert.deepEqual((await store.queryAudit({ limit: 10 })).map((record) => record.target).sort(), ['user:y', 'user:z']);
      assert.deepEqual(
        (await store.readOutbox(0, 10)).map((e) => e.id),
        [first, second],
      );
    });
  }
}
