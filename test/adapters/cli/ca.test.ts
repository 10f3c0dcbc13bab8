// `ssod ca` through the real binary: the CA certificate with a SHA-256 fingerprint that openssl
// agrees with, the same certificate the server serves; and the README's curl walk-through, run as
// written in a directory of its own, leaving its files (a private key among them) in its scratch
// directory and nothing beside the installation.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { CLI, runCli } from '../../helpers/cli.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { TOOLS, skipWithout } from '../../helpers/tools.js';

const run = promisify(execFile);
const README = new URL('../../../../README.md', import.meta.url);

async function opensslFingerprint(file: string): Promise<string> {
  const { stdout } = await run('openssl', ['x509', '-noout', '-fingerprint', '-sha256', '-in', file]);
  return /Fingerprint=([0-9A-F:]+)/i.exec(stdout)?.[1] ?? `no fingerprint in ${stdout}`;
}

/** The shell block of a README section, as written. */
function readmeBlock(heading: string): string {
  const text = readFileSync(README, 'utf8');
  const section = text.slice(text.indexOf(`\n${heading}\n`));
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(block !== undefined, `no sh block under ${heading}`);
  return block;
}

describe('ssod ca', { skip: skipWithout([TOOLS.openssl, TOOLS.curl]) }, () => {
  let root: string;
  let ts: TestServer;
  before(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'ssod-cli-ca-'));
    // `data` in the working directory: where `ssod serve` and `ssod ca` look by default.
    ts = await startTestServer({ dataDir: path.join(root, 'data') });
  });
  after(async () => {
    await ts.close();
    rmSync(root, { recursive: true, force: true });
  });

  test('prints the CA certificate with the SHA-256 fingerprint that openssl computes, the one served at /ca.pem', async () => {
    const shown = await runCli(['ca', '--data-dir', ts.dataDir]);
    assert.equal(shown.code, 0, shown.stderr);
    const printed = /^# SHA-256 Fingerprint=([0-9A-F:]{95})$/m.exec(shown.stdout)?.[1];
    assert.ok(printed !== undefined, shown.stdout);
    assert.ok(shown.stdout.endsWith(ts.caPem.endsWith('\n') ? ts.caPem : ts.caPem + '\n'), shown.stdout);
    // `ssod ca > ca.pem` is a file openssl reads: the comment lines are skipped as in a CA bundle.
    const redirected = path.join(root, 'redirected.pem');
    writeFileSync(redirected, shown.stdout);
    assert.equal(await opensslFingerprint(redirected), printed);
    const served = path.join(root, 'served.pem');
    writeFileSync(served, await (await fetch(`http://127.0.0.1:${ts.relayPort}/ca.pem`)).text());
    assert.equal(await opensslFingerprint(served), printed);

    const json = JSON.parse((await runCli(['ca', '--data-dir', ts.dataDir, '--json'])).stdout) as {
      sha256Fingerprint: string;
      certificatePem: string;
      notAfter: string;
    };
    assert.equal(json.sha256Fingerprint, printed);
    assert.equal(json.certificatePem, ts.caPem);
    rmSync(redirected);
    rmSync(served);
  });

  test('--out writes the PEM alone, refuses to overwrite without --force; a wrong --data-dir is one line', async () => {
    const out = path.join(root, 'out.pem');
    const written = await runCli(['ca', '--data-dir', ts.dataDir, '--out', out]);
    assert.equal(written.code, 0, written.stderr);
    assert.equal(readFileSync(out, 'utf8'), ts.caPem);
    assert.equal(statSync(out).mode & 0o777, 0o644);
    assert.ok(written.stdout.includes(`# SHA-256 Fingerprint=${await opensslFingerprint(out)}`), written.stdout);
    const again = await runCli(['ca', '--data-dir', ts.dataDir, '--out', out]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /^ssod: .*out\.pem exists; choose another --out, or --force to overwrite it\n$/);
    assert.equal((await runCli(['ca', '--data-dir', ts.dataDir, '--out', out, '--force'])).code, 0);
    rmSync(out);
    const missing = await runCli(['ca', '--data-dir', path.join(root, 'nope')]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^ssod: no ssod store at .*nope.*\n$/);
  });

  test("the README's curl walk-through runs as written, its files in a scratch directory, none beside the installation", async () => {
    const tmp = path.join(root, 'tmp');
    mkdirSync(tmp);
    const script = readmeBlock('## Walk-through with curl')
      .replaceAll(/\bssod (?=ca )/g, `node ${JSON.stringify(CLI)} `)
      .replaceAll(':11443/', `:${ts.soapPort}/`)
      .replaceAll(':1180/', `:${ts.relayPort}/`);
    const { stdout } = await run('bash', ['-e', '-o', 'pipefail', '-c', `${script}\necho; echo "SCRATCH=$W"`], {
      cwd: root,
      env: { ...process.env, TMPDIR: tmp },
      timeout: 60_000,
    });
    assert.match(stdout, /SHA-256 Fingerprint=/);
    assert.match(stdout, /<sso:userId>[0-9a-f-]{36}<\/sso:userId>/, 'verifySession answers with the user');
    assert.match(stdout, /set-cookie: sid=/i);
    const scratch = /^SCRATCH=(.*)$/m.exec(stdout)?.[1] ?? '';
    assert.equal(path.dirname(scratch), tmp);
    assert.deepEqual(readdirSync(scratch).sort(), ['app.pem', 'auth.xml', 'ca.pem', 'jar', 'register.xml']);
    assert.deepEqual(readdirSync(root).sort(), ['data', 'tmp'], 'nothing lands where the server runs');
  });
});
