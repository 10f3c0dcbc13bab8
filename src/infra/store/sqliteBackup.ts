// Backup and restore of the embedded SQLite store: SQLite-specific by nature (a PostgreSQL store is
// backed up with pg_dump). Never used by the Store contract.
import Database from 'better-sqlite3';
import { LATEST_SCHEMA_VERSION } from './migrations.js';
import { BUSY_DEADLINE_MS } from './sqliteBusy.js';

/**
 * Copies the database at `source` to the new file `target` while other connections (a running
 * server) keep reading and writing it. VACUUM INTO reads in one transaction, so the copy is one
 * consistent snapshot holding every commit made before it began; in WAL mode writers are not
 * blocked meanwhile. (The online backup API would restart at every write of another connection,
 * and under steady load might never finish.)
 */
export function snapshotSqlite(source: string, target: string): void {
  const db = new Database(source, { fileMustExist: true });
  try {
    // An operator command serves no requests: it may wait for a lock on its own event loop (sqliteBusy.ts).
    db.pragma(`busy_timeout = ${BUSY_DEADLINE_MS}`);
    db.prepare('VACUUM INTO ?').run(target);
  } finally {
    db.close();
  }
}

export interface SqliteCheck {
  /** 'ok', or the first problem PRAGMA integrity_check found. */
  readonly integrity: string;
  /** Rows whose foreign key points nowhere (PRAGMA foreign_key_check). */
  readonly danglingReferences: number;
  readonly schemaVersion: number;
}

/** Checks a database file that no one else uses (a backup): integrity, foreign keys, schema version. */
export function checkSqlite(file: string): SqliteCheck {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const integrity = db.prepare<[], string>('PRAGMA integrity_check(1)').pluck().get() ?? 'no answer';
    const danglingReferences = db.prepare('PRAGMA foreign_key_check').all().length;
    const schemaVersion = db.prepare<[], number>('SELECT COALESCE(MAX(version), 0) FROM schema_migrations').pluck().get() ?? 0;
    return { integrity, danglingReferences, schemaVersion };
  } finally {
    db.close();
  }
}

/** Whether this ssod can open a database of that schema version (migrating it forward at the next start). */
export function isKnownSchema(version: number): boolean {
  return version >= 1 && version <= LATEST_SCHEMA_VERSION;
}

/**
 * Whether another connection (a running server, another command) has the database open. It tries
 * to lock the file exclusively, which SQLite cannot do while anyone else has it open in WAL mode; the
 * operating system drops a crashed process's locks, so a server that died leaves no false "in use".
 */
export function sqliteInUse(file: string): boolean {
  const db = new Database(file, { fileMustExist: true, timeout: 0 });
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
    db.exec('COMMIT');
    return false;
  } catch (error) {
    if (error instanceof Database.SqliteError && (error.code === 'SQLITE_BUSY' || error.code === 'SQLITE_LOCKED')) return true;
    throw error;
  } finally {
    db.close();
  }
}
