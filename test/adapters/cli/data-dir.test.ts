// A data directory that ssod cannot use is refused at start with its path and the fix, through the
// real binary: a file where the directory should be, a parent that does not exist (a mistyped
// --data-dir), a symbolic link to nothing, a directory or a store file that the user running ssod may not write, a directory
// where the store file should be, and an operator command run by a user that may not enter the data
// directory. A new installation is announced in the log once, with its path.
import assert from 'node:assert/strict';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { UNPRIVILEGED_ID, isRoot, runCli, runUnprivileged, type CliResult } from '../../helpers/cli.js';
import { startServe } from '../../helpers/process.js';

const scratch = mkdtempSync(path.join(os.tmpdir(), 'ssod-datadir-'));
chmodSync(scratch, 0o755); // reachable by the unprivileged user below
after(() => rmSync(scratch, { recursive: true, force: true }));

/** The last line of stderr, which must be the refusal: one line in the one error style. */
function refusal(result: CliResult): string {
  assert.equal(result.code, 1, result.stdout + result.stderr);
  const line = result.stderr.trimEnd().split('\n').at(-1) ?? '';
  assert.match(line, /^ssod: [^\n]+; [^\n]+$/);
  return line;
}

const serveArgs = (dataDir: string): string[] => [
  'serve',
  '--data-dir',
  dataDir,
  '--soap-port',
  '0',
  '--relay-port',
  '0',
  '--log-level',
  'error',
];

test('a file where the data directory should be', async () => {
  const file = path.join(scratch, 'a-file');
  writeFileSync(file, 'not a directory');
  assert.match(
    refusal(await runCli(serveArgs(file))),
    new RegExp(`^ssod: ${file} is a file, where the data directory should be; give --data-dir a directory, or move the file away$`),
  );
  assert.match(
    refusal(await runCli(serveArgs(path.join(file, 'data')))),
    /a part of .*a-file\/data is a file, not a directory; check --data-dir/,
  );
});

test('a data directory that is a symbolic link to nothing: said so, with the directory to make', async () => {
  const link = path.join(scratch, 'dangling');
  symlinkSync(path.join(scratch, 'volume', 'ssod'), link);
  assert.match(
    refusal(await runCli(serveArgs(link))),
    new RegExp(
      `^ssod: the data directory ${link} is a symbolic link to ${scratch}/volume/ssod, which does not exist; create the directory it points to`,
    ),
  );
});

test('a data directory whose parent does not exist is not made: a mistyped --data-dir is refused', async () => {
  const typo = path.join(scratch, 'sssod', 'data');
  const said = refusal(await runCli(serveArgs(typo)));
  assert.match(
    said,
    new RegExp(
      `the data directory ${typo} does not exist, nor does its parent ${path.dirname(typo)}; check --data-dir for a typo, or create the parent first`,
    ),
  );
});

test('a data directory that the user running ssod may not write', async () => {
  const readOnly = path.join(scratch, 'read-only');
  mkdirSync(readOnly, { mode: 0o500 });
  if (isRoot) chownSync(readOnly, UNPRIVILEGED_ID, UNPRIVILEGED_ID);
  const said = refusal(await runUnprivileged(serveArgs(readOnly)));
  assert.match(
    said,
    new RegExp(
      `^ssod: cannot write in the data directory ${readOnly} \\(EACCES\\), where ssod keeps its store and certificate authority; let \\S+, the user that runs ssod, write it`,
    ),
  );
});

test('a store file that the user running ssod may not write, at start and for an operator command', async (t) => {
  if (!isRoot) {
    t.skip('needs root, to give the store file to another user');
    return;
  }
  const installation = path.join(scratch, 'foreign-store');
  mkdirSync(installation, { mode: 0o700 });
  writeFileSync(path.join(installation, 'ssod.db'), 'owned by root', { mode: 0o600 });
  chownSync(installation, UNPRIVILEGED_ID, UNPRIVILEGED_ID);
  const store = path.join(installation, 'ssod.db');
  assert.match(
    refusal(await runUnprivileged(serveArgs(installation))),
    new RegExp(`^ssod: cannot read and write the store file ${store} \\(EACCES\\); let nobody, the user that runs ssod, own it`),
  );
  assert.match(
    refusal(await runUnprivileged(['users', '--data-dir', installation])),
    new RegExp(
      `^ssod: cannot open the ssod store ${store} for writing \\(SQLITE_CANTOPEN: unable to open database file\\); let nobody, the user that runs ssod, read and write ${installation}`,
    ),
  );
});

test('a store file where the data directory holds a directory of its name', async () => {
  const installation = path.join(scratch, 'store-is-a-directory');
  mkdirSync(path.join(installation, 'ssod.db'), { recursive: true, mode: 0o700 });
  chmodSync(installation, 0o700);
  assert.match(
    refusal(await runCli(serveArgs(installation))),
    new RegExp(
      `^ssod: ${installation}/ssod\\.db is a directory, where the store file should be; move it away, or give --store another file$`,
    ),
  );
});

test('an operator command as a user that may not enter the data directory: said so, not "no ssod store"', async (t) => {
  if (!isRoot) {
    t.skip('needs root, to run the command as another user than the owner');
    return;
  }
  const installation = path.join(scratch, 'root-only');
  mkdirSync(installation, { mode: 0o700 });
  writeFileSync(path.join(installation, 'ssod.db'), 'owned by root', { mode: 0o600 });
  assert.match(
    refusal(await runUnprivileged(['users', '--data-dir', installation])),
    new RegExp(
      `^ssod: cannot read the ssod store ${installation}/ssod\\.db \\(EACCES\\): user nobody may not enter ${installation}; run the command as the user that runs \`ssod serve\`, the owner of ${installation}`,
    ),
  );
});

test('a new installation is announced once in the log, with its path', async () => {
  const dataDir = path.join(scratch, 'new-installation');
  const first = await startServe(dataDir, ['--log-level', 'warn']);
  first.child.kill('SIGTERM');
  assert.equal(await first.exited, 0);
  const announcements = first
    .output()
    .split('\n')
    .filter((line) => line.includes('new installation'));
  assert.equal(announcements.length, 1, first.output());
  assert.deepEqual(
    (({ dataDir: dir, store }) => ({ dir, store }))(JSON.parse(announcements[0] ?? '{}') as { dataDir: string; store: string }),
    { dir: dataDir, store: path.join(dataDir, 'ssod.db') },
  );
  const second = await startServe(dataDir, ['--log-level', 'warn']);
  second.child.kill('SIGTERM');
  assert.equal(await second.exited, 0);
  assert.doesNotMatch(second.output(), /new installation/);
});
