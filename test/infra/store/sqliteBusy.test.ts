// A busy database is waited for off the event loop (src/store/sqliteBusy.ts): while another
// connection holds the write lock, as another worker of `ssod serve --workers N` does, a write
// through the store lets timers and other requests run, commits whole once the lock is released,
// and fails with SQLITE_BUSY, as busy_timeout did, once its deadline passes.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { untilNotBusy } from '../../../src/infra/store/sqliteBusy.js';
import { openSqliteStore } from '../../../src/infra/store/sqlite.js';
import { seedOwnedUser, sessionParts } from './contract/index.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'ssod-busy-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Resolves after `count` turns of a 1 ms interval: proof that timers fire meanwhile. */
function timerTicks(count: number): Promise<void> {
  return new Promise((resolve) => {
    let fired = 0;
    const timer = setInterval(() => {
      fired += 1;
      if (fired < count) return;
      clearInterval(timer);
      resolve();
    }, 1);
  });
}

/** Another process's connection holding the write lock: BEGIN IMMEDIATE, left open across timers. */
function holdWriteLock(file: string): Database.Database {
  const other = new Database(file);
  other.exec('BEGIN IMMEDIATE');
  return other;
}

/** The rows that createSession writes, by the column that names their global session. */
const SESSION_TABLES = { global_sessions: 'id', local_sessions: 'global_id', relay_tokens: 'global_id' } as const;
type SessionTable = keyof typeof SESSION_TABLES;
const SESSION_TABLE_NAMES = Object.keys(SESSION_TABLES) as SessionTable[];

function countRows(db: Database.Database, table: SessionTable, globalId: string): number {
  return db.prepare<[string], number>(`SELECT COUNT(*) FROM ${table} WHERE ${SESSION_TABLES[table]} = ?`).pluck().get(globalId) ?? -1;
}

test('a write that finds the write lock taken waits off the event loop and commits whole once it is released', async () => {
  const file = path.join(dir, 'waits.db');
  const store = await openSqliteStore(file);
  const user = await seedOwnedUser(store);
  const parts = sessionParts(user.id);
  const other = holdWriteLock(file);
  try {
    let settled = false;
    const write = store.createSession(parts.global, parts.local, parts.token);
    void write.then(
      () => (settled = true),
      () => (settled = true),
    );
    await timerTicks(20);
    assert.equal(settled, false, 'timers fired while the write waited for the lock');
    assert.deepEqual(await store.getUser(user.id), user, 'the same connection answers reads meanwhile');
    assert.equal(settled, false);

    other.exec('COMMIT');
    await write;
    for (const table of SESSION_TABLE_NAMES) {
      assert.equal(countRows(other, table, parts.global.id), 1, `${table}: the transaction ran once, whole`);
    }
  } finally {
    other.close();
    await store.close();
  }
});

test('a write still kept out at its deadline fails with SQLITE_BUSY, as busy_timeout did, and leaves nothing behind', async () => {
  const file = path.join(dir, 'deadline.db');
  const store = await openSqliteStore(file, { busyDeadlineMs: 100 });
  const user = await seedOwnedUser(store);
  const parts = sessionParts(user.id);
  const other = holdWriteLock(file);
  try {
    await assert.rejects(store.createSession(parts.global, parts.local, parts.token), (error) => {
      assert.ok(error instanceof Database.SqliteError);
      assert.equal(error.code, 'SQLITE_BUSY');
      assert.equal(error.message, 'database is locked');
      return true;
    });
    await assert.rejects(store.touchSession(parts.global.id, Date.now()), { code: 'SQLITE_BUSY' });
    other.exec('ROLLBACK');
    for (const table of SESSION_TABLE_NAMES) assert.equal(countRows(other, table, parts.global.id), 0, table);

    await store.createSession(parts.global, parts.local, parts.token);
    assert.equal(countRows(other, 'global_sessions', parts.global.id), 1, 'the store writes again once the lock is free');
  } finally {
    other.close();
    await store.close();
  }
});

test('every SQLITE_BUSY code is tried again (SQLITE_BUSY_RECOVERY is what a reader may meet); any other error fails at once', async () => {
  const busy = ['SQLITE_BUSY', 'SQLITE_BUSY_RECOVERY', 'SQLITE_BUSY_SNAPSHOT'];
  let tries = 0;
  const answer = await untilNotBusy(() => {
    const code = busy[tries];
    tries += 1;
    if (code !== undefined) throw new Database.SqliteError('database is locked', code);
    return 'row';
  }, 60_000);
  assert.equal(answer, 'row');
  assert.equal(tries, busy.length + 1);

  let constraintTries = 0;
  await assert.rejects(
    untilNotBusy(() => {
      constraintTries += 1;
      throw new Database.SqliteError('UNIQUE constraint failed', 'SQLITE_CONSTRAINT_UNIQUE');
    }, 60_000),
    { code: 'SQLITE_CONSTRAINT_UNIQUE' },
  );
  assert.equal(constraintTries, 1);
});
