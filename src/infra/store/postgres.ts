// The PostgreSQL engine of the Store contract (src/core/store/), on node-postgres, for several
// ssod nodes serving as one over one database: how the statements of the store's parts (parts/*.ts) run here.
//
// - A bounded pool (poolSize connections per node). Every statement is a named prepared statement,
//   parsed once per connection: findSessionByLocalId runs on every page load of every application.
// - A batch runs in one transaction. Races between nodes are settled by the database:
//   a relay token is consumed by DELETE … RETURNING (whoever deletes the row gets it), certificate
//   changes of one application are serialized by a row lock on the application (parts/applications.ts).
// - Outages fail fast: bounded connect, statement and query timeouts; a lost or unreachable
//   database is a StoreUnavailableError, and the next call simply tries a fresh connection.
// - Migrations run at open under an advisory lock, so several nodes may start at once.
// No SQL text is ever built from input.
import pg from 'pg';
import type { Logger } from '../log.js';
import type { BatchStep, Executor, StepResult } from './executor.js';
import { LATEST_SCHEMA_VERSION, MIGRATIONS, schemaMigrationsTable } from './migrations.js';
import { composeStore } from './parts/index.js';
import { ping, probeWrite } from './parts/lifecycle.js';
import { POSTGRES } from './sql/dialect.js';
import { STATEMENTS, bind, compile, type Sql } from './sql/statement.js';
import { VERIFY_CHANNEL, VerifyCache, type VerifyCacheSettings } from './verifyCache.js';
import { DuplicateLoginError, StoreUnavailableError, type PoolUse, type Store } from '../../core/store/index.js';

/**
 * How long a node waits for PostgreSQL before the request fails (docs/DECISIONS.md "PostgreSQL
 * outages"). A connection (or a free pool slot) within 3 s; the server cancels a statement after
 * 5 s; the driver gives up on an answer after 6 s, in case the server itself is gone.
 */
export const POSTGRES_TIMEOUTS = Object.freeze({ connectMs: 3000, statementMs: 5000, queryMs: 6000, idleConnectionMs: 30_000 });

/**
 * The advisory lock that serializes migrations (docs/DECISIONS.md): the pair (this key, hash of the
 * schema name), so that nodes sharing a schema migrate one at a time and other schemas are not held up.
 */
export const MIGRATION_LOCK_KEY = 0x55d0_0001;

const INT8_OID = 20;
// SQLSTATE classes that mean the database is unreachable or refusing work, not that the request is
// wrong: 08 connection exception, 53 insufficient resources, 57 operator intervention (shutdown,
// statement timeout), 58 system error.
const UNAVAILABLE_CLASSES = new Set(['08', '53', '57', '58']);
const UNIQUE_VIOLATION = '23505';
const LOGIN_KEY_CONSTRAINT = 'users_login_key_key';

export interface PostgresStoreSettings {
  /** Most connections this node opens. */
  readonly poolSize: number;
  /** Where a connection lost while idle is reported. */
  readonly logger?: Logger;
  /**
   * The verifySession cache (verifyCache.ts) of a serving node: answers may be used up to `boundMs`
   * after the change that ended them; absent or 0, every verifySession reads the store.
   */
  readonly sessionCache?: Omit<VerifyCacheSettings, 'logger'>;
}

/** The URL with its password hidden, for messages and logs. */
export function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgres://…';
  }
}

const defaultTypeParser = pg.types.getTypeParser as (oid: number, format?: 'text' | 'binary') => (value: string) => unknown;

/** Times are BIGINT milliseconds: read them as numbers (exact below 2^53), not as strings. */
function typeParser(oid: number, format?: 'text' | 'binary'): (value: string) => unknown {
  return oid === INT8_OID ? Number : defaultTypeParser(oid, format);
}

/** A pool over `url`, bounded and with the outage timeouts. Used by the store and by migrate-store. */
export function createPostgresPool(url: string, settings: PostgresStoreSettings): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: settings.poolSize,
    connectionTimeoutMillis: POSTGRES_TIMEOUTS.connectMs,
    idleTimeoutMillis: POSTGRES_TIMEOUTS.idleConnectionMs,
    statement_timeout: POSTGRES_TIMEOUTS.statementMs,
    query_timeout: POSTGRES_TIMEOUTS.queryMs,
    idle_in_transaction_session_timeout: POSTGRES_TIMEOUTS.queryMs,
    keepAlive: true,
    application_name: 'ssod',
    types: { getTypeParser: typeParser as pg.CustomTypesConfig['getTypeParser'] },
  });
  // An idle connection that the server closes (restart, failover) is dropped by the pool and
  // reported here; without a listener it would crash the process.
  pool.on('error', (error) => settings.logger?.warn('store connection lost', { error: error.message }));
  return pool;
}

/** What a failed call to the database becomes: the contract's errors, or the database's own. */
export function storeError(error: unknown): unknown {
  if (error instanceof pg.DatabaseError) {
    if (error.code === UNIQUE_VIOLATION && error.constraint === LOGIN_KEY_CONSTRAINT) return new DuplicateLoginError();
    return UNAVAILABLE_CLASSES.has((error.code ?? '').slice(0, 2)) ? new StoreUnavailableError(error) : error;
  }
  // Anything else from the driver is about the connection: refused, lost, timed out.
  return new StoreUnavailableError(error);
}

/** A connection from the pool, errors mapped; listens for errors while checked out, which would otherwise crash. */
export async function checkOut(pool: pg.Pool): Promise<{ client: pg.PoolClient; done: (discard?: Error) => void }> {
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (error) {
    throw storeError(error);
  }
  // A connection lost between statements is reported to the next query on it; nothing to do here.
  const ignore = (): void => undefined;
  client.on('error', ignore);
  return {
    client,
    done(discard) {
      client.off('error', ignore);
      client.release(discard);
    },
  };
}

/**
 * Applies the pending migrations in one transaction, under the advisory lock; refuses a newer
 * schema. On a connection of its own without the request timeouts: a migration of a large table,
 * or the wait for another node's, may rightly take longer than any request should.
 */
async function migrate(url: string, now: number): Promise<void> {
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: POSTGRES_TIMEOUTS.connectMs,
    keepAlive: true,
    application_name: 'ssod',
  });
  client.on('error', () => undefined); // a lost connection fails the query in progress, which reports it
  try {
    await client.connect();
  } catch (error) {
    throw storeError(error);
  }
  try {
    await client.query('BEGIN');
    const schema = (await client.query<{ schema: string | null }>('SELECT current_schema() AS schema')).rows[0]?.schema ?? null;
    if (schema === null) {
      throw new Error(
        'no schema to create the tables in: the search_path names no schema that exists (create it, or fix the options parameter of the URL)',
      );
    }
    await client.query('SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))', [MIGRATION_LOCK_KEY]);
    await client.query(schemaMigrationsTable(POSTGRES));
    const current = (await client.query<{ v: number }>('SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations')).rows[0]?.v ?? 0;
    if (current > LATEST_SCHEMA_VERSION) {
      throw new Error(
        `database ${redactedUrl(url)} has schema version ${current}, newer than the version ${LATEST_SCHEMA_VERSION} that this ssod knows: run a newer ssod`,
      );
    }
    for (const migration of MIGRATIONS.filter((m) => m.version > current)) {
      await client.query(migration.sql(POSTGRES));
      await client.query('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)', [migration.version, now]);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Opens the store at `url` (postgres:// or postgresql://) and brings its schema up to date.
 * Fails with a message naming the database (password hidden) when it cannot be reached.
 */
export async function openPostgresStore(url: string, settings: PostgresStoreSettings): Promise<Store> {
  try {
    await migrate(url, Date.now());
  } catch (error) {
    const reason = error instanceof StoreUnavailableError && error.cause instanceof Error ? error.cause.message : (error as Error).message;
    throw new Error(`cannot open the PostgreSQL store ${redactedUrl(url)}: ${reason}`, { cause: error });
  }
  const pool = createPostgresPool(url, settings);
  const store = postgresStore(pool);
  const cache = settings.sessionCache;
  if (cache === undefined || cache.boundMs === 0) return store;
  const verifyCache = new VerifyCache(url, (payload) => pool.query('SELECT pg_notify($1, $2)', [VERIFY_CHANNEL, payload]), {
    ...cache,
    ...(settings.logger === undefined ? {} : { logger: settings.logger }),
  });
  await verifyCache.start();
  return withVerifyCache(store, verifyCache);
}

/** The methods by which this node ends sessions or changes what an answer is made of, and which answers each changes. */
const CHANGES: Partial<Record<keyof Store, (id: string) => Changed>> = {
  deleteGlobalSession: (globalId) => ({ globalId }),
  deleteLocalSessionsOf: (globalId) => ({ globalId }),
  deleteUserSessions: (userId) => ({ userId }),
  deleteUser: (userId) => ({ userId }),
  purgeExpiredSessions: () => 'all',
  apply: () => 'all',
  insertApplication: () => 'all',
  updateApplication: () => 'all',
  deleteApplication: () => 'all',
};
type Changed = Parameters<VerifyCache['changed']>[0];

/**
 * The store with findCertificateAndSession answered by the cache, and this node's own changes told
 * to the cache as soon as they return (so this node is exact; the others within the bound).
 */
function withVerifyCache(store: Store, cache: VerifyCache): Store {
  const layer: Record<string, unknown> = {
    engine: store.engine,
    findCertificateAndSession: cache.wrap(store.findCertificateAndSession.bind(store)),
    sessionCacheUse: () => cache.use(),
    async close() {
      await cache.close();
      await store.close();
    },
  };
  for (const [name, scope] of Object.entries(CHANGES) as [keyof Store, (id: string) => Changed][]) {
    const method = (store[name] as (id: string, ...rest: unknown[]) => Promise<unknown>).bind(store);
    layer[name] = (id: string, ...rest: unknown[]) =>
      method(id, ...rest).finally(() => {
        cache.changed(scope(id));
      });
  }
  return Object.assign(Object.create(store) as Store, layer);
}

/** A statement as node-postgres prepares it: by name, once per connection. */
interface Named {
  readonly name: string;
  readonly text: string;
  readonly params: readonly string[];
  readonly rowMode: 'array' | undefined;
}

/** Thrown inside a batch's transaction to roll it back when a required step changed nothing. */
const ROLLED_BACK = new Error('a required step changed nothing');

type Query = (named: Named, values: unknown[]) => Promise<pg.QueryResult>;

/** The statements of the parts, compiled once, and how they run: each on any connection of the pool, a batch in one transaction. */
class PostgresExecutor implements Executor {
  readonly dialect = POSTGRES;
  readonly #pool: pg.Pool;
  readonly #named: Named[];

  constructor(pool: pg.Pool) {
    this.#pool = pool;
    this.#named = STATEMENTS.map((sql) => ({
      name: `ssod_${sql.name}`,
      ...compile(sql, POSTGRES),
      rowMode: sql.arrayRows ? 'array' : undefined,
    }));
  }

  #values(sql: Sql<object>, params: object): { named: Named; values: unknown[] } {
    const named = this.#named[sql.slot] as Named;
    return { named, values: bind(named, params) };
  }

  readonly #query: Query = async ({ name, text, rowMode }, values) => {
    try {
      return await this.#pool.query({ name, text, values, ...(rowMode === undefined ? {} : { rowMode }) });
    } catch (error) {
      throw storeError(error);
    }
  };

  async #rows<P extends object, R>(sql: Sql<P, R>, params: P): Promise<R[]> {
    const { named, values } = this.#values(sql, params);
    return (await this.#query(named, values)).rows as R[];
  }

  async one<P extends object, R>(sql: Sql<P, R>, params: P): Promise<R | null> {
    return (await this.#rows(sql, params))[0] ?? null;
  }

  async first<P extends object, R, T>(sql: Sql<P, R>, params: P, convert: (row: R | undefined) => T): Promise<T> {
    return convert((await this.#rows(sql, params))[0]);
  }

  all<P extends object, R>(sql: Sql<P, R>, params: P): Promise<R[]> {
    return this.#rows(sql, params);
  }

  async run<P extends object>(sql: Sql<P>, params: P): Promise<number> {
    const { named, values } = this.#values(sql, params);
    return (await this.#query(named, values)).rowCount ?? 0;
  }

  /** Runs the steps in one transaction on one connection; a connection that failed is discarded, not reused. */
  async batch(steps: readonly BatchStep[]): Promise<StepResult[] | null> {
    const { client, done } = await checkOut(this.#pool);
    const query = async (text: string): Promise<void> => {
      try {
        await client.query(text);
      } catch (error) {
        throw storeError(error);
      }
    };
    let discard: Error | undefined;
    try {
      await query('BEGIN');
      const results: StepResult[] = [];
      for (const { sql, params, required } of steps) {
        const { named, values } = this.#values(sql, params);
        let result: pg.QueryResult;
        try {
          result = await client.query({ name: named.name, text: named.text, values });
        } catch (error) {
          throw storeError(error);
        }
        const changes = result.command === 'SELECT' ? 0 : (result.rowCount ?? 0);
        if (required === true && changes === 0) throw ROLLED_BACK;
        results.push({ changes, rows: result.rows });
      }
      await query('COMMIT');
      return results;
    } catch (error) {
      // A lost connection is closed rather than rolled back (the server rolls back on its own);
      // a working one is rolled back and reused.
      discard =
        error instanceof StoreUnavailableError
          ? error
          : await client.query('ROLLBACK').then(
              () => undefined,
              () => new Error('rollback failed'),
            );
      if (error === ROLLED_BACK) return null;
      throw error;
    } finally {
      done(discard);
    }
  }
}

function postgresStore(pool: pg.Pool): Store {
  const x = new PostgresExecutor(pool);
  return composeStore(
    {
      engine: 'postgres',
      async ping() {
        await x.one(ping, {});
      },
      async probeWrite() {
        await x.run(probeWrite, {});
      },
      poolUse: (): PoolUse => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
      async close() {
        await pool.end();
      },
    },
    x,
  );
}
