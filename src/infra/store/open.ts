// Opens the store that a location names, with either engine behind the one Store contract.
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CA_FILES } from '../dataFiles.js';
import type { Logger } from '../log.js';
import type { StoreLocation } from './location.js';
import { openPostgresStore } from './postgres.js';
import { openSqliteStore } from './sqlite.js';
import type { VerifyCacheSettings } from './verifyCache.js';
import type { Store } from '../../core/store/index.js';

export interface OpenStoreSettings {
  /** Most PostgreSQL connections of this node (SQLite has one). */
  readonly poolSize: number;
  readonly logger?: Logger;
  /**
   * The data directory beside a SQLite store. When it holds a certificate authority, the store
   * belongs to that installation: a missing or empty one is refused, never made anew.
   */
  readonly dataDir?: string;
  /** An operator command: it never creates a SQLite store, nor fills an empty file with a new one. */
  readonly existingOnly?: boolean;
  /** PostgreSQL: the verifySession cache of a serving node (postgres.ts); none when absent. */
  readonly sessionCache?: Omit<VerifyCacheSettings, 'logger'>;
  /** Whether to check every page of a SQLite store at open (true unless another process just did). */
  readonly checkPages?: boolean;
}

export function openStore(location: StoreLocation, settings: OpenStoreSettings): Promise<Store> {
  if (location.engine === 'postgres') return openPostgresStore(location.url, settings);
  const refuseNewBecause =
    settings.existingOnly === true ? OPERATOR_ADVICE : settings.dataDir === undefined ? undefined : caWithoutStoreAdvice(settings.dataDir);
  return openSqliteStore(location.path, { checkPages: settings.checkPages ?? true, refuseNewBecause }).catch((error: unknown) => {
    throw accessExplained(error, location.path);
  });
}

/**
 * A store file that this user may not open or write, restated with its path and the fix: SQLite
 * says only "unable to open database file" or "attempt to write a readonly database".
 */
function accessExplained(error: unknown, file: string): unknown {
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string' || !/^(SQLITE_(CANTOPEN|READONLY|PERM|AUTH)|EACCES|EPERM|EROFS)/.test(code)) return error;
  const dir = path.dirname(path.resolve(file));
  const who = os.userInfo().username;
  return new Error(
    `cannot open the ssod store ${file} for writing (${code}: ${(error as Error).message}); ` +
      `let ${who}, the user that runs ssod, read and write ${dir} and the files in it (\`ls -la ${dir}\`; \`chown -R ${who} ${dir}\`), and check that its disk is not mounted read-only`,
  );
}

const OPERATOR_ADVICE =
  "an operator command never creates a store: give the installation's --data-dir or --store (or set SSOD_DATA_DIR / SSOD_STORE), start it once with `ssod serve`, or restore a backup with `ssod restore`";

/**
 * Why a store must exist beside a data directory that holds a CA (docs/SECURITY.md, case F46): a new,
 * empty store would know none of the applications whose certificates that CA issued.
 */
function caWithoutStoreAdvice(dataDir: string): string | undefined {
  const present = CA_FILES.filter((file) => existsSync(path.join(dataDir, file)));
  if (present.length === 0) return undefined;
  return (
    `${dataDir} holds the certificate authority of an installation (${present.join(', ')}), and a new store beside it would know none of its applications: ` +
    `restore the last backup with \`ssod restore --data-dir ${dataDir} BACKUP-DIR\`, or, to start a new installation on purpose, move ${present.join(' and ')} out of ${dataDir} first`
  );
}
