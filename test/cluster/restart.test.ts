// Issue 3: PostgreSQL goes away under light load and comes back. Meanwhile requests fail fast with
// sso:internalError (env:Receiver), the relay answers a 503 page, /healthz says not ready, and the
// nodes stay up; afterwards they serve again by themselves, sessions intact, without a restart.
//
// This test stops its database, so it runs on a private throwaway cluster (helpers/private-postgres.ts),
// never on the shared server at TEST_POSTGRES_URL that other test runs use at the same time.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { generateMasterKeyFile } from '../../src/infra/keys/masterKey.js';
import { POSTGRES_TIMEOUTS } from '../../src/infra/store/postgres.js';
import { startNode, statusOf, type NodeProcess } from '../helpers/cluster.js';
import { POSTGRES_REQUIRED, postgresSuite } from '../helpers/postgres.js';
import { createPrivatePostgres, postgresBinaries, type PrivatePostgres } from '../helpers/private-postgres.js';
import { call, httpsRequest, relayGet, registerApp, type RegisteredApp } from '../helpers/server.js';
import { eventually } from '../helpers/eventually.js';
import { ifAssigned } from '../helpers/defined.js';
import { TOOLS, skipWithout } from '../helpers/tools.js';

const PANEL = 'https://panel.example.com:8443/';
const binaries = postgresBinaries();
// Fail fast: no request waits longer than the connect timeout, plus room for a loaded machine.
const FAST_MS = POSTGRES_TIMEOUTS.connectMs + 2000;

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  const value = await work();
  return { value, ms: Date.now() - started };
}

postgresSuite('PostgreSQL restart under light load', () => {
  let database: PrivatePostgres | null = null;
  let dir: string;
  let nodes: NodeProcess[] = [];
  let panel: RegisteredApp;
  let sessionId: string;
  let userId: string;

  before(async () => {
    if (binaries === null) return;
    database = await createPrivatePostgres(binaries);
    dir = mkdtempSync(path.join(os.tmpdir(), 'ssod-restart-'));
    const masterKeyFile = path.join(dir, 'master.key');
    await generateMasterKeyFile(masterKeyFile);
    nodes = await Promise.all(
      ['a', 'b'].map((name) => startNode({ name, storeUrl: database?.url ?? '', masterKeyFile, extraArgs: ['--store-pool-size', '4'] })),
    );
    const [a] = nodes as [NodeProcess];
    panel = await registerApp(a, PANEL, 'panel');
    userId =
      (await call(a, 'createUser', { login: 'alice', password: 'wonderland' }, { credentials: panel.credentials })).field('userId') ?? '';
    sessionId = (await call(a, 'authenticate', { login: 'alice', password: 'wonderland', baseUrl: PANEL })).field('sessionId') ?? '';
  });

  after(async () => {
    await Promise.all(nodes.map((node) => node.stop()));
    await database?.destroy();
    const made = ifAssigned(dir);
    if (made !== undefined) rmSync(made, { recursive: true, force: true });
  });

  // Without server binaries there is no private cluster to stop: skipped with the line every test
  // gives for a missing program, unless the run requires them (npm test, CI).
  const skip = binaries === null && !POSTGRES_REQUIRED && skipWithout([TOOLS.postgresServer]);
  test('the nodes fail fast while PostgreSQL is down and recover by themselves when it is back', { skip }, async () => {
    assert.ok(binaries !== null, 'TEST_REQUIRE_POSTGRES=1 but there are no PostgreSQL server binaries under /usr/lib/postgresql');
    const [a, b] = nodes as [NodeProcess, NodeProcess];
    // Light load: both nodes verify the session a few times a second throughout.
    const outcomes: string[] = [];
    // Widened: the loop below must read what the end of the test sets, not the narrowed initial value.
    let running = true as boolean;
    const load = (async () => {
      for (let i = 0; running; i++) {
        const reply = await call(nodes[i % 2] as NodeProcess, 'verifySession', { sessionId }).catch(() => null);
        outcomes.push(reply === null ? 'no answer' : (reply.fault ?? reply.field('userId') ?? '?'));
        await sleep(50);
      }
    })();

    await database?.stop();
    for (const node of [a, b]) {
      const soap = await timed(() => call(node, 'verifySession', { sessionId }));
      assert.equal(soap.value.fault, 'internalError');
      assert.equal(soap.value.status, 500);
      assert.match(soap.value.body, /<env:Value>env:Receiver<\/env:Value>/);
      assert.doesNotMatch(soap.value.body, /ECONNREFUSED|postgres|\n\s+at /i, 'no database detail or stack to the client');
      assert.ok(soap.ms < FAST_MS, `SOAP answered in ${soap.ms} ms`);

      const relay = await timed(() => relayGet(node, new URLSearchParams({ url: PANEL }).toString()));
      assert.equal(relay.value.status, 503);
      assert.match(relay.value.headers['content-type'] ?? '', /^text\/html/);
      assert.equal(relay.value.headers['cache-control'], 'no-store');
      assert.ok(relay.ms < FAST_MS, `relay answered in ${relay.ms} ms`);

      // ssod's sign-in page answers the same way (docs/sign-in-page.md).
      assert.equal(await statusOf(`http://127.0.0.1:${node.relayPort}/login?${new URLSearchParams({ url: PANEL }).toString()}`), 503);
      assert.equal(await statusOf(`http://127.0.0.1:${node.relayPort}/healthz`), 503);
      assert.equal((await httpsRequest(node, null, { path: '/healthz' })).status, 503);
      assert.equal(node.child.exitCode, null, 'the node stays up');
    }
    await sleep(300);

    await database?.start();
    for (const node of [a, b]) {
      await eventually(async () => (await statusOf(`http://127.0.0.1:${node.relayPort}/healthz`)) === 200, {
        timeoutMs: 15_000,
        intervalMs: 100,
        what: `node ${node.name} ready again`,
      });
      assert.equal((await call(node, 'verifySession', { sessionId })).field('userId'), userId, 'the session survived');
      assert.equal((await call(node, 'authenticate', { login: 'alice', password: 'wonderland' })).field('userId'), userId);
    }
    running = false;
    await load;

    assert.ok(outcomes.includes('internalError'), 'the load saw the outage');
    assert.equal(outcomes.at(-1), userId, 'and its end');
    assert.deepEqual([...new Set(outcomes)].sort(), [userId, 'internalError'].sort(), 'nothing but answers and internalError');
    for (const node of [a, b]) {
      assert.equal(node.child.exitCode, null);
      assert.equal(node.stderr(), '', 'nothing on stderr: no crash, no unhandled error');
    }
  });
});
