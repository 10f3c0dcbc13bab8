// The outbox of domain events and the subscribers' cursors (core/store/outbox.ts): the statements,
// once for every engine, and the store's part.
import { step, type Executor } from '../executor.js';
import { sql } from '../sql/statement.js';
import type { OutboxEventRecord, OutboxStore } from '../../../core/store/index.js';

/**
 * The advisory lock that orders appends on PostgreSQL (dialect.ts inCommitOrder): an identity value
 * is taken before its row commits, so without it a reader could see event 8 committed before event 7
 * and move a cursor past 7 for good; under the lock, held from before the id is taken until the
 * commit, ids become visible in their order. SQLite has one writer at a time.
 */
export const OUTBOX_LOCK_KEY = 0x55d0_0002;

type Lease = { subscriber: string; owner: string };

// One statement: the lock is taken by the FROM clause, before the row (and its id) is formed.
const append = sql<{ at: number; type: string; payload: string }, { id: number }>(
  'outbox_append',
  (d) =>
    `INSERT INTO outbox_events (at, type, payload) SELECT @at::bigint, @type::text, @payload::text${d.inCommitOrder(OUTBOX_LOCK_KEY)} RETURNING id`,
);
const read = sql<{ after: number; limit: number }, OutboxEventRecord>(
  'outbox_read',
  () => 'SELECT id, at, type, payload FROM outbox_events WHERE id > @after ORDER BY id LIMIT @limit',
);
const createCursor = sql<{ subscriber: string; startAtEnd: number }>(
  'outbox_create_cursor',
  () => `INSERT INTO outbox_cursors (subscriber, position, lease_owner, lease_until)
  VALUES (@subscriber, CASE WHEN @startAtEnd::integer = 1 THEN (SELECT COALESCE(MAX(id), 0) FROM outbox_events) ELSE 0 END, NULL, 0)
  ON CONFLICT (subscriber) DO NOTHING`,
);
// Of two PostgreSQL nodes claiming at once, the second waits for the first's row lock, then reads its lease.
const takeLease = sql<Lease & { now: number; leaseUntil: number }, { position: number }>(
  'outbox_take_lease',
  () => `UPDATE outbox_cursors
  SET lease_owner = @owner, lease_until = @leaseUntil
  WHERE subscriber = @subscriber AND (lease_owner IS NULL OR lease_owner = @owner OR lease_until <= @now) RETURNING position`,
);
const advance = sql<Lease & { position: number; leaseUntil: number }>(
  'outbox_advance',
  (d) => `UPDATE outbox_cursors
  SET position = ${d.greatest('position', '@position')}, lease_until = @leaseUntil WHERE subscriber = @subscriber AND lease_owner = @owner`,
);
const release = sql<Lease>(
  'outbox_release',
  () => 'UPDATE outbox_cursors SET lease_owner = NULL, lease_until = 0 WHERE subscriber = @subscriber AND lease_owner = @owner',
);
const trim = sql<{ before: number }>(
  'outbox_trim',
  () => 'DELETE FROM outbox_events WHERE at < @before OR id <= (SELECT COALESCE(MIN(position), 0) FROM outbox_cursors)',
);
// The event just appended in this transaction has the largest id: the append's ordering (above) holds until commit.
const appendAuditOfLast = sql<{ at: number; type: string; actor: string; target: string; outcome: string; detail: string }>(
  'outbox_append_audit_of_last',
  () => `INSERT INTO audit_events (at, type, actor, target, outcome, detail, event_id)
  VALUES (@at, @type, @actor, @target, @outcome, @detail, (SELECT MAX(id) FROM outbox_events))`,
);
const appendAudit = sql<{ at: number; type: string; actor: string; target: string; outcome: string; detail: string; eventId: number }>(
  'outbox_append_audit',
  () => `INSERT INTO audit_events (at, type, actor, target, outcome, detail, event_id)
  VALUES (@at, @type, @actor, @target, @outcome, @detail, @eventId) ON CONFLICT (event_id) DO NOTHING`,
);

export function outboxPart(x: Executor): OutboxStore {
  return {
    async appendOutboxEvent(event, audit) {
      if (audit !== undefined && audit !== null) {
        const done = await x.batch([step(append, event), step(appendAuditOfLast, { ...audit, detail: JSON.stringify(audit.detail) })]);
        const appended = done?.[0]?.rows[0] as { id: number } | undefined;
        if (appended === undefined) throw new Error('appendOutboxEvent returned no id');
        return appended.id;
      }
      const row = await x.one(append, event);
      if (row === null) throw new Error('appendOutboxEvent returned no id');
      return row.id;
    },
    readOutbox: (after, limit) => x.all(read, { after, limit }),
    async claimOutboxCursor(subscriber, owner, now, leaseUntil, startAtEnd) {
      const done = await x.batch([
        step(createCursor, { subscriber, startAtEnd: startAtEnd ? 1 : 0 }),
        step(takeLease, { subscriber, owner, now, leaseUntil }),
      ]);
      const row = done?.[1]?.rows[0] as { position: number } | undefined;
      return row?.position ?? null;
    },
    advanceOutboxCursor: async (subscriber, owner, position, leaseUntil) =>
      (await x.run(advance, { subscriber, owner, position, leaseUntil })) > 0,
    async releaseOutboxCursor(subscriber, owner) {
      await x.run(release, { subscriber, owner });
    },
    trimOutbox: (before) => x.run(trim, { before }),
    appendAuditOfEvent: async (eventId, event) =>
      (await x.run(appendAudit, {
        at: event.at,
        type: event.type,
        actor: event.actor,
        target: event.target,
        outcome: event.outcome,
        detail: JSON.stringify(event.detail),
        eventId,
      })) > 0,
  };
}
