// The store's files on disk, through the real binary: owner-only whatever the directory and umask
// (docs/SECURITY.md, case F41), and a damaged or emptied store refused at start (case F46).
import assert from 'node:assert/strict';
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { runCli, type CliResult } from '../../helpers/cli.js';
import { freshInstallation, type Installation } from '../../helpers/installation.js';
import { freePort } from '../../helpers/ports.js';
import { startServe, type ServeProcess } from '../../helpers/process.js';

const modeOf = (file: string): number => statSync(file).mode & 0o777;

async function stop(serve: ServeProcess): Promise<void> {
  serve.child.kill('SIGTERM');
  assert.equal(await serve.exited, 0, serve.output());
}

/** `ssod serve` on free ports, for a start that is expected to be refused (it then exits at once). */
async function serveRefused(dataDir: string, extra: readonly string[] = []): Promise<CliResult> {
  const ports = ['--soap-port', String(await freePort()), '--relay-port', String(await freePort())];
  const result = await runCli(['serve', '--data-dir', dataDir, ...ports, ...extra]);
  assert.notEqual(result.code, 0, `ssod serve started: ${result.stdout}`);
  return result;
}

describe('store files and the data directory', () => {
  let root: string;
  let umask: number;
  before(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'ssod-files-'));
    umask = process.umask(0o022); // the usual default; ssod serve inherits it
  });
  after(() => {
    process.umask(umask);
    rmSync(root, { recursive: true, force: true });
  });

  test('F41: in a data directory made 0755 beforehand under umask 022, the store files are owner-only, looser ones are tightened, and ssod serve warns', async () => {
    const dataDir = path.join(root, 'state-0755');
    mkdirSync(dataDir, { mode: 0o755 });
    chmodSync(dataDir, 0o755); // as systemd makes a StateDirectory
    const store = path.join(dataDir, 'ssod.db');

    let serve = await startServe(dataDir);
    try {
      for (const file of [store, `${store}-wal`, `${store}-shm`, path.join(dataDir, 'ca.key'), path.join(dataDir, 'server.key')]) {
        assert.equal(modeOf(file), 0o600, `${path.basename(file)} is owner-only`);
      }
      assert.match(
        serve.output(),
        new RegExp(
          `"level":"warn","msg":"the data directory ${dataDir} is readable by its group and others \\(mode 0755\\).*chmod 700 ${dataDir}.*StateDirectoryMode=0700`,
        ),
      );
    } finally {
      await stop(serve);
    }

    // Files that an older ssod (or a copy) left readable by others are tightened at the next start.
    chmodSync(store, 0o644);
    serve = await startServe(dataDir);
    try {
      assert.equal(modeOf(store), 0o600);
      assert.equal(modeOf(`${store}-wal`), 0o600);
      assert.equal(modeOf(`${store}-shm`), 0o600);
    } finally {
      await stop(serve);
    }

    // Made owner-only as the warning says: no warning.
    chmodSync(dataDir, 0o700);
    serve = await startServe(dataDir);
    try {
      assert.doesNotMatch(serve.output(), /the data directory/);
    } finally {
      await stop(serve);
    }
  });

  test('F41: ssod serve refuses a data directory that others may write, says how to fix it, and starts with --allow-open-data-dir on', async () => {
    const dataDir = path.join(root, 'state-0777');
    mkdirSync(dataDir);
    chmodSync(dataDir, 0o777);
    const refused = await serveRefused(dataDir);
    assert.equal(refused.code, 1);
    assert.equal(
      refused.stderr,
      `ssod: the data directory ${dataDir} is writable by its group and others (mode 0777): another user could replace its store or CA key; ` +
        `make it owner-only: \`chmod 700 ${dataDir}\` (under systemd: StateDirectoryMode=0700), or start with --allow-open-data-dir on to go ahead anyway\n`,
    );
    assert.equal(existsSync(path.join(dataDir, 'ssod.db')), false, 'refused before anything was made');

    const serve = await startServe(dataDir, ['--allow-open-data-dir', 'on']);
    try {
      assert.match(serve.output(), /"level":"warn","msg":"the data directory .* is writable by its group and others \(mode 0777\)/);
      assert.equal(modeOf(path.join(dataDir, 'ssod.db')), 0o600);
    } finally {
      await stop(serve);
    }
  });
});

describe('a damaged or emptied store', () => {
  let inst: Installation;
  let store: string;
  let pristine: Buffer;
  before(async () => {
    inst = await freshInstallation(); // its store (closed, so all in ssod.db) and its CA
    store = path.join(inst.dataDir, 'ssod.db');
    pristine = readFileSync(store);
  });
  after(() => inst.remove());

  /** Puts the pristine store back, then lets `damage` have it. */
  function withStore(damage: () => void): void {
    for (const suffix of ['', '-wal', '-shm']) rmSync(store + suffix, { force: true });
    writeFileSync(store, pristine, { mode: 0o600 });
    damage();
  }

  /** The first page of a table of the store. */
  function rootPageOf(table: string): number {
    const db = new Database(store, { readonly: true });
    try {
      return db.prepare<[string], number>('SELECT rootpage FROM sqlite_master WHERE name = ?').pluck().get(table) ?? 0;
    } finally {
      db.close();
    }
  }

  /** Overwrites pages `from`..`to` (1-based, 4096 bytes each) with bytes that no page holds. */
  function overwritePages(from: number, to: number): void {
    const fd = openSync(store, 'r+');
    try {
      for (let page = from; page <= to; page += 1) writeSync(fd, Buffer.alloc(4096, 0xa5), 0, 4096, (page - 1) * 4096);
    } finally {
      closeSync(fd);
    }
  }

  /** The start of the refusal of a damaged store: its path, and how to restore it. */
  const assertRestoreAdvice = (stderr: string): void => {
    assert.ok(stderr.startsWith(`ssod: the ssod store ${store} is damaged (`), stderr);
    assert.ok(
      stderr.endsWith('): restore the last backup with `ssod restore --data-dir DIR BACKUP-DIR`, which keeps the damaged files aside\n'),
      stderr,
    );
  };

  test('F46: a store with overwritten pages is refused by ssod serve and by operator commands, with its path and how to restore it', async () => {
    const pages = pristine.length / 4096;
    assert.ok(pages >= 8, `a store of ${pages} pages`);
    // The pages of one table: the schema reads fine, the page check finds them.
    withStore(() => undefined);
    const usersRoot = rootPageOf('users');
    withStore(() => overwritePages(usersRoot, usersRoot));
    for (const refused of [await serveRefused(inst.dataDir), await inst.run(['audit']), await inst.run(['settings'])]) {
      assert.equal(refused.code, 1, refused.stdout);
      assertRestoreAdvice(refused.stderr);
      assert.match(refused.stderr, new RegExp(`damaged \\(quick_check: .*page ${usersRoot}: .*\\): restore`));
    }

    // The second half of the file, schema pages among them.
    withStore(() => overwritePages(Math.floor(pages / 2), pages - 1));
    for (const refused of [await serveRefused(inst.dataDir), await inst.run(['audit'])]) {
      assert.equal(refused.code, 1, refused.stdout);
      assertRestoreAdvice(refused.stderr);
    }

    // The header page too: SQLite then does not see a database at all.
    withStore(() => overwritePages(1, 1));
    for (const refused of [await serveRefused(inst.dataDir), await inst.run(['audit'])]) {
      assert.equal(refused.code, 1, refused.stdout);
      assertRestoreAdvice(refused.stderr);
    }

    withStore(() => undefined);
    assert.equal((await inst.run(['audit'])).code, 0, 'the pristine store opens');
  });

  test('F46: a store truncated to 0 bytes or missing beside the CA is refused, never made a new, empty installation', async () => {
    const caAdvice =
      `${inst.dataDir} holds the certificate authority of an installation (ca.key, ca.crt), and a new store beside it would know none of its applications: ` +
      `restore the last backup with \`ssod restore --data-dir ${inst.dataDir} BACKUP-DIR\`, or, to start a new installation on purpose, move ca.key and ca.crt out of ${inst.dataDir} first\n`;
    withStore(() => truncateSync(store, 0));
    const truncated = await serveRefused(inst.dataDir);
    assert.equal(truncated.code, 1);
    assert.equal(truncated.stderr, `ssod: the ssod store ${store} is empty (0 bytes), but ${caAdvice}`);
    assert.equal(statSync(store).size, 0, 'nothing was written into it');
    const operator = await inst.run(['audit']);
    assert.equal(operator.code, 1);
    assert.match(
      operator.stderr,
      /^ssod: the ssod store .* is empty \(0 bytes\), but an operator command never creates a store: .*`ssod restore`\n$/,
    );

    unlinkSync(store);
    const missing = await serveRefused(inst.dataDir);
    assert.equal(missing.stderr, `ssod: the ssod store ${store} does not exist, but ${caAdvice}`);
    assert.equal(existsSync(store), false, 'no store was made');

    withStore(() => undefined);
    assert.equal((await inst.run(['audit'])).code, 0, 'the pristine store opens');
  });
});
