// The SQLite engine of the Store contract (src/core/store.ts), on better-sqlite3.
//
// better-sqlite3 is synchronous: every method runs its statement at once and hands back a promise,
// so the contract stays the same shape as a networked engine's; a write's promise resolves once
// the write is on disk, an fsync that runs off the event loop (walSync.ts). A statement that finds
// the database locked by another connection (another worker) is tried again from a timer rather
// than waited for on the event loop (sqliteBusy.ts). Every statement is prepared once at open:
// findSessionByLocalId and touchSession run on every page load of every application,
// findCertificate on every request. No SQL text is ever built from input.
import { chmodSync, closeSync, openSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
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
import { BUSY_DEADLINE_MS, untilNotBusy } from './sqliteBusy.js';
import { WalSync } from './walSync.js';
import { DuplicateLoginError } from '../../core/store.js';
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
  SessionCountQuery,
  SessionQuery,
  SessionSummary,
  SessionView,
  Store,
  ThrottleRecord,
  UserQuery,
  UserRecord,
} from '../../core/store.js';

type Db = Database.Database;
type SqlValue = string | number | null;

export interface SqliteStoreSettings {
  /** How long a statement may wait for a lock held by another connection before it fails with SQLITE_BUSY (sqliteBusy.ts). */
  readonly busyDeadlineMs?: number;
  /**
   * Why the file must already hold an ssod store (a certificate authority beside it, or an operator
   * command, which never creates one), with what to do: a missing or empty file is then refused with
   * this text instead of becoming a new, empty installation (docs/SECURITY.md, case F46).
   */
  readonly refuseNewBecause?: string;
  /** Whether to read every page at open (PRAGMA quick_check); true unless another process just did. */
  readonly checkPages?: boolean;
}

/** The store files: the database and what SQLite keeps beside it. All are owner-only (docs/SECURITY.md, case F41). */
const STORE_FILE_SUFFIXES = ['', '-wal', '-shm', '-journal'] as const;
const OWNER_ONLY = 0o600;

/**
 * Opens (creating when absent) the database at `path`, or ':memory:', checks that its pages are
 * sound, and brings its schema up to date.
 */
export function openSqliteStore(path: string, { busyDeadlineMs = BUSY_DEADLINE_MS, refuseNewBecause, checkPages = true }: SqliteStoreSettings = {}): Promise<Store> {
  return settle(() => {
    const inMemory = path === ':memory:' || path === '';
    if (!inMemory) prepareStoreFiles(path, refuseNewBecause);
    let db: Db | undefined;
    try {
      db = new Database(path);
      if (refuseNewBecause !== undefined && db.prepare<[], number>('SELECT count(*) FROM sqlite_master').pluck().get() === 0) {
        throw new Error(`the ssod store ${path} holds no tables, but ${refuseNewBecause}`);
      }
      configure(db);
      if (!inMemory && checkPages) requireSoundPages(db, path);
      migrate(db, path, Date.now());
      // From here on the connection serves requests: a busy database fails the statement at once
      // and the store tries it again off the event loop (sqliteBusy.ts).
      db.pragma('busy_timeout = 0');
      return new SqliteStore(db, new WalSync(db.memory ? null : path), busyDeadlineMs);
    } catch (error) {
      db?.close();
      throw damageExplained(error, path);
    }
  });
}

/**
 * Refuses a missing or empty file where a store must exist, then makes the store files owner-only:
 * the database is created 0600 before SQLite opens it, because SQLite gives its -wal and -shm files
 * the mode of the database file (and would create the database 0644 less the umask), and files left
 * with a looser mode by an older ssod or a copy are tightened.
 */
function prepareStoreFiles(path: string, refuseNewBecause: string | undefined): void {
  if (refuseNewBecause !== undefined) {
    const size = sizeOf(path);
    if (size === null || size === 0) throw new Error(`the ssod store ${path} ${size === null ? 'does not exist' : 'is empty (0 bytes)'}, but ${refuseNewBecause}`);
  }
  try {
    closeSync(openSync(path, 'wx', OWNER_ONLY));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  for (const suffix of STORE_FILE_SUFFIXES) {
    const file = path + suffix;
    let mode: number;
    try {
      mode = statSync(file).mode;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw error;
    }
    if ((mode & 0o777) !== OWNER_ONLY) chmodSync(file, OWNER_ONLY);
  }
}

function sizeOf(file: string): number | null {
  try {
    return statSync(file).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** The refusal of a damaged store, the same for `ssod serve` and every operator command: its path, what SQLite found, what to do. */
function damagedStore(path: string, finding: string): Error {
  return new Error(
    `the ssod store ${path} is damaged (${finding.replace(/\s*\n\s*/g, ' ')}): restore the last backup with \`ssod restore --data-dir DIR BACKUP-DIR\`, which keeps the damaged files aside`,
  );
}

/**
 * PRAGMA quick_check at open (docs/SECURITY.md, case F46): a store with overwritten pages would
 * otherwise open, answer /healthz, and fail most operations. It reads every page once, without the
 * index-against-table comparison of integrity_check: measured on a store of 1 M sessions and users
 * (1.1 GB) on 2 cores, 1.4 s with the file in the page cache (4 s with both cores busy elsewhere),
 * 11 s from a cold disk at 110 MB/s.
 */
function requireSoundPages(db: Db, path: string): void {
  const verdict = db.prepare<[], string>('PRAGMA quick_check(1)').pluck().get() ?? 'no answer';
  if (verdict !== 'ok') throw damagedStore(path, `quick_check: ${verdict}`);
}

/** A corrupt-database error of SQLite, restated with the path and what to do; other errors unchanged. */
function damageExplained(error: unknown, path: string): unknown {
  if (error instanceof Database.SqliteError && /^SQLITE_(CORRUPT|NOTADB)/.test(error.code)) {
    return damagedStore(path, error.message);
  }
  return error;
}

/** Runs a synchronous step as a promise, so that a throw becomes a rejection as with any engine. */
function settle<T>(step: () => T): Promise<T> {
  return new Promise((resolve) => {
    resolve(step());
  });
}

function configure(db: Db): void {
  // Opening and migrating may wait for the lock on the event loop: nothing is served yet (a worker
  // of `ssod serve --workers N` listens only once its store is open).
  db.pragma(`busy_timeout = ${BUSY_DEADLINE_MS}`);
  db.pragma('journal_mode = WAL');
  // We promise that an acknowledged write survives a power cut. NORMAL in WAL mode does not fsync
  // at commit; every write method then waits for an fsync of the WAL off the event loop before it
  // resolves (walSync.ts), which keeps the promise of FULL without blocking the server on the disk.
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
}

/** Applies the pending migrations in one transaction; refuses a schema newer than this code. */
function migrate(db: Db, path: string, now: number): void {
  db.transaction(() => {
    db.exec(SCHEMA_MIGRATIONS_TABLE.sqlite);
    const current = db.prepare<[], number>('SELECT COALESCE(MAX(version), 0) FROM schema_migrations').pluck().get() ?? 0;
    if (current > LATEST_SCHEMA_VERSION) {
      throw new Error(
        `database ${path} has schema version ${current}, newer than the version ${LATEST_SCHEMA_VERSION} that this ssod knows: run a newer ssod`,
      );
    }
    const record = db.prepare<[number, number]>('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)');
    for (const migration of MIGRATIONS.filter((m) => m.version > current)) {
      db.exec(migration.sqlite);
      record.run(migration.version, now);
    }
  }).immediate();
}

/** One statement for every partial change: a column keeps its value unless its `has_` flag is 1. */
const UPDATE_APPLICATION_SQL = `UPDATE applications SET ${UPDATABLE_APPLICATION_COLUMNS.map(
  ([field, column]) => `${column} = CASE WHEN @has_${field} = 1 THEN @${field} ELSE ${column} END`,
).join(', ')} WHERE id = @id`;

function updateApplicationParams(id: string, changes: ApplicationChanges): Record<string, SqlValue> {
  const params: Record<string, SqlValue> = { id };
  for (const [field] of UPDATABLE_APPLICATION_COLUMNS) {
    const value = changes[field];
    params[`has_${field}`] = value === undefined ? 0 : 1;
    params[field] = value ?? null;
  }
  return params;
}

/** Optional filters are bound as NULL, which each statement reads as "no filter". */
function orNull<T>(value: T | undefined): T | null {
  return value ?? null;
}

/** A UNIQUE violation on users.login_key is the contract's DuplicateLoginError; anything else stays as it is. */
function asDuplicateLogin(error: unknown): unknown {
  const isLoginKeyTaken =
    error instanceof Database.SqliteError &&
    error.code === 'SQLITE_CONSTRAINT_UNIQUE' &&
    error.message.includes('users.login_key');
  return isLoginKeyTaken ? new DuplicateLoginError() : error;
}

function prepareStatements(db: Db) {
  return {
    ping: db.prepare<[], number>('SELECT 1').pluck(),
    probeWrite: db.prepare<[]>('UPDATE schema_migrations SET applied_at = applied_at WHERE version = (SELECT MAX(version) FROM schema_migrations)'),

    insertApplication: db.prepare<ApplicationRecord>(`INSERT INTO applications
      (id, name, display_name, version, capabilities, url, restore_password_url, change_password_url, created_at)
      VALUES (@id, @name, @displayName, @version, @capabilities, @url, @restorePasswordUrl, @changePasswordUrl, @createdAt)`),
    getApplication: db.prepare<[string], ApplicationRecord>(`SELECT ${APPLICATION_COLUMNS} FROM applications WHERE id = ?`),
    listApplicationIds: db.prepare<[], string>('SELECT id FROM applications ORDER BY created_at, id').pluck(),
    listApplications: db.prepare<[], ApplicationRecord>(`SELECT ${APPLICATION_COLUMNS} FROM applications ORDER BY created_at, id`),
    updateApplication: db.prepare<Record<string, SqlValue>>(UPDATE_APPLICATION_SQL),
    deleteApplication: db.prepare<[string]>('DELETE FROM applications WHERE id = ?'),
    hasApplicationUrl: db.prepare<[string], number>('SELECT EXISTS (SELECT 1 FROM applications WHERE url = ?)').pluck(),

    insertCertificate: db.prepare<CertificateRecord>(`INSERT INTO certificates
      (fingerprint, application_id, serial, issued_at, not_after, first_used_at, retired_at)
      VALUES (@fingerprint, @applicationId, @serial, @issuedAt, @notAfter, @firstUsedAt, @retiredAt)`),
    findCertificate: db.prepare<[string], CertificateRecord>(`SELECT ${CERTIFICATE_COLUMNS} FROM certificates WHERE fingerprint = ?`),
    listCertificates: db.prepare<[string], CertificateRecord>(
      `SELECT ${CERTIFICATE_COLUMNS} FROM certificates WHERE application_id = ? ORDER BY issued_at, fingerprint`,
    ),
    retirePendingCertificates: db.prepare<[number, string]>(
      'UPDATE certificates SET retired_at = ? WHERE application_id = ? AND first_used_at IS NULL AND retired_at IS NULL',
    ),
    markCertificateUsed: db.prepare<[number, string]>(
      'UPDATE certificates SET first_used_at = COALESCE(first_used_at, ?) WHERE fingerprint = ?',
    ),
    retireOtherCertificates: db.prepare<[number, string, string]>(
      'UPDATE certificates SET retired_at = ? WHERE application_id = ? AND fingerprint <> ? AND retired_at IS NULL',
    ),

    insertUser: db.prepare<UserRecord>(`INSERT INTO users (id, login, login_key, owner_id, password_hash, created_at, disabled_at)
      VALUES (@id, @login, @loginKey, @ownerId, @passwordHash, @createdAt, @disabledAt)`),
    listUsers: db.prepare<Record<string, SqlValue>, UserRecord>(`SELECT ${USER_COLUMNS} FROM users
      WHERE (@ownerId IS NULL OR owner_id = @ownerId) AND (@contains IS NULL OR instr(login_key, @contains) > 0)
        AND (@after IS NULL OR login_key > @after)
      ORDER BY login_key LIMIT @limit`),
    setUserDisabled: db.prepare<[number | null, string]>('UPDATE users SET disabled_at = ? WHERE id = ?'),
    getUser: db.prepare<[string], UserRecord>(`SELECT ${USER_COLUMNS} FROM users WHERE id = ?`),
    findUserByLoginKey: db.prepare<[string], UserRecord>(`SELECT ${USER_COLUMNS} FROM users WHERE login_key = ?`),
    listUserIds: db.prepare<[string], string>('SELECT id FROM users WHERE owner_id = ? ORDER BY created_at, id').pluck(),
    changeLogin: db.prepare<[string, string, string]>('UPDATE users SET login = ?, login_key = ? WHERE id = ?'),
    setPasswordHash: db.prepare<[string, string]>('UPDATE users SET password_hash = ? WHERE id = ?'),
    replacePasswordHash: db.prepare<[string, string, string]>(
      'UPDATE users SET password_hash = ? WHERE id = ? AND password_hash = ?',
    ),
    setOwner: db.prepare<[string, string]>('UPDATE users SET owner_id = ? WHERE id = ?'),
    deleteUser: db.prepare<[string]>('DELETE FROM users WHERE id = ?'),

    insertGlobalSession: db.prepare<GlobalSessionRecord>(`INSERT INTO global_sessions
      (id, user_id, created_at, expires_at, last_seen_at, cookie_hash, cookie_sealed_secret)
      VALUES (@id, @userId, @createdAt, @expiresAt, @lastSeenAt, @cookieHash, @cookieSealedSecret)`),
    insertLocalSession: db.prepare<LocalSessionRecord>(`INSERT INTO local_sessions (id_hash, global_id, base_url, created_at)
      VALUES (@idHash, @globalId, @baseUrl, @createdAt)`),
    // Only the (global, base url) pair may already exist; a clash of id hashes is still an error.
    ensureLocalSession: db.prepare<LocalSessionRecord>(`INSERT INTO local_sessions (id_hash, global_id, base_url, created_at)
      VALUES (@idHash, @globalId, @baseUrl, @createdAt) ON CONFLICT (global_id, base_url) DO NOTHING`),
    insertRelayToken: db.prepare<RelayTokenRecord>(`INSERT INTO relay_tokens (token_hash, global_id, expires_at, sealed_secret)
      VALUES (@tokenHash, @globalId, @expiresAt, @sealedSecret)`),
    findSessionByLocalId: db.prepare<[string], SessionViewRow>(`${SESSION_VIEW_FROM} WHERE l.id_hash = ?`),
    findCertificateAndSession: db.prepare<[string, string], unknown[]>(certificateAndSessionSql('?', '?')).raw(),
    findSessionByCookie: db.prepare<[string], GlobalSessionRecord>(
      `SELECT ${GLOBAL_SESSION_COLUMNS} FROM global_sessions WHERE cookie_hash = ?`,
    ),
    getGlobalSession: db.prepare<[string], GlobalSessionRecord>(`SELECT ${GLOBAL_SESSION_COLUMNS} FROM global_sessions WHERE id = ?`),
    touchSession: db.prepare<[number, string]>('UPDATE global_sessions SET last_seen_at = MAX(last_seen_at, ?) WHERE id = ?'),
    // Deleting and reading in one statement: whoever deletes the row is the one that gets it.
    consumeRelayToken: db.prepare<[string, number], RelayTokenRecord>(`DELETE FROM relay_tokens WHERE token_hash = ? AND expires_at > ?
      RETURNING ${RELAY_TOKEN_COLUMNS}`),
    setSessionCookie: db.prepare<[string, string, string]>(
      'UPDATE global_sessions SET cookie_hash = ?, cookie_sealed_secret = ? WHERE id = ?',
    ),
    deleteGlobalSession: db.prepare<[string]>('DELETE FROM global_sessions WHERE id = ?'),
    // A session is over at its expiry instant and when idle since idleBefore or earlier, as core/sessions.ts judges it.
    purgeSessions: db.prepare<[number, number]>('DELETE FROM global_sessions WHERE expires_at <= ? OR last_seen_at <= ?'),
    purgeRelayTokens: db.prepare<[number]>('DELETE FROM relay_tokens WHERE expires_at <= ?'),
    listSessions: db.prepare<Record<string, SqlValue>, GlobalSessionRecord>(`SELECT ${GLOBAL_SESSION_COLUMNS} FROM global_sessions g
      WHERE (@userId IS NULL OR g.user_id = @userId)
        AND (@baseUrl IS NULL OR EXISTS (SELECT 1 FROM local_sessions l WHERE l.global_id = g.id AND l.base_url = @baseUrl))
      ORDER BY g.created_at DESC, g.id LIMIT @limit`),
    countSessions: db.prepare<Record<string, SqlValue>, number>(`SELECT COUNT(*) FROM global_sessions g
      WHERE g.expires_at > @now AND g.last_seen_at > @idleBefore AND (@userId IS NULL OR g.user_id = @userId)
        AND (@baseUrl IS NULL OR EXISTS (SELECT 1 FROM local_sessions l WHERE l.global_id = g.id AND l.base_url = @baseUrl))`).pluck(),
    baseUrlsOfSessions: db.prepare<[string], { globalId: string; baseUrl: string }>(`SELECT global_id AS globalId, base_url AS baseUrl
      FROM local_sessions WHERE global_id IN (SELECT value FROM json_each(?)) ORDER BY base_url`),
    deleteUserSessions: db.prepare<[string]>('DELETE FROM global_sessions WHERE user_id = ?'),

    readSettings: db.prepare<[], { key: string; value: string }>('SELECT key, value FROM settings'),
    writeSetting: db.prepare<[string, string, number]>(`INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
      ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`),
    deleteSetting: db.prepare<[string]>('DELETE FROM settings WHERE key = ?'),

    countAttempt: db.prepare<Record<CountAttemptParameter, SqlValue>, CountedRow>(countAttemptSql((name) => `@${name}`, 'MAX', 'MIN')),
    refundAttempt: db.prepare<{ attemptId: string; key: string }>(refundAttemptSql('@attemptId', '@key', 'MAX')),
    getThrottles: db.prepare<[string], ThrottleRecord>(`SELECT ${THROTTLE_COLUMNS} FROM login_throttle WHERE key IN (SELECT value FROM json_each(?))`),
    listThrottles: db.prepare<[number], ThrottleRecord>(`SELECT ${THROTTLE_COLUMNS} FROM login_throttle ORDER BY last_failure_at DESC, key LIMIT ?`),
    clearThrottle: db.prepare<[string]>('DELETE FROM login_throttle WHERE key = ?'),
    purgeThrottles: db.prepare<[number, number]>(
      'DELETE FROM login_throttle WHERE last_failure_at < ? AND (locked_until IS NULL OR locked_until <= ?)',
    ),

    appendAudit: db.prepare<[number, string, string, string, string, string]>(
      'INSERT INTO audit_events (at, type, actor, target, outcome, detail) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    queryAudit: db.prepare<Record<string, SqlValue>, AuditRow>(`SELECT ${AUDIT_COLUMNS} FROM audit_events
      WHERE (@since IS NULL OR at >= @since) AND (@until IS NULL OR at < @until) AND (@type IS NULL OR type = @type)
        AND (@actor IS NULL OR actor = @actor) AND (@target IS NULL OR target = @target) AND (@beforeId IS NULL OR id < @beforeId)
      ORDER BY id DESC LIMIT @limit`),
    trimAudit: db.prepare<[number]>('DELETE FROM audit_events WHERE at < ?'),

    getKeyMaterial: db.prepare<[string], KeyMaterialRecord>(`SELECT ${KEY_MATERIAL_COLUMNS} FROM key_material WHERE name = ?`),
    insertKeyMaterial: db.prepare<KeyMaterialRecord>(`INSERT INTO key_material (name, certificate_pem, sealed_key, updated_at)
      VALUES (@name, @certificatePem, @sealedKey, @updatedAt)`),
    replaceKeyMaterial: db.prepare<KeyMaterialRecord & { replacing: string }>(`UPDATE key_material
      SET certificate_pem = @certificatePem, sealed_key = @sealedKey, updated_at = @updatedAt
      WHERE name = @name AND certificate_pem = @replacing`),
  };
}

type Statements = ReturnType<typeof prepareStatements>;

/**
 * The multi-row changes, each one transaction. Those that are a single statement (the deletes,
 * whose foreign keys cascade, and the token consumption) are atomic on their own already; the
 * transaction keeps them so when a statement is added. Callers begin them IMMEDIATE: they all
 * write, and taking the write lock at BEGIN makes a busy database fail there, before any statement
 * ran, so that the whole transaction is tried again (sqliteBusy.ts); a deferred one could fail
 * halfway, when its read lock cannot be upgraded. None has an effect outside the database.
 */
function prepareTransactions(db: Db, s: Statements) {
  return {
    insertApplication: db.transaction((app: ApplicationRecord, cert: CertificateRecord) => {
      s.insertApplication.run(app);
      s.insertCertificate.run(cert);
    }),
    deleteApplication: db.transaction((id: string) => s.deleteApplication.run(id).changes > 0),
    // protocol §4.2: only the newest pending certificate may take over; the one in use stays valid.
    addCertificate: db.transaction((cert: CertificateRecord) => {
      s.retirePendingCertificates.run(cert.issuedAt, cert.applicationId);
      s.insertCertificate.run(cert);
    }),
    // protocol §4.2: the first use of a certificate retires the others, unless it was retired first.
    activateCertificate: db.transaction((fingerprint: string, now: number) => {
      const cert = s.findCertificate.get(fingerprint);
      if (cert === undefined || cert.retiredAt !== null) return false;
      s.markCertificateUsed.run(now, fingerprint);
      s.retireOtherCertificates.run(now, cert.applicationId, fingerprint);
      return true;
    }),
    deleteUser: db.transaction((id: string) => s.deleteUser.run(id).changes > 0),
    createSession: db.transaction((global: GlobalSessionRecord, local: LocalSessionRecord, token: RelayTokenRecord) => {
      s.insertGlobalSession.run(global);
      s.insertLocalSession.run(local);
      s.insertRelayToken.run(token);
    }),
    consumeRelayToken: db.transaction((tokenHash: string, now: number) => s.consumeRelayToken.get(tokenHash, now) ?? null),
    deleteGlobalSession: db.transaction((id: string) => {
      s.deleteGlobalSession.run(id);
    }),
    purgeExpiredSessions: db.transaction((now: number, idleBefore: number) => {
      const purged = s.purgeSessions.run(now, idleBefore).changes;
      s.purgeRelayTokens.run(now);
      return purged;
    }),
    setUserDisabled: db.transaction((id: string, disabledAt: number | null) => {
      if (s.setUserDisabled.run(disabledAt, id).changes === 0) return false;
      if (disabledAt !== null) s.deleteUserSessions.run(id);
      return true;
    }),
    deleteUserSessions: db.transaction((userId: string) => s.deleteUserSessions.run(userId).changes),
    countAttempt: db.transaction((attemptId: string, counts: readonly AttemptCount[], now: number, waits: LockWaits) =>
      counts.map((count) => {
        const row = s.countAttempt.get({ attemptId, ...count, now, incrementMs: waits.incrementMs, maxMs: waits.maxMs });
        if (row === undefined) throw new Error('countAttempt returned no row');
        return countedAttemptOf(row, attemptId, now);
      }),
    ),
    settleSuccess: db.transaction((attemptId: string, clear: string, refund: readonly string[]) => {
      s.clearThrottle.run(clear);
      for (const key of refund) s.refundAttempt.run({ attemptId, key });
    }),
    writeSettings: db.transaction((changes: Readonly<Record<string, string | null>>, now: number) => {
      for (const [key, value] of Object.entries(changes)) {
        if (value === null) s.deleteSetting.run(key);
        else s.writeSetting.run(key, value, now);
      }
    }),
    saveKeyMaterial: db.transaction((record: KeyMaterialRecord, replacing: string | null): KeyMaterialRecord => {
      const current = s.getKeyMaterial.get(record.name);
      if (current === undefined) {
        s.insertKeyMaterial.run(record);
        return record;
      }
      if (replacing !== null && s.replaceKeyMaterial.run({ ...record, replacing }).changes > 0) return record;
      return current;
    }),
  };
}

class SqliteStore implements Store {
  readonly engine = 'sqlite';
  readonly #db: Db;
  readonly #s: Statements;
  readonly #tx: ReturnType<typeof prepareTransactions>;
  readonly #wal: WalSync;
  readonly #busyDeadlineMs: number;

  constructor(db: Db, wal: WalSync, busyDeadlineMs: number) {
    this.#db = db;
    this.#s = prepareStatements(db);
    this.#tx = prepareTransactions(db, this.#s);
    this.#wal = wal;
    this.#busyDeadlineMs = busyDeadlineMs;
  }

  /**
   * Runs a synchronous read, tried again off the event loop while the database is busy: in WAL
   * mode a reader is rarely kept waiting (another connection recovering the WAL index), but then
   * it must not sleep on the event loop either.
   */
  #read<T>(step: () => T): Promise<T> {
    return untilNotBusy(step, this.#busyDeadlineMs);
  }

  /**
   * Runs a synchronous write, tried again off the event loop while another connection holds the
   * write lock, and resolves once it is durable: the fsync waited for begins after the try that
   * committed. `changed` false skips the wait for a write that changed nothing.
   */
  async #write<T>(step: () => T, changed: (result: T) => boolean = () => true): Promise<T> {
    const result = await untilNotBusy(step, this.#busyDeadlineMs);
    if (changed(result)) await this.#wal.afterCommit();
    return result;
  }

  ping(): Promise<void> {
    return this.#read(() => {
      this.#s.ping.get();
    });
  }

  async probeWrite(): Promise<void> {
    await this.#write(() => this.#s.probeWrite.run());
  }

  async close(): Promise<void> {
    await this.#wal.close();
    this.#db.close();
  }

  insertApplication(app: ApplicationRecord, cert: CertificateRecord): Promise<void> {
    return this.#write(() => this.#tx.insertApplication.immediate(app, cert));
  }

  getApplication(id: string): Promise<ApplicationRecord | null> {
    return this.#read(() => this.#s.getApplication.get(id) ?? null);
  }

  listApplicationIds(): Promise<string[]> {
    return this.#read(() => this.#s.listApplicationIds.all());
  }

  listApplications(): Promise<ApplicationRecord[]> {
    return this.#read(() => this.#s.listApplications.all());
  }

  updateApplication(id: string, changes: ApplicationChanges): Promise<boolean> {
    return this.#write(() => this.#s.updateApplication.run(updateApplicationParams(id, changes)).changes > 0, (changed) => changed);
  }

  deleteApplication(id: string): Promise<boolean> {
    return this.#write(() => this.#tx.deleteApplication.immediate(id), (deleted) => deleted);
  }

  hasApplicationUrl(url: string): Promise<boolean> {
    return this.#read(() => this.#s.hasApplicationUrl.get(url) === 1);
  }

  addCertificate(cert: CertificateRecord): Promise<void> {
    return this.#write(() => this.#tx.addCertificate.immediate(cert));
  }

  findCertificate(fingerprint: string): Promise<CertificateRecord | null> {
    return this.#read(() => this.#s.findCertificate.get(fingerprint) ?? null);
  }

  listCertificates(applicationId: string): Promise<CertificateRecord[]> {
    return this.#read(() => this.#s.listCertificates.all(applicationId));
  }

  activateCertificate(fingerprint: string, now: number): Promise<boolean> {
    return this.#write(() => this.#tx.activateCertificate.immediate(fingerprint, now), (activated) => activated);
  }

  insertUser(user: UserRecord): Promise<void> {
    return this.#write(() => {
      try {
        this.#s.insertUser.run(user);
      } catch (error) {
        throw asDuplicateLogin(error);
      }
    });
  }

  getUser(id: string): Promise<UserRecord | null> {
    return this.#read(() => this.#s.getUser.get(id) ?? null);
  }

  findUserByLoginKey(loginKey: string): Promise<UserRecord | null> {
    return this.#read(() => this.#s.findUserByLoginKey.get(loginKey) ?? null);
  }

  listUserIds(ownerId: string): Promise<string[]> {
    return this.#read(() => this.#s.listUserIds.all(ownerId));
  }

  changeLogin(id: string, login: string, loginKey: string): Promise<boolean> {
    return this.#write(
      () => {
        try {
          return this.#s.changeLogin.run(login, loginKey, id).changes > 0;
        } catch (error) {
          throw asDuplicateLogin(error);
        }
      },
      (changed) => changed,
    );
  }

  setPasswordHash(id: string, passwordHash: string, expected?: string): Promise<boolean> {
    return this.#write(
      () => {
        const result =
          expected === undefined
            ? this.#s.setPasswordHash.run(passwordHash, id)
            : this.#s.replacePasswordHash.run(passwordHash, id, expected);
        return result.changes > 0;
      },
      (changed) => changed,
    );
  }

  setOwner(id: string, ownerId: string): Promise<boolean> {
    return this.#write(() => this.#s.setOwner.run(ownerId, id).changes > 0, (changed) => changed);
  }

  deleteUser(id: string): Promise<boolean> {
    return this.#write(() => this.#tx.deleteUser.immediate(id), (deleted) => deleted);
  }

  listUsers(query: UserQuery): Promise<UserRecord[]> {
    return this.#read(() =>
      this.#s.listUsers.all({
        ownerId: orNull(query.ownerId),
        contains: orNull(query.loginKeyContains),
        after: orNull(query.afterLoginKey),
        limit: query.limit,
      }),
    );
  }

  setUserDisabled(id: string, disabledAt: number | null): Promise<boolean> {
    return this.#write(() => this.#tx.setUserDisabled.immediate(id, disabledAt), (changed) => changed);
  }

  createSession(global: GlobalSessionRecord, local: LocalSessionRecord, token: RelayTokenRecord): Promise<void> {
    return this.#write(() => this.#tx.createSession.immediate(global, local, token));
  }

  findSessionByLocalId(idHash: string): Promise<SessionView | null> {
    return this.#read(() => {
      const row = this.#s.findSessionByLocalId.get(idHash);
      return row === undefined ? null : sessionViewOf(row);
    });
  }

  findCertificateAndSession(fingerprint: string, localIdHash: string): Promise<CertificateAndSession> {
    return this.#read(() => {
      const values = this.#s.findCertificateAndSession.get(fingerprint, localIdHash);
      if (values === undefined) throw new Error('findCertificateAndSession returned no row');
      return certificateAndSessionOfValues(values);
    });
  }

  findSessionByCookie(cookieHash: string): Promise<GlobalSessionRecord | null> {
    return this.#read(() => this.#s.findSessionByCookie.get(cookieHash) ?? null);
  }

  getGlobalSession(id: string): Promise<GlobalSessionRecord | null> {
    return this.#read(() => this.#s.getGlobalSession.get(id) ?? null);
  }

  async ensureLocalSession(local: LocalSessionRecord): Promise<boolean> {
    // The relay calls this on every visit; only the first visit per application inserts.
    const inserted = await this.#write(
      () => this.#s.ensureLocalSession.run(local).changes,
      (changes) => changes > 0,
    );
    return inserted > 0;
  }

  touchSession(globalId: string, now: number): Promise<void> {
    return this.#write(() => {
      this.#s.touchSession.run(now, globalId);
    });
  }

  consumeRelayToken(tokenHash: string, now: number): Promise<RelayTokenRecord | null> {
    return this.#write(() => this.#tx.consumeRelayToken.immediate(tokenHash, now), (token) => token !== null);
  }

  setSessionCookie(globalId: string, cookieHash: string, cookieSealedSecret: string): Promise<void> {
    return this.#write(() => {
      this.#s.setSessionCookie.run(cookieHash, cookieSealedSecret, globalId);
    });
  }

  deleteGlobalSession(globalId: string): Promise<void> {
    return this.#write(() => this.#tx.deleteGlobalSession.immediate(globalId));
  }

  purgeExpiredSessions(now: number, idleBefore: number): Promise<number> {
    return this.#write(() => this.#tx.purgeExpiredSessions.immediate(now, idleBefore), (purged) => purged > 0);
  }

  listSessions(query: SessionQuery): Promise<SessionSummary[]> {
    return this.#read(() => {
      const sessions = this.#s.listSessions.all({ userId: orNull(query.userId), baseUrl: orNull(query.baseUrl), limit: query.limit });
      const baseUrls = new Map<string, string[]>(sessions.map((global) => [global.id, []]));
      for (const row of this.#s.baseUrlsOfSessions.all(JSON.stringify([...baseUrls.keys()]))) baseUrls.get(row.globalId)?.push(row.baseUrl);
      return sessions.map((global) => ({ global, baseUrls: baseUrls.get(global.id) ?? [] }));
    });
  }

  countSessions(query: SessionCountQuery): Promise<number> {
    return this.#read(() => this.#s.countSessions.get({ userId: orNull(query.userId), baseUrl: orNull(query.baseUrl), now: query.now, idleBefore: query.idleBefore }) ?? 0);
  }

  deleteUserSessions(userId: string): Promise<number> {
    return this.#write(() => this.#tx.deleteUserSessions.immediate(userId), (deleted) => deleted > 0);
  }

  readSettings(): Promise<Record<string, string>> {
    return this.#read(() => Object.fromEntries(this.#s.readSettings.all().map((row) => [row.key, row.value])));
  }

  writeSettings(changes: Readonly<Record<string, string | null>>, now: number): Promise<void> {
    return this.#write(() => this.#tx.writeSettings.immediate(changes, now));
  }

  countAttempt(attemptId: string, counts: readonly AttemptCount[], now: number, waits: LockWaits): Promise<CountedAttempt[]> {
    return this.#write(() => this.#tx.countAttempt.immediate(attemptId, counts, now, waits));
  }

  settleSuccess(attemptId: string, clear: string, refund: readonly string[]): Promise<void> {
    return this.#write(() => this.#tx.settleSuccess.immediate(attemptId, clear, refund));
  }

  getThrottles(keys: readonly string[]): Promise<ThrottleRecord[]> {
    return this.#read(() => (keys.length === 0 ? [] : this.#s.getThrottles.all(JSON.stringify(keys))));
  }

  listThrottles(limit: number): Promise<ThrottleRecord[]> {
    return this.#read(() => this.#s.listThrottles.all(limit));
  }

  clearThrottle(key: string): Promise<boolean> {
    return this.#write(() => this.#s.clearThrottle.run(key).changes > 0, (changed) => changed);
  }

  purgeThrottles(before: number, now: number): Promise<number> {
    return this.#write(() => this.#s.purgeThrottles.run(before, now).changes, (purged) => purged > 0);
  }

  appendAudit(event: AuditEvent): Promise<void> {
    return this.#write(() => {
      this.#s.appendAudit.run(event.at, event.type, event.actor, event.target, event.outcome, JSON.stringify(event.detail));
    });
  }

  queryAudit(query: AuditQuery): Promise<AuditRecord[]> {
    return this.#read(() =>
      this.#s.queryAudit
        .all({
          since: orNull(query.since),
          until: orNull(query.until),
          type: orNull(query.type),
          actor: orNull(query.actor),
          target: orNull(query.target),
          beforeId: orNull(query.beforeId),
          limit: query.limit,
        })
        .map(auditRecordOf),
    );
  }

  trimAudit(before: number): Promise<number> {
    return this.#write(() => this.#s.trimAudit.run(before).changes, (trimmed) => trimmed > 0);
  }

  getKeyMaterial(name: string): Promise<KeyMaterialRecord | null> {
    return this.#read(() => this.#s.getKeyMaterial.get(name) ?? null);
  }

  saveKeyMaterial(record: KeyMaterialRecord, replacing: string | null): Promise<KeyMaterialRecord> {
    return this.#write(() => this.#tx.saveKeyMaterial.immediate(record, replacing));
  }

  // ---- Browser sessions and the outbox of domain events (core/sessions.ts, core/events.ts, core/outbox.ts) ----
  // Kept apart from the statements above, and prepared once on first use.
  #outboxStatements: OutboxStatements | undefined;

  get #outbox(): OutboxStatements {
    this.#outboxStatements ??= prepareOutboxStatements(this.#db);
    return this.#outboxStatements;
  }

  insertGlobalSession(global: GlobalSessionRecord): Promise<void> {
    return this.#write(() => {
      this.#s.insertGlobalSession.run(global);
    });
  }

  appendOutboxEvent(event: OutboxEventInput): Promise<number> {
    // SQLite has one writer at a time: ids commit in the order they are given.
    return this.#write(() => Number(this.#outbox.append.run(event.at, event.type, event.payload).lastInsertRowid));
  }

  readOutbox(after: number, limit: number): Promise<OutboxEventRecord[]> {
    return this.#read(() => this.#outbox.read.all(after, limit));
  }

  claimOutboxCursor(subscriber: string, owner: string, now: number, leaseUntil: number, startAtEnd: boolean): Promise<number | null> {
    return this.#write(() => this.#outbox.claim.immediate({ subscriber, owner, now, leaseUntil, startAtEnd: startAtEnd ? 1 : 0 }));
  }

  advanceOutboxCursor(subscriber: string, owner: string, position: number, leaseUntil: number): Promise<boolean> {
    return this.#write(() => this.#outbox.advance.run({ subscriber, owner, position, leaseUntil }).changes > 0, (held) => held);
  }

  async releaseOutboxCursor(subscriber: string, owner: string): Promise<void> {
    await this.#write(() => this.#outbox.release.run(subscriber, owner).changes, (released) => released > 0);
  }

  trimOutbox(before: number): Promise<number> {
    return this.#write(() => this.#outbox.trim.run(before).changes, (trimmed) => trimmed > 0);
  }

  appendAuditOfEvent(eventId: number, event: AuditEvent): Promise<boolean> {
    return this.#write(
      () => this.#outbox.appendAudit.run(event.at, event.type, event.actor, event.target, event.outcome, JSON.stringify(event.detail), eventId).changes > 0,
      (appended) => appended,
    );
  }
}

type OutboxStatements = ReturnType<typeof prepareOutboxStatements>;

function prepareOutboxStatements(db: Db) {
  const createCursor = db.prepare<{ subscriber: string; startAtEnd: number }>(`INSERT INTO outbox_cursors (subscriber, position, lease_owner, lease_until)
    VALUES (@subscriber, CASE WHEN @startAtEnd = 1 THEN (SELECT COALESCE(MAX(id), 0) FROM outbox_events) ELSE 0 END, NULL, 0)
    ON CONFLICT (subscriber) DO NOTHING`);
  const takeLease = db.prepare<{ subscriber: string; owner: string; now: number; leaseUntil: number }, number>(`UPDATE outbox_cursors
    SET lease_owner = @owner, lease_until = @leaseUntil
    WHERE subscriber = @subscriber AND (lease_owner IS NULL OR lease_owner = @owner OR lease_until <= @now) RETURNING position`).pluck();
  return {
    append: db.prepare<[number, string, string]>('INSERT INTO outbox_events (at, type, payload) VALUES (?, ?, ?)'),
    read: db.prepare<[number, number], OutboxEventRecord>('SELECT id, at, type, payload FROM outbox_events WHERE id > ? ORDER BY id LIMIT ?'),
    claim: db.transaction((claim: { subscriber: string; owner: string; now: number; leaseUntil: number; startAtEnd: number }): number | null => {
      createCursor.run({ subscriber: claim.subscriber, startAtEnd: claim.startAtEnd });
      return takeLease.get({ subscriber: claim.subscriber, owner: claim.owner, now: claim.now, leaseUntil: claim.leaseUntil }) ?? null;
    }),
    advance: db.prepare<{ subscriber: string; owner: string; position: number; leaseUntil: number }>(`UPDATE outbox_cursors
      SET position = MAX(position, @position), lease_until = @leaseUntil WHERE subscriber = @subscriber AND lease_owner = @owner`),
    release: db.prepare<[string, string]>('UPDATE outbox_cursors SET lease_owner = NULL, lease_until = 0 WHERE subscriber = ? AND lease_owner = ?'),
    trim: db.prepare<[number]>('DELETE FROM outbox_events WHERE at < ? OR id <= (SELECT COALESCE(MIN(position), 0) FROM outbox_cursors)'),
    appendAudit: db.prepare<[number, string, string, string, string, string, number]>(`INSERT INTO audit_events (at, type, actor, target, outcome, detail, event_id)
      VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (event_id) DO NOTHING`),
  };
}
