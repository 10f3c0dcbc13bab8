// Durable commits off the event loop (src/store/walSync.ts): a write is acknowledged after an
// fsync of the WAL that began after its commit; commits made while one runs share the next.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { openSqliteStore } from '../../../src/infra/store/sqlite.js';
import { WalSync } from '../../../src/infra/store/walSync.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'ssod-walsync-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('commits made while an fsync runs wait for one more fsync, shared by all of them', async () => {
  const file = path.join(dir, 'group.db');
  const store = await openSqliteStore(file); // creates the database and its WAL
  const wal = new WalSync(file);
  const first = wal.afterCommit();
  const second = wal.afterCommit();
  const third = wal.afterCommit();
  assert.notEqual(first, second, 'the running fsync may have begun before the second commit');
  assert.equal(second, third, 'commits during one fsync share the next');
  await Promise.all([first, second, third]);
  await wal.afterCommit(); // nothing running: a fresh fsync
  await wal.close();
  await store.close();
});

test('an in-memory database has nothing to sync', async () => {
  const wal = new WalSync(null);
  await wal.afterCommit();
  await wal.close();
});

test('writes through the store resolve once durable and are then visible to another connection', async () => {
  const file = path.join(dir, 'store.db');
  const writer = await openSqliteStore(file);
  const now = Date.now();
  await writer.insertApplication(
    { id: 'a0000000-0000-4000-8000-000000000001', name: 'a', displayName: 'A', version: '1', capabilities: '', url: null, restorePasswordUrl: null, changePasswordUrl: null, createdAt: now },
    { fingerprint: 'f'.repeat(64), applicationId: 'a0000000-0000-4000-8000-000000000001', serial: '01', issuedAt: now, notAfter: now + 1e9, firstUsedAt: null, retiredAt: null },
  );
  const writes = Array.from({ length: 20 }, (_, i) =>
    writer.insertUser({ id: `u${i}`, login: `user${i}`, loginKey: `user${i}`, ownerId: 'a0000000-0000-4000-8000-000000000001', passwordHash: 'x', createdAt: now, disabledAt: null }),
  );
  await Promise.all(writes);
  const reader = await openSqliteStore(file);
  assert.equal((await reader.listUserIds('a0000000-0000-4000-8000-000000000001')).length, 20);
  await reader.close();
  await writer.close();
});
