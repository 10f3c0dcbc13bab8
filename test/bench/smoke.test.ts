// The bench harness (bench/, `npm run bench`) run for a few seconds on tiny populations, so that it
// never rots: every scenario against the real ssod CLI and the ceiling, with no thresholds on the
// figures (the machine is shared; targets live in docs/PERFORMANCE.md), only on their sanity: the
// browser sign-ins (the sign-in page, SAML) end with the relay cookie every time. Once
// on SQLite, and once on PostgreSQL when a server is there (test/helpers/postgres.ts).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { benchEnginesFor } from '../../bench/engines.js';
import { DEFAULT_CONFIG, runBench } from '../../bench/run.js';
import { markdownSummary, targetChecks } from '../../bench/report.js';
import { measureTickets } from '../../bench/tickets.js';
import { adminPool, postgresSuite, TEST_POSTGRES_URL } from '../helpers/postgres.js';
import { defined } from '../helpers/defined.js';

async function smoke(store: string, engine: string): Promise<void> {
  const results = await runBench({
    ...DEFAULT_CONFIG,
    durationMs: 1_000,
    warmupMs: 300,
    connections: 4,
    authConnections: 4,
    populations: [100],
    workers: [1],
    store,
    stormRate: 50,
    ticketRate: 20,
    floodConnections: 8,
    out: null,
    progress: null,
  });
  assert.deepEqual(
    results.engines.map((e) => e.engine),
    [engine],
  );
  const [population] = defined(results.engines[0], 'the results of the engine').populations;
  assert.ok(population !== undefined);
  for (const runs of Object.values(population.ceiling)) {
    for (const run of runs) {
      assert.equal(run.errors, 0, run.firstError);
      assert.ok(run.throughput > 0);
    }
  }
  for (const workers of population.ssod) {
    assert.equal(workers.exitCode, 0, 'ssod drains and exits 0 on SIGTERM');
    assert.ok(workers.hashesPerSecond !== null && workers.hashesPerSecond > 0);
    assert.ok(workers.startupMs > 0 && workers.rssIdle > 0);
    assert.equal(workers.renewals, 0, 'the stamp made every seeded session fresh');
    // The flooding source's errors are its refusals (the fault of a wrong password).
    assert.ok(workers.runs.flood !== undefined && workers.runs.flood.requests > 0, 'the flood ran');
    for (const name of [
      'verifySession',
      'verifySessionHalfRate',
      'relayGetSession',
      'relayGetSessionAtTicketRate',
      'relayTicketHop',
      'authenticate',
      'signinPage',
      'samlAcs',
      'authenticateAfter',
      'stormAuthenticate',
      'stormVerifySession',
      'createUser',
      'floodHonestAlone',
      'floodHonest',
    ]) {
      const run = workers.runs[name];
      assert.ok(run !== undefined, `${name} ran`);
      // A fixed-rate run may end with a request still due on a loaded machine (the generator counts
      // it against the server); anything else is a wrong reply.
      const backlogOnly = run.rate !== undefined && /still waiting for a free connection/.test(run.firstError ?? '');
      assert.ok(run.errors === 0 || backlogOnly, `${name}: ${run.errors} errors, ${run.firstError ?? ''}`);
      assert.ok(run.throughput > 0, `${name} answered`);
      assert.ok(run.p50 <= run.p99 && run.p99 <= run.p999 && run.p999 <= run.max, `${name}: percentiles in order`);
      assert.match(run.tls, name.startsWith('relay') || name === 'signinPage' || name === 'samlAcs' ? /^plain$/ : /^TLSv1\.3 /);
    }
  }
  assert.ok(targetChecks(results).length > 0);
  assert.match(markdownSummary(results), new RegExp(`### ${engine}: 100 users`));
}

test('npm run bench, smoke: every scenario runs without errors against ssod and the ceiling', () => smoke('sqlite', 'sqlite'));

test('bench/tickets.ts, smoke: every side verifies the tickets ssod signed', async () => {
  const result = await measureTickets(300);
  assert.equal(result.publishedKeys, 3);
  for (const round of result.rounds) for (const rate of Object.values(round)) assert.ok(rate > 0);
  assert.ok(result.ratio > 0);
});

test('--store takes a list of engines; a PostgreSQL URL stays whole', () => {
  assert.deepEqual(
    benchEnginesFor('sqlite').map((e) => e.name),
    ['sqlite'],
  );
  assert.deepEqual(
    benchEnginesFor('sqlite,postgres://u:secret@db.example:5432/x?options=-c%20a=1,2').map((e) => [e.name, e.label]),
    [
      ['sqlite', 'sqlite'],
      ['postgres', 'postgres://u:***@db.example:5432/x?options=-c%20a=1,2'],
    ],
  );
  assert.throws(() => benchEnginesFor('sqlite:/tmp/x.db'), /a path is not taken/);
  assert.throws(() => benchEnginesFor('mysql://x'), /must be sqlite, postgres or postgres:\/\//);
});

postgresSuite('bench on PostgreSQL', () => {
  test('npm run bench --store postgres://…, smoke: every scenario runs on a database of its own', () =>
    smoke(TEST_POSTGRES_URL, 'postgres'));

  test('each population gets a database of its own, dropped afterwards', async () => {
    const [engine] = benchEnginesFor(TEST_POSTGRES_URL);
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ssod-bench-test-'));
    try {
      const store = await defined(engine, 'the PostgreSQL engine').create(dataDir);
      const database = new URL(store.options.store).pathname.slice(1);
      assert.match(database, /^ssod_bench_[0-9a-f]{12}$/);
      assert.equal(store.options.masterKeyFile, path.join(dataDir, 'master.key'));
      const exists = async (): Promise<boolean> =>
        (await adminPool().query('SELECT 1 FROM pg_database WHERE datname = $1', [database])).rowCount === 1;
      assert.equal(await exists(), true);
      await store.drop();
      assert.equal(await exists(), false);
      await store.drop(); // twice is harmless
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
