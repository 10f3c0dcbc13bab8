// Every operator command against a PostgreSQL installation, through the real binary, beside a
// running PostgreSQL node: what a command changes is what the node then answers. (The SQLite
// installation runs the same commands in depth in the other files of this folder.)
import assert from 'node:assert/strict';
import type { X509Certificate } from 'node:crypto';
import { statSync, readFileSync } from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import { after, before, test } from 'node:test';
import { SETTINGS_REFRESH_MS } from '../../../src/core/liveSettings.js';
import { runCli } from '../../helpers/cli.js';
import { freshInstallation, type Installation } from '../../helpers/installation.js';
import { freePort } from '../../helpers/ports.js';
import { postgresSuite } from '../../helpers/postgres.js';
import { call, registerApp, splitPem, type RegisteredApp, type TestServer } from '../../helpers/server.js';
import { eventually } from '../../helpers/eventually.js';
import { ifAssigned } from '../../helpers/defined.js';

async function followed(check: () => Promise<boolean>, what: string): Promise<void> {
  await eventually(check, { timeoutMs: 3 * SETTINGS_REFRESH_MS, intervalMs: 100, what });
}

function serverCertificateOf(port: number, ca: string): Promise<X509Certificate> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ca, servername: 'localhost' }, () => {
      const certificate = socket.getPeerX509Certificate();
      socket.end();
      if (certificate === undefined) reject(new Error('no server certificate'));
      else resolve(certificate);
    });
    socket.once('error', reject);
  });
}

postgresSuite('operator commands on a PostgreSQL installation', () => {
  let inst: Installation;
  let ts: TestServer;
  let panel: RegisteredApp;
  let billing: RegisteredApp;
  let metricsPort = 0;
  before(async () => {
    inst = await freshInstallation({ engine: 'postgres' });
    metricsPort = await freePort();
    ts = await inst.serve({ metricsPort });
    panel = await registerApp(ts, 'https://panel.example.com:8443/', 'panel');
    billing = await registerApp(ts, 'https://billing.example.com:443/', 'billing');
  });
  after(async () => {
    await ifAssigned(ts)?.close();
    await ifAssigned(inst)?.remove();
  });

  const ok = async (args: readonly string[], input?: string): Promise<string> => {
    const result = await inst.run(args, input === undefined ? {} : { input });
    assert.equal(result.code, 0, `ssod ${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  };

  test('ca: the certificate the node serves, from the store, without the master key (it is public)', async () => {
    const shown = await runCli(['ca', '--store', inst.flags[inst.flags.indexOf('--store') + 1] ?? '', '--json']);
    assert.equal(shown.code, 0, shown.stderr);
    assert.equal((JSON.parse(shown.stdout) as { certificatePem: string }).certificatePem, ts.caPem);
  });

  test('settings: set on the store reaches the running node', async () => {
    await ok(['settings', 'set', 'sessionTimeout', '900']);
    await followed(async () => (await call(ts, 'getSettings')).field('usersSessionsTimeout') === '900', 'the new timeout');
    assert.equal((JSON.parse(await ok(['settings', '--json'])) as { sessionTimeout: number }).sessionTimeout, 900);
  });

  test('users and sessions: create, show, list, disable ends sessions, enable, set-owner, end, delete', async () => {
    const created = JSON.parse(
      await ok(['users', 'create', 'alice@example.com', '--owner', panel.id, '--password-stdin', '--json'], 'alice password\n'),
    ) as { id: string };
    const signIn = () => call(ts, 'authenticate', { login: 'alice@example.com', password: 'alice password', baseUrl: panel.url });
    const session = await signIn();
    assert.equal(session.fault, undefined);
    assert.match(await ok(['users', 'list', '--login', 'alice']), /alice@example\.com/);
    assert.equal((JSON.parse(await ok(['users', 'show', 'alice@example.com', '--json'])) as { id: string }).id, created.id);
    const sessions = JSON.parse(await ok(['sessions', 'list', '--user', 'alice@example.com', '--json'])) as unknown[];
    assert.equal(sessions.length, 1);

    await ok(['users', 'disable', 'alice@example.com']);
    assert.equal((await call(ts, 'verifySession', { sessionId: session.field('sessionId') ?? '' })).fault, 'noSuchSession');
    assert.equal((await signIn()).fault, 'invalidCredentials');
    await ok(['users', 'enable', 'alice@example.com']);
    const again = await signIn();
    assert.equal(again.fault, undefined);

    await ok(['users', 'set-password', 'alice@example.com', '--password-stdin'], 'new password\n');
    assert.equal((await call(ts, 'authenticate', { login: 'alice@example.com', password: 'new password' })).fault, undefined);
    await ok(['users', 'set-owner', 'alice@example.com', billing.id]);
    assert.equal(
      (await call(ts, 'getUser', { userId: created.id }, { credentials: panel.credentials })).field('applicationId'),
      billing.id,
    );

    await ok(['sessions', 'end', '--user', 'alice@example.com']);
    assert.equal((await call(ts, 'verifySession', { sessionId: again.field('sessionId') ?? '' })).fault, 'noSuchSession');
    await ok(['users', 'delete', 'alice@example.com']);
    assert.equal((await call(ts, 'getUser', { userId: created.id }, { credentials: panel.credentials })).fault, 'noSuchUser');
  });

  test('status: the PostgreSQL store takes writes; the metrics show its pool', async () => {
    const status = JSON.parse(await ok(['status', '--json', '--metrics-port', String(metricsPort)])) as {
      store: unknown;
      server: { reachable: boolean };
    };
    assert.deepEqual(status.store, { kind: 'postgres', path: null, ready: true, writable: true });
    assert.equal(status.server.reachable, true);
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    assert.match(metrics, /^ssod_info\{version="[^"]+",store="postgres"\} 1$/m);
    const total = Number(/^ssod_store_pool_connections\{state="total"\} (\d+)$/m.exec(metrics)?.[1]);
    assert.ok(total >= 1 && total <= 10, `pool connections: ${total}`);
    assert.match(metrics, /^ssod_store_pool_connections\{state="waiting"\} \d+$/m);
  });

  test('applications: list, show, reissue-cert from the CA in the store (master key), unregister', async () => {
    assert.match(await ok(['applications']), /panel/);
    const shown = JSON.parse(await ok(['applications', 'show', panel.id, '--json'])) as { certificates: unknown[] };
    assert.equal(shown.certificates.length, 1);
    const file = path.join(inst.dataDir, 'panel.pem');
    await ok(['applications', 'reissue-cert', panel.id, '--out', file]);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const reissued = splitPem(readFileSync(file, 'utf8'));
    assert.equal(
      (await call(ts, 'listUsers', {}, { credentials: reissued })).fault,
      undefined,
      'the node trusts the certificate the command issued',
    );
    assert.equal(
      (await call(ts, 'listUsers', {}, { credentials: panel.credentials })).fault,
      'FailedAuthentication',
      'protocol §4.2: the old one is retired',
    );

    const flagsWithoutKey = inst.flags.filter((flag, i, all) => flag !== '--master-key-file' && all[i - 1] !== '--master-key-file');
    const withoutKey = await runCli(['applications', 'reissue-cert', panel.id, '--out', `${file}.2`, ...flagsWithoutKey]);
    assert.notEqual(withoutKey.code, 0);
    assert.match(withoutKey.stderr, /master key/);

    await ok(['applications', 'unregister', billing.id, '--force']);
    assert.equal((await call(ts, 'listUsers', {}, { credentials: billing.credentials })).fault, 'FailedAuthentication');
  });

  test('hostname and mode: the node serves the certificate the command stored, and reports the new relay URL', async () => {
    await ok(['hostname', 'sso.example.com']);
    await followed(
      async () => (await call(ts, 'getSettings')).field('relayEndpointUrl') === `http://sso.example.com:${ts.relayPort}/relay`,
      'the new relay URL',
    );
    await followed(
      async () => (await serverCertificateOf(ts.soapPort, ts.caPem)).checkHost('sso.example.com') !== undefined,
      'the new server certificate',
    );
    assert.match(await ok(['mode', 'multiple-panels', '--skip-dns-check']), /multiple-panels/);
    assert.match(await ok(['mode']), /multiple-panels/);
    await ok(['integration', '--command=switch-sso-mode', '--sso-mode=single-panel', '--force']);
    assert.match(await ok(['mode']), /single-panel/);
  });

  test('export and import go through the Store contract; backup and restore refuse with the pg_dump advice', async () => {
    const exported = JSON.parse(await ok(['export'])) as { applications: unknown[]; users: unknown[] };
    assert.ok(exported.applications.length >= 1);
    const other = await freshInstallation({ engine: 'postgres' });
    try {
      const file = path.join(other.dataDir, 'export.json');
      (await import('node:fs')).writeFileSync(file, JSON.stringify(exported));
      const imported = await other.run(['import', file]);
      assert.equal(imported.code, 0, imported.stderr);
      assert.match((await other.run(['applications'])).stdout, /panel/);
    } finally {
      await other.remove();
    }
    for (const args of [
      ['backup', path.join(inst.dataDir, 'backup')],
      ['restore', path.join(inst.dataDir, 'backup')],
    ]) {
      const refused = await inst.run(args);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /in PostgreSQL, and ssod backup and restore are for the embedded SQLite store; back it up with pg_dump/);
    }
  });
});
