// One client address cannot take every connection slot of a listener: past
// --max-connections-per-source its new connections are closed at once, on the SOAP listener and on
// the relay, while other addresses are served. Sources are told apart by binding the client
// sockets to other loopback addresses (any of 127.0.0.0/8 reaches a listener on 127.0.0.1).
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import tls from 'node:tls';
import { call, startTestServer, type TestServer } from '../helpers/server.js';
import { eventually } from '../helpers/eventually.js';

const MAX_CONNECTIONS = 40;
// The default per-source limit: a quarter of --max-connections.
const PER_SOURCE = 10;
const ATTACKER = '127.0.0.2';

/** A connection the test holds open until it closes it; `closed` resolves when either side closes it. */
interface Held {
  readonly socket: net.Socket;
  /** Resolves once connected (for TLS: once the handshake is done), so the server has accepted it. */
  readonly ready: Promise<void>;
  /** What the server sent before the connection closed. */
  readonly closed: Promise<string>;
}

function hold(socket: net.Socket): Held {
  let reply = '';
  socket.on('data', (chunk: Buffer) => (reply += chunk.toString('latin1')));
  socket.on('error', () => undefined); // a reset by the server is one way of closing
  const closed = new Promise<string>((resolve) => socket.once('close', () => resolve(reply)));
  const ready = new Promise<void>((resolve, reject) => {
    socket.once(socket instanceof tls.TLSSocket ? 'secureConnect' : 'connect', () => resolve());
    void closed.then(() => reject(new Error('closed before it was established')));
  });
  return { socket, ready, closed };
}

/** Fails the test instead of hanging when the server never closes a connection. */
function withinLiveness<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the server never closed ${what}`)), 30_000);
  });
  return Promise.race([promise, guard]).finally(() => clearTimeout(timer));
}

function relayHealth(port: number, host: string, localAddress?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const options = { host, port, path: '/healthz', agent: false, ...(localAddress === undefined ? {} : { localAddress }) };
    http.get(options, (res) => resolve(res.resume().statusCode ?? 0)).on('error', reject);
  });
}

/**
 * Waits until the address is served again: the server learns that a connection closed a little
 * after the client does, so the first attempt may still find the address at its limit.
 */
async function servedAgain(attempt: () => Promise<number>): Promise<number> {
  let status = 0;
  await eventually(async () => (status = await attempt().catch(() => 0)) === 200, { timeoutMs: 30_000 }).catch(() => undefined);
  return status;
}

/** One request on a connection the test already holds: it is open, and served. */
function requestOn(held: Held, head: string): Promise<string> {
  return new Promise((resolve) => {
    let reply = '';
    held.socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString('latin1');
      if (reply.includes('\r\n\r\n')) resolve(reply.split('\r\n', 1)[0] ?? '');
    });
    held.socket.write(head);
  });
}

/**
 * Tries `count` more connections from one address, each kept open when the server takes it: on the
 * relay a request, on the SOAP port a TLS handshake. Resolves when each was served or closed.
 */
async function moreConnections(
  ts: TestServer,
  listener: 'relay' | 'soap',
  localAddress: string,
  count: number,
): Promise<{ served: number; sockets: net.Socket[] }> {
  // tls.connect hands localAddress on to net.connect; its type leaves it out.
  const tlsOptions: tls.ConnectionOptions = {
    host: '127.0.0.1',
    port: ts.soapPort,
    ca: ts.caPem,
    servername: 'localhost',
    ...{ localAddress },
  };
  const attempts = Array.from({ length: count }, () => {
    const connection =
      listener === 'soap' ? hold(tls.connect(tlsOptions)) : hold(net.connect({ host: '127.0.0.1', port: ts.relayPort, localAddress }));
    if (listener === 'relay') connection.socket.once('connect', () => connection.socket.write('GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n'));
    const served = listener === 'soap' ? connection.ready : new Promise<void>((resolve) => connection.socket.once('data', () => resolve()));
    return Promise.race([served.then(() => true), connection.closed.then(() => false)]).then((taken) => ({
      taken,
      socket: connection.socket,
    }));
  });
  const outcomes = await withinLiveness(Promise.all(attempts), 'a connection over the per-source limit');
  return { served: outcomes.filter(({ taken }) => taken).length, sockets: outcomes.map(({ socket }) => socket) };
}

describe('connection slots per source', () => {
  let ts: TestServer;
  before(async () => {
    // Long timeouts: the connections the test holds idle must outlast a slow run.
    ts = await startTestServer({ logLevel: 'warn', maxConnections: MAX_CONNECTIONS, headersTimeout: 120, requestTimeout: 120 });
  });
  after(() => ts.close());

  test('F40: one address holding its share of relay connections is refused more; other addresses are served', async () => {
    const held = Array.from({ length: PER_SOURCE }, () =>
      hold(net.connect({ host: '127.0.0.1', port: ts.relayPort, localAddress: ATTACKER })),
    );
    await Promise.all(held.map((connection) => connection.ready));
    // As many again as the listener holds: every one is closed at once, unserved.
    const more = await moreConnections(ts, 'relay', ATTACKER, MAX_CONNECTIONS);
    assert.equal(more.served, 0, 'no connection over the limit was served');
    assert.equal(await relayHealth(ts.relayPort, '127.0.0.1'), 200);
    assert.equal(await relayHealth(ts.relayPort, '127.0.0.1', '127.0.0.3'), 200);
    // The connections within the limit are still open and served.
    for (const connection of held)
      assert.match(await requestOn(connection, 'GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n'), /^HTTP\/1\.1 200 /);
    for (const socket of [...held.map((connection) => connection.socket), ...more.sockets]) socket.destroy();
    await Promise.all(held.map((connection) => connection.closed));
    // The slots come back when the address closes its connections.
    assert.equal(await servedAgain(() => relayHealth(ts.relayPort, '127.0.0.1', ATTACKER)), 200);
    const refusals = ts.logRecords().filter((record) => record.msg === 'connections refused' && record.listener === 'relay');
    assert.ok(refusals.length >= 1 && refusals.length <= 2, 'refusals are logged at a bounded rate, not once each');
    assert.equal(refusals[0]?.sources, ATTACKER);
  });

  test('F40: one address holding its share of SOAP connections (TLS done or not) is refused more; other addresses are served', async () => {
    const tlsOptions: tls.ConnectionOptions = {
      host: '127.0.0.1',
      port: ts.soapPort,
      ca: ts.caPem,
      servername: 'localhost',
      ...{ localAddress: ATTACKER },
    };
    const held = [
      ...Array.from({ length: PER_SOURCE / 2 }, () => hold(tls.connect(tlsOptions))),
      ...Array.from({ length: PER_SOURCE / 2 }, () => hold(net.connect({ host: '127.0.0.1', port: ts.soapPort, localAddress: ATTACKER }))),
    ];
    await Promise.all(held.map((connection) => connection.ready));
    const more = await moreConnections(ts, 'soap', ATTACKER, MAX_CONNECTIONS);
    assert.equal(more.served, 0, 'no connection over the limit finished its handshake');
    assert.equal((await call(ts, 'getSettings')).status, 200);
    assert.equal((await call(ts, 'getSettings', {}, { localAddress: '127.0.0.3' })).status, 200);
    for (const connection of held.slice(0, PER_SOURCE / 2)) {
      assert.match(await requestOn(connection, 'GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n'), /^HTTP\/1\.1 200 /);
    }
    for (const socket of [...held.map((connection) => connection.socket), ...more.sockets]) socket.destroy();
    await Promise.all(held.map((connection) => connection.closed));
    assert.equal(await servedAgain(async () => (await call(ts, 'getSettings', {}, { localAddress: ATTACKER })).status), 200);
  });
});

describe('connection slots per source on a dual-stack listener', () => {
  let ts: TestServer | null = null;
  before(async () => {
    try {
      ts = await startTestServer({ logLevel: 'warn', bind: '::', maxConnections: MAX_CONNECTIONS });
    } catch (error) {
      // A machine without IPv6 cannot bind '::'; the test below then says so and is skipped.
      if (!['EAFNOSUPPORT', 'EADDRNOTAVAIL'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error;
    }
  });
  after(() => ts?.close());

  test('F40: an IPv4 client seen as an IPv4-mapped IPv6 address counts as its IPv4 address; an IPv6 client is another source', async (t) => {
    if (ts === null) {
      t.skip('IPv6 is not available here');
      return;
    }
    const port = ts.relayPort;
    const held = Array.from({ length: PER_SOURCE }, () => hold(net.connect({ host: '127.0.0.1', port, localAddress: ATTACKER })));
    await Promise.all(held.map((connection) => connection.ready));
    const more = await moreConnections(ts, 'relay', ATTACKER, 5);
    assert.equal(more.served, 0);
    assert.equal(await relayHealth(port, '::1'), 200);
    assert.equal(await relayHealth(port, '127.0.0.1', '127.0.0.3'), 200);
    for (const socket of [...held.map((connection) => connection.socket), ...more.sockets]) socket.destroy();
    await Promise.all(held.map((connection) => connection.closed));
  });
});
