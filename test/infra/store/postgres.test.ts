// The PostgreSQL engine: the Store contract, each test in a schema of its own, and what only a
// networked, shared database shows (several nodes migrating at once, the pool bound, an outage).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { LATEST_SCHEMA_VERSION } from '../../../src/infra/store/migrations.js';
import { openPostgresStore } from '../../../src/infra/store/postgres.js';
import { StoreUnavailableError, type Store } from '../../../src/core/store/index.js';
import { adminPool, createSchema, droppingOnClose, emptySchema, postgresSuite, type Isolated } from '../../helpers/postgres.js';
import { runStoreContract } from './contract/index.js';
import { eventually } from '../../helpers/eventually.js';

/** `url` whose connections carry this application_name, so the test can find exactly them. */
function tagged(url: string): { url: string; tag: string } {
  const tag = `ssod_test_${randomBytes(4).toString('hex')}`;
  const parsed = new URL(url);
  parsed.searchParams.set('application_name', tag);
  return { url: parsed.toString(), tag };
}

async function connectionsTagged(tag: string): Promise<number> {
  const { rows } = await adminPool().query<{ n: number }>('SELECT COUNT(*)::int AS n FROM pg_stat_activity WHERE application_name = $1', [
    tag,
  ]);
  return rows[0]?.n ?? 0;
}

postgresSuite(
  'postgres store',
  () => {
    // One schema of its own for the contract suite, emptied before each test: every test gets a
    // fresh store (a new pool, migrations checked at open) without paying for a new schema each time.
    let contractSchema: Isolated | null = null;
    after(() => contractSchema?.drop());
    runStoreContract('postgres', async () => {
      contractSchema ??= await createSchema();
      await emptySchema(contractSchema);
      return openPostgresStore(contractSchema.url, { poolSize: 4 });
    });
    // The store of a serving node, verifySession's read answered by its cache: the same contract,
    // each answer after a write of the same store exact (docs/DECISIONS.md "verifySession cache on PostgreSQL").
    let cachedSchema: Isolated | null = null;
    after(() => cachedSchema?.drop());
    runStoreContract(
      'postgres',
      async () => {
        cachedSchema ??= await createSchema();
        await emptySchema(cachedSchema);
        return openPostgresStore(cachedSchema.url, { poolSize: 4, sessionCache: { boundMs: 1000, maxEntries: 1000 } });
      },
      ' with the verifySession cache',
    );

    test('six nodes opening an empty database at once migrate it once, under the advisory lock', async () => {
      const schema = await createSchema();
      try {
        const stores = await Promise.all(Array.from({ length: 6 }, () => openPostgresStore(schema.url, { poolSize: 1 })));
        await Promise.all(stores.map((store) => store.close()));
        const { rows } = await adminPool().query<{ version: number }>(
          `SELECT version FROM ${schema.name}.schema_migrations ORDER BY version`,
        );
        assert.deepEqual(
          rows.map((row) => row.version),
          Array.from({ length: LATEST_SCHEMA_VERSION }, (_, i) => i + 1),
        );
      } finally {
        await schema.drop();
      }
    });

    test('a schema newer than this code is refused with a clear message', async () => {
      const schema = await createSchema();
      try {
        await (await openPostgresStore(schema.url, { poolSize: 1 })).close();
        await adminPool().query(`INSERT INTO ${schema.name}.schema_migrations (version, applied_at) VALUES ($1, 0)`, [
          LATEST_SCHEMA_VERSION + 1,
        ]);
        await assert.rejects(
          openPostgresStore(schema.url, { poolSize: 1 }),
          new RegExp(`schema version ${LATEST_SCHEMA_VERSION + 1}, newer than the version ${LATEST_SCHEMA_VERSION}`),
        );
      } finally {
        await schema.drop();
      }
    });

    test('the pool never opens more connections than its size; the requests beyond wait their turn', async () => {
      const schema = await createSchema();
      const { url, tag } = tagged(schema.url);
      const store = droppingOnClose(await openPostgresStore(url, { poolSize: 3 }), schema);
      const locker = await adminPool().connect();
      try {
        // Every statement on relay_tokens waits for this lock, holding its connection meanwhile.
        await locker.query('BEGIN');
        await locker.query(`LOCK TABLE ${schema.name}.relay_tokens IN ACCESS EXCLUSIVE MODE`);
        const calls = Array.from({ length: 12 }, () => store.consumeRelayToken(randomBytes(32).toString('hex'), Date.now()));
        const busy = await eventually(async () => ((await connectionsTagged(tag)) === 3 ? 3 : null), { timeoutMs: 2000, intervalMs: 25 });
        await sleep(200);
        assert.equal(busy, 3);
        assert.equal(await connectionsTagged(tag), 3, 'twelve waiting calls, three connections');
        await locker.query('COMMIT');
        assert.deepEqual(
          await Promise.all(calls),
          Array.from({ length: 12 }, () => null),
        );
      } finally {
        locker.release();
        await store.close();
      }
    });

    test('connections lost under the store (server restart, failover) cost at most one failed call; the store reconnects by itself', async () => {
      const schema = await createSchema();
      const { url, tag } = tagged(schema.url);
      const store: Store = droppingOnClose(await openPostgresStore(url, { poolSize: 2 }), schema);
      try {
        await Promise.all([store.ping(), store.ping()]);
        await adminPool().query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [tag]);
        await sleep(100); // the pool hears of the idle connections' end and drops them
        const outcome = await store.ping().then(
          () => 'ok',
          (error: unknown) => (error instanceof StoreUnavailableError ? 'unavailable' : `unexpected: ${String(error)}`),
        );
        assert.ok(outcome === 'ok' || outcome === 'unavailable', outcome);
        await store.ping();
        assert.equal(await store.listApplicationIds().then((ids) => ids.length), 0);
      } finally {
        await store.close();
      }
    });

    test('an unreachable database fails fast at open, naming it without its password', async () => {
      const started = Date.now();
      await assert.rejects(openPostgresStore('postgres://ssod:s3cret@127.0.0.1:1/ssod', { poolSize: 1 }), (error: Error) => {
        assert.match(error.message, /^cannot open the PostgreSQL store postgres:\/\/ssod:\*\*\*@127\.0\.0\.1:1\/ssod: .*ECONNREFUSED/);
        assert.ok(!error.message.includes('s3cret'));
        return true;
      });
      assert.ok(Date.now() - started < 3000 + 1000, 'within the connect timeout');
    });

    test('a database error stays what it is; a call on a store that cannot reach its database is a StoreUnavailableError', async () => {
      const schema = await createSchema();
      const store = droppingOnClose(await openPostgresStore(schema.url, { poolSize: 1 }), schema);
      try {
        // A foreign key violation is the caller's error, not an outage.
        await assert.rejects(
          store.insertUser({
            id: 'u',
            login: 'l',
            loginKey: 'l',
            ownerId: 'no such application',
            passwordHash: 'h',
            createdAt: 0,
            disabledAt: null,
            sourceName: null,
          }),
          (error: unknown) => error instanceof pg.DatabaseError && error.code === '23503',
        );
      } finally {
        await store.close();
      }
      await assert.rejects(store.ping(), StoreUnavailableError);
    });
  },
  { announce: true },
);
