// `ssod applications`, `ssod export` and `ssod import` through the real binary against real
// stores: certificates re-issued to owner-only files, and an installation moved to another CA.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freshInstallation, type Installation } from '../../helpers/installation.js';
import { call, registerApp, splitPem, type RegisteredApp, type TestServer } from '../../helpers/server.js';
import { defined } from '../../helpers/defined.js';

interface ShownApplication {
  readonly id: string;
  readonly name: string;
  readonly users: number;
  readonly certificates: readonly { fingerprint: string; serial: string; state: string; notAfter: string }[];
}

const modeOf = (file: string): number => statSync(file).mode & 0o777;

describe('ssod applications, export and import', () => {
  let inst: Installation;
  let ts: TestServer;
  let panel: RegisteredApp;
  before(async () => {
    inst = await freshInstallation();
    ts = await inst.serve();
    panel = await registerApp(ts, 'https://panel.example.com:8443/', 'panel');
  });
  after(async () => {
    await ts.close();
    await inst.remove();
  });

  const show = async (id: string): Promise<ShownApplication> =>
    JSON.parse((await inst.run(['applications', 'show', id, '--json'])).stdout) as ShownApplication;

  test('list and show, with certificate fingerprints, serials, states and expiry', async () => {
    assert.equal((await call(ts, 'listUsers', {}, { credentials: panel.credentials })).fault, undefined);
    const listed = await inst.run(['applications']);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /^ID\s+NAME\s+URL\s+GROUP\s+USERS\s+CERTIFICATE EXPIRES$/m);
    assert.match(listed.stdout, new RegExp(`^${panel.id}\\s+panel\\s+https://panel\\.example\\.com:8443/\\s+-\\s+0\\s+\\d{4}-`, 'm'));
    const shown = await show(panel.id);
    const fingerprint = createHash('sha256')
      .update(new (await import('node:crypto')).X509Certificate(panel.credentials.cert).raw)
      .digest('hex');
    assert.equal(shown.certificates.length, 1);
    const certificate = defined(shown.certificates[0], 'the certificate');
    assert.equal(certificate.fingerprint, fingerprint);
    assert.equal(certificate.state, 'in use');
    assert.match(certificate.serial, /^[0-9a-f]{32}$/);
    const table = await inst.run(['applications', 'show', panel.id]);
    assert.match(table.stdout, /^FINGERPRINT \(SHA-256\)\s+SERIAL\s+STATE\s+ISSUED\s+EXPIRES$/m);
    const unknown = await inst.run(['applications', 'show', 'nope']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /^ssod: no application with id "nope"; `ssod applications list` shows the ids\n$/);
  });

  test('reissue-cert writes an owner-only key+certificate file, refuses to overwrite it without --force; the new certificate takes over at first use', async () => {
    const file = path.join(inst.dataDir, 'panel.pem');
    const issued = await inst.run(['applications', 'reissue-cert', panel.id, '--out', file, '--json']);
    assert.equal(issued.code, 0, issued.stderr);
    assert.equal(modeOf(file), 0o600);
    const first = readFileSync(file, 'utf8');
    assert.match(first, /^-----BEGIN PRIVATE KEY-----[\s\S]+-----END CERTIFICATE-----\n$/);
    const result = JSON.parse(issued.stdout) as { fingerprint: string };
    assert.equal((await show(panel.id)).certificates.find((c) => c.fingerprint === result.fingerprint)?.state, 'pending');
    // The current certificate keeps working until the new one is used (protocol §4.2).
    assert.equal((await call(ts, 'listUsers', {}, { credentials: panel.credentials })).fault, undefined);

    const refused = await inst.run(['applications', 'reissue-cert', panel.id, '--out', file]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /panel\.pem exists; choose another --out, or --force to overwrite it/);
    assert.equal(readFileSync(file, 'utf8'), first);
    assert.equal((await show(panel.id)).certificates.length, 2, 'a refusal issues nothing');

    chmodSync(file, 0o644);
    const forced = await inst.run(['applications', 'reissue-cert', panel.id, '--out', file, '--force']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(modeOf(file), 0o600);
    assert.match(forced.stdout, /^fingerprint:\s+[0-9a-f]{64}$/m);
    const newest = splitPem(readFileSync(file, 'utf8'));
    assert.equal((await call(ts, 'listUsers', {}, { credentials: newest })).fault, undefined);
    assert.equal((await call(ts, 'listUsers', {}, { credentials: panel.credentials })).fault, 'FailedAuthentication');
    assert.deepEqual(
      (await show(panel.id)).certificates.map((c) => c.state),
      ['retired', 'retired', 'in use'],
    );
    panel = { ...panel, credentials: newest };
  });

  test('export writes applications and users with password hashes (never a plaintext); import moves them to an installation with another CA', async () => {
    await call(ts, 'createUser', { login: 'alice@example.com', password: 'alice secret' }, { credentials: panel.credentials });
    const sha1 = createHash('sha1').update('bob secret').digest('hex');
    await call(
      ts,
      'createUser',
      { login: 'bob@example.com', password: sha1, passwordHashType: 'sha1' },
      { credentials: panel.credentials },
    );
    assert.equal((await inst.run(['users', 'disable', 'bob@example.com'])).code, 0);

    const file = path.join(inst.dataDir, 'export.json');
    const exported = await inst.run(['export', '--out', file]);
    assert.equal(exported.code, 0, exported.stderr);
    assert.match(exported.stdout, /Exported 1 application\(s\) and 2 user\(s\)/);
    assert.equal(modeOf(file), 0o600);
    const text = readFileSync(file, 'utf8');
    assert.doesNotMatch(text, /alice secret|bob secret/);
    assert.doesNotMatch(text, new RegExp(sha1));
    const data = JSON.parse(text) as { users: { login: string; passwordHash: string }[] };
    assert.deepEqual(
      data.users.map((u) => u.passwordHash.replace(/\$argon2id\$.*/, '$argon2id$…')),
      ['$argon2id$…', 'sha1:$argon2id$…'],
    );
    const toStdout = JSON.parse((await inst.run(['export'])).stdout) as { exportedAt: number };
    assert.deepEqual({ ...toStdout, exportedAt: 0 }, { ...(data as unknown as { exportedAt: number }), exportedAt: 0 });

    const target = await freshInstallation();
    const other = await target.serve();
    try {
      const imported = await target.run(['import', file]);
      assert.equal(imported.code, 0, imported.stderr);
      assert.match(imported.stdout, /Imported 1 application\(s\) and 2 user\(s\)\./);
      const signIn = (login: string, password: string) => call(other, 'authenticate', { login, password });
      assert.equal((await signIn('alice@example.com', 'alice secret')).fault, undefined);
      assert.equal((await signIn('bob@example.com', 'bob secret')).fault, 'invalidCredentials', 'bob stays disabled');
      assert.equal((await target.run(['users', 'enable', 'bob@example.com'])).code, 0);
      assert.equal((await signIn('bob@example.com', 'bob secret')).fault, undefined, 'the legacy-wrapped hash moved with the user');

      // The certificate chains to the first installation's CA: refused here until re-issued.
      assert.equal((await call(other, 'listUsers', {}, { credentials: panel.credentials })).fault, 'FailedAuthentication');
      const pem = path.join(target.dataDir, 'panel.pem');
      assert.equal((await target.run(['applications', 'reissue-cert', panel.id, '--out', pem])).code, 0);
      const listed = await call(other, 'listUsers', {}, { credentials: splitPem(readFileSync(pem, 'utf8')) });
      assert.equal(listed.all('a').length, 2, 'the application owns its users there too');

      const again = await target.run(['import', file]);
      assert.equal(again.code, 1);
      assert.match(again.stderr, /^ssod: the installation has application .* already: leave such records out with --skip-existing/);
      const skipped = JSON.parse((await target.run(['import', file, '--skip-existing', '--json'])).stdout) as {
        applicationsAdded: number;
        usersSkipped: string[];
      };
      assert.equal(skipped.applicationsAdded, 0);
      assert.equal(skipped.usersSkipped.length, 2);

      const bad = path.join(target.dataDir, 'bad.json');
      writeFileSync(bad, text.replace(/"passwordHash": "[^"]+"/, '"passwordHash": "hunter2"'));
      const refused = await target.run(['import', bad]);
      assert.equal(refused.code, 1);
      assert.match(
        refused.stderr,
        /^ssod: users\[0\]\.passwordHash \(user "alice@example\.com"\): must be an argon2id hash as ssod stores it \(never a plaintext\): /,
      );
      writeFileSync(bad, '{"format":');
      assert.match((await target.run(['import', bad])).stderr, /bad\.json is not JSON/);
    } finally {
      await other.close();
      await target.remove();
    }
  });

  test('import refuses a password hash outside the argon2id bounds (a denial of service at the next sign-in, or a weak hash), naming the user and the bound, and writes nothing', async () => {
    const text = (await inst.run(['export'])).stdout; // alice and bob, from the test before
    const target = await freshInstallation();
    try {
      const file = path.join(target.dataDir, 'import.json');
      const outOfBounds: readonly (readonly [(hash: string) => string, RegExp])[] = [
        [
          (h) => h.replace(/m=\d+/, 'm=4294967295'),
          /argon2id memory m is 4294967295 KiB, outside the bounds ssod accepts \(8192 to 4194304 KiB\)$/,
        ],
        [(h) => h.replace(/m=\d+/, 'm=1024'), /argon2id memory m is 1024 KiB, outside the bounds ssod accepts \(8192 to 4194304 KiB\)$/],
        [(h) => h.replace(/t=\d+/, 't=100000'), /argon2id iterations t is 100000, outside the bounds ssod accepts \(1 to 100\)$/],
        [(h) => h.replace(/p=\d+/, 'p=255'), /argon2id parallelism p is 255, outside the bounds ssod accepts \(1 to 8\)$/],
        [(h) => h.replace(/p=\d+/, 'p=0'), /argon2id parallelism p is 0, outside the bounds ssod accepts \(1 to 8\)$/],
        [(h) => h.replace(/p=(\d+)\$[^$]+\$/, 'p=$1$c2FsdA$'), /the salt is 4 bytes, outside the bounds ssod accepts \(8 to 64 bytes\)$/],
        [(h) => h.replace(/\$[^$]+$/, '$aGFzaA'), /the hash output is 4 bytes, outside the bounds ssod accepts \(16 to 64 bytes\)$/],
        [(h) => h.replace(/\$[^$]+$/, '$aGFzaGFzaGFzaGFzaGFzaGFza'), /the hash output is not valid unpadded base64$/],
        [(h) => h.replace(/v=19/, 'v=16'), /must be an argon2id hash as ssod stores it/],
      ];
      for (const [mutate, expected] of outOfBounds) {
        writeFileSync(
          file,
          text.replace(/"passwordHash": "([^"]+)"/, (_, hash: string) => `"passwordHash": ${JSON.stringify(mutate(hash))}`),
        );
        const refused = await target.run(['import', file]);
        assert.equal(refused.code, 1, refused.stdout);
        assert.match(refused.stderr.trim(), /^ssod: users\[0\]\.passwordHash \(user "alice@example\.com"\): /);
        assert.match(refused.stderr.trim(), expected);
      }
      assert.deepEqual(JSON.parse((await target.run(['applications', '--json'])).stdout), [], 'nothing was written');
      writeFileSync(file, text);
      assert.equal((await target.run(['import', file])).code, 0, 'the hashes as exported are within the bounds');
    } finally {
      await target.remove();
    }
  });

  test('unregister refuses while the application owns users unless --force; then the application is gone', async () => {
    const owning = await inst.run(['applications', 'unregister', panel.id]);
    assert.equal(owning.code, 1);
    assert.match(owning.stderr, /owns 2 user\(s\); unregistering deletes them and their sessions: --force to go ahead/);
    const forced = await inst.run(['applications', 'unregister', panel.id, '--force', '--json']);
    assert.deepEqual(JSON.parse(forced.stdout), { unregistered: panel.id, usersDeleted: 2 });
    assert.equal((await call(ts, 'getApplication', { applicationId: panel.id })).fault, 'noSuchApplication');
    assert.match((await inst.run(['applications'])).stdout, /^\(none\)$/m);
  });
});
