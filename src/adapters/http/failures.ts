// Unexpected errors in the log. The caller only ever sees sso:internalError (or a bare 500); the
// operator needs a line that says what to do, above all when the store cannot write: a full disk
// or a read-only data directory is a condition of the machine, not a bug, and ssod keeps serving
// what it can (reads) and takes writes again once the condition is gone.
import { closeSync, openSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import type { Services } from '../../core/services.js';
import type { LogFields } from '../../infra/log.js';
import { StoreUnavailableError } from '../../core/store/index.js';

const FULL = 'the disk of the data directory is full: free space; ssod takes writes again by itself';
const READ_ONLY = 'the data directory is read-only: make it writable again';
const IO = 'the store cannot read or write its files: check the disk and the data directory';

// SQLite result codes (better-sqlite3 `code`), PostgreSQL SQLSTATEs (pg `code`) and errno names.
const STORAGE_CONDITIONS: readonly [RegExp, string][] = [
  [/^(SQLITE_FULL|53100|ENOSPC|EDQUOT)$/, FULL],
  [/^(SQLITE_READONLY.*|25006|EROFS)$/, READ_ONLY],
  [/^(SQLITE_IOERR.*|SQLITE_CANTOPEN|EIO)$/, IO],
];

/**
 * Whether the directory's file system refuses writes. A real write is tried: as root, file modes
 * would not say, and a file system that the kernel turned read-only after an error may still be
 * listed as mounted read-write.
 */
function isReadOnly(dir: string): boolean {
  const probe = path.join(dir, `.write-probe-${process.pid}`);
  try {
    closeSync(openSync(probe, 'w'));
    unlinkSync(probe);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EROFS';
  }
}

/** What an operator should know about an error of the store, or null when it is not one of those conditions. */
export function storageCondition(error: unknown, dataDir: string): string | null {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return null;
  const condition = STORAGE_CONDITIONS.find(([pattern]) => pattern.test(code))?.[1] ?? null;
  // SQLite reports a write refused by a read-only file system as a plain I/O error.
  return condition === IO && isReadOnly(dataDir) ? READ_ONLY : condition;
}

/**
 * Logs an unexpected error with its stack, and the storage condition first when it is one. A store
 * that cannot be reached (PostgreSQL down) is one warning line without a stack: it is the
 * database, not a bug, and the node recovers by itself.
 */
export function logUnexpected(services: Pick<Services, 'log' | 'options'>, message: string, error: unknown, fields: LogFields = {}): void {
  if (error instanceof StoreUnavailableError) {
    services.log.warn('store unavailable', { ...fields, during: message, error: error.message });
    return;
  }
  const condition = storageCondition(error, services.options.dataDir);
  const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
  if (condition === null) services.log.error(message, { ...fields, error: text });
  else services.log.error(`store unavailable: ${condition}`, { ...fields, code: (error as { code: string }).code, error: text });
}
