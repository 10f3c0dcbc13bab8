// The audit trail: the part of the Store contract suite (index.ts) that every engine runs.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { HOUR, T0, type StoreTest } from './fixtures.js';
import type { AuditEvent, AuditRecord } from '../../../../src/core/store/index.js';

function registerAuditTests(storeTest: StoreTest): void {
  const event = (overrides: Partial<AuditEvent> = {}): AuditEvent => ({
    at: T0,
    type: 'user.created',
    actor: `application:${randomUUID()}`,
    target: `user:${randomUUID()}`,
    outcome: 'ok',
    detail: { login: 'alice@example.com', count: 2, flag: true, none: null },
    ...overrides,
  });

  storeTest('appendAudit keeps every field; queryAudit gives the newest first with increasing ids', async (store) => {
    const first = event();
    const second = event({ at: T0 + 1, type: 'authentication.failed', outcome: 'invalidCredentials', detail: {} });
    await store.appendAudit(first);
    await store.appendAudit(second);
    const records = await store.queryAudit({ limit: 10 });
    assert.equal(records.length, 2);
    const [newest, oldest] = records as [AuditRecord, AuditRecord];
    assert.ok(newest.id > oldest.id);
    assert.deepEqual({ ...newest, id: 0 }, { ...second, id: 0 });
    assert.deepEqual({ ...oldest, id: 0 }, { ...first, id: 0 });
  });

  storeTest('queryAudit filters by time, type, actor and target, and pages by id', async (store) => {
    const alice = event({ at: T0, target: 'user:alice' });
    const failed = event({ at: T0 + 10, type: 'authentication.failed', actor: 'guest', target: 'login:bob' });
    const bob = event({ at: T0 + 20, target: 'user:bob', actor: 'operator' });
    for (const e of [alice, failed, bob]) await store.appendAudit(e);
    const targets = (records: readonly AuditRecord[]): string[] => records.map((r) => r.target);

    assert.deepEqual(targets(await store.queryAudit({ since: T0 + 10, limit: 10 })), ['user:bob', 'login:bob']);
    assert.deepEqual(targets(await store.queryAudit({ until: T0 + 10, limit: 10 })), ['user:alice']);
    assert.deepEqual(targets(await store.queryAudit({ type: 'authentication.failed', limit: 10 })), ['login:bob']);
    assert.deepEqual(targets(await store.queryAudit({ actor: 'operator', limit: 10 })), ['user:bob']);
    assert.deepEqual(targets(await store.queryAudit({ target: 'user:alice', limit: 10 })), ['user:alice']);
    const [page] = await store.queryAudit({ limit: 1 });
    assert.deepEqual(targets(await store.queryAudit({ beforeId: page?.id ?? 0, limit: 10 })), ['login:bob', 'user:alice']);
  });

  storeTest('trimAudit deletes the events before a time', async (store) => {
    await store.appendAudit(event({ at: T0 }));
    await store.appendAudit(event({ at: T0 + HOUR }));
    assert.equal(await store.trimAudit(T0 + 1), 1);
    assert.deepEqual(
      (await store.queryAudit({ limit: 10 })).map((r) => r.at),
      [T0 + HOUR],
    );
    assert.equal(await store.trimAudit(T0 + 1), 0);
  });
}

export function auditContract(storeTest: StoreTest): void {
  registerAuditTests(storeTest);
}
