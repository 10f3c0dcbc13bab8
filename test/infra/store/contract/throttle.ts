// Brute-force protection: the part of the Store contract suite (index.ts) that every engine runs.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { HOUR, MINUTE, T0, sorted, type StoreTest } from './fixtures.js';
import type { Store } from '../../../../src/core/store/index.js';
import { defined } from '../../../helpers/defined.js';

function registerThrottleTests(storeTest: StoreTest): void {
  const HOUR_AGO = (now: number): number => now - HOUR;
  const WAITS = { incrementMs: MINUTE, maxMs: 5 * MINUTE };
  /** One attempt counted under `key` alone, with an hour's reset window and the given threshold (0: never locks). */
  const count = async (store: Store, key: string, now: number, threshold = 0, attemptId: string = randomUUID()) => {
    const [counted] = await store.countAttempt(attemptId, [{ key, resetBefore: HOUR_AGO(now), windowBefore: null, threshold }], now, WAITS);
    assert.ok(counted !== undefined);
    return counted;
  };

  storeTest('countAttempt counts attempts per key and keeps the first and last failure times', async (store) => {
    const key = `login:${randomUUID()}`;
    assert.deepEqual((await count(store, key, T0)).record, { key, failures: 1, firstFailureAt: T0, lastFailureAt: T0, lockedUntil: null });
    assert.deepEqual((await count(store, key, T0 + 5)).record, {
      key,
      failures: 2,
      firstFailureAt: T0,
      lastFailureAt: T0 + 5,
      lockedUntil: null,
    });
    const other = await count(store, 'source:192.0.2.1', T0 + 6);
    assert.equal(other.record.failures, 1);
    assert.deepEqual(
      sorted((await store.getThrottles([key, 'source:192.0.2.1', 'login:nobody'])).map((r) => `${r.key}=${r.failures}`)),
      sorted([`${key}=2`, 'source:192.0.2.1=1']),
    );
    assert.deepEqual(await store.getThrottles([]), []);
  });

  storeTest('countAttempt counts every key of one attempt, in the order given', async (store) => {
    const keys = ['source:z', 'login:m', 'source:application:a'];
    const counted = await store.countAttempt(
      randomUUID(),
      keys.map((key) => ({ key, resetBefore: HOUR_AGO(T0), windowBefore: null, threshold: 0 })),
      T0,
      WAITS,
    );
    assert.deepEqual(
      counted.map((c) => [c.record.key, c.record.failures, c.lockedBefore, c.setLock]),
      keys.map((key) => [key, 1, false, false]),
    );
  });

  storeTest('countAttempt starts over when the last failure is older than the reset window, keeping a running lock', async (store) => {
    const key = 'login:reset@example.com';
    await count(store, key, T0);
    const locking = await count(store, key, T0 + MINUTE, 2);
    assert.equal(locking.setLock, true);
    assert.equal(locking.record.lockedUntil, T0 + 2 * MINUTE);
    const later = T0 + MINUTE + HOUR + 1;
    const { record } = await count(store, key, later, 2);
    assert.deepEqual(record, { key, failures: 1, firstFailureAt: later, lastFailureAt: later, lockedUntil: T0 + 2 * MINUTE });
  });

  storeTest('countAttempt starts a windowed count over once its first failure is older than the window', async (store) => {
    const key = 'source:192.0.2.9';
    const windowed = (now: number) =>
      store.countAttempt(randomUUID(), [{ key, resetBefore: HOUR_AGO(now), windowBefore: HOUR_AGO(now) + 1, threshold: 0 }], now, WAITS);
    await windowed(T0);
    await windowed(T0 + 30 * MINUTE);
    assert.equal((await windowed(T0 + HOUR - 1))[0]?.record.failures, 3, 'within the hour of the first failure');
    assert.deepEqual((await windowed(T0 + HOUR))[0]?.record, {
      key,
      failures: 1,
      firstFailureAt: T0 + HOUR,
      lastFailureAt: T0 + HOUR,
      lockedUntil: null,
    });
  });

  storeTest('of 20 concurrent countAttempt calls on one key none is lost', async (store) => {
    const key = 'login:race@example.com';
    await Promise.all(Array.from({ length: 20 }, (_, i) => count(store, key, T0 + i)));
    const record = defined((await store.getThrottles([key]))[0], 'the record of the key');
    assert.equal(record.failures, 20);
    assert.equal(record.lastFailureAt, T0 + 19);
  });

  storeTest(
    'countAttempt locks at the threshold, one increment more per count past it, capped; a running lock is never moved',
    async (store) => {
      const key = 'login:lock@example.com';
      const waits: number[] = [];
      let now = T0;
      for (let i = 0; i < 8; i += 1) {
        const counted = await count(store, key, now, 2);
        if (!counted.setLock) {
          assert.equal(counted.record.lockedUntil, null, 'below the threshold');
          now += 1;
          continue;
        }
        waits.push(((counted.record.lockedUntil ?? 0) - now) / MINUTE);
        const again = await count(store, key, now + 1, 2);
        assert.deepEqual(
          [again.lockedBefore, again.setLock, again.record.lockedUntil],
          [true, false, counted.record.lockedUntil],
          'locked: counted, the lock stays',
        );
        now = (again.record.lockedUntil ?? now) + 1;
      }
      // The first count is below the threshold, the second sets the first lock; the rest are one each.
      assert.deepEqual(waits, [1, 3, 5, 5, 5, 5, 5]);
    },
  );

  storeTest('F42: of many attempts racing the end of a lock exactly one finds the key free', async (store) => {
    const key = 'login:burst@example.com';
    for (let i = 0; i < 3; i += 1) await count(store, key, T0 + i, 3);
    for (let round = 0; round < 5; round += 1) {
      const at = ((await store.getThrottles([key]))[0]?.lockedUntil ?? 0) + 1;
      const counted = await Promise.all(Array.from({ length: 12 }, () => count(store, key, at, 3)));
      assert.equal(counted.filter((c) => !c.lockedBefore).length, 1, `round ${round}: one attempt is let through`);
      assert.equal(counted.filter((c) => c.setLock).length, 1, 'and it set the next lock');
    }
  });

  storeTest('settleSuccess forgets the login, takes one count off each source and only the lock that attempt set', async (store) => {
    const source = 'source:192.0.2.50';
    const other = 'source:192.0.2.51';
    await count(store, source, T0, 3);
    await count(store, other, T0, 1);
    const id = randomUUID();
    const counted = await store.countAttempt(
      id,
      [
        { key: 'login:ok@example.com', resetBefore: HOUR_AGO(T0), windowBefore: null, threshold: 3 },
        { key: source, resetBefore: HOUR_AGO(T0), windowBefore: null, threshold: 2 },
        { key: other, resetBefore: HOUR_AGO(T0), windowBefore: null, threshold: 1 },
      ],
      T0 + 1,
      WAITS,
    );
    assert.deepEqual(
      counted.map((c) => [c.setLock, c.lockedBefore]),
      [
        [false, false],
        [true, false],
        [false, true],
      ],
    );
    await store.settleSuccess(id, 'login:ok@example.com', [source, other]);
    const after = new Map((await store.getThrottles(['login:ok@example.com', source, other])).map((r) => [r.key, r]));
    assert.equal(after.has('login:ok@example.com'), false);
    assert.deepEqual([after.get(source)?.failures, after.get(source)?.lockedUntil], [1, null], 'its own lock is taken back');
    assert.deepEqual([after.get(other)?.failures, after.get(other)?.lockedUntil], [1, T0 + MINUTE], 'a lock another attempt set stays');
  });

  storeTest('listThrottles gives the most recent failures first; clearThrottle forgets a key', async (store) => {
    await count(store, 'login:a', T0);
    await count(store, 'login:b', T0 + 2);
    await count(store, 'source:c', T0 + 1);
    assert.deepEqual(
      (await store.listThrottles(10)).map((r) => r.key),
      ['login:b', 'source:c', 'login:a'],
    );
    assert.deepEqual(
      (await store.listThrottles(1)).map((r) => r.key),
      ['login:b'],
    );
    assert.equal(await store.clearThrottle('login:b'), true);
    assert.equal(await store.clearThrottle('login:b'), false);
    assert.deepEqual(
      (await store.listThrottles(10)).map((r) => r.key),
      ['source:c', 'login:a'],
    );
  });

  storeTest('purgeThrottles forgets old failures that are not locked at the time', async (store) => {
    const now = T0 + 24 * HOUR;
    await count(store, 'login:old', T0);
    await store.countAttempt(
      randomUUID(),
      [{ key: 'login:old-locked', resetBefore: HOUR_AGO(T0), windowBefore: null, threshold: 1 }],
      now - 1,
      WAITS,
    );
    await count(store, 'login:recent', now - MINUTE);
    assert.equal(await store.purgeThrottles(now - HOUR, now), 1);
    assert.deepEqual(sorted((await store.listThrottles(10)).map((r) => r.key)), ['login:old-locked', 'login:recent']);
  });
}

export function throttleContract(storeTest: StoreTest): void {
  registerThrottleTests(storeTest);
}
