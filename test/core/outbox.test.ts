// Domain events through the outbox: publish records the audit trail at once and appends the event;
// the dispatcher delivers every event in order, at least once, from each subscriber's cursor.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { auditTrail } from '../../src/core/audit.js';
import { publish } from '../../src/core/events.js';
import { OutboxDispatcher } from '../../src/core/outbox.js';
import { openSqliteStore } from '../../src/infra/store/sqlite.js';
import { contextOf, lockCleared, recorder } from '../helpers/outbox.js';

test('publish records the trail before it returns, and the dispatcher catching up writes no record twice', async () => {
  const store = await openSqliteStore(':memory:');
  try {
    const context = contextOf(store);
    await publish(context, lockCleared(1));
    assert.deepEqual(
      (await store.queryAudit({ limit: 10 })).map((r) => [r.type, r.target]),
      [['lock.cleared', 'login:user1']],
    );
    assert.equal(await new OutboxDispatcher(context, [auditTrail]).runOnce(), 1);
    assert.equal((await store.queryAudit({ limit: 10 })).length, 1);
  } finally {
    await store.close();
  }
});

test('events reach a subscriber in the order they were published; a failed one is retried from where it stopped', async () => {
  const store = await openSqliteStore(':memory:');
  try {
    const lines: string[] = [];
    const context = contextOf(store, lines);
    for (let n = 1; n <= 5; n++) await publish(context, lockCleared(n));
    let down = true;
    const subscriber = recorder('flaky', (stored) => down && stored.event.type === 'lock.cleared' && stored.event.key === 'login:user3');
    const dispatcher = new OutboxDispatcher(context, [subscriber], { batch: 2 });
    assert.equal(await dispatcher.runOnce(), 2);
    assert.deepEqual(subscriber.seen, ['login:user1', 'login:user2']);
    assert.match(lines.join(''), /outbox: delivery failed; tried again later.*"subscriber":"flaky".*subscriber down/);
    assert.equal(await dispatcher.runOnce(), 0, 'still down: nothing past the failed event');
    down = false;
    assert.equal(await dispatcher.runOnce(), 3);
    assert.deepEqual(subscriber.seen, ['login:user1', 'login:user2', 'login:user3', 'login:user4', 'login:user5']);
    assert.equal(await dispatcher.runOnce(), 0);
  } finally {
    await store.close();
  }
});

test('after a restart delivery resumes from the cursor in the store; a subscriber that starts at the end gets only what follows', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'ssod-outbox-'));
  const file = path.join(dir, 'ssod.db');
  try {
    const first = await openSqliteStore(file);
    await publish(contextOf(first), lockCleared(1));
    await publish(contextOf(first), lockCleared(2));
    const before = recorder('resuming');
    await new OutboxDispatcher(contextOf(first), [before]).runOnce();
    await publish(contextOf(first), lockCleared(3));
    await first.close();

    const second = await openSqliteStore(file);
    try {
      const after = recorder('resuming');
      const late = { ...recorder('late'), startAtEnd: true };
      const dispatcher = new OutboxDispatcher(contextOf(second), [after, late]);
      await dispatcher.runOnce();
      assert.deepEqual(before.seen, ['login:user1', 'login:user2']);
      assert.deepEqual(after.seen, ['login:user3']);
      await publish(contextOf(second), lockCleared(4));
      await dispatcher.runOnce();
      assert.deepEqual(late.seen, ['login:user4']);
    } finally {
      await second.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a running dispatcher delivers by itself and gives its leases up when stopped', async () => {
  const store = await openSqliteStore(':memory:');
  try {
    const context = contextOf(store);
    const subscriber = recorder('running');
    const dispatcher = new OutboxDispatcher(context, [subscriber], { intervalMs: 20 });
    dispatcher.start();
    await publish(context, lockCleared(1));
    const deadline = Date.now() + 5000;
    while (subscriber.seen.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    await dispatcher.stop();
    assert.deepEqual(subscriber.seen, ['login:user1']);
    assert.equal(
      await store.claimOutboxCursor('running', 'another node', Date.now(), Date.now() + 1000, false),
      (await store.readOutbox(0, 1))[0]?.id,
    );
  } finally {
    await store.close();
  }
});
