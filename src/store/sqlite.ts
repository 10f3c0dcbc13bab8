// The SQLite engine of the Store contract (src/store/types.ts), on better-sqlite3.
//
// better-sqlite3 is synchronous: every method runs its statement at once and hands back a settled
// promise, so the contract stays the same shape as a networked engine's. Every statement is
// prepared once at open: findSessionByLocalId and touchSession run on every page load of every
// application, findCertificate on every request. No SQL text is ever built from input.
import Database from 'better-sqlite3';
import { LATEST_SCHEMA_VERSION, MIGRATIONS, SCHEMA_MIGRATIONS_TABLE } from './migrations.js';
import { DuplicateLoginError } from './types.js';
import type {
  ApplicationChanges,
  ApplicationRecord,
  CertificateRecord,
  GlobalSessionRecord,
  LocalSessionRecord,
  RelayTokenRecord,
  SessionView,
  Store,
  UserRecord,
} from './types.js';

type Db = Database.Database;
type SqlValue = string | number | null;

/** Opens (creating when absent) the database at `path`, or ':memory:', and brings its schema up to date. */
export function openSqliteStore(path: string): Promise<Store> {
  return settle(() => {
    const db = new Database(path);
    try {
      configure(db);
      migrate(db, path, Date.now());
      return new SqliteStore(db);
    } catch (error) {
      db.close();
      throw error;
    }
  });
}

/** Runs a synchronous step as a promise, so that a throw becomes a rejection as with any engine. */
function settle<T>(step: () => T): Promise<T> {
  return new Promise((resolve) => {
    resolve(step());
  });
}

function configure(db: Db): void {
  db.pragma('busy_timeout = 5000');
  db.pragma('journal_mode = WAL');
  // We promise that an acknowledged write survives a power cut: NORMAL in WAL mode may lose the
  // last commits, FULL syncs the log at every commit (measured about 7x slower per single insert).
  db.pragma('synchronous = FULL');
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

// Columns are aliased to the record fields, so a row is the record itself (SQL NULL reads as null).
const APPLICATION_COLUMNS = `id, name, display_name AS displayName, version, capabilities, url,
  restore_password_url AS restorePasswordUrl, change_password_url AS changePasswordUrl, created_at AS createdAt`;
const CERTIFICATE_COLUMNS = `fingerprint, application_id AS applicationId, serial, issued_at AS issuedAt,
  not_after AS notAfter, first_used_at AS firstUsedAt, retired_at AS retiredAt`;
const USER_COLUMNS = `id, login, login_key AS loginKey, owner_id AS ownerId, password_hash AS passwordHash, created_at AS createdAt`;
const GLOBAL_SESSION_COLUMNS = `id, user_id AS userId, created_at AS createdAt, expires_at AS expiresAt,
  last_seen_at AS lastSeenAt, cookie_hash AS cookieHash, cookie_sealed_secret AS cookieSealedSecret`;

/** The fields that updateApplication may change, with their columns: a fixed list, never input. */
const UPDATABLE_APPLICATION_COLUMNS = [
  ['name', 'name'],
  ['displayName', 'display_name'],
  ['version', 'version'],
  ['capabilities', 'capabilities'],
  ['url', 'url'],
  ['restorePasswordUrl', 'restore_password_url'],
  ['changePasswordUrl', 'change_password_url'],
] as const satisfies readonly (readonly [keyof ApplicationChanges, string])[];

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

interface SessionViewRow {
  readonly localIdHash: string;
  readonly localBaseUrl: string;
  readonly localCreatedAt: number;
  readonly id: string;
  readonly userId: string;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly lastSeenAt: number;
  readonly cookieHash: string | null;
  readonly cookieSealedSecret: string | null;
}

function sessionViewOf(row: SessionViewRow): SessionView {
  const { localIdHash, localBaseUrl, localCreatedAt, ...global } = row;
  return { local: { idHash: localIdHash, globalId: global.id, baseUrl: localBaseUrl, createdAt: localCreatedAt }, global };
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

    insertUser: db.prepare<UserRecord>(`INSERT INTO users (id, login, login_key, owner_id, password_hash, created_at)
      VALUES (@id, @login, @loginKey, @ownerId, @passwordHash, @createdAt)`),
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
    findSessionByLocalId: db.prepare<[string], SessionViewRow>(`SELECT l.id_hash AS localIdHash, l.base_url AS localBaseUrl,
      l.created_at AS localCreatedAt, g.id, g.user_id AS userId, g.created_at AS createdAt, g.expires_at AS expiresAt,
      g.last_seen_at AS lastSeenAt, g.cookie_hash AS cookieHash, g.cookie_sealed_secret AS cookieSealedSecret
      FROM local_sessions l JOIN global_sessions g ON g.id = l.global_id WHERE l.id_hash = ?`),
    findSessionByCookie: db.prepare<[string], GlobalSessionRecord>(
      `SELECT ${GLOBAL_SESSION_COLUMNS} FROM global_sessions WHERE cookie_hash = ?`,
    ),
    getGlobalSession: db.prepare<[string], GlobalSessionRecord>(`SELECT ${GLOBAL_SESSION_COLUMNS} FROM global_sessions WHERE id = ?`),
    touchSession: db.prepare<[number, string]>('UPDATE global_sessions SET last_seen_at = MAX(last_seen_at, ?) WHERE id = ?'),
    // Deleting and reading in one statement: whoever deletes the row is the one that gets it.
    consumeRelayToken: db.prepare<[string, number], RelayTokenRecord>(`DELETE FROM relay_tokens WHERE token_hash = ? AND expires_at > ?
      RETURNING token_hash AS tokenHash, global_id AS globalId, expires_at AS expiresAt, sealed_secret AS sealedSecret`),
    setSessionCookie: db.prepare<[string, string, string]>(
      'UPDATE global_sessions SET cookie_hash = ?, cookie_sealed_secret = ? WHERE id = ?',
    ),
    deleteGlobalSession: db.prepare<[string]>('DELETE FROM global_sessions WHERE id = ?'),
    // A session is over at its expiry instant and when idle since idleBefore or earlier, as domain/sessions.ts judges it.
    purgeSessions: db.prepare<[number, number]>('DELETE FROM global_sessions WHERE expires_at <= ? OR last_seen_at <= ?'),
    purgeRelayTokens: db.prepare<[number]>('DELETE FROM relay_tokens WHERE expires_at <= ?'),
  };
}

type Statements = ReturnType<typeof prepareStatements>;

/**
 * The multi-row changes, each one transaction. Those that are a single statement (the deletes,
 * whose foreign keys cascade, and the token consumption) are atomic on their own already; the
 * transaction keeps them so when a statement is added. Callers begin them IMMEDIATE: they all
 * write, and taking the write lock at BEGIN lets busy_timeout wait for another connection instead
 * of failing when a read lock cannot be upgraded.
 */
function prepareTransactions(db: Db, s: Statements) {
  return {
    insertApplication: db.transaction((app: ApplicationRecord, cert: CertificateRecord) => {
      s.insertApplication.run(app);
      s.insertCertificate.run(cert);
    }),
    deleteApplication: db.transaction((id: string) => s.deleteApplication.run(id).changes > 0),
    // 003 §4.2: only the newest pending certificate may take over; the one in use stays valid.
    addCertificate: db.transaction((cert: CertificateRecord) => {
      s.retirePendingCertificates.run(cert.issuedAt, cert.applicationId);
      s.insertCertificate.run(cert);
    }),
    // 003 §4.2: the first use of a certificate retires the others, unless it was retired first.
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
  };
}

class SqliteStore implements Store {
  readonly engine = 'sqlite';
  readonly #db: Db;
  readonly #s: Statements;
  readonly #tx: ReturnType<typeof prepareTransactions>;

  constructor(db: Db) {
    this.#db = db;
    this.#s = prepareStatements(db);
    this.#tx = prepareTransactions(db, this.#s);
  }

  ping(): Promise<void> {
    return settle(() => {
      this.#s.ping.get();
    });
  }

  close(): Promise<void> {
    return settle(() => {
      this.#db.close();
    });
  }

  insertApplication(app: ApplicationRecord, cert: CertificateRecord): Promise<void> {
    return settle(() => this.#tx.insertApplication.immediate(app, cert));
  }

  getApplication(id: string): Promise<ApplicationRecord | null> {
    return settle(() => this.#s.getApplication.get(id) ?? null);
  }

  listApplicationIds(): Promise<string[]> {
    return settle(() => this.#s.listApplicationIds.all());
  }

  listApplications(): Promise<ApplicationRecord[]> {
    return settle(() => this.#s.listApplications.all());
  }

  updateApplication(id: string, changes: ApplicationChanges): Promise<boolean> {
    return settle(() => this.#s.updateApplication.run(updateApplicationParams(id, changes)).changes > 0);
  }

  deleteApplication(id: string): Promise<boolean> {
    return settle(() => this.#tx.deleteApplication.immediate(id));
  }

  hasApplicationUrl(url: string): Promise<boolean> {
    return settle(() => this.#s.hasApplicationUrl.get(url) === 1);
  }

  addCertificate(cert: CertificateRecord): Promise<void> {
    return settle(() => this.#tx.addCertificate.immediate(cert));
  }

  findCertificate(fingerprint: string): Promise<CertificateRecord | null> {
    return settle(() => this.#s.findCertificate.get(fingerprint) ?? null);
  }

  listCertificates(applicationId: string): Promise<CertificateRecord[]> {
    return settle(() => this.#s.listCertificates.all(applicationId));
  }

  activateCertificate(fingerprint: string, now: number): Promise<boolean> {
    return settle(() => this.#tx.activateCertificate.immediate(fingerprint, now));
  }

  insertUser(user: UserRecord): Promise<void> {
    return settle(() => {
      try {
        this.#s.insertUser.run(user);
      } catch (error) {
        throw asDuplicateLogin(error);
      }
    });
  }

  getUser(id: string): Promise<UserRecord | null> {
    return settle(() => this.#s.getUser.get(id) ?? null);
  }

  findUserByLoginKey(loginKey: string): Promise<UserRecord | null> {
    return settle(() => this.#s.findUserByLoginKey.get(loginKey) ?? null);
  }

  listUserIds(ownerId: string): Promise<string[]> {
    return settle(() => this.#s.listUserIds.all(ownerId));
  }

  changeLogin(id: string, login: string, loginKey: string): Promise<boolean> {
    return settle(() => {
      try {
        return this.#s.changeLogin.run(login, loginKey, id).changes > 0;
      } catch (error) {
        throw asDuplicateLogin(error);
      }
    });
  }

  setPasswordHash(id: string, passwordHash: string, expected?: string): Promise<boolean> {
    return settle(() => {
      const result =
        expected === undefined
          ? this.#s.setPasswordHash.run(passwordHash, id)
          : this.#s.replacePasswordHash.run(passwordHash, id, expected);
      return result.changes > 0;
    });
  }

  setOwner(id: string, ownerId: string): Promise<boolean> {
    return settle(() => this.#s.setOwner.run(ownerId, id).changes > 0);
  }

  deleteUser(id: string): Promise<boolean> {
    return settle(() => this.#tx.deleteUser.immediate(id));
  }

  createSession(global: GlobalSessionRecord, local: LocalSessionRecord, token: RelayTokenRecord): Promise<void> {
    return settle(() => this.#tx.createSession.immediate(global, local, token));
  }

  findSessionByLocalId(idHash: string): Promise<SessionView | null> {
    return settle(() => {
      const row = this.#s.findSessionByLocalId.get(idHash);
      return row === undefined ? null : sessionViewOf(row);
    });
  }

  findSessionByCookie(cookieHash: string): Promise<GlobalSessionRecord | null> {
    return settle(() => this.#s.findSessionByCookie.get(cookieHash) ?? null);
  }

  getGlobalSession(id: string): Promise<GlobalSessionRecord | null> {
    return settle(() => this.#s.getGlobalSession.get(id) ?? null);
  }

  ensureLocalSession(local: LocalSessionRecord): Promise<void> {
    return settle(() => {
      this.#s.ensureLocalSession.run(local);
    });
  }

  touchSession(globalId: string, now: number): Promise<void> {
    return settle(() => {
      this.#s.touchSession.run(now, globalId);
    });
  }

  consumeRelayToken(tokenHash: string, now: number): Promise<RelayTokenRecord | null> {
    return settle(() => this.#tx.consumeRelayToken.immediate(tokenHash, now));
  }

  setSessionCookie(globalId: string, cookieHash: string, cookieSealedSecret: string): Promise<void> {
    return settle(() => {
      this.#s.setSessionCookie.run(cookieHash, cookieSealedSecret, globalId);
    });
  }

  deleteGlobalSession(globalId: string): Promise<void> {
    return settle(() => this.#tx.deleteGlobalSession.immediate(globalId));
  }

  purgeExpiredSessions(now: number, idleBefore: number): Promise<number> {
    return settle(() => this.#tx.purgeExpiredSessions.immediate(now, idleBefore));
  }
}
