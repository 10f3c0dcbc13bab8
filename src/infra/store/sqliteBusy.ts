// Waiting for another connection's lock without sleeping on the event loop.
//
// With `ssod serve --workers N` every worker has its own connection to the one SQLite file, and
// SQLite lets one connection write at a time. SQLite's own busy handler (busy_timeout) waits for the
// lock by sleeping in the calling thread, which for better-sqlite3 is the event loop: a worker that
// found the lock taken served nothing meanwhile (the login storm with 2 workers, docs/PERFORMANCE.md).
// The store's connection therefore runs with busy_timeout 0, so that a statement that finds the
// database busy fails at once, and is tried again from a timer, with short, growing, jittered
// waits, until the same deadline that busy_timeout gave. SQLITE_BUSY arises before the statement
// or transaction changed anything (a single statement takes its locks before it runs; writers
// begin IMMEDIATE, so a transaction takes the write lock at BEGIN), and a transaction that fails
// later is rolled back whole by better-sqlite3, so trying again never applies half of it.
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';

/** How long a statement may wait for another connection's lock, as busy_timeout allowed before. */
export const BUSY_DEADLINE_MS = 5_000;

/** The first wait, doubled at each try up to the longest (a write of another worker takes a few ms). */
const FIRST_WAIT_MS = 1;
const LONGEST_WAIT_MS = 20;

/** SQLITE_BUSY and its extended codes (SQLITE_BUSY_RECOVERY, SQLITE_BUSY_SNAPSHOT, …). */
export function isBusy(error: unknown): boolean {
  return error instanceof Database.SqliteError && /^SQLITE_BUSY(_|$)/.test(error.code);
}

/** The wait before try `attempt + 1`: exponential, between half and all of it so that waiters spread out. */
function waitBefore(attempt: number): number {
  const full = Math.min(LONGEST_WAIT_MS, FIRST_WAIT_MS * 2 ** attempt);
  return full * (0.5 + Math.random() / 2);
}

/**
 * Runs `step` at once and, while it fails because the database is busy, again after a wait that
 * lets the event loop serve other work, for at most `deadlineMs`; then it fails with the last
 * SQLITE_BUSY, the error busy_timeout gave. `step` must have no effect outside the database: it may
 * run more than once. Any other error fails at once. The first try costs no more than the statement
 * (this is on every request's path); only a busy database takes the slower way.
 */
export function untilNotBusy<T>(step: () => T, deadlineMs: number): Promise<T> {
  try {
    return Promise.resolve(step());
  } catch (error) {
    if (isBusy(error)) return retry(step, performance.now() + deadlineMs);
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}

async function retry<T>(step: () => T, deadline: number): Promise<T> {
  for (let attempt = 0; ; attempt += 1) {
    const wait = Math.min(waitBefore(attempt), deadline - performance.now());
    try {
      if (wait > 0) await sleep(wait);
      return step();
    } catch (error) {
      if (!isBusy(error) || performance.now() >= deadline) throw error;
    }
  }
}
