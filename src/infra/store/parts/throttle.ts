// Brute-force protection (core/throttle.ts): the statements, once for every engine, and the store's part.
import { THROTTLE_COLUMNS } from '../columns.js';
import { step, type Executor } from '../executor.js';
import type { Dialect } from '../sql/dialect.js';
import { sql } from '../sql/statement.js';
import type { AttemptCount, CountedAttempt, ThrottleRecord, ThrottleStore } from '../../../core/store/index.js';

type Key = { readonly key: string };
type CountParams = Omit<AttemptCount, never> & {
  readonly attemptId: string;
  readonly now: number;
  readonly incrementMs: number;
  readonly maxMs: number;
};

/**
 * countAttempt for one key, as one upsert: the row lock orders concurrent attempts (also from
 * several nodes), and each sees the count and the lock that the previous one left. The key locks
 * when its new count reaches the threshold while no lock runs; `locked_by` names the attempt that
 * set the lock, so the attempt can tell its own lock from one it ran into. The SET expressions read
 * the old row. Typed placeholders: some appear where PostgreSQL cannot infer a type.
 */
function countAttemptText(d: Dialect): string {
  const t = 'login_throttle';
  const [attemptId, key, now, resetBefore, windowBefore, threshold, incrementMs, maxMs] = [
    '@attemptId::text',
    '@key::text',
    '@now::bigint',
    '@resetBefore::bigint',
    '@windowBefore::bigint',
    '@threshold::integer',
    '@incrementMs::bigint',
    '@maxMs::bigint',
  ];
  const reset = `(${t}.last_failure_at < ${resetBefore} OR (${windowBefore} IS NOT NULL AND ${t}.first_failure_at < ${windowBefore}))`;
  const failures = `(CASE WHEN ${reset} THEN 1 ELSE ${t}.failures + 1 END)`;
  const locks = (count: string, running: string): string => `(${running} AND ${threshold} > 0 AND ${count} >= ${threshold})`;
  const until = (count: string): string => `${now} + ${d.least(maxMs, `${incrementMs} * (${count} - ${threshold} + 1)`)}`;
  const free = `NOT (${t}.locked_until IS NOT NULL AND ${t}.locked_until > ${now})`;
  return `INSERT INTO ${t} (key, failures, first_failure_at, last_failure_at, locked_until, locked_by)
    VALUES (${key}, 1, ${now}, ${now},
      CASE WHEN ${locks('1', 'TRUE')} THEN ${until('1')} ELSE NULL END,
      CASE WHEN ${locks('1', 'TRUE')} THEN ${attemptId} ELSE NULL END)
    ON CONFLICT (key) DO UPDATE SET
      failures = ${failures},
      first_failure_at = CASE WHEN ${reset} THEN ${now} ELSE ${t}.first_failure_at END,
      last_failure_at = ${d.greatest(`${t}.last_failure_at`, now)},
      locked_until = CASE WHEN ${locks(failures, free)} THEN ${until(failures)} ELSE ${t}.locked_until END,
      locked_by = CASE WHEN ${locks(failures, free)} THEN ${attemptId} ELSE ${t}.locked_by END
    RETURNING ${THROTTLE_COLUMNS}, locked_by AS "lockedBy"`;
}

/** A row of countAttempt: the record and the attempt that set its lock. */
interface CountedRow extends ThrottleRecord {
  readonly lockedBy: string | null;
}

function countedAttemptOf({ lockedBy, ...record }: CountedRow, attemptId: string, now: number): CountedAttempt {
  const locked = record.lockedUntil !== null && record.lockedUntil > now;
  return { record, lockedBefore: locked && lockedBy !== attemptId, setLock: locked && lockedBy === attemptId };
}

const countAttempt = sql<CountParams, CountedRow>('count_attempt', countAttemptText);
/** settleSuccess for a source: its count loses this attempt, and the lock loses its owner's claim. */
const refundAttempt = sql<{ attemptId: string; key: string }>(
  'refund_attempt',
  (d) => `UPDATE login_throttle SET failures = ${d.greatest('failures - 1', '0')},
  locked_until = CASE WHEN locked_by = @attemptId THEN NULL ELSE locked_until END,
  locked_by = CASE WHEN locked_by = @attemptId THEN NULL ELSE locked_by END
  WHERE key = @key`,
);
const getThrottles = sql<{ keys: string }, ThrottleRecord>(
  'get_throttles',
  (d) => `SELECT ${THROTTLE_COLUMNS} FROM login_throttle WHERE key IN (${d.jsonTextElements('@keys')})`,
);
const listThrottles = sql<{ limit: number }, ThrottleRecord>(
  'list_throttles',
  (d) => `SELECT ${THROTTLE_COLUMNS} FROM login_throttle ORDER BY last_failure_at DESC, ${d.bytewise('key')} LIMIT @limit`,
);
const clearThrottle = sql<Key>('clear_throttle', () => 'DELETE FROM login_throttle WHERE key = @key');
const purgeThrottles = sql<{ before: number; now: number }>(
  'purge_throttles',
  () => 'DELETE FROM login_throttle WHERE last_failure_at < @before AND (locked_until IS NULL OR locked_until <= @now)',
);

/** Keys in one order on every node, so that two attempts sharing keys never wait on each other in a cycle. */
function byKey(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function throttlePart(x: Executor): ThrottleStore {
  return {
    async countAttempt(attemptId, counts, now, waits) {
      const ordered = [...counts].sort((a, b) => byKey(a.key, b.key));
      const results = await x.batch(
        ordered.map((count) => step(countAttempt, { ...count, attemptId, now, incrementMs: waits.incrementMs, maxMs: waits.maxMs })),
      );
      const counted = new Map<string, CountedAttempt>();
      ordered.forEach((count, index) => {
        const row = results?.[index]?.rows[0] as CountedRow | undefined;
        if (row === undefined) throw new Error('countAttempt returned no row');
        counted.set(count.key, countedAttemptOf(row, attemptId, now));
      });
      return counts.map((count) => counted.get(count.key) as CountedAttempt);
    },
    async settleSuccess(attemptId, clear, refund) {
      const keys = [...(clear === null ? [] : [clear]), ...refund].sort(byKey);
      await x.batch(keys.map((key) => (key === clear ? step(clearThrottle, { key }) : step(refundAttempt, { attemptId, key }))));
    },
    getThrottles: async (keys) => (keys.length === 0 ? [] : x.all(getThrottles, { keys: JSON.stringify(keys) })),
    listThrottles: (limit) => x.all(listThrottles, { limit }),
    clearThrottle: async (key) => (await x.run(clearThrottle, { key })) > 0,
    purgeThrottles: (before, now) => x.run(purgeThrottles, { before, now }),
  };
}
