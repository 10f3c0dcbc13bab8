// The SQLite engine of the Store contract (src/core/store/), on better-sqlite3: how the statements of
// the store's parts (parts/*.ts) run here.
//
// better-sqlite3 is synchronous: every method runs its statement at once and hands back a promise,
// so the contract stays the same shape as a networked engine's; a write's promise resolves once
// the write is on disk, an fsync that runs off the event loop (walSync.ts). A statement that finds
// the database locked by another connection (another worker) is tried again from a timer rather
// than waited for on the event loop (sqliteBusy.ts). Every statement is compiled and prepared once
// at open: findCertificateAndSession and touchSession run on every page load of every application.
// A batch is one better-sqlite3 transaction, synchronous, begun IMMEDIATE.
import { chmodSync, closeSync, openSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { BatchStep, Executor, StepResult } from './executor.js';
import { LATEST_SCHEMA_VERSION, MIGRATIONS, schemaMigrationsTable } from './migrations.js';
import { composeStore } from './parts/index.js';
import { ping, probeWrite } from './parts/lifecycle.js';
import { SQLITE } from './sql/dialect.js';
import { STATEMENTS, bind, compile, type Compiled, type Sql } from './sql/statement.js';
import { BUSY_DEADLINE_MS, untilNotBusy } from './sqliteBusy.js';
import { WalSync } from './walSync.js';
import { DuplicateLoginError, type Store, type StoreLifecycle } from '../../core/store/index.js';

type Db = Database.Database;

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
export function openSqliteStore(
  path: string,
  { busyDeadlineMs = BUSY_DEADLINE_MS, refuseNewBecause, checkPages = true }: SqliteStoreSettings = {},
): Promise<Store> {
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
      return sqliteStore(db, new WalSync(db.memory ? null : path), busyDeadlineMs);
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
    if (size === null || size === 0)
      throw new Error(`the ssod store ${path} ${size === null ? 'does not exist' : 'is empty (0 bytes)'}, but ${refuseNewBecause}`);
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
    db.exec(schemaMigrationsTable(SQLITE));
    const current = db.prepare<[], number>('SELECT COALESCE(MAX(version), 0) FROM schema_migrations').pluck().get() ?? 0;
    if (current > LATEST_SCHEMA_VERSION) {
      throw new Error(
        `database ${path} has schema version ${current}, newer than the version ${LATEST_SCHEMA_VERSION} that this ssod knows: run a newer ssod`,
      );
    }
    const record = db.prepare<[number, number]>('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)');
    for (const migration of MIGRATIONS.filter((m) => m.version > current)) {
      db.exec(migration.sql(SQLITE));
      record.run(migration.version, now);
    }
  }).immediate();
}

/** A UNIQUE violation on users.login_key is the contract's DuplicateLoginError; anything else stays as it is. */
function asDuplicateLogin(error: unknown): unknown {
  const isLoginKeyTaken =
    error instanceof Database.SqliteError && error.code === 'SQLITE_CONSTRAINT_UNIQUE' && error.message.includes('users.login_key');
  return isLoginKeyTaken ? new DuplicateLoginError() : error;
}

/** Thrown inside a batch's transaction to roll it back when a required step changed nothing. */
const ROLLED_BACK = new Error('a required step changed nothing');

interface Prepared extends Compiled {
  readonly name: string;
  readonly statement: Database.Statement;
  /** It writes (DML, possibly with RETURNING): run as a write, durable before it resolves. */
  readonly writes: boolean;
}

/** Runs a step of a batch, inside the batch's transaction. */
function runStep(prepared: Prepared, params: object, required: boolean | undefined): StepResult {
  const { statement, writes } = prepared;
  const values = bind(prepared, params);
  let result: StepResult;
  if (statement.reader) {
    const rows = statement.all(values);
    result = { changes: writes ? rows.length : 0, rows };
  } else {
    result = { changes: statement.run(values).changes, rows: [] };
  }
  if (required === true && result.changes === 0) throw ROLLED_BACK;
  return result;
}

/**
 * The statements of the parts, prepared once, and how they run: reads at once; writes, a batch in
 * one transaction begun IMMEDIATE (it writes: taking the write lock at BEGIN makes a busy database
 * fail there, before any statement ran, so that the whole batch is tried again, sqliteBusy.ts; a
 * deferred one could fail halfway, when its read lock cannot be upgraded); and either waits for its
 * commit to be durable (walSync.ts) unless it changed nothing.
 */
class SqliteExecutor implements Executor {
  readonly dialect = SQLITE;
  readonly #prepared: Prepared[];
  readonly #transaction: Database.Transaction<(steps: readonly BatchStep[]) => StepResult[]>;
  readonly #wal: WalSync;
  readonly #busyDeadlineMs: number;

  constructor(db: Db, wal: WalSync, busyDeadlineMs: number) {
    this.#prepared = STATEMENTS.map((sql) => {
      const compiled = compile(sql, SQLITE);
      const statement = db.prepare(compiled.text);
      if (sql.arrayRows) statement.raw(true);
      return { ...compiled, name: sql.name, statement, writes: !statement.readonly };
    });
    this.#transaction = db.transaction((steps: readonly BatchStep[]) =>
      steps.map((s) => runStep(this.#statement(s.sql), s.params, s.required)),
    );
    this.#wal = wal;
    this.#busyDeadlineMs = busyDeadlineMs;
  }

  #statement(sql: Sql<object>): Prepared {
    return this.#prepared[sql.slot] as Prepared;
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
  async #write<T>(step: () => T, changed: (result: T) => boolean): Promise<T> {
    let result: T;
    try {
      result = await untilNotBusy(step, this.#busyDeadlineMs);
    } catch (error) {
      throw asDuplicateLogin(error);
    }
    if (changed(result)) await this.#wal.afterCommit();
    return result;
  }

  one<P extends object, R>(sql: Sql<P, R>, params: P): Promise<R | null> {
    return this.first(sql, params, (row) => row ?? null);
  }

  first<P extends object, R, T>(sql: Sql<P, R>, params: P, convert: (row: R | undefined) => T): Promise<T> {
    const prepared = this.#statement(sql);
    const { statement } = prepared;
    if (!prepared.writes) return this.#read(() => convert(statement.get(bind(prepared, params)) as R | undefined));
    let returned = false; // a write that returned no row changed none: no fsync to wait for
    return this.#write(
      () => {
        const row = statement.get(bind(prepared, params)) as R | undefined;
        returned = row !== undefined;
        return convert(row);
      },
      () => returned,
    );
  }

  all<P extends object, R>(sql: Sql<P, R>, params: P): Promise<R[]> {
    const prepared = this.#statement(sql);
    const { statement } = prepared;
    const step = (): R[] => statement.all(bind(prepared, params)) as R[];
    return prepared.writes ? this.#write(step, (rows) => rows.length > 0) : this.#read(step);
  }

  run<P extends object>(sql: Sql<P>, params: P): Promise<number> {
    const prepared = this.#statement(sql);
    return this.#write(
      () => prepared.statement.run(bind(prepared, params)).changes,
      (changes) => changes > 0,
    );
  }

  batch(steps: readonly BatchStep[]): Promise<StepResult[] | null> {
    return this.#write(
      () => {
        try {
          return this.#transaction.immediate(steps);
        } catch (error) {
          if (error === ROLLED_BACK) return null;
          throw error;
        }
      },
      (results) => results !== null && results.some((result) => result.changes > 0),
    );
  }

  close(): Promise<void> {
    return this.#wal.close();
  }
}

function sqliteStore(db: Db, wal: WalSync, busyDeadlineMs: number): Store {
  const x = new SqliteExecutor(db, wal, busyDeadlineMs);
  const lifecycle: StoreLifecycle = {
    engine: 'sqlite',
    async ping() {
      await x.one(ping, {});
    },
    async probeWrite() {
      await x.run(probeWrite, {});
    },
    async close() {
      await x.close();
      db.close();
    },
  };
  return composeStore(lifecycle, x);
}
