// `ssod backup` and `ssod restore`: the embedded SQLite store, copied consistently while the server
// runs, together with the CA files and the ticket-signing keys (tickets/<kid>.key) of the data
// directory, into a directory of their own; and put back into a stopped installation.
// SQLite-specific by nature (POSTGRES_BACKUP_ADVICE otherwise).
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, open, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { CA_CERT_FILE, CA_FILES, CA_KEY_FILE, SERVER_CERTIFICATE_FILES, STORE_FILE } from '../../infra/dataFiles.js';
import { TICKET_KEY_DIR } from '../../infra/keys/tickets.js';
import { checkSqlite, isKnownSchema, snapshotSqlite, sqliteInUse } from '../../infra/store/sqliteBackup.js';
import { CliError, action, embeddedStoreFile, fields, installationOptions, print, storeCommand, type StoreFlags } from './common.js';

const FORMAT = 'ssod-backup';
const VERSION = 1;
const MANIFEST = 'manifest.json';
/** What a backup holds beside its manifest, with the mode each file gets. */
const BACKUP_FILES: readonly (readonly [string, number])[] = [
  [STORE_FILE, 0o600],
  [CA_KEY_FILE, 0o600],
  [CA_CERT_FILE, 0o644],
];

/**
 * The ticket-signing keys of a data directory, as paths relative to it (owner-only, like the CA key).
 * Listed after the store's snapshot: a key's file is written before its record, so every key of the
 * snapshot has its file here.
 */
async function ticketKeyFiles(dataDir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(path.join(dataDir, TICKET_KEY_DIR));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return names.filter((name) => /^[A-Za-z0-9_-]{43}\.key$/.test(name)).map((name) => path.join(TICKET_KEY_DIR, name));
}

/** What a backup of this installation holds: the fixed files, and each ticket key's file (0600). */
async function backupFilesOf(dataDir: string): Promise<(readonly [string, number])[]> {
  return [...BACKUP_FILES, ...(await ticketKeyFiles(dataDir)).map((file) => [file, 0o600] as const)];
}

interface Manifest {
  readonly format: typeof FORMAT;
  readonly version: typeof VERSION;
  readonly createdAt: string;
  readonly schemaVersion: number;
  readonly files: Readonly<Record<string, { readonly sha256: string; readonly bytes: number }>>;
}

async function digestOf(file: string): Promise<{ sha256: string; bytes: number }> {
  const contents = await readFile(file);
  return { sha256: createHash('sha256').update(contents).digest('hex'), bytes: contents.length };
}

/** Flushes a file (or a directory's entries) to the disk: a backup that a power cut undoes is none. */
async function flush(file: string): Promise<void> {
  const handle = await open(file, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function requireCheckedStore(file: string, what: string): number {
  const check = checkSqlite(file);
  if (check.integrity !== 'ok' || check.danglingReferences > 0) {
    throw new CliError(`${what} fails the integrity check (${check.integrity}; ${check.danglingReferences} dangling reference(s))`);
  }
  return check.schemaVersion;
}

async function backup(flags: StoreFlags, directory: string): Promise<void> {
  const options = installationOptions(flags);
  const store = embeddedStoreFile(options);
  if (!existsSync(store)) throw new CliError(`no ssod store at ${store}; give the installation's --data-dir (or set SSOD_DATA_DIR)`);
  for (const file of CA_FILES) {
    if (!existsSync(path.join(options.dataDir, file)))
      throw new CliError(`no ${file} in ${options.dataDir}, so the backup would lack the CA; give the installation's --data-dir`);
  }
  try {
    await mkdir(directory, { mode: 0o700 });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(
      code === 'EEXIST'
        ? `${directory} exists; give a new directory for the backup`
        : `cannot create ${directory} (${code ?? String(error)}); give a directory whose parent exists and that this user may create`,
    );
  }
  snapshotSqlite(store, path.join(directory, STORE_FILE));
  for (const file of CA_FILES) await copyFile(path.join(options.dataDir, file), path.join(directory, file));
  const backupFiles = await backupFilesOf(options.dataDir);
  await mkdir(path.join(directory, TICKET_KEY_DIR), { mode: 0o700 });
  for (const [file] of backupFiles.slice(BACKUP_FILES.length)) await copyFile(path.join(options.dataDir, file), path.join(directory, file));
  const files: Record<string, { sha256: string; bytes: number }> = {};
  for (const [file, mode] of backupFiles) {
    const target = path.join(directory, file);
    await chmod(target, mode);
    await flush(target);
    files[file] = await digestOf(target);
  }
  const schemaVersion = requireCheckedStore(path.join(directory, STORE_FILE), 'the copy of the store');
  const manifest: Manifest = { format: FORMAT, version: VERSION, createdAt: new Date().toISOString(), schemaVersion, files };
  await writeFile(path.join(directory, MANIFEST), JSON.stringify(manifest, null, 2) + '\n', { mode: 0o600 });
  await flush(path.join(directory, MANIFEST));
  await flush(directory);
  print(
    flags,
    { directory, ...manifest },
    () =>
      fields([
        ['backup', directory],
        ['taken at', manifest.createdAt],
        ['schema version', schemaVersion],
        ['store', `${files[STORE_FILE]?.bytes ?? 0} bytes, integrity ok`],
        ['CA', CA_FILES.join(', ')],
        ['ticket keys', backupFiles.length - BACKUP_FILES.length],
      ]) + 'It holds the CA key, the ticket-signing keys and password hashes: keep it where only the operator can read it.\n',
  );
}

/** Whether a parsed manifest file is one this ssod wrote: anything may be in the file. */
function isOurManifest(parsed: unknown): parsed is Manifest {
  const { format, version } = (parsed ?? {}) as { readonly format?: unknown; readonly version?: unknown };
  return format === FORMAT && version === VERSION;
}

/** The files a manifest names: the fixed ones, and the ticket keys it lists (a name of another form is refused). */
function filesOf(manifest: Manifest, directory: string): (readonly [string, number])[] {
  const keys = Object.keys(manifest.files).filter((file) => !BACKUP_FILES.some(([fixed]) => fixed === file));
  for (const file of keys) {
    if (!new RegExp(`^${TICKET_KEY_DIR}/[A-Za-z0-9_-]{43}\\.key$`).test(file))
      throw new CliError(
        `${path.join(directory, MANIFEST)} names ${JSON.stringify(file)}, which no ssod backup holds; restore another backup`,
      );
  }
  return [...BACKUP_FILES, ...keys.map((file) => [file, 0o600] as const)];
}

async function readManifest(directory: string): Promise<Manifest> {
  let manifest: unknown;
  try {
    manifest = JSON.parse(await readFile(path.join(directory, MANIFEST), 'utf8'));
  } catch (error) {
    throw new CliError(
      `${directory} is not an ssod backup: ${MANIFEST} ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'is missing' : 'is unreadable'}; give a directory that \`ssod backup\` wrote`,
    );
  }
  if (!isOurManifest(manifest))
    throw new CliError(`${directory} is not an ssod backup of version ${VERSION}; restore it with the ssod that wrote it`);
  for (const [file] of filesOf(manifest, directory)) {
    const expected = manifest.files[file];
    const found = existsSync(path.join(directory, file)) ? await digestOf(path.join(directory, file)) : null;
    if (expected === undefined || found?.sha256 !== expected.sha256)
      throw new CliError(
        `${path.join(directory, file)} is missing or differs from the backup's manifest; the backup is incomplete or was changed, so restore another one`,
      );
  }
  return manifest;
}

/** Moves the installation's current files aside (a restore never destroys them); null when there were none. */
async function moveAside(dataDir: string): Promise<string | null> {
  const present = [STORE_FILE, `${STORE_FILE}-wal`, `${STORE_FILE}-shm`, ...CA_FILES, ...SERVER_CERTIFICATE_FILES].filter((file) =>
    existsSync(path.join(dataDir, file)),
  );
  if (present.length === 0) return null;
  const aside = path.join(dataDir, `replaced-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  await mkdir(aside, { mode: 0o700 });
  for (const file of present) await rename(path.join(dataDir, file), path.join(aside, file));
  return aside;
}

async function restore(flags: StoreFlags, directory: string): Promise<void> {
  const options = installationOptions(flags);
  const store = embeddedStoreFile(options);
  const manifest = await readManifest(directory);
  const schemaVersion = requireCheckedStore(path.join(directory, STORE_FILE), `the backup's store`);
  if (!isKnownSchema(schemaVersion))
    throw new CliError(`the backup has schema version ${schemaVersion}, which this ssod does not know; restore it with a newer ssod`);
  // A server has the store open for as long as it runs: restoring under it would lose whatever it writes next.
  if (existsSync(store) && sqliteInUse(store)) {
    throw new CliError(`${store} is open in another process, most likely a running ssod serve; stop it, then restore`);
  }
  await mkdir(options.dataDir, { recursive: true, mode: 0o700 });
  const aside = await moveAside(options.dataDir);
  // A ticket key's file is named by its key's thumbprint: one of the same name is the same key.
  await mkdir(path.join(options.dataDir, TICKET_KEY_DIR), { recursive: true, mode: 0o700 });
  for (const [file, mode] of filesOf(manifest, directory)) {
    const temporary = path.join(options.dataDir, `${file}.restoring`);
    await copyFile(path.join(directory, file), temporary);
    await chmod(temporary, mode);
    await flush(temporary);
    await rename(temporary, path.join(options.dataDir, file));
  }
  await flush(options.dataDir);
  // A server that opened the old store between the check and the move would be writing to the replaced copy.
  const lateOpener = aside !== null && existsSync(path.join(aside, STORE_FILE)) && sqliteInUse(path.join(aside, STORE_FILE));
  const shown = {
    restored: directory,
    into: options.dataDir,
    takenAt: manifest.createdAt,
    schemaVersion,
    replacedFilesIn: aside,
    serverOpenedReplacedStore: lateOpener,
  };
  print(
    flags,
    shown,
    () =>
      fields([
        ['restored', directory],
        ['into', options.dataDir],
        ['backup taken at', manifest.createdAt],
        ['replaced files kept in', aside ?? '(none: the directory held no installation)'],
      ]) +
      (lateOpener ? 'Warning: a process opened the replaced store during the restore; stop it and start ssod serve again.\n' : '') +
      'Start ssod serve: it re-issues the server certificate for the restored host name.\n',
  );
}

export function backupCommand(): Command {
  return storeCommand(
    'backup',
    'Copy the store (consistently, while the server runs), the CA files and the ticket-signing keys into a new directory.',
  )
    .argument('<directory>', 'a new directory for the backup (created with mode 0700)')
    .addHelpText(
      'after',
      `
The copy is one consistent snapshot of the SQLite store (VACUUM INTO): every write acknowledged
before the backup began is in it, and the server goes on serving meanwhile. For a PostgreSQL store
use pg_dump instead.

Example:
  ssod backup --data-dir /var/lib/ssod /var/backups/ssod-$(date +%F)
`,
    )
    .action(action(backup));
}

export function restoreCommand(): Command {
  return storeCommand('restore', 'Put a backup back into a stopped installation; the files it replaces are kept beside it.')
    .argument('<directory>', 'a directory made by `ssod backup`')
    .addHelpText(
      'after',
      `
Refused while a server (or any process) has the installation's store open: stop ssod serve first.
The backup's checksums, integrity and schema version are checked before anything is replaced.

Example:
  ssod restore --data-dir /var/lib/ssod /var/backups/ssod-2025-01-31
`,
    )
    .action(action(restore));
}
