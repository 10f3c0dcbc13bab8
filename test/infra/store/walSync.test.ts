// Durable commits off the event loop (src/infra/store/walSync.ts): a write is acknowledged after an
// fsync of the WAL that began after its commit; commits made while one runs share the next. The
// tests hold every fsync (node:fs fsync replaced, its ESM binding synced) to see which file is
// synced, when, and what waits for it.
import assert from 'node:assert/strict';
import fs, { mkdtempSync, rmSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { after, afterEach, test } from 'node:test';
import { defined } from '../../helpers/defined.js';
import type { ApplicationRecord, CertificateRecord, Store } from '../../../src/core/store/index.js';
import { openSqliteStore } from '../../../src/infra/store/sqlite.js';
import { WalSync } from '../../../src/infra/store/walSync.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'ssod-walsync-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface HeldFsync {
  readonly fd: number;
  release(error?: Error): void;
}

const realFsync = fs.fsync;
let held: HeldFsync[] = [];

/** From now on every fsync waits until the test releases it. */
function holdFsyncs(): void {
  held = [];
  fs.fsync = ((fd: number, callback: (error: NodeJS.ErrnoException | null) => void) => {
    held.push({ fd, release: (error) => callback(error ?? null) });
  }) as typeof fs.fsync;
  syncBuiltinESMExports();
}

afterEach(() => {
  for (const fsync of held) fsync.release();
  fs.fsync = realFsync;
  syncBuiltinESMExports();
});

/** Lets the promises and callbacks that are ready run. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Whether `promise` has resolved by now, and how. */
function watch(promise: Promise<unknown>): { state: 'pending' | 'resolved' | 'rejected' } {
  const watched = { state: 'pending' as 'pending' | 'resolved' | 'rejected' };
  promise.then(
    () => (watched.state = 'resolved'),
    () => (watched.state = 'rejected'),
  );
  return watched;
}

function isWalOf(fd: number, file: string): boolean {
  return fs.fstatSync(fd).ino === fs.statSync(`${file}-wal`).ino;
}

let appCount = 0;
function application(): [ApplicationRecord, CertificateRecord] {
  appCount += 1;
  const id = `a0000000-0000-4000-8000-${String(appCount).padStart(12, '0')}`;
  const now = Date.now();
  return [
    {
      id,
      name: `a${appCount}`,
      displayName: 'A',
      version: '1',
      capabilities: '',
      url: null,
      restorePasswordUrl: null,
      changePasswordUrl: null,
      createdAt: now,
    },
    {
      fingerprint: String(appCount).padStart(64, 'f'),
      applicationId: id,
      serial: '01',
      issuedAt: now,
      notAfter: now + 1e9,
      firstUsedAt: null,
      retiredAt: null,
    },
  ];
}

async function fileStore(name: string): Promise<{ store: Store; file: string }> {
  const file = path.join(dir, name);
  return { store: await openSqliteStore(file), file };
}

test('a write resolves only once an fsync of the WAL file, begun after its commit, has completed', async () => {
  const { store, file } = await fileStore('durable.db');
  try {
    holdFsyncs();
    const write = watch(store.insertApplication(...application()));
    await settle();
    assert.equal(held.length, 1, 'the commit asked for one fsync');
    assert.ok(isWalOf(defined(held[0], 'fsync 0').fd, file), 'of the WAL file');
    assert.equal(write.state, 'pending', 'not acknowledged before the fsync completes');
    defined(held[0], 'fsync 0').release();
    await settle();
    assert.equal(write.state, 'resolved');
  } finally {
    await store.close();
  }
});

test('commits made while an fsync runs wait for one more fsync, shared by all of them', async () => {
  const { store } = await fileStore('group.db');
  try {
    holdFsyncs();
    const first = watch(store.insertApplication(...application()));
    await settle();
    const second = watch(store.insertApplication(...application()));
    const third = watch(store.insertApplication(...application()));
    await settle();
    assert.equal(held.length, 1, 'the later commits do not start an fsync of their own while one runs');
    defined(held[0], 'fsync 0').release();
    await settle();
    assert.equal(first.state, 'resolved');
    assert.deepEqual([second.state, third.state], ['pending', 'pending'], 'the running fsync may have begun before their commits');
    assert.equal(held.length, 2, 'one more fsync for both');
    defined(held[1], 'fsync 1').release();
    await settle();
    assert.deepEqual([second.state, third.state], ['resolved', 'resolved']);
    assert.equal(held.length, 2);
  } finally {
    await store.close();
  }
});

test('a write that changed nothing, and a read, wait for no fsync', async () => {
  const { store } = await fileStore('unchanged.db');
  try {
    holdFsyncs();
    assert.equal(await store.updateApplication('no such application', { name: 'x' }), false);
    assert.equal(await store.getApplication('no such application'), null);
    assert.equal(held.length, 0);
  } finally {
    await store.close();
  }
});

test('a failed fsync fails the write that waited for it', async () => {
  const { store } = await fileStore('failing.db');
  try {
    holdFsyncs();
    const write = store.insertApplication(...application());
    await settle();
    defined(held[0], 'fsync 0').release(Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' }));
    await assert.rejects(write, { code: 'EIO' });
  } finally {
    await store.close();
  }
});

test('an in-memory database has nothing to sync', async () => {
  holdFsyncs();
  const wal = new WalSync(null);
  await wal.afterCommit();
  const store = await openSqliteStore(':memory:');
  await store.insertApplication(...application());
  await store.close();
  await wal.close();
  assert.equal(held.length, 0);
});

test('writes through the store resolve once durable and are then visible to another connection', async () => {
  const { store: writer, file } = await fileStore('store.db');
  const [app, cert] = application();
  await writer.insertApplication(app, cert);
  const writes = Array.from({ length: 20 }, (_, i) =>
    writer.insertUser({
      id: `u${i}`,
      login: `user${i}`,
      loginKey: `user${i}`,
      ownerId: app.id,
      passwordHash: 'x',
      createdAt: app.createdAt,
      disabledAt: null,
      sourceName: null,
    }),
  );
  await Promise.all(writes);
  const reader = await openSqliteStore(file);
  assert.equal((await reader.listUserIds(app.id)).length, 20);
  await reader.close();
  await writer.close();
});
