// The Prometheus endpoint of a real `ssod serve` (README "Monitoring"): off unless --metrics-port is
// given, on its own listener; the counts follow the requests made; with --workers the primary
// serves the workers' sum.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort } from '../helpers/ports.js';
import { startServe, type ServeProcess } from '../helpers/process.js';
import { call, registerApp, relayGet, startTestServer } from '../helpers/server.js';
import { runCli } from '../helpers/cli.js';
import { ifAssigned } from '../helpers/defined.js';
import { eventually } from '../helpers/eventually.js';

const FAST_ARGON2 = ['--argon2-memory-kib', '8192', '--argon2-iterations', '1'];

/** The value of one sample, by its name and exact label text (`{operation="getSettings",outcome="ok"}`), or undefined. */
function sampleOf(text: string, name: string, labels = ''): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

async function scrape(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return res.text();
}

/** `ssod serve ARGS --metrics-port P` for the tests of one describe: started before them, stopped (exit 0) after. */
function serveWithMetrics(args: readonly string[]): {
  readonly serve: ServeProcess;
  readonly metricsPort: number;
  readonly dataDir: string;
} {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ssod-metrics-'));
  const running = { serve: undefined as unknown as ServeProcess, metricsPort: 0, dataDir: path.join(dataDir, 'data') };
  before(async () => {
    running.metricsPort = await freePort();
    running.serve = await startServe(running.dataDir, [...FAST_ARGON2, ...args, '--metrics-port', String(running.metricsPort)]);
  });
  after(async () => {
    const serve = ifAssigned(running.serve);
    if (serve !== undefined && serve.child.exitCode === null) {
      serve.child.kill('SIGTERM');
      assert.equal(await serve.exited, 0);
    }
    rmSync(dataDir, { recursive: true, force: true });
  });
  return running;
}

describe('the metrics endpoint of ssod serve', () => {
  const running = serveWithMetrics([]);

  test('counts SOAP requests by operation and outcome, sign-ins by result, relay commands, with their latency', async () => {
    const app = await registerApp(running.serve, 'https://metrics.example.com:443/', 'metrics');
    assert.equal(
      (await call(running.serve, 'createUser', { login: 'mia', password: 'right' }, { credentials: app.credentials })).status,
      200,
    );
    assert.equal((await call(running.serve, 'authenticate', { login: 'mia', password: 'right', baseUrl: app.url })).status, 200);
    assert.equal(
      (await call(running.serve, 'authenticate', { login: 'mia', password: 'wrong', baseUrl: app.url })).fault,
      'invalidCredentials',
    );
    assert.equal((await call(running.serve, 'getSettings')).status, 200);
    assert.equal((await relayGet(running.serve, `url=${encodeURIComponent(app.url)}`)).status, 302);

    const text = await scrape(running.metricsPort);
    assert.equal(sampleOf(text, 'ssod_soap_requests_total', '{operation="authenticate",outcome="ok"}'), 1);
    assert.equal(sampleOf(text, 'ssod_soap_requests_total', '{operation="authenticate",outcome="invalidCredentials"}'), 1);
    assert.equal(sampleOf(text, 'ssod_soap_requests_total', '{operation="getSettings",outcome="ok"}'), 1);
    assert.equal(sampleOf(text, 'ssod_soap_request_duration_seconds_count', '{operation="authenticate"}'), 2);
    assert.equal(sampleOf(text, 'ssod_signins_total', '{result="success"}'), 1);
    assert.equal(sampleOf(text, 'ssod_signins_total', '{result="wrongPassword"}'), 1);
    assert.equal(sampleOf(text, 'ssod_relay_requests_total', '{command="getSession",outcome="none"}'), 1);
    assert.equal(sampleOf(text, 'ssod_relay_request_duration_seconds_count'), 1);
    assert.equal(sampleOf(text, 'ssod_sessions_live'), 1, 'the session of the successful sign-in');
    assert.equal(sampleOf(text, 'ssod_hashing_queue_depth'), 0);
    assert.ok((sampleOf(text, 'ssod_hashing_jobs_total', '{result="started"}') ?? 0) >= 3, 'createUser hashed, each authenticate verified');
    assert.ok(
      (sampleOf(text, 'ssod_store_operation_duration_seconds_count', '{method="createSession"}') ?? 0) >= 1,
      'store calls are timed',
    );
    assert.match(text, /^ssod_info\{version="[^"]+",store="sqlite"\} 1$/m);
    assert.ok((sampleOf(text, 'ssod_start_time_seconds') ?? 0) <= Date.now() / 1000);
    assert.ok((sampleOf(text, 'process_resident_memory_bytes') ?? 0) > 0, 'the process metrics of prom-client');
    assert.equal(sampleOf(text, 'ssod_store_pool_connections', '{state="total"}'), undefined, 'SQLite has no pool');
  });

  test("each delegated source's circuit is a gauge, 1 for the state it is in", async () => {
    const added = await runCli([
      'sources',
      'add',
      'corp',
      '--web-service',
      'https://auth.example.com/LJAuthenticate',
      '--data-dir',
      running.dataDir,
    ]);
    assert.equal(added.code, 0, added.stderr);
    const text = await eventually(
      async () => {
        const scraped = await scrape(running.metricsPort);
        return scraped.includes('source="corp"') && scraped;
      },
      { timeoutMs: 10_000, what: 'the source in /metrics' },
    );
    assert.equal(sampleOf(text, 'ssod_delegated_source_circuit', '{source="corp",state="closed"}'), 1);
    assert.equal(sampleOf(text, 'ssod_delegated_source_circuit', '{source="corp",state="open"}'), 0);
  });

  test("every ssod_ metric family the endpoint serves is in the README's table of metrics, and the table names no other", async () => {
    const text = await scrape(running.metricsPort);
    const served = new Set([...text.matchAll(/^# TYPE (ssod_\w+) /gm)].map((match) => match[1] ?? ''));
    const readme = readFileSync(fileURLToPath(new URL('../../../README.md', import.meta.url)), 'utf8');
    const monitoring = readme.slice(readme.indexOf('\n## Monitoring'), readme.indexOf('\n## Troubleshooting'));
    const documented = new Set([...monitoring.matchAll(/^\| `(ssod_\w+)` \|/gm)].map((match) => match[1] ?? ''));
    assert.ok(served.size >= 10, `only ${served.size} families served`);
    assert.deepEqual(
      [...served].filter((name) => !documented.has(name)),
      [],
      'served but not in README "Monitoring"',
    );
    assert.deepEqual(
      [...documented].filter((name) => !served.has(name)),
      [],
      'in README "Monitoring" but not served',
    );
  });

  test('the metrics listener serves only /metrics, on 127.0.0.1 by default, and the public listeners do not serve it', async () => {
    assert.match(
      running.serve.output(),
      new RegExp(`"msg":"metrics listening","url":"http://127\\.0\\.0\\.1:${running.metricsPort}/metrics"`),
    );
    assert.equal((await fetch(`http://127.0.0.1:${running.metricsPort}/`)).status, 404);
    assert.equal((await fetch(`http://127.0.0.1:${running.serve.relayPort}/metrics`)).status, 404);
  });

  test('without --metrics-port no metrics listener is opened', async () => {
    const ts = await startTestServer({ argon2MemoryKib: 8192, argon2Iterations: 1 });
    try {
      assert.equal(ts.server.metricsPort, null);
      assert.ok(!ts.logRecords().some((line) => line.msg === 'metrics listening'));
    } finally {
      await ts.close();
    }
  });
});

describe('ssod serve --metrics-bind', () => {
  // Any 127.0.0.0/8 address is this machine's loopback on Linux: one the operator chose, not the default.
  const running = serveWithMetrics(['--metrics-bind', '127.0.0.2']);

  test('the metrics listener binds the address the operator chose, and only that one; the log says where', async () => {
    const res = await fetch(`http://127.0.0.2:${running.metricsPort}/metrics`);
    assert.equal(res.status, 200);
    assert.match(await res.text(), /^ssod_info\{/m);
    await assert.rejects(fetch(`http://127.0.0.1:${running.metricsPort}/metrics`), 'not on the default address');
    assert.match(
      running.serve.output(),
      new RegExp(`"msg":"metrics listening","url":"http://127\\.0\\.0\\.2:${running.metricsPort}/metrics"`),
    );
  });
});

describe('the metrics of ssod serve --workers 2', () => {
  const running = serveWithMetrics(['--workers', '2']);

  test('the primary serves the sum over the workers: every request counted once, the live sessions not doubled', async () => {
    const app = await registerApp(running.serve, 'https://workers.example.com:443/', 'workers');
    assert.equal((await call(running.serve, 'createUser', { login: 'wes', password: 'pw' }, { credentials: app.credentials })).status, 200);
    assert.equal((await call(running.serve, 'authenticate', { login: 'wes', password: 'pw', baseUrl: app.url })).status, 200);
    const calls = 12;
    for (let i = 0; i < calls; i += 1) assert.equal((await call(running.serve, 'getSettings')).status, 200);
    const text = await scrape(running.metricsPort);
    // startServe's readiness polls are not SOAP requests; these are all of them.
    assert.equal(sampleOf(text, 'ssod_soap_requests_total', '{operation="getSettings",outcome="ok"}'), calls);
    assert.equal(sampleOf(text, 'ssod_signins_total', '{result="success"}'), 1);
    assert.equal(sampleOf(text, 'ssod_sessions_live'), 1, 'every worker reads the same store: the maximum, not the sum');
    assert.match(text, /^ssod_info\{version="[^"]+",store="sqlite"\} 1$/m);
  });
});
