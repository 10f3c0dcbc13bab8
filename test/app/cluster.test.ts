// `ssod serve --workers 2` (src/app/cluster.ts): two real processes answer on the same ports,
// a certificate rotated away through one worker is refused by the other on the next request,
// and SIGTERM drains both and exits 0.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../bench/processes.js';
import { call, registerApp, splitPem, type TestServer } from '../helpers/server.js';
import { eventually } from '../helpers/eventually.js';

const CLI = fileURLToPath(new URL('../../src/app/main.js', import.meta.url));
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ssod-cluster-'));
let child: ChildProcess | null = null;
after(() => {
  child?.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

async function ready(relayPort: number, timeoutMs: number): Promise<void> {
  await eventually(
    () =>
      fetch(`http://127.0.0.1:${relayPort}/healthz`).then(
        (r) => r.ok,
        () => false,
      ),
    { timeoutMs, what: 'ssod --workers 2 ready' },
  );
}

test('--workers 2: both workers serve, rotation holds across them, SIGTERM drains and exits 0', async () => {
  const [soapPort, relayPort] = [await freePort(), await freePort()];
  child = spawn(
    process.execPath,
    [CLI, 'serve', '--data-dir', dataDir, '--soap-port', String(soapPort), '--relay-port', String(relayPort), '--workers', '2'],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let log = '';
  child.stdout?.on('data', (chunk: Buffer) => (log += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child?.once('exit', (code) => resolve(code)));
  await ready(relayPort, 20_000);
  // Both workers up: each writes its own start line.
  await eventually(() => (log.match(/"msg":"ssod started"/g) ?? []).length >= 2, { timeoutMs: 20_000, what: 'both workers started' });

  const ts = { soapPort, caPem: readFileSync(path.join(dataDir, 'ca.crt'), 'utf8') } as TestServer;
  const app = await registerApp(ts);
  for (let i = 0; i < 6; i += 1) assert.equal((await call(ts, 'getSettings', {}, { credentials: app.credentials })).status, 200);
  // Every request opens a new connection; the primary hands connections to the workers in turn.
  const servers = new Set([...log.matchAll(/"requestId":"([0-9a-z]+)-/g)].map((m) => m[1]));
  assert.ok(servers.size >= 2, `requests were answered by ${servers.size} process(es)`);

  // protocol §4.2 across processes: the first use of the new certificate retires the old one everywhere.
  const rotated = await call(ts, 'updateApplication', { applicationId: app.id, certificate: '' }, { credentials: app.credentials });
  const fresh = splitPem(rotated.field('certificate') ?? '');
  assert.equal((await call(ts, 'getSettings', {}, { credentials: fresh })).status, 200);
  for (let i = 0; i < 4; i += 1) {
    assert.equal((await call(ts, 'listUsers', {}, { credentials: app.credentials })).fault, 'FailedAuthentication');
  }

  child.kill('SIGTERM');
  assert.equal(await exited, 0);
  assert.match(log, /"msg":"ssod stopped"/);
  child = null;
});

test('--workers 2 on a port that is taken: the workers fail at start and the primary exits 1, not 0', async () => {
  const taken = net.createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  after(() => taken.close());
  const busyPort = (taken.address() as net.AddressInfo).port;
  const failing = spawn(
    process.execPath,
    [CLI, 'serve', '--data-dir', dataDir, '--soap-port', String(busyPort), '--relay-port', String(await freePort()), '--workers', '2'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let log = '';
  failing.stdout.on('data', (chunk: Buffer) => (log += chunk.toString('utf8')));
  const code = await new Promise<number | null>((resolve) => failing.once('exit', (exitCode) => resolve(exitCode)));
  assert.equal(code, 1, log);
  assert.match(log, /worker failed soon after start; stopping/);
});
