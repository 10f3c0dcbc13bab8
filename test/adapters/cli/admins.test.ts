// `ssod admins` through the real binary on an installation's store (docs/admin-console.md
// "Administrators"): add (password on standard input; the secret, URI and recovery codes printed
// once), list as a table and as JSON, reset, remove, each audited with the actor operator, and the
// refusals in the project's style.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { runCli } from '../../helpers/cli.js';
import { ADMIN_PASSWORD, FAST_HASHING } from '../../helpers/adminConsole.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';

describe('ssod admins', () => {
  let ts: TestServer;
  const admins = (args: readonly string[], input?: string) =>
    runCli(['admins', ...args, '--data-dir', ts.dataDir], input === undefined ? {} : { input });

  before(async () => {
    ts = await startTestServer({ ...FAST_HASHING, logLevel: 'warn' });
  });
  after(() => ts.close());

  test('add prints the TOTP secret, the otpauth URI and 10 recovery codes once; list shows the administrator', async () => {
    const added = await admins(['add', 'alice', '--password-stdin'], `${ADMIN_PASSWORD}\n`);
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stdout, /^TOTP secret:\s+[A-Z2-7]{32}$/m);
    assert.match(
      added.stdout,
      /^otpauth URI:\s+otpauth:\/\/totp\/ssod:alice\?issuer=ssod&secret=[A-Z2-7]{32}&algorithm=SHA1&digits=6&period=30$/m,
    );
    assert.equal([...added.stdout.matchAll(/^ {2}[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}$/gm)].length, 10);

    const listed = await admins(['list']);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /^NAME\s+ADDED\s+LAST SIGN-IN\s+RECOVERY CODES LEFT$/m);
    assert.match(listed.stdout, /^alice\s+\S+Z\s+-\s+10$/m);
    const json = JSON.parse((await admins(['--json'])).stdout) as { name: string; recoveryCodesLeft: number }[];
    assert.deepEqual(
      json.map((row) => [row.name, row.recoveryCodesLeft]),
      [['alice', 10]],
    );
    assert.doesNotMatch(JSON.stringify(json), /secret|Hash|Sealed/, 'the list shows no secret, hash or sealed value');
  });

  test('refusals: a taken name, a short password, a bad name, an unknown administrator, nothing to reset', async () => {
    const taken = await admins(['add', 'alice', '--password-stdin'], `${ADMIN_PASSWORD}\n`);
    assert.equal(taken.code, 1);
    assert.match(taken.stderr, /^ssod: there is already an administrator named alice; choose another name, or reset it/m);
    const short = await admins(['add', 'bob', '--password-stdin'], 'short\n');
    assert.equal(short.code, 1);
    assert.match(short.stderr, /^ssod: an administrator's password has at least 12 characters; choose another/m);
    const badName = await admins(['add', 'Bad Name', '--password-stdin'], `${ADMIN_PASSWORD}\n`);
    assert.equal(badName.code, 1);
    assert.match(badName.stderr, /^ssod: "Bad Name" is not an administrator name; use 1 to 64 lower-case letters/m);
    const unknown = await admins(['remove', 'nobody']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /^ssod: no administrator named nobody; `ssod admins list` shows who there is/m);
    const nothing = await admins(['reset', 'alice']);
    assert.equal(nothing.code, 1);
    assert.match(nothing.stderr, /^ssod: nothing to reset; give --password \(or --password-stdin\), --totp, or both/m);
  });

  test('reset --totp prints a new secret and codes; reset --password-stdin replaces the password; remove; each audited as operator', async () => {
    const totp = await admins(['reset', 'alice', '--totp']);
    assert.equal(totp.code, 0, totp.stderr);
    assert.match(totp.stdout, /^Reset administrator alice: new TOTP secret and recovery codes; 0 console session\(s\) ended\.$/m);
    assert.match(totp.stdout, /^TOTP secret:\s+[A-Z2-7]{32}$/m);
    const password = await admins(['reset', 'alice', '--password-stdin'], 'another long password\n');
    assert.equal(password.code, 0, password.stderr);
    assert.match(password.stdout, /^Reset administrator alice: new password; 0 console session\(s\) ended\.$/m);
    assert.doesNotMatch(password.stdout, /TOTP secret/);
    const removed = await admins(['remove', 'alice']);
    assert.equal(removed.code, 0, removed.stderr);
    assert.match(removed.stdout, /^Removed administrator alice; 0 console session\(s\) ended\.$/m);

    const trail = await ts.server.services.store.queryAudit({ limit: 10, target: 'admin:alice' });
    assert.deepEqual(
      trail.map((record) => [record.type, record.actor, record.detail.replaced ?? null]),
      [
        ['admin.removed', 'operator', null],
        ['admin.reset', 'operator', 'password'],
        ['admin.reset', 'operator', 'totp'],
        ['admin.added', 'operator', null],
      ],
    );
    assert.equal((await admins(['list'])).stdout, 'No administrators; add one with `ssod admins add NAME`.\n');
  });
});
