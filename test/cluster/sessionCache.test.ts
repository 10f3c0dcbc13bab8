// The verifySession cache across nodes (docs/DECISIONS.md "verifySession cache on PostgreSQL"): ssod
// nodes over one PostgreSQL schema, over real TLS with the application's certificate. A session
// ended through one node (closeSession, deleteUser, an operator command, a node killed right after)
// is refused by a node with a cache within its --session-cache-ms, by a node with 0 at once, and by
// the node that ended it at once; under load, no answer for an ended session comes later than the bound.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { generateMasterKeyFile } from '../../src/infra/keys/masterKey.js';
import { runCli } from '../helpers/cli.js';
import { startNode } from '../helpers/cluster.js';
import { eventually } from '../helpers/eventually.js';
import { createSchema, postgresSuite, type Isolated } from '../helpers/postgres.js';
import { call, registerApp, startTestServer, type Endpoint, type RegisteredApp, type TestServer } from '../helpers/server.js';

const PANEL = 'https://panel.example.com:8443/';
const PASSWORD = 'correct horse battery staple';
/** The bound of the caching node: no verifySession sent later than this after a session's end finds it. */
const BOUND_MS = 500;
/** How long a test waits for what must happen eventually: a loaded machine only makes it slower. */
const LIVENESS_MS = 30_000;

postgresSuite('the verifySession cache across PostgreSQL nodes', () => {
  let schema: Isolated;
  let dir: string;
  let masterKeyFile: string;
  /** Ends sessions; has the default cache. */
  let a: TestServer;
  /** Caches with BOUND_MS. */
  let b: TestServer;
  /** No cache. */
  let c: TestServer;
  let panel: RegisteredApp;
  let users = 0;

  before(async () => {
    schema = await createSchema();
    dir = mkdtempSync(path.join(os.tmpdir(), 'ssod-session-cache-'));
    masterKeyFile = path.join(dir, 'master.key');
    await generateMasterKeyFile(masterKeyFile);
    const options = { store: schema.url, masterKeyFile, argon2MemoryKib: 8192, argon2Iterations: 1, logLevel: 'warn' } as const;
    a = await startTestServer(options);
    b = await startTestServer({ ...options, sessionCacheMs: BOUND_MS });
    c = await startTestServer({ ...options, sessionCacheMs: 0 });
    panel = await registerApp(a, PANEL, 'panel');
  });

  after(async () => {
    await Promise.all([a, b, c].map((node) => node.close()));
    await schema.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const verify = async (node: Endpoint, sessionId: string): Promise<string | null> => {
    const reply = await call(node, 'verifySession', { sessionId }, { credentials: panel.credentials });
    if (reply.fault === 'noSuchSession') return null;
    assert.equal(reply.status, 200, reply.body);
    return reply.field('userId') ?? '';
  };

  /** A new user signed in to the panel, its session verified on every node, and on B from its cache. */
  async function signedIn(): Promise<{ login: string; userId: string; sessionId: string }> {
    users += 1;
    const login = `user${users}@example.com`;
    const userId = (await call(a, 'createUser', { login, password: PASSWORD }, { credentials: panel.credentials })).field('userId') ?? '';
    const sessionId = (await call(a, 'authenticate', { login, password: PASSWORD, baseUrl: PANEL })).field('sessionId') ?? '';
    const hits = (): number => b.server.services.store.sessionCacheUse?.().hits ?? 0;
    for (const node of [a, b, c, a, c]) assert.equal(await verify(node, sessionId), userId);
    // B answers from its cache once a heartbeat came back within its bound: at once on an idle machine.
    await eventually(
      async () => {
        const before = hits();
        assert.equal(await verify(b, sessionId), userId);
        return hits() > before ? true : null;
      },
      { timeoutMs: LIVENESS_MS, intervalMs: 10, what: "B's answer from its cache" },
    );
    assert.equal('sessionCacheUse' in c.server.services.store, false, 'C has no cache');
    return { login, userId, sessionId };
  }

  /**
   * Ends the session; then C refuses it at once, and B until it refuses it (within LIVENESS_MS,
   * however loaded the machine) never answers a verifySession sent later than the bound after the
   * end returned. That holds whatever the load: an answer is given after its question was sent.
   */
  async function refusedEverywhere(sessionId: string, end: () => Promise<unknown>): Promise<void> {
    await end();
    const ended = Date.now();
    assert.equal(await verify(c, sessionId), null, 'the node without a cache refuses it at once');
    await eventually(
      async () => {
        const asked = Date.now();
        if ((await verify(b, sessionId)) === null) return true;
        assert.ok(asked - ended <= BOUND_MS, `B answered a verifySession sent ${String(asked - ended)} ms after the end`);
        return null;
      },
      { timeoutMs: LIVENESS_MS, intervalMs: 10, what: 'the ended session refused by the caching node' },
    );
  }

  test('closeSession through one node: that node and a node without a cache refuse at once, a caching node within its bound', async () => {
    const { sessionId } = await signedIn();
    await refusedEverywhere(sessionId, async () => {
      assert.equal((await call(a, 'closeSession', { sessionId }, { credentials: panel.credentials })).status, 200);
      assert.equal(await verify(a, sessionId), null, 'the node that ended it refuses it at once');
    });
  });

  test('deleteUser through one node ends its sessions on every node within the bound', async () => {
    const { userId, sessionId } = await signedIn();
    await refusedEverywhere(sessionId, async () => {
      assert.equal((await call(a, 'deleteUser', { userId }, { credentials: panel.credentials })).status, 200);
    });
  });

  test('`ssod users disable`, a process that changes the store and exits, ends the sessions on every node within the bound', async () => {
    const { login, sessionId } = await signedIn();
    await refusedEverywhere(sessionId, async () => {
      const disabled = await runCli(['users', 'disable', login, '--store', schema.url, '--master-key-file', masterKeyFile]);
      assert.equal(disabled.code, 0, disabled.stderr);
    });
  });

  test('a node killed right after the closeSession it answered: the others refuse within the bound', async () => {
    const node = await startNode({
      name: 'killed',
      storeUrl: schema.url,
      masterKeyFile,
      extraArgs: ['--session-cache-ms', '0'],
    });
    try {
      const { sessionId } = await signedIn();
      await refusedEverywhere(sessionId, async () => {
        assert.equal((await call(node, 'closeSession', { sessionId }, { credentials: panel.credentials })).status, 200);
        node.child.kill('SIGKILL');
      });
    } finally {
      await node.stop();
    }
  });

  test('under load: while B verifies without pause, no answer for an ended session comes later than the bound', async (t) => {
    const sessions: Awaited<ReturnType<typeof signedIn>>[] = [];
    for (let i = 0; i < 6; i += 1) sessions.push(await signedIn());
    const endedAt = new Map<string, number>();
    /** The latest "valid" answer B gave for each session after its end returned, in ms after it. */
    const lateness = new Map<string, number>();
    let stop = false;
    const loop = async (): Promise<void> => {
      while (!stop) {
        for (const { sessionId, userId } of sessions) {
          const asked = Date.now();
          const answer = await verify(b, sessionId);
          const ended = endedAt.get(sessionId);
          // An answer is late only if the question was asked after the end returned.
          if (answer === userId && ended !== undefined && asked > ended) lateness.set(sessionId, asked - ended);
        }
      }
    };
    const loops = [loop(), loop()];
    for (const { sessionId } of sessions) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal((await call(a, 'closeSession', { sessionId }, { credentials: panel.credentials })).status, 200);
      endedAt.set(sessionId, Date.now());
    }
    await new Promise((resolve) => setTimeout(resolve, BOUND_MS + 200));
    stop = true;
    await Promise.all(loops);
    for (const { sessionId } of sessions) assert.equal(await verify(b, sessionId), null);
    const latest = Math.max(0, ...lateness.values());
    t.diagnostic(`latest answer for an ended session: ${latest} ms after its end (bound ${BOUND_MS} ms)`);
    assert.ok(latest <= BOUND_MS, `a verifySession sent ${latest} ms after its session ended was answered`);
  });
});
