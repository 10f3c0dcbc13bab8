// Issue 5, faults: slow clients (slowloris) cannot exhaust the server. Connections that never send
// their headers, send them a byte at a time, never finish a TLS handshake or trickle their body
// are closed by the server (--headers-timeout, --request-timeout), a normal client is served all
// the while, and --max-connections bounds how many a listener holds.
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import tls from 'node:tls';
import { call, startTestServer, type TestServer } from '../helpers/server.js';

/** A connection the test opens and never closes itself: resolves when the server closes it. */
interface SlowClient {
  /** The connection is established (for TLS: the handshake is done). */
  readonly connected: Promise<void>;
  readonly closed: Promise<{ reply: string; order: number }>;
}

let closings = 0;

function slowClient(socket: net.Socket, start: (socket: net.Socket) => void, drip?: string): SlowClient {
  let reply = '';
  let timer: NodeJS.Timeout | undefined;
  socket.on('data', (chunk: Buffer) => (reply += chunk.toString('latin1')));
  socket.on('error', () => undefined); // a reset by the server is one way of closing
  const closed = new Promise<{ reply: string; order: number }>((resolve) => {
    socket.once('close', () => {
      clearInterval(timer);
      resolve({ reply, order: (closings += 1) });
    });
  });
  const connected = new Promise<void>((resolve) => {
    const begin = (): void => {
      start(socket);
      if (drip !== undefined) timer = setInterval(() => socket.write(drip), 250);
      resolve();
    };
    if (socket instanceof tls.TLSSocket) socket.once('secureConnect', begin);
    else socket.once('connect', begin);
  });
  return { connected, closed };
}

/** Fails the test instead of hanging when the server never closes a connection. */
function withinLiveness<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the server never closed ${what}`)), 30_000);
  });
  return Promise.race([promise, guard]).finally(() => clearTimeout(timer));
}

/** A normal client on each listener, on connections of its own that it closes. */
async function healthy(ts: TestServer): Promise<void> {
  const relay = await new Promise<number>((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port: ts.relayPort, path: '/healthz', agent: false }, (res) => resolve(res.resume().statusCode ?? 0))
      .on('error', reject);
  });
  assert.equal(relay, 200);
  assert.equal((await call(ts, 'getSettings')).status, 200);
}

describe('slow clients (slowloris)', () => {
  let ts: TestServer;
  const MAX_CONNECTIONS = 40;
  before(async () => {
    // Every client here is 127.0.0.1: one source may hold the whole listener (connections.test.ts
    // covers the per-source limit).
    ts = await startTestServer({
      logLevel: 'warn',
      headersTimeout: 1,
      requestTimeout: 2,
      maxConnections: MAX_CONNECTIONS,
      maxConnectionsPerSource: MAX_CONNECTIONS,
    });
  });
  after(() => ts.close());

  test('slow headers, slow TLS handshakes and slow bodies are closed by the server; a normal client is served meanwhile', async () => {
    const tlsOptions = { host: '127.0.0.1', port: ts.soapPort, ca: ts.caPem, servername: 'localhost' };
    const body = 'a'.repeat(500);
    const clients = [
      // Nothing at all, on both listeners (on the SOAP port: no TLS handshake).
      ...Array.from({ length: 8 }, () => slowClient(net.connect(ts.relayPort, '127.0.0.1'), () => undefined)),
      ...Array.from({ length: 8 }, () => slowClient(net.connect(ts.soapPort, '127.0.0.1'), () => undefined)),
      // Headers a line at a time, never finished.
      ...Array.from({ length: 8 }, () =>
        slowClient(net.connect(ts.relayPort, '127.0.0.1'), (s) => s.write('GET /relay?url=x HTTP/1.1\r\nHost: a\r\n'), 'X-Slow: 1\r\n'),
      ),
      // A SOAP request whose body trickles in a byte at a time.
      ...Array.from({ length: 6 }, () =>
        slowClient(
          tls.connect(tlsOptions),
          (s) => s.write(`POST /soap HTTP/1.1\r\nHost: a\r\nContent-Type: application/soap+xml\r\nContent-Length: ${body.length}\r\n\r\n`),
          'a',
        ),
      ),
    ];
    await healthy(ts);
    const outcomes = await withinLiveness(Promise.all(clients.map((client) => client.closed)), 'a slow connection');
    // Those that got an answer got 408 Request Timeout; the others (no handshake) were just closed.
    for (const { reply } of outcomes) assert.ok(reply === '' || reply.startsWith('HTTP/1.1 408 '), reply.slice(0, 40));
    assert.ok(outcomes.filter(({ reply }) => reply.startsWith('HTTP/1.1 408 ')).length >= 14, 'slow headers and bodies are answered 408');
    await healthy(ts);
  });

  test('past --max-connections a listener closes new connections at once; the slots come back when the slow ones time out', async () => {
    const held = Array.from({ length: MAX_CONNECTIONS }, () => slowClient(net.connect(ts.relayPort, '127.0.0.1'), () => undefined));
    // All connected, so ahead of the extra ones in the listener's accept queue.
    await Promise.all(held.map((client) => client.connected));
    const extra = Array.from({ length: 10 }, () => slowClient(net.connect(ts.relayPort, '127.0.0.1'), () => undefined));
    const dropped = await withinLiveness(Promise.all(extra.map((client) => client.closed)), 'an extra connection');
    const timedOut = await withinLiveness(Promise.all(held.map((client) => client.closed)), 'a held connection');
    const lastDrop = Math.max(...dropped.map(({ order }) => order));
    const firstTimeout = Math.min(...timedOut.map(({ order }) => order));
    assert.ok(lastDrop < firstTimeout, 'every extra connection was closed before any held one timed out');
    assert.ok(
      dropped.every(({ reply }) => reply === ''),
      'an extra connection gets nothing',
    );
    await healthy(ts);
  });
});
