// `ssod master-key generate`, and `ssod serve` refusing a PostgreSQL store it cannot serve
//: each mistake is one line on stderr that says what to do, and a non-zero exit.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { runCli } from '../../helpers/cli.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'ssod-cli-mk-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const oneLine = (text: string): boolean => /^ssod: [^\n]+\n$/.test(text);

test('master-key generate writes an owner-only key once and refuses to overwrite it', async () => {
  const file = path.join(dir, 'master.key');
  const made = await runCli(['master-key', 'generate', file]);
  assert.equal(made.code, 0, made.stderr);
  assert.match(made.stdout, /^wrote master key [0-9a-f]{16} to /);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  const key = readFileSync(file, 'utf8');
  assert.ok(!made.stdout.includes(key.trim().split(':')[1] ?? '-'), 'the key itself is never printed');

  const again = await runCli(['master-key', 'generate', file]);
  assert.equal(again.code, 1);
  assert.ok(oneLine(again.stderr), again.stderr);
  assert.match(again.stderr, /already exists; a master key is never overwritten/);
  assert.equal(readFileSync(file, 'utf8'), key);
});

test('serve with PostgreSQL and no master key refuses to start and says how to make one', async () => {
  const reply = await runCli(['serve', '--store', 'postgres://ssod@127.0.0.1:1/ssod', '--data-dir', path.join(dir, 'data')]);
  assert.equal(reply.code, 1);
  assert.ok(oneLine(reply.stderr), reply.stderr);
  assert.match(
    reply.stderr,
    /none was given: make one with `ssod master-key generate .*`, copy it to every node, and pass it with --master-key-file/,
  );
});

test('serve with a missing master key file, an unreachable database or an unknown store: one line each', async () => {
  const missing = await runCli(['serve', '--store', 'postgres://ssod@127.0.0.1:1/ssod', '--master-key-file', path.join(dir, 'nope.key')]);
  assert.equal(missing.code, 1);
  assert.ok(oneLine(missing.stderr) && /does not exist: make one with `ssod master-key generate/.test(missing.stderr), missing.stderr);

  const file = path.join(dir, 'serve.key');
  await runCli(['master-key', 'generate', file]);
  const unreachable = await runCli([
    'serve',
    '--store',
    'postgres://ssod:s3cret@127.0.0.1:1/ssod',
    '--master-key-file',
    file,
    '--data-dir',
    path.join(dir, 'data'),
  ]);
  assert.equal(unreachable.code, 1);
  assert.ok(oneLine(unreachable.stderr), unreachable.stderr);
  assert.match(unreachable.stderr, /cannot open the PostgreSQL store postgres:\/\/ssod:\*\*\*@127\.0\.0\.1:1\/ssod: .*ECONNREFUSED/);

  const unknown = await runCli(['serve', '--store', 'mysql://root:hunter2@db/ssod']);
  assert.equal(unknown.code, 2);
  assert.ok(oneLine(unknown.stderr) && !unknown.stderr.includes('hunter2'), unknown.stderr);
});
