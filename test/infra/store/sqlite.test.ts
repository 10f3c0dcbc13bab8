// The SQLite engine: the Store contract on an in-memory database, and what only a file shows
// (durability across a reopen, WAL, refusing a schema from a newer ssod).
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { LATEST_SCHEMA_VERSION, MIGRATIONS, schemaMigrationsTable } from '../../../src/infra/store/migrations.js';
import { POSTGRES, SQLITE } from '../../../src/infra/store/sql/dialect.js';
import { openSqliteStore } from '../../../src/infra/store/sqlite.js';
import { runStoreContract } from './contract/index.js';

runStoreContract('sqlite', () => openSqliteStore(':memory:'));

describe('sqlite store on a file', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'ssod-store-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('a reopened database still holds what was written, in WAL mode', async () => {
    const file = path.join(dir, 'reopen.db');
    const app = {
      id: '6f1c1a52-7d0e-4c43-9a55-3c2f5d1f0b11',
      name: 'billing',
      displayName: 'Billing',
      version: '1',
      capabilities: '',
      url: 'https://billing.example.com:443/',
      restorePasswordUrl: null,
      changePasswordUrl: null,
      createdAt: 1_700_000_000_000,
    };
    const cert = {
      fingerprint: 'ab'.repeat(32),
      applicationId: app.id,
      serial: '01',
      issuedAt: app.createdAt,
      notAfter: app.createdAt + 1,
      firstUsedAt: null,
      retiredAt: null,
    };
    const first = await openSqliteStore(file);
    await first.insertApplication(app, cert);
    await first.close();

    const second = await openSqliteStore(file);
    try {
      assert.deepEqual(await second.getApplication(app.id), app);
      assert.deepEqual(await second.findCertificate(cert.fingerprint), cert);
    } finally {
      await second.close();
    }
    assert.deepEqual(pragmasOf(file), { journal_mode: 'wal', schema_version: LATEST_SCHEMA_VERSION });
  });

  test('a database of schema version 1 is upgraded in place and keeps its users, now enabled', async () => {
    const file = path.join(dir, 'version1.db');
    const db = new Database(file);
    db.exec(schemaMigrationsTable(SQLITE));
    db.exec(MIGRATIONS[0]?.sql(SQLITE) ?? '');
    db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (1, 1)').run();
    db.exec(`INSERT INTO applications (id, name, display_name, version, capabilities, created_at) VALUES ('a', 'n', 'd', 'v', '', 1);
      INSERT INTO users (id, login, login_key, owner_id, password_hash, created_at) VALUES ('u', 'Old@Example.com', 'old@example.com', 'a', 'h', 2);`);
    db.close();

    const store = await openSqliteStore(file);
    try {
      assert.deepEqual(await store.getUser('u'), {
        id: 'u',
        login: 'Old@Example.com',
        loginKey: 'old@example.com',
        ownerId: 'a',
        passwordHash: 'h',
        createdAt: 2,
        disabledAt: null,
        sourceName: null,
      });
      assert.deepEqual(await store.readSettings(), {});
    } finally {
      await store.close();
    }
    assert.deepEqual(pragmasOf(file), { journal_mode: 'wal', schema_version: LATEST_SCHEMA_VERSION });
  });

  test('a database with a schema newer than this code is refused with a clear message', async () => {
    const file = path.join(dir, 'newer.db');
    await (await openSqliteStore(file)).close();
    const db = new Database(file);
    db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(LATEST_SCHEMA_VERSION + 1, Date.now());
    db.close();
    await assert.rejects(openSqliteStore(file), {
      message: new RegExp(`schema version ${LATEST_SCHEMA_VERSION + 1}, newer than the version ${LATEST_SCHEMA_VERSION}`),
    });
  });
});

test('migrations are numbered 1, 2, 3… in order, each for both engines (or said to be for PostgreSQL only)', () => {
  assert.deepEqual(
    MIGRATIONS.map((m) => m.version),
    MIGRATIONS.map((_, index) => index + 1),
  );
  for (const migration of MIGRATIONS) {
    assert.notEqual(migration.description, '');
    // The notifications of the verifySession cache are PostgreSQL's only: SQLite has no cache.
    assert.equal(migration.sql(SQLITE).trim() === '', migration.description.startsWith('PostgreSQL: '));
    assert.notEqual(migration.sql(POSTGRES).trim(), '');
  }
});

/** What the file says about itself, read over a separate connection. */
function pragmasOf(file: string): { journal_mode: unknown; schema_version: unknown } {
  const db = new Database(file, { readonly: true });
  try {
    return {
      journal_mode: db.pragma('journal_mode', { simple: true }),
      schema_version: db.prepare('SELECT MAX(version) FROM schema_migrations').pluck().get(),
    };
  } finally {
    db.close();
  }
}
