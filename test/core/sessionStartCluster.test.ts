// On Session Start callbacks across the nodes of a PostgreSQL cluster (docs/groups.md "Exactly
// once"): two nodes racing for one member's first visit make one call between them; a node killed
// while its callback endpoint holds the request leaves the call to another node's outbox dispatcher,
// which takes the claim over once it is older than the takeover time and repeats the request with
// the same jti; a node killed before its request reached the endpoint leaves the one call to another
// node, or to itself once started again. Real nodes, a real HTTPS endpoint, a real process killed.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { localTicketKeys, verifySessionStartCallback } from '../../src/client/index.js';
import { runReachCallbacks, setSessionStartCallback } from '../../src/core/sessionStart.js';
import { sessionOfCookie } from '../../src/core/sessions.js';
import { ticketKeySet } from '../../src/core/tickets.js';
import { openServices } from '../../src/app/compose.js';
import { resolveOptions } from '../../src/config/options.js';
import type { Services } from '../../src/core/services.js';
import { generateMasterKeyFile } from '../../src/infra/keys/masterKey.js';
import { createLogger } from '../../src/infra/log.js';
import { startCallbackEndpoint, type CallbackEndpoint } from '../helpers/callbackEndpoint.js';
import { startNode, type NodeProcess } from '../helpers/cluster.js';
import { defined } from '../helpers/defined.js';
import { eventually } from '../helpers/eventually.js';
import { twoPostgresNodes } from '../helpers/pgNodes.js';
import { createSchema, postgresSuite, type Isolated } from '../helpers/postgres.js';
import { call, registerApp, relayGet, startTestServer, type Endpoint, type RegisteredApp, type TestServer } from '../helpers/server.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcpProxy.js';
import { openTestCa, type TestCa } from '../helpers/testCa.js';

/** authenticate at a node with the app's baseUrl and the relay's set-cookie there: the browser's cookie. */
async function signIn(node: Endpoint, app: RegisteredApp, login: string): Promise<string> {
  const reply = await call(node, 'authenticate', { login, password: 'secret-pw', baseUrl: app.url }, { credentials: app.credentials });
  assert.equal(reply.fault, undefined, reply.body);
  const set = await relayGet(node, `token=${reply.field('relayToken') ?? ''}&url=${encodeURIComponent(app.url)}`);
  return (set.headers['set-cookie']?.[0] ?? '').split(';', 1)[0] ?? '';
}

async function ssosidAt(node: Endpoint, app: RegisteredApp, cookie: string): Promise<string> {
  const reply = await relayGet(node, `url=${encodeURIComponent(app.url)}`, cookie);
  return new URL(reply.headers.location ?? '').searchParams.get('ssosid') ?? '';
}

let ca: TestCa;
let endpoint: CallbackEndpoint;

postgresSuite('On Session Start callbacks across the nodes of a PostgreSQL cluster', () => {
  before(async () => {
    ca = await openTestCa();
    endpoint = await startCallbackEndpoint(ca.server);
  });
  after(async () => {
    await endpoint.close();
  });
  const nodes = twoPostgresNodes('session-start', () => ({ sessionStartCaPem: ca.caPem }));

  test('callbacks: exactly once under two nodes racing for the first visit', async () => {
    const [a, b] = nodes();
    const starting = await registerApp(a, 'https://race-start.example.com/', 'race-start');
    const member = await registerApp(a, 'https://race-member.example.com/', 'race-member');
    const other = await registerApp(a, 'https://race-other.example.com/', 'race-other');
    for (const app of [starting, member, other]) {
      await setSessionStartCallback(a.server.services, app.id, { url: endpoint.url(`race-${app.id}`), policy: 'fail' }, 'operator');
    }
    const created = await call(a, 'createUser', { login: 'racer', password: 'secret-pw' }, { credentials: starting.credentials });
    assert.equal(created.fault, undefined);
    const cookie = await signIn(a, starting, 'racer');

    // The relay's first visit on both nodes at once, several times over: one local session, one call.
    const visits = await Promise.all([a, b, a, b].map((node) => ssosidAt(node, member, cookie)));
    assert.equal(new Set(visits).size, 1, `one local session id: ${visits.join(', ')}`);
    assert.notEqual(visits[0], 'none');
    assert.equal(endpoint.receivedOn(`race-${member.id}`).length, 1);

    // The claim itself raced from both nodes (what a node's inline call and another's outbox dispatcher do).
    const session = defined(await sessionOfCookie(a.server.services, cookie.slice('sid='.length)), 'the session').session;
    const reach = { globalId: session.id, userId: session.userId };
    // As the relay names it: the application's url as stored (normalized, with its port).
    const otherUrl = defined((await a.server.services.store.getApplication(other.id))?.url, 'the stored url');
    const admitted = await Promise.all([
      runReachCallbacks(a.server.services, reach, otherUrl),
      runReachCallbacks(b.server.services, reach, otherUrl),
      runReachCallbacks(b.server.services, reach, otherUrl),
    ]);
    assert.deepEqual(admitted, [true, true, true]);
    const calls = endpoint.receivedOn(`race-${other.id}`);
    assert.equal(calls.length, 1, 'one call between the nodes');
    const verified = await verifySessionStartCallback(calls[0]?.body ?? '', localTicketKeys(await ticketKeySet(b.server.services)), {
      url: endpoint.url(`race-${other.id}`),
    });
    assert.equal(verified.sessionHandle, session.id);
    assert.equal(verified.order, 'firstVisit');
    const claim = await b.server.services.store.getSessionStartCall(session.id, other.id);
    assert.equal(claim?.outcome, 'delivered');
  });
});

postgresSuite('On Session Start callbacks when a node dies', () => {
  let schema: Isolated | undefined;
  let dir: string | undefined;
  let survivor: TestServer | undefined;
  let doomed: NodeProcess | undefined;
  let holder: CallbackEndpoint | undefined;
  let testCa: TestCa | undefined;

  before(async () => {
    schema = await createSchema();
    dir = mkdtempSync(path.join(os.tmpdir(), 'ssod-session-start-kill-'));
    const masterKeyFile = path.join(dir, 'master.key');
    await generateMasterKeyFile(masterKeyFile);
    testCa = await openTestCa();
    holder = await startCallbackEndpoint(testCa.server);
    survivor = await startTestServer({ store: schema.url, masterKeyFile, argon2MemoryKib: 8192, argon2Iterations: 1, logLevel: 'warn' });
    doomed = await startNode({ name: 'doomed', storeUrl: schema.url, masterKeyFile });
  });
  after(async () => {
    await doomed?.stop();
    await survivor?.close();
    await holder?.close();
    await schema?.drop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  test('callbacks: a node killed between the event and its delivery: the other node makes the call, with the same jti', async () => {
    const b = defined(survivor, 'the surviving node');
    const a = defined(doomed, 'the node to kill');
    const endpointHere = defined(holder, 'the endpoint');
    const starting = await registerApp(b, 'https://kill-start.example.com/', 'kill-start');
    const member = await registerApp(b, 'https://kill-member.example.com/', 'kill-member');
    const caPem = defined(testCa, 'the test CA').caPem;
    for (const app of [starting, member]) {
      await setSessionStartCallback(
        b.server.services,
        app.id,
        { url: endpointHere.url(`kill-${app.id}`), policy: 'continue', caPem },
        'operator',
      );
    }
    const created = await call(b, 'createUser', { login: 'victim', password: 'secret-pw' }, { credentials: starting.credentials });
    assert.equal(created.fault, undefined);
    const cookie = await signIn(a, starting, 'victim');
    assert.equal(endpointHere.receivedOn(`kill-${starting.id}`).length, 1, 'the starting application was called by node A');

    // Node A's first visit of the member: its endpoint holds the request, and node A is killed meanwhile.
    endpointHere.answer(`kill-${member.id}`, { kind: 'hold' });
    const visit = ssosidAt(a, member, cookie).catch(() => 'killed');
    await eventually(() => endpointHere.receivedOn(`kill-${member.id}`).length === 1, { timeoutMs: 20_000, what: 'node A calls' });
    a.child.kill('SIGKILL');
    assert.equal(await visit, 'killed');
    endpointHere.answer(`kill-${member.id}`, { kind: 'ok' });

    // Node B's outbox dispatcher takes the claim over once it is older than the takeover time.
    const calls = await eventually(
      () => {
        const received = endpointHere.receivedOn(`kill-${member.id}`);
        return received.length >= 2 ? received : null;
      },
      { timeoutMs: 120_000, intervalMs: 500, what: 'node B repeats the call' },
    );
    assert.equal(calls.length, 2, 'repeated once');
    const keys = localTicketKeys(await ticketKeySet(b.server.services));
    const [first, second] = await Promise.all(
      calls.map((received) => verifySessionStartCallback(received.body, keys, { url: endpointHere.url(`kill-${member.id}`) })),
    );
    assert.equal(second?.requestId, first?.requestId, 'the same jti: the receiver can drop the repeat');
    const claim = await eventually(
      async () => {
        const found = await b.server.services.store.getSessionStartCall(first?.sessionHandle ?? '', member.id);
        return found?.outcome === 'delivered' ? found : null;
      },
      { timeoutMs: 10_000, what: 'the outcome recorded by node B' },
    );
    assert.equal(claim.outcome, 'delivered');
    assert.equal(endpointHere.receivedOn(`kill-${starting.id}`).length, 1, 'a call that was made is not made again');
  });
});

postgresSuite('On Session Start callbacks when a node dies before its call reaches the endpoint', () => {
  let schema: Isolated | undefined;
  let dir: string | undefined;
  let survivor: TestServer | undefined;
  let doomed: NodeProcess | undefined;
  let holder: CallbackEndpoint | undefined;
  let proxy: TcpProxy | undefined;
  let testCa: TestCa | undefined;

  before(async () => {
    schema = await createSchema();
    dir = mkdtempSync(path.join(os.tmpdir(), 'ssod-session-start-kill-early-'));
    const masterKeyFile = path.join(dir, 'master.key');
    await generateMasterKeyFile(masterKeyFile);
    testCa = await openTestCa();
    holder = await startCallbackEndpoint(testCa.server);
    // The network between the nodes and the endpoint: paused, a request waits in it, unseen by the endpoint.
    proxy = await startTcpProxy('127.0.0.1', holder.port);
    survivor = await startTestServer({ store: schema.url, masterKeyFile, argon2MemoryKib: 8192, argon2Iterations: 1, logLevel: 'warn' });
    doomed = await startNode({ name: 'doomed-early', storeUrl: schema.url, masterKeyFile });
  });
  after(async () => {
    await doomed?.stop();
    await survivor?.close();
    await proxy?.close();
    await holder?.close();
    await schema?.drop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  test('callbacks: a node killed after the event, before its call reached the endpoint: the other node makes the one call', async () => {
    const b = defined(survivor, 'the surviving node');
    const a = defined(doomed, 'the node to kill');
    const endpointHere = defined(holder, 'the endpoint');
    const network = defined(proxy, 'the proxy');
    const starting = await registerApp(b, 'https://early-start.example.com/', 'early-start');
    const member = await registerApp(b, 'https://early-member.example.com/', 'early-member');
    const caPem = defined(testCa, 'the test CA').caPem;
    const urlOf = (app: RegisteredApp) => `https://127.0.0.1:${network.port}/early-${app.id}`;
    for (const app of [starting, member])
      await setSessionStartCallback(b.server.services, app.id, { url: urlOf(app), policy: 'continue', caPem }, 'operator');
    const created = await call(b, 'createUser', { login: 'early', password: 'secret-pw' }, { credentials: starting.credentials });
    assert.equal(created.fault, undefined);
    const cookie = await signIn(a, starting, 'early');
    assert.equal(endpointHere.receivedOn(`early-${starting.id}`).length, 1, 'the starting application was called by node A');
    const session = defined(await sessionOfCookie(b.server.services, cookie.slice('sid='.length)), 'the session').session;

    // Node A's first visit of the member: the event is written and the call claimed, but the request waits in the network.
    network.pause();
    const visit = ssosidAt(a, member, cookie).catch(() => 'killed');
    await eventually(async () => (await b.server.services.store.getSessionStartCall(session.id, member.id)) !== null, {
      timeoutMs: 30_000,
      what: "node A's claim of the member's call",
    });
    a.child.kill('SIGKILL');
    assert.equal(await visit, 'killed');
    assert.equal(endpointHere.receivedOn(`early-${member.id}`).length, 0, 'the endpoint saw nothing of node A');
    network.resume();

    // Node B's outbox dispatcher takes the claim over once it is older than the takeover time, and calls.
    const claim = await eventually(
      async () => {
        const found = await b.server.services.store.getSessionStartCall(session.id, member.id);
        return found?.outcome === 'delivered' ? found : null;
      },
      { timeoutMs: 120_000, intervalMs: 500, what: 'node B delivers the call' },
    );
    assert.equal(claim.outcome, 'delivered');
    const calls = endpointHere.receivedOn(`early-${member.id}`);
    assert.equal(calls.length, 1, 'exactly once');
    const verified = await verifySessionStartCallback(calls[0]?.body ?? '', localTicketKeys(await ticketKeySet(b.server.services)), {
      url: urlOf(member),
    });
    assert.equal(verified.order, 'firstVisit');
    assert.equal(verified.sessionHandle, session.id);
    assert.equal(endpointHere.receivedOn(`early-${starting.id}`).length, 1, 'a call that was made is not made again');
  });
});

postgresSuite('On Session Start callbacks when the only node restarts', () => {
  let schema: Isolated | undefined;
  let dir: string | undefined;
  let store: Services | undefined;
  let first: NodeProcess | undefined;
  let second: NodeProcess | undefined;
  let holder: CallbackEndpoint | undefined;
  let proxy: TcpProxy | undefined;
  let testCa: TestCa | undefined;
  let masterKeyFile = '';

  before(async () => {
    schema = await createSchema();
    dir = mkdtempSync(path.join(os.tmpdir(), 'ssod-session-start-restart-'));
    masterKeyFile = path.join(dir, 'master.key');
    await generateMasterKeyFile(masterKeyFile);
    testCa = await openTestCa();
    holder = await startCallbackEndpoint(testCa.server);
    proxy = await startTcpProxy('127.0.0.1', holder.port);
    first = await startNode({ name: 'restart-first', storeUrl: schema.url, masterKeyFile });
    // What the operator's commands use: the store, without a server (no outbox dispatcher of its own).
    store = await openServices(resolveOptions({ flags: { dataDir: dir, store: schema.url, masterKeyFile } }), {
      logger: createLogger('silent'),
    });
  });
  after(async () => {
    await first?.stop();
    await second?.stop();
    await store?.store.close();
    await proxy?.close();
    await holder?.close();
    await schema?.drop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  test('callbacks: exactly once across a restart: the node killed before its call reached the endpoint makes it once started again', async () => {
    const services = defined(store, 'the store');
    const node = defined(first, 'the node');
    const endpointHere = defined(holder, 'the endpoint');
    const network = defined(proxy, 'the proxy');
    const starting = await registerApp(node, 'https://restart-start.example.com/', 'restart-start');
    const member = await registerApp(node, 'https://restart-member.example.com/', 'restart-member');
    const caPem = defined(testCa, 'the test CA').caPem;
    const urlOf = (app: RegisteredApp) => `https://127.0.0.1:${network.port}/restart-${app.id}`;
    for (const app of [starting, member])
      await setSessionStartCallback(services, app.id, { url: urlOf(app), policy: 'continue', caPem }, 'operator');
    const created = await call(node, 'createUser', { login: 'restarted', password: 'secret-pw' }, { credentials: starting.credentials });
    assert.equal(created.fault, undefined);
    // The node reads the registrations at most every 5 s: sign in once it called the starting application.
    const cookie = await eventually(
      async () => {
        const signedIn = await signIn(node, starting, 'restarted');
        return endpointHere.receivedOn(`restart-${starting.id}`).length > 0 ? signedIn : null;
      },
      { timeoutMs: 30_000, intervalMs: 1000, what: 'a sign-in that called the starting application' },
    );
    const session = defined(await sessionOfCookie(services, cookie.slice('sid='.length)), 'the session').session;

    network.pause();
    const visit = ssosidAt(node, member, cookie).catch(() => 'killed');
    await eventually(async () => (await services.store.getSessionStartCall(session.id, member.id)) !== null, {
      timeoutMs: 30_000,
      what: "the node's claim of the member's call",
    });
    node.child.kill('SIGKILL');
    assert.equal(await visit, 'killed');
    assert.equal(endpointHere.receivedOn(`restart-${member.id}`).length, 0, 'the endpoint saw nothing before the kill');
    network.resume();

    // Started again on the same store, the node's outbox takes its own old claim over and calls.
    second = await startNode({ name: 'restart-second', storeUrl: defined(schema, 'the schema').url, masterKeyFile });
    const claim = await eventually(
      async () => {
        const found = await services.store.getSessionStartCall(session.id, member.id);
        return found?.outcome === 'delivered' ? found : null;
      },
      { timeoutMs: 120_000, intervalMs: 500, what: 'the restarted node delivers the call' },
    );
    assert.equal(claim.outcome, 'delivered');
    assert.equal(endpointHere.receivedOn(`restart-${member.id}`).length, 1, 'exactly once');
    assert.equal(endpointHere.receivedOn(`restart-${starting.id}`).length, 1, 'a call that was made is not made again');
  });
});
