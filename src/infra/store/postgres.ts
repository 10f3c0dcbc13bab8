// The PostgreSQL engine of the Store contract (src/core/store.ts), on node-postgres, for several
// ssod nodes serving as one over one database.
//
// - A bounded pool (poolSize connections per node). Every statement is a named prepared statement,
//   parsed once per connection: findSessionByLocalId runs on every page load of every application.
// - Multi-row changes run in one transaction. Races between nodes are settled by the database:
//   a relay token is consumed by DELETE … RETURNING (whoever deletes the row gets it), certificate
//   changes of one application are serialized by a row lock on the application.
// - Outages fail fast: bounded connect, statement and query timeouts; a lost or unreachable
//   database is a StoreUnavailableError, and the next call simply tries a fresh connection.
// - Migrations run at open under an advisory lock, so several nodes may start at once.
// - Text is ordered and compared byte-wise (COLLATE "C"), as SQLite does, whatever the database's
//   collation: paging by login key gives the same pages on both engines.
// No SQL text is ever built from input.
import pg from 'pg';
import type { Logger } from '../log.js';
import {
  certificateAndSessionOfValues,
  certificateAndSessionSql,
  APPLICATION_COLUMNS,
  AUDIT_COLUMNS,
  CERTIFICATE_COLUMNS,
  GLOBAL_SESSION_COLUMNS,
  KEY_MATERIAL_COLUMNS,
  RELAY_TOKEN_COLUMNS,
  SESSION_VIEW_FROM,
  THROTTLE_COLUMNS,
  UPDATABLE_APPLICATION_COLUMNS,
  USER_COLUMNS,
  auditRecordOf,
  countAttemptSql,
  countedAttemptOf,
  refundAttemptSql,
  sessionViewOf,
  type AuditRow,
  type CountAttemptParameter,
  type CountedRow,
  type SessionViewRow,
} from './columns.js';
import { LATEST_SCHEMA_VERSION, MIGRATIONS, SCHEMA_MIGRATIONS_TABLE } from './migrations.js';
import { DuplicateLoginError, StoreUnavailableError } from '../../core/store.js';
import type {
  ApplicationChanges,
  ApplicationRecord,
  AttemptCount,
  CertificateAndSession,
  AuditEvent,
  AuditQuery,
  AuditRecord,
  CertificateRecord,
  CountedAttempt,
  GlobalSessionRecord,
  KeyMaterialRecord,
  LocalSessionRecord,
  LockWaits,
  OutboxEventInput,
  OutboxEventRecord,
  RelayTokenRecord,
  PoolUse,
  SessionCountQuery,
  SessionQuery,
  SessionSummary,
  SessionView,
  Store,
  ThrottleRecord,
  UserQuery,
  UserRecord,
} from '../../core/store.js';

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
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: POSTGRES_TIMEOUTS.connectMs, keepAlive: true, application_name: 'ssod' });
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
      throw new Error('no schema to create the tables in: the search_path names no schema that exists (create it, or fix the options parameter of the URL)');
    }
    await client.query('SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))', [MIGRATION_LOCK_KEY]);
    await client.query(SCHEMA_MIGRATIONS_TABLE.postgres);
    const current = Number((await client.query<{ v: number }>('SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations')).rows[0]?.v ?? 0);
    if (current > LATEST_SCHEMA_VERSION) {
      throw new Error(
        `database ${redactedUrl(url)} has schema version ${current}, newer than the version ${LATEST_SCHEMA_VERSION} that this ssod knows: run a newer ssod`,
      );
    }
    for (const migration of MIGRATIONS.filter((m) => m.version > current)) {
      await client.query(migration.postgres);
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
  return new PostgresStore(createPostgresPool(url, settings));
}

interface Statement {
  readonly name: string;
  readonly text: string;
}

function statement(name: string, text: string): Statement {
  return { name: `ssod_${name}`, text };
}

/** countAttempt's parameters in the order they are passed, typed: some appear where PostgreSQL cannot infer a type. */
const COUNT_ATTEMPT_PLACEHOLDERS: Readonly<Record<CountAttemptParameter, string>> = {
  attemptId: '$1::text',
  key: '$2::text',
  now: '$3::bigint',
  resetBefore: '$4::bigint',
  windowBefore: '$5::bigint',
  threshold: '$6::integer',
  incrementMs: '$7::bigint',
  maxMs: '$8::bigint',
};

/** One statement for every partial change: a column keeps its value unless its flag is true. */
const UPDATE_APPLICATION_SQL = `UPDATE applications SET ${UPDATABLE_APPLICATION_COLUMNS.map(
  ([, column], index) => `${column} = CASE WHEN $${2 * index + 2}::boolean THEN $${2 * index + 3}::text ELSE ${column} END`,
).join(', ')} WHERE id = $1`;

function updateApplicationValues(id: string, changes: ApplicationChanges): unknown[] {
  const values: unknown[] = [id];
  for (const [field] of UPDATABLE_APPLICATION_COLUMNS) {
    const value = changes[field];
    values.push(value !== undefined, value ?? null);
  }
  return values;
}

const SQL = {
  ping: statement('ping', 'SELECT 1'),
  probeWrite: statement('probe_write', 'UPDATE schema_migrations SET applied_at = applied_at WHERE version = (SELECT MAX(version) FROM schema_migrations)'),

  insertApplication: statement('insert_application', `INSERT INTO applications
    (id, name, display_name, version, capabilities, url, restore_password_url, change_password_url, created_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`),
  getApplication: statement('get_application', `SELECT ${APPLICATION_COLUMNS} FROM applications WHERE id = $1`),
  listApplicationIds: statement('list_application_ids', 'SELECT id FROM applications ORDER BY created_at, id COLLATE "C"'),
  listApplications: statement('list_applications', `SELECT ${APPLICATION_COLUMNS} FROM applications ORDER BY created_at, id COLLATE "C"`),
  updateApplication: statement('update_application', UPDATE_APPLICATION_SQL),
  deleteApplication: statement('delete_application', 'DELETE FROM applications WHERE id = $1'),
  hasApplicationUrl: statement('has_application_url', 'SELECT EXISTS (SELECT 1 FROM applications WHERE url = $1) AS found'),
  lockApplication: statement('lock_application', 'SELECT 1 FROM applications WHERE id = $1 FOR UPDATE'),

  insertCertificate: statement('insert_certificate', `INSERT INTO certificates
    (fingerprint, application_id, serial, issued_at, not_after, first_used_at, retired_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`),
  findCertificate: statement('find_certificate', `SELECT ${CERTIFICATE_COLUMNS} FROM certificates WHERE fingerprint = $1`),
  listCertificates: statement('list_certificates', `SELECT ${CERTIFICATE_COLUMNS} FROM certificates WHERE application_id = $1 ORDER BY issued_at, fingerprint COLLATE "C"`),
  retirePendingCertificates: statement('retire_pending_certificates',
    'UPDATE certificates SET retired_at = $1 WHERE application_id = $2 AND first_used_at IS NULL AND retired_at IS NULL'),
  markCertificateUsed: statement('mark_certificate_used', 'UPDATE certificates SET first_used_at = COALESCE(first_used_at, $1) WHERE fingerprint = $2'),
  retireOtherCertificates: statement('retire_other_certificates',
    'UPDATE certificates SET retired_at = $1 WHERE application_id = $2 AND fingerprint <> $3 AND retired_at IS NULL'),

  insertUser: statement('insert_user', `INSERT INTO users (id, login, login_key, owner_id, password_hash, created_at, disabled_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7)`),
  listUsers: statement('list_users', `SELECT ${USER_COLUMNS} FROM users
    WHERE ($1::text IS NULL OR owner_id = $1) AND ($2::text IS NULL OR strpos(login_key, $2) > 0)
      AND ($3::text IS NULL OR login_key COLLATE "C" > $3)
    ORDER BY login_key COLLATE "C" LIMIT $4`),
  setUserDisabled: statement('set_user_disabled', 'UPDATE users SET disabled_at = $1 WHERE id = $2'),
  getUser: statement('get_user', `SELECT ${USER_COLUMNS} FROM users WHERE id = $1`),
  findUserByLoginKey: statement('find_user_by_login_key', `SELECT ${USER_COLUMNS} FROM users WHERE login_key = $1`),
  listUserIds: statement('list_user_ids', 'SELECT id FROM users WHERE owner_id = $1 ORDER BY created_at, id COLLATE "C"'),
  changeLogin: statement('change_login', 'UPDATE users SET login = $1, login_key = $2 WHERE id = $3'),
  setPasswordHash: statement('set_password_hash', 'UPDATE users SET password_hash = $1 WHERE id = $2'),
  replacePasswordHash: statement('replace_password_hash', 'UPDATE users SET password_hash = $1 WHERE id = $2 AND password_hash = $3'),
  setOwner: statement('set_owner', 'UPDATE users SET owner_id = $1 WHERE id = $2'),
  deleteUser: statement('delete_user', 'DELETE FROM users WHERE id = $1'),

  insertGlobalSession: statement('insert_global_session', `INSERT INTO global_sessions
    (id, user_id, created_at, expires_at, last_seen_at, cookie_hash, cookie_sealed_secret) VALUES ($1, $2, $3, $4, $5, $6, $7)`),
  insertLocalSession: statement('insert_local_session', 'INSERT INTO local_sessions (id_hash, global_id, base_url, created_at) VALUES ($1, $2, $3, $4)'),
  // Only the (global, base url) pair may already exist; a clash of id hashes is still an error.
  ensureLocalSession: statement('ensure_local_session', `INSERT INTO local_sessions (id_hash, global_id, base_url, created_at)
    VALUES ($1, $2, $3, $4) ON CONFLICT (global_id, base_url) DO NOTHING`),
  insertRelayToken: statement('insert_relay_token', 'INSERT INTO relay_tokens (token_hash, global_id, expires_at, sealed_secret) VALUES ($1, $2, $3, $4)'),
  findSessionByLocalId: statement('find_session_by_local_id', `${SESSION_VIEW_FROM} WHERE l.id_hash = $1`),
  findCertificateAndSession: statement('find_certificate_and_session', certificateAndSessionSql('$1', '$2')),
  findSessionByCookie: statement('find_session_by_cookie', `SELECT ${GLOBAL_SESSION_COLUMNS} FROM global_sessions WHERE cookie_hash = $1`),
  getGlobalSession: statement('get_global_session', `SELECT ${GLOBAL_SESSION_COLUMNS} FROM global_sessions WHERE id = $1`),
  touchSession: statement('touch_session', 'UPDATE global_sessions SET last_seen_at = GREATEST(last_seen_at, $1) WHERE id = $2'),
  // Deleting and reading in one statement: of two nodes racing, the second waits for the first's
  // row lock, then finds the row gone. Whoever deletes the row is the one that gets it.
  consumeRelayToken: statement('consume_relay_token', `DELETE FROM relay_tokens WHERE token_hash = $1 AND expires_at > $2 RETURNING ${RELAY_TOKEN_COLUMNS}`),
  setSessionCookie: statement('set_session_cookie', 'UPDATE global_sessions SET cookie_hash = $1, cookie_sealed_secret = $2 WHERE id = $3'),
  deleteGlobalSession: statement('delete_global_session', 'DELETE FROM global_sessions WHERE id = $1'),
  // A session is over at its expiry instant and when idle since idleBefore or earlier, as core/sessions.ts judges it.
  purgeSessions: statement('purge_sessions', 'DELETE FROM global_sessions WHERE expires_at <= $1 OR last_seen_at <= $2'),
  purgeRelayTokens: statement('purge_relay_tokens', 'DELETE FROM relay_tokens WHERE expires_at <= $1'),
  // One statement, so the sessions and their base URLs are one snapshot.
  listSessions: statement('list_sessions', `SELECT ${GLOBAL_SESSION_COLUMNS},
      COALESCE((SELECT array_agg(l.base_url ORDER BY l.base_url COLLATE "C") FROM local_sessions l WHERE l.global_id = g.id), '{}') AS "baseUrls"
    FROM global_sessions g
    WHERE ($1::text IS NULL OR g.user_id = $1)
      AND ($2::text IS NULL OR EXISTS (SELECT 1 FROM local_sessions l WHERE l.global_id = g.id AND l.base_url = $2))
    ORDER BY g.created_at DESC, g.id COLLATE "C" LIMIT $3`),
  countSessions: statement('count_sessions', `SELECT COUNT(*)::int AS count FROM global_sessions g
    WHERE g.expires_at > $3 AND g.last_seen_at > $4 AND ($1::text IS NULL OR g.user_id = $1)
      AND ($2::text IS NULL OR EXISTS (SELECT 1 FROM local_sessions l WHERE l.global_id = g.id AND l.base_url = $2))`),
  deleteUserSessions: statement('delete_user_sessions', 'DELETE FROM global_sessions WHERE user_id = $1'),

  readSettings: statement('read_settings', 'SELECT key, value FROM settings'),
  writeSetting: statement('write_setting', `INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3)
    ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`),
  deleteSetting: statement('delete_setting', 'DELETE FROM settings WHERE key = $1'),

  countAttempt: statement('count_attempt', countAttemptSql((name) => COUNT_ATTEMPT_PLACEHOLDERS[name], 'GREATEST', 'LEAST')),
  refundAttempt: statement('refund_attempt', refundAttemptSql('$1', '$2', 'GREATEST')),
  getThrottles: statement('get_throttles', `SELECT ${THROTTLE_COLUMNS} FROM login_throttle WHERE key = ANY($1::text[])`),
  listThrottles: statement('list_throttles', `SELECT ${THROTTLE_COLUMNS} FROM login_throttle ORDER BY last_failure_at DESC, key COLLATE "C" LIMIT $1`),
  clearThrottle: statement('clear_throttle', 'DELETE FROM login_throttle WHERE key = $1'),
  purgeThrottles: statement('purge_throttles', 'DELETE FROM login_throttle WHERE last_failure_at < $1 AND (locked_until IS NULL OR locked_until <= $2)'),

  appendAudit: statement('append_audit', 'INSERT INTO audit_events (at, type, actor, target, outcome, detail) VALUES ($1, $2, $3, $4, $5, $6)'),
  queryAudit: statement('query_audit', `SELECT ${AUDIT_COLUMNS} FROM audit_events
    WHERE ($1::bigint IS NULL OR at >= $1) AND ($2::bigint IS NULL OR at < $2) AND ($3::text IS NULL OR type = $3)
      AND ($4::text IS NULL OR actor = $4) AND ($5::text IS NULL OR target = $5) AND ($6::bigint IS NULL OR id < $6)
    ORDER BY id DESC LIMIT $7`),
  trimAudit: statement('trim_audit', 'DELETE FROM audit_events WHERE at < $1'),

  getKeyMaterial: statement('get_key_material', `SELECT ${KEY_MATERIAL_COLUMNS} FROM key_material WHERE name = $1`),
  insertKeyMaterial: statement('insert_key_material', `INSERT INTO key_material (name, certificate_pem, sealed_key, updated_at)
    VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING`),
  replaceKeyMaterial: statement('replace_key_material', `UPDATE key_material SET certificate_pem = $2, sealed_key = $3, updated_at = $4
    WHERE name = $1 AND certificate_pem = $5`),
} as const;

/** Runs a prepared statement, on a given connection (inside a transaction) or on any from the pool. */
type Run = <R extends pg.QueryResultRow = pg.QueryResultRow>(sql: Statement, values?: readonly unknown[]) => Promise<pg.QueryResult<R>>;

function applicationValues(app: ApplicationRecord): unknown[] {
  return [app.id, app.name, app.displayName, app.version, app.capabilities, app.url, app.restorePasswordUrl, app.changePasswordUrl, app.createdAt];
}

function certificateValues(cert: CertificateRecord): unknown[] {
  return [cert.fingerprint, cert.applicationId, cert.serial, cert.issuedAt, cert.notAfter, cert.firstUsedAt, cert.retiredAt];
}

class PostgresStore implements Store {
  readonly engine = 'postgres';
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  readonly #run: Run = async (sql, values = []) => {
    try {
      return await this.#pool.query({ name: sql.name, text: sql.text, values: [...values] });
    } catch (error) {
      throw storeError(error);
    }
  };

  /** Runs `work` in one transaction on one connection; a connection that failed is discarded, not reused. */
  async #transaction<T>(work: (run: Run) => Promise<T>): Promise<T> {
    const { client, done } = await checkOut(this.#pool);
    const run: Run = async (sql, values = []) => {
      try {
        return await client.query({ name: sql.name, text: sql.text, values: [...values] });
      } catch (error) {
        throw storeError(error);
      }
    };
    let discard: Error | undefined;
    try {
      await client.query('BEGIN').catch((error: unknown) => {
        throw storeError(error);
      });
      const result = await work(run);
      await client.query('COMMIT').catch((error: unknown) => {
        throw storeError(error);
      });
      return result;
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
      throw error;
    } finally {
      done(discard);
    }
  }

  async ping(): Promise<void> {
    await this.#run(SQL.ping);
  }

  async probeWrite(): Promise<void> {
    await this.#run(SQL.probeWrite);
  }

  poolUse(): PoolUse {
    return { total: this.#pool.totalCount, idle: this.#pool.idleCount, waiting: this.#pool.waitingCount };
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }

  async insertApplication(app: ApplicationRecord, cert: CertificateRecord): Promise<void> {
    await this.#transaction(async (run) => {
      await run(SQL.insertApplication, applicationValues(app));
      await run(SQL.insertCertificate, certificateValues(cert));
    });
  }

  async getApplication(id: string): Promise<ApplicationRecord | null> {
    return (await this.#run<ApplicationRecord>(SQL.getApplication, [id])).rows[0] ?? null;
  }

  async listApplicationIds(): Promise<string[]> {
    return (await this.#run<{ id: string }>(SQL.listApplicationIds)).rows.map((row) => row.id);
  }

  async listApplications(): Promise<ApplicationRecord[]> {
    return (await this.#run<ApplicationRecord>(SQL.listApplications)).rows;
  }

  async updateApplication(id: string, changes: ApplicationChanges): Promise<boolean> {
    return ((await this.#run(SQL.updateApplication, updateApplicationValues(id, changes))).rowCount ?? 0) > 0;
  }

  async deleteApplication(id: string): Promise<boolean> {
    // One statement: the foreign keys cascade to certificates, users and their sessions.
    return ((await this.#run(SQL.deleteApplication, [id])).rowCount ?? 0) > 0;
  }

  async hasApplicationUrl(url: string): Promise<boolean> {
    return (await this.#run<{ found: boolean }>(SQL.hasApplicationUrl, [url])).rows[0]?.found === true;
  }

  // protocol §4.2: only the newest pending certificate may take over; the one in use stays valid. The
  // application's row lock orders this against a concurrent activation on another node.
  async addCertificate(cert: CertificateRecord): Promise<void> {
    await this.#transaction(async (run) => {
      await run(SQL.lockApplication, [cert.applicationId]);
      await run(SQL.retirePendingCertificates, [cert.issuedAt, cert.applicationId]);
      await run(SQL.insertCertificate, certificateValues(cert));
    });
  }

  async findCertificate(fingerprint: string): Promise<CertificateRecord | null> {
    return (await this.#run<CertificateRecord>(SQL.findCertificate, [fingerprint])).rows[0] ?? null;
  }

  async listCertificates(applicationId: string): Promise<CertificateRecord[]> {
    return (await this.#run<CertificateRecord>(SQL.listCertificates, [applicationId])).rows;
  }

  // protocol §4.2: the first use of a certificate retires the others, unless it was retired first. The
  // certificate is read again once its application is locked: what decides is the state after any
  // concurrent rotation or activation committed, on whichever node it ran.
  async activateCertificate(fingerprint: string, now: number): Promise<boolean> {
    return await this.#transaction(async (run) => {
      const seen = (await run<CertificateRecord>(SQL.findCertificate, [fingerprint])).rows[0];
      if (seen === undefined) return false;
      await run(SQL.lockApplication, [seen.applicationId]);
      const cert = (await run<CertificateRecord>(SQL.findCertificate, [fingerprint])).rows[0];
      if (cert === undefined || cert.retiredAt !== null) return false;
      await run(SQL.markCertificateUsed, [now, fingerprint]);
      await run(SQL.retireOtherCertificates, [now, cert.applicationId, fingerprint]);
      return true;
    });
  }

  async insertUser(user: UserRecord): Promise<void> {
    await this.#run(SQL.insertUser, [user.id, user.login, user.loginKey, user.ownerId, user.passwordHash, user.createdAt, user.disabledAt]);
  }

  async getUser(id: string): Promise<UserRecord | null> {
    return (await this.#run<UserRecord>(SQL.getUser, [id])).rows[0] ?? null;
  }

  async findUserByLoginKey(loginKey: string): Promise<UserRecord | null> {
    return (await this.#run<UserRecord>(SQL.findUserByLoginKey, [loginKey])).rows[0] ?? null;
  }

  async listUserIds(ownerId: string): Promise<string[]> {
    return (await this.#run<{ id: string }>(SQL.listUserIds, [ownerId])).rows.map((row) => row.id);
  }

  async changeLogin(id: string, login: string, loginKey: string): Promise<boolean> {
    return ((await this.#run(SQL.changeLogin, [login, loginKey, id])).rowCount ?? 0) > 0;
  }

  async setPasswordHash(id: string, passwordHash: string, expected?: string): Promise<boolean> {
    const result =
      expected === undefined
        ? await this.#run(SQL.setPasswordHash, [passwordHash, id])
        : await this.#run(SQL.replacePasswordHash, [passwordHash, id, expected]);
    return (result.rowCount ?? 0) > 0;
  }

  async setOwner(id: string, ownerId: string): Promise<boolean> {
    return ((await this.#run(SQL.setOwner, [ownerId, id])).rowCount ?? 0) > 0;
  }

  async deleteUser(id: string): Promise<boolean> {
    // One statement: the foreign keys cascade to the user's sessions.
    return ((await this.#run(SQL.deleteUser, [id])).rowCount ?? 0) > 0;
  }

  async listUsers(query: UserQuery): Promise<UserRecord[]> {
    const values = [query.ownerId ?? null, query.loginKeyContains ?? null, query.afterLoginKey ?? null, query.limit];
    return (await this.#run<UserRecord>(SQL.listUsers, values)).rows;
  }

  async setUserDisabled(id: string, disabledAt: number | null): Promise<boolean> {
    return await this.#transaction(async (run) => {
      if (((await run(SQL.setUserDisabled, [disabledAt, id])).rowCount ?? 0) === 0) return false;
      if (disabledAt !== null) await run(SQL.deleteUserSessions, [id]);
      return true;
    });
  }

  async createSession(global: GlobalSessionRecord, local: LocalSessionRecord, token: RelayTokenRecord): Promise<void> {
    await this.#transaction(async (run) => {
      await run(SQL.insertGlobalSession, [
        global.id,
        global.userId,
        global.createdAt,
        global.expiresAt,
        global.lastSeenAt,
        global.cookieHash,
        global.cookieSealedSecret,
      ]);
      await run(SQL.insertLocalSession, [local.idHash, local.globalId, local.baseUrl, local.createdAt]);
      await run(SQL.insertRelayToken, [token.tokenHash, token.globalId, token.expiresAt, token.sealedSecret]);
    });
  }

  async findSessionByLocalId(idHash: string): Promise<SessionView | null> {
    const row = (await this.#run<SessionViewRow>(SQL.findSessionByLocalId, [idHash])).rows[0];
    return row === undefined ? null : sessionViewOf(row);
  }

  async findCertificateAndSession(fingerprint: string, localIdHash: string): Promise<CertificateAndSession> {
    // The row as an array, as the SQLite store reads it: one converter for both engines.
    const { name, text } = SQL.findCertificateAndSession;
    let values: unknown[] | undefined;
    try {
      values = (await this.#pool.query<unknown[]>({ name, text, values: [fingerprint, localIdHash], rowMode: 'array' })).rows[0];
    } catch (error) {
      throw storeError(error);
    }
    if (values === undefined) throw new Error('findCertificateAndSession returned no row');
    return certificateAndSessionOfValues(values);
  }

  async findSessionByCookie(cookieHash: string): Promise<GlobalSessionRecord | null> {
    return (await this.#run<GlobalSessionRecord>(SQL.findSessionByCookie, [cookieHash])).rows[0] ?? null;
  }

  async getGlobalSession(id: string): Promise<GlobalSessionRecord | null> {
    return (await this.#run<GlobalSessionRecord>(SQL.getGlobalSession, [id])).rows[0] ?? null;
  }

  async ensureLocalSession(local: LocalSessionRecord): Promise<boolean> {
    return ((await this.#run(SQL.ensureLocalSession, [local.idHash, local.globalId, local.baseUrl, local.createdAt])).rowCount ?? 0) > 0;
  }

  async touchSession(globalId: string, now: number): Promise<void> {
    await this.#run(SQL.touchSession, [now, globalId]);
  }

  async consumeRelayToken(tokenHash: string, now: number): Promise<RelayTokenRecord | null> {
    return (await this.#run<RelayTokenRecord>(SQL.consumeRelayToken, [tokenHash, now])).rows[0] ?? null;
  }

  async setSessionCookie(globalId: string, cookieHash: string, cookieSealedSecret: string): Promise<void> {
    await this.#run(SQL.setSessionCookie, [cookieHash, cookieSealedSecret, globalId]);
  }

  async deleteGlobalSession(globalId: string): Promise<void> {
    // One statement: the foreign keys cascade to its local sessions and tokens.
    await this.#run(SQL.deleteGlobalSession, [globalId]);
  }

  async purgeExpiredSessions(now: number, idleBefore: number): Promise<number> {
    return await this.#transaction(async (run) => {
      const purged = (await run(SQL.purgeSessions, [now, idleBefore])).rowCount ?? 0;
      await run(SQL.purgeRelayTokens, [now]);
      return purged;
    });
  }

  async countSessions(query: SessionCountQuery): Promise<number> {
    const { rows } = await this.#run<{ count: number }>(SQL.countSessions, [query.userId ?? null, query.baseUrl ?? null, query.now, query.idleBefore]);
    return rows[0]?.count ?? 0;
  }

  async listSessions(query: SessionQuery): Promise<SessionSummary[]> {
    const { rows } = await this.#run<GlobalSessionRecord & { baseUrls: string[] }>(SQL.listSessions, [query.userId ?? null, query.baseUrl ?? null, query.limit]);
    return rows.map(({ baseUrls, ...global }) => ({ global, baseUrls }));
  }

  async deleteUserSessions(userId: string): Promise<number> {
    // One statement: the foreign keys cascade to their local sessions and tokens.
    return (await this.#run(SQL.deleteUserSessions, [userId])).rowCount ?? 0;
  }

  async readSettings(): Promise<Record<string, string>> {
    const { rows } = await this.#run<{ key: string; value: string }>(SQL.readSettings);
    return Object.fromEntries(rows.map((row) => [row.key, row.value]));
  }

  async writeSettings(changes: Readonly<Record<string, string | null>>, now: number): Promise<void> {
    await this.#transaction(async (run) => {
      for (const [key, value] of Object.entries(changes)) {
        if (value === null) await run(SQL.deleteSetting, [key]);
        else await run(SQL.writeSetting, [key, value, now]);
      }
    });
  }

  async countAttempt(attemptId: string, counts: readonly AttemptCount[], now: number, waits: LockWaits): Promise<CountedAttempt[]> {
    // The keys in one order on every node, so that two attempts sharing keys never wait on each other in a cycle.
    const ordered = [...counts].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const counted = await this.#transaction(async (run) => {
      const byKey = new Map<string, CountedAttempt>();
      for (const count of ordered) {
        const values = [attemptId, count.key, now, count.resetBefore, count.windowBefore, count.threshold, waits.incrementMs, waits.maxMs];
        const row = (await run<CountedRow>(SQL.countAttempt, values)).rows[0];
        if (row === undefined) throw new Error('countAttempt returned no row');
        byKey.set(count.key, countedAttemptOf(row, attemptId, now));
      }
      return byKey;
    });
    return counts.map((count) => counted.get(count.key) as CountedAttempt);
  }

  async settleSuccess(attemptId: string, clear: string, refund: readonly string[]): Promise<void> {
    await this.#transaction(async (run) => {
      for (const key of [clear, ...refund].sort()) {
        if (key === clear) await run(SQL.clearThrottle, [key]);
        else await run(SQL.refundAttempt, [attemptId, key]);
      }
    });
  }

  async getThrottles(keys: readonly string[]): Promise<ThrottleRecord[]> {
    return keys.length === 0 ? [] : (await this.#run<ThrottleRecord>(SQL.getThrottles, [[...keys]])).rows;
  }

  async listThrottles(limit: number): Promise<ThrottleRecord[]> {
    return (await this.#run<ThrottleRecord>(SQL.listThrottles, [limit])).rows;
  }

  async clearThrottle(key: string): Promise<boolean> {
    return ((await this.#run(SQL.clearThrottle, [key])).rowCount ?? 0) > 0;
  }

  async purgeThrottles(before: number, now: number): Promise<number> {
    return (await this.#run(SQL.purgeThrottles, [before, now])).rowCount ?? 0;
  }

  async appendAudit(event: AuditEvent): Promise<void> {
    await this.#run(SQL.appendAudit, [event.at, event.type, event.actor, event.target, event.outcome, JSON.stringify(event.detail)]);
  }

  async queryAudit(query: AuditQuery): Promise<AuditRecord[]> {
    const values = [query.since, query.until, query.type, query.actor, query.target, query.beforeId].map((value) => value ?? null);
    return (await this.#run<AuditRow>(SQL.queryAudit, [...values, query.limit])).rows.map(auditRecordOf);
  }

  async trimAudit(before: number): Promise<number> {
    return (await this.#run(SQL.trimAudit, [before])).rowCount ?? 0;
  }

  async getKeyMaterial(name: string): Promise<KeyMaterialRecord | null> {
    return (await this.#run<KeyMaterialRecord>(SQL.getKeyMaterial, [name])).rows[0] ?? null;
  }

  async saveKeyMaterial(record: KeyMaterialRecord, replacing: string | null): Promise<KeyMaterialRecord> {
    const values = [record.name, record.certificatePem, record.sealedKey, record.updatedAt];
    // Each statement is atomic on its own; the insert waits for a concurrent insert of the same
    // name to commit, and the final read shows whichever record won.
    if (((await this.#run(SQL.insertKeyMaterial, values)).rowCount ?? 0) > 0) return record;
    if (replacing !== null && ((await this.#run(SQL.replaceKeyMaterial, [...values, replacing])).rowCount ?? 0) > 0) return record;
    const stored = (await this.#run<KeyMaterialRecord>(SQL.getKeyMaterial, [record.name])).rows[0];
    if (stored === undefined) throw new Error(`key material ${record.name} was removed while being saved`);
    return stored;
  }

  // ---- Browser sessions and the outbox of domain events (core/sessions.ts, core/events.ts, core/outbox.ts) ----

  async insertGlobalSession(global: GlobalSessionRecord): Promise<void> {
    await this.#run(SQL.insertGlobalSession, [global.id, global.userId, global.createdAt, global.expiresAt, global.lastSeenAt, global.cookieHash, global.cookieSealedSecret]);
  }

  async appendOutboxEvent(event: OutboxEventInput): Promise<number> {
    const row = (await this.#run<{ id: number }>(OUTBOX_SQL.append, [event.at, event.type, event.payload, OUTBOX_LOCK_KEY])).rows[0];
    if (row === undefined) throw new Error('appendOutboxEvent returned no id');
    return row.id;
  }

  async readOutbox(after: number, limit: number): Promise<OutboxEventRecord[]> {
    return (await this.#run<OutboxEventRecord>(OUTBOX_SQL.read, [after, limit])).rows;
  }

  async claimOutboxCursor(subscriber: string, owner: string, now: number, leaseUntil: number, startAtEnd: boolean): Promise<number | null> {
    return await this.#transaction(async (run) => {
      await run(OUTBOX_SQL.createCursor, [subscriber, startAtEnd]);
      // Of two nodes claiming at once, the second waits for the first's row lock, then reads its lease.
      return (await run<{ position: number }>(OUTBOX_SQL.takeLease, [subscriber, owner, now, leaseUntil])).rows[0]?.position ?? null;
    });
  }

  async advanceOutboxCursor(subscriber: string, owner: string, position: number, leaseUntil: number): Promise<boolean> {
    return ((await this.#run(OUTBOX_SQL.advance, [subscriber, owner, position, leaseUntil])).rowCount ?? 0) > 0;
  }

  async releaseOutboxCursor(subscriber: string, owner: string): Promise<void> {
    await this.#run(OUTBOX_SQL.release, [subscriber, owner]);
  }

  async trimOutbox(before: number): Promise<number> {
    return (await this.#run(OUTBOX_SQL.trim, [before])).rowCount ?? 0;
  }

  async appendAuditOfEvent(eventId: number, event: AuditEvent): Promise<boolean> {
    const values = [event.at, event.type, event.actor, event.target, event.outcome, JSON.stringify(event.detail), eventId];
    return ((await this.#run(OUTBOX_SQL.appendAudit, values)).rowCount ?? 0) > 0;
  }
}

/**
 * The advisory lock that orders appends to the outbox: the pair (this key, hash of the schema name).
 * An identity value is taken before its row commits, so without it a reader could see event 8
 * committed before event 7 and move a cursor past 7 for good; under the lock, held from before the
 * id is taken until the commit, ids become visible in their order.
 */
export const OUTBOX_LOCK_KEY = 0x55d0_0002;

const OUTBOX_SQL = {
  // One statement: the lock is taken by the subquery, before the row (and its id) is formed, and
  // released at the statement's commit.
  append: statement('outbox_append', `INSERT INTO outbox_events (at, type, payload)
    SELECT $1, $2, $3 FROM (SELECT pg_advisory_xact_lock($4, hashtext(current_schema()))) AS ordered RETURNING id`),
  read: statement('outbox_read', 'SELECT id, at, type, payload FROM outbox_events WHERE id > $1 ORDER BY id LIMIT $2'),
  createCursor: statement('outbox_create_cursor', `INSERT INTO outbox_cursors (subscriber, position, lease_owner, lease_until)
    VALUES ($1, CASE WHEN $2::boolean THEN (SELECT COALESCE(MAX(id), 0) FROM outbox_events) ELSE 0 END, NULL, 0)
    ON CONFLICT (subscriber) DO NOTHING`),
  takeLease: statement('outbox_take_lease', `UPDATE outbox_cursors SET lease_owner = $2, lease_until = $4
    WHERE subscriber = $1 AND (lease_owner IS NULL OR lease_owner = $2 OR lease_until <= $3) RETURNING position`),
  advance: statement('outbox_advance', `UPDATE outbox_cursors SET position = GREATEST(position, $3), lease_until = $4
    WHERE subscriber = $1 AND lease_owner = $2`),
  release: statement('outbox_release', 'UPDATE outbox_cursors SET lease_owner = NULL, lease_until = 0 WHERE subscriber = $1 AND lease_owner = $2'),
  trim: statement('outbox_trim', 'DELETE FROM outbox_events WHERE at < $1 OR id <= (SELECT COALESCE(MIN(position), 0) FROM outbox_cursors)'),
  appendAudit: statement('outbox_append_audit', `INSERT INTO audit_events (at, type, actor, target, outcome, detail, event_id)
    VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (event_id) DO NOTHING`),
} as const;
