// `ssod status` and the total of `ssod sessions` through the real binary, on an installation with a
// running server: the counts are what the SOAP API did, and the server line reads its metrics.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { freshInstallation, type Installation } from '../../helpers/installation.js';
import { freePort } from '../../helpers/ports.js';
import { call, registerApp, type RegisteredApp, type TestServer } from '../../helpers/server.js';
import { ifAssigned } from '../../helpers/defined.js';

interface Status {
  version: string;
  store: { kind: string; path: string | null; ready: boolean; writable: boolean };
  sessions: { live: number };
  signIns: { lastMinute: number; failedLastMinute: number; atLeast: boolean };
  locks: { logins: number; sources: number };
  server: { metrics: string | null; reachable: boolean; version: string | null; uptimeSeconds: number | null; error?: string };
}

describe('ssod status and the total of ssod sessions', () => {
  let inst: Installation;
  let ts: TestServer;
  let app: RegisteredApp;
  let metricsPort = 0;
  before(async () => {
    inst = await freshInstallation();
    metricsPort = await freePort();
    ts = await inst.serve({ metricsPort, maxLoginFailures: 2, argon2MemoryKib: 8192, argon2Iterations: 1, logLevel: 'warn' });
    app = await registerApp(ts, 'https://status.example.com:443/', 'status');
    for (const login of ['ann', 'ben', 'cat']) {
      assert.equal((await call(ts, 'createUser', { login, password: 'pw' }, { credentials: app.credentials })).status, 200);
    }
    for (const login of ['ann', 'ben'])
      assert.equal((await call(ts, 'authenticate', { login, password: 'pw', baseUrl: app.url })).status, 200);
    // Two failures lock cat's login (maxLoginFailures 2).
    for (let i = 0; i < 2; i += 1)
      assert.equal((await call(ts, 'authenticate', { login: 'cat', password: 'wrong', baseUrl: app.url })).fault, 'invalidCredentials');
  });
  after(async () => {
    await ifAssigned(ts)?.close();
    await ifAssigned(inst)?.remove();
  });

  test('--json: live sessions, sign-ins and failures of the last minute, locks, the store, and the running server from its metrics', async () => {
    const result = await inst.run(['status', '--json', '--metrics-port', String(metricsPort)]);
    assert.equal(result.code, 0, result.stderr);
    const status = JSON.parse(result.stdout) as Status;
    assert.match(status.version, /^\d+\.\d+\.\d+/);
    assert.deepEqual(status.store, { kind: 'sqlite', path: `${inst.dataDir}/ssod.db`, ready: true, writable: true });
    assert.deepEqual(status.sessions, { live: 2 });
    assert.deepEqual(status.signIns, { lastMinute: 4, failedLastMinute: 2, atLeast: false });
    assert.deepEqual(status.locks, { logins: 1, sources: 0 });
    assert.equal(status.server.reachable, true, status.server.error);
    assert.equal(status.server.metrics, `http://127.0.0.1:${metricsPort}/metrics`);
    assert.equal(status.server.version, status.version);
    assert.ok(status.server.uptimeSeconds !== null && status.server.uptimeSeconds >= 0);
  });

  test('the metrics count the same sign-ins and the lock', async () => {
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    assert.match(text, /^ssod_signins_total\{result="success"\} 2$/m);
    assert.match(text, /^ssod_signins_total\{result="wrongPassword"\} 2$/m);
    assert.match(text, /^ssod_locks_total\{kind="login"\} 1$/m);
    // A refusal while locked is not in the audit trail (the lock counts it), but it is a failed sign-in.
    assert.equal((await call(ts, 'authenticate', { login: 'cat', password: 'pw', baseUrl: app.url })).fault, 'invalidCredentials');
    const after = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    assert.match(after, /^ssod_signins_total\{result="locked"\} 1$/m);
  });

  test('for a person: one line each; without the metrics port the server is not known, and says how to know it', async () => {
    const result = await inst.run(['status']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^live sessions: 2$/m);
    assert.match(result.stdout, /^sign-ins\/min: {2}4 \(2 failed\)$/m);
    assert.match(result.stdout, /^locks: {9}1 login\(s\), 0 source\(s\) locked now$/m);
    assert.match(result.stdout, /^store: {9}sqlite \S+ssod\.db, ready \(reads and writes\)$/m);
    assert.match(result.stdout, /^server: {8}not known \(give --metrics-port as `ssod serve` has it/m);
    const running = await inst.run(['status'], { env: { SSOD_METRICS_PORT: String(metricsPort) } });
    assert.match(running.stdout, /^server: {8}running \S+, up \d+m \d+s \(http:\/\/127\.0\.0\.1:\d+\/metrics\)$/m);
  });

  test('ssod sessions says the total, and how many a --limit left out', async () => {
    const all = await inst.run(['sessions']);
    assert.equal(all.code, 0, all.stderr);
    assert.match(all.stdout, /^2 live session\(s\)\.$/m);
    const one = await inst.run(['sessions', '--limit', '1']);
    assert.equal(one.code, 0, one.stderr);
    assert.equal(one.stdout.trim().split('\n').length, 3, 'the header, one session, the total');
    assert.match(one.stdout, /^1 of 2 live sessions shown, newest first; --limit N shows more \(at most 10000\)\.$/m);
    assert.equal(
      (JSON.parse((await inst.run(['sessions', '--json', '--limit', '1'])).stdout) as unknown[]).length,
      1,
      '--json keeps its array',
    );
  });

  test('a server that does not answer at the metrics port is said so, not an error', async () => {
    const unused = await freePort();
    const result = await inst.run(['status', '--json', '--metrics-port', String(unused)]);
    assert.equal(result.code, 0, result.stderr);
    const status = JSON.parse(result.stdout) as Status;
    assert.equal(status.server.reachable, false);
    assert.match(status.server.error ?? '', /ECONNREFUSED/);
  });
});
