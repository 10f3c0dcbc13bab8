// The bench harness (bench/, `npm run bench`) run for a few seconds on tiny populations, so that it
// never rots: every scenario against the real ssod CLI and the ceiling, with no thresholds on the
// figures (the machine is shared; targets live in docs/PERFORMANCE.md), only on their sanity.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_CONFIG, runBench } from '../../bench/run.js';
import { markdownSummary, targetChecks } from '../../bench/report.js';

test('npm run bench, smoke: every scenario runs without errors against ssod and the ceiling', async () => {
  const results = await runBench({
    ...DEFAULT_CONFIG,
    durationMs: 1_000,
    warmupMs: 300,
    connections: 4,
    authConnections: 4,
    populations: [100],
    workers: [1],
    stormRate: 50,
    out: null,
    progress: null,
  });
  const [population] = results.populations;
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
    for (const name of ['verifySession', 'verifySessionHalfRate', 'relayGetSession', 'authenticate', 'stormAuthenticate', 'stormVerifySession', 'createUser']) {
      const run = workers.runs[name];
      assert.ok(run !== undefined, `${name} ran`);
      // A fixed-rate run may end with a request still due on a loaded machine (the generator counts
      // it against the server); anything else is a wrong reply.
      const backlogOnly = run.rate !== undefined && /still waiting for a free connection/.test(run.firstError ?? '');
      assert.ok(run.errors === 0 || backlogOnly, `${name}: ${run.errors} errors, ${run.firstError ?? ''}`);
      assert.ok(run.throughput > 0, `${name} answered`);
      assert.ok(run.p50 <= run.p99 && run.p99 <= run.p999 && run.p999 <= run.max, `${name}: percentiles in order`);
      assert.match(run.tls, name === 'relayGetSession' ? /^plain$/ : /^TLSv1\.3 /);
    }
  }
  assert.ok(targetChecks(results).length > 0);
  assert.match(markdownSummary(results), /verifySession/);
});
