// The README's test command on a machine that lacks something: scripts/test-prerequisites.sh stops
// at once with one line naming what is missing and the command that brings it; scripts/run-tests.sh
// ends with a summary of what ran, what did not and why, and what failed; and a test that needs a
// missing program is skipped the same way whichever test it is, unless the run requires it, and no
// test file that runs such a program does without that skip.
import assert from 'node:assert/strict';
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isRoot } from '../helpers/cli.js';
import { freePort } from '../helpers/ports.js';
import { skipWithout, toolsRequired, type Tool } from '../helpers/tools.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const NOBODY = 65_534;
const scratch = mkdtempSync(path.join(os.tmpdir(), 'ssod-test-command-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A bash script fed on stdin, as a user without privileges when the tests run as root (who could install). */
function bash(script: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<Run> {
  const [file, prefix] = isRoot ? ['setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', 'bash']] : ['bash', []];
  const child = spawn(file, [...prefix, '-s', '--', ...args], { cwd: ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin.end(script);
  return outputOf(child);
}

/** What a child process wrote on stdout and stderr, and its exit code, once it has closed. */
function outputOf(child: ChildProcessByStdio<Writable | null, Readable, Readable>): Promise<Run> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test('test-prerequisites.sh, unable to install (not root) and with no PostgreSQL at TEST_POSTGRES_URL, stops with one line saying what to run', async () => {
  const port = await freePort(); // nothing listens there
  const url = `postgres://postgres@127.0.0.1:${port}/test`;
  const script = readFileSync(path.join(ROOT, 'scripts', 'test-prerequisites.sh'), 'utf8');
  const result = await bash(script, [], { PATH: process.env.PATH ?? '/usr/bin:/bin', TEST_POSTGRES_URL: url });
  assert.equal(result.code, 1, result.stdout + result.stderr);
  assert.equal(result.stdout, '', 'nothing else is said');
  const lines = result.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, result.stderr);
  // Whichever is missing first on this machine: Debian packages, else the database.
  assert.match(
    lines[0] ?? '',
    new RegExp(
      '^test prerequisites: (missing [a-z0-9.+ -]+; install with: sudo apt-get install -y --no-install-recommends [a-z0-9.+ -]+' +
        `|no PostgreSQL answers at ${url.replaceAll('.', '\\.')}; start it with: pg_ctlcluster .*\\(or set TEST_POSTGRES_URL\\))$`,
    ),
  );
});

test('run-tests.sh ends with a summary: files run, the tests not run with their reasons, the failures, and the counts', async () => {
  const tests = path.join(scratch, 'dist-test');
  mkdirSync(tests);
  const file = (name: string, body: string): void =>
    writeFileSync(path.join(tests, name), `import { test } from 'node:test';\nimport assert from 'node:assert';\n${body}\n`);
  file('passes.test.js', "test('one that passes', () => assert.ok(true));");
  file('skips.test.js', "test('one that needs a program', { skip: 'frobnicator not installed: apt-get install frobnicator' }, () => {});");
  file('fails.test.js', "test('one that fails', () => assert.equal(1, 2));");
  file(
    'cannot-start.test.js',
    "import { before, describe } from 'node:test';\ndescribe('tests whose setup fails', () => { before(() => { throw new Error('no server'); }); test('cancelled', () => {}); });",
  );
  file('compares.timing.test.js', "test('one that compares times', () => assert.ok(true));");
  // Without NODE_TEST_CONTEXT, which would make the inner node --test report to this one instead of printing TAP.
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => name !== 'NODE_TEST_CONTEXT'));
  const result = await outputOf(
    spawn('bash', [path.join(ROOT, 'scripts', 'run-tests.sh'), tests], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] }),
  );
  assert.equal(result.code, 1, 'a test failed');
  const summary = result.stdout.slice(result.stdout.lastIndexOf('\nSummary: ') + 1);
  const why = summary.indexOf('Why:\n');
  assert.ok(why > 0, 'the reasons follow the failures');
  assert.equal(
    summary.slice(0, why),
    [
      'Summary: 4 test files in parallel, then 1 timing test files alone.',
      'Not run (skipped or to do), with the reason:',
      '  one that needs a program # SKIP frobnicator not installed: apt-get install frobnicator',
      'Failed:',
      '  cancelled',
      '  tests whose setup fails',
      '  one that fails',
      '',
    ].join('\n'),
  );
  assert.ok(summary.endsWith('\ntests: 2 passed, 2 failed, 1 skipped\n'));
  // Each failure's reason, as node --test gave it, under its name.
  const reasons = summary.slice(why);
  for (const [name, reason] of [
    ['one that fails', '1 == 2'],
    ['tests whose setup fails', 'no server'],
  ] as const) {
    const at = reasons.indexOf(`\n  - ${name}\n`);
    assert.ok(at > 0, `the reason of ${name}`);
    assert.ok(reasons.indexOf(reason, at) > at, `${name}: ${reason}`);
  }
});

test('a missing program skips every test that needs it with one line naming its package, unless the run requires it', () => {
  const absent: Tool = { name: 'frobnicator', packages: 'frobnicator-tools', present: () => false };
  const here: Tool = { name: 'openssl', packages: 'openssl', present: () => true };
  const alone = {};
  assert.equal(skipWithout([here], alone), false);
  assert.equal(
    skipWithout([here, absent], alone),
    'frobnicator not installed: sudo apt-get install -y --no-install-recommends frobnicator-tools (npm test installs it)',
  );
  for (const required of [{ TEST_REQUIRE_TOOLS: '1' }, { CI: 'true' }]) {
    assert.equal(toolsRequired(required), true);
    assert.equal(skipWithout([absent], required), false, 'the test runs, and fails for the missing program');
  }
  assert.equal(toolsRequired(alone), false);
});

test('every test file that runs a program of test/helpers/tools.ts, or a helper that runs one, skips with skipWithout', () => {
  // A program named in a call (execFile('php', …), spawn('/usr/bin/python3', …)), or a helper that starts one.
  const program =
    /\b(?:execFile|execFileSync|spawn|spawnSync|run)\(\s*['"`](?:php(?:8\.2)?|(?:\/usr\/bin\/)?python3|openssl|curl|slapd|ldapadd|mkfs\.ext4|\/usr\/bin\/systemd-analyze)['"`]/;
  const helper = /from '\.\.\/(?:\.\.\/)*helpers\/(?:phpServer|samlIdp|slapd|ljService|browser|consoleBrowser)\.js'/;
  const files = (readdirSync(path.join(ROOT, 'test'), { recursive: true }) as string[]).filter((file) => file.endsWith('.test.ts'));
  assert.ok(files.length > 100, `only ${files.length} test files found`);
  const unguarded = files.filter((file) => {
    const text = readFileSync(path.join(ROOT, 'test', file), 'utf8');
    return (program.test(text) || helper.test(text)) && !text.includes('skipWithout'); // skipWithout(…), or skipWithoutChromium
  });
  assert.deepEqual(unguarded, [], 'these fail for a missing program where the others skip');
});
