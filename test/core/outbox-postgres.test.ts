// Several nodes over one PostgreSQL store: each runs a dispatcher, and the lease on a subscriber's
// cursor lets one at a time deliver to it, so that every event reaches it once under normal operation.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { publish } from '../../src/core/events.js';
import { OutboxDispatcher } from '../../src/core/outbox.js';
import { openPostgresStore } from '../../src/infra/store/postgres.js';
import { createSchema, postgresSuite, type Isolated } from '../helpers/postgres.js';
import { contextOf, lockCleared, recorder } from '../helpers/outbox.js';

postgresSuite('outbox on PostgreSQL', () => {
  let schema: Isolated | null = null;
  after(() => schema?.drop());

  test('two dispatchers on one store deliver each event once per subscriber, in order, while events are being published', async () => {
    schema = await createSchema();
    const [a, b, publisher] = await Promise.all([1, 2, 3].map(() => openPostgresStore((schema as Isolated).url, { poolSize: 4 })));
    if (a === undefined || b === undefined || publisher === undefined) throw new Error('stores not opened');
    try {
      const seen: string[] = [];
      const shared = (name: string) => recorder(name, () => false, seen);
      const first = new OutboxDispatcher(contextOf(a), [shared('audit-like')], { batch: 7 });
      const second = new OutboxDispatcher(contextOf(b), [shared('audit-like')], { batch: 7 });
      const publishing = (async () => {
        for (let n = 1; n <= 60; n++) await publish(contextOf(publisher), lockCleared(n));
      })();
      // Both run again and again, concurrently, while events arrive and after the last one.
      let done = false;
      const loop = async (dispatcher: OutboxDispatcher): Promise<void> => {
        while (!done) await dispatcher.runOnce();
        await dispatcher.runOnce();
      };
      const loops = Promise.all([loop(first), loop(second)]);
      await publishing;
      done = true;
      await loops;
      await first.runOnce();
      assert.deepEqual(
        seen,
        Array.from({ length: 60 }, (_, i) => `login:user${i + 1}`),
      );
    } finally {
      await Promise.all([a.close(), b.close(), publisher.close()]);
    }
  });
});
