// TLS renegotiation is refused on both TLS listeners: a TLS 1.2 client that asks for it (Node's
// tlsSocket.renegotiate(), and openssl s_client's `R` command) loses its connection, and nothing
// it sends afterwards is served. (TLS 1.3 has no renegotiation.) Without the refusal Node's TLS
// server would allow a client three renegotiations in ten minutes.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import tls from 'node:tls';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { TOOLS, skipWithout } from '../helpers/tools.js';

interface Attempt {
  /** The error renegotiate() reported, or null when it said the renegotiation succeeded. */
  readonly renegotiated: Error | null | 'never answered';
  /** Everything the server sent after the first handshake. */
  readonly replies: string;
}

/** A TLS 1.2 connection that is served once, renegotiates, then asks again; resolves when it closes. */
function renegotiate(port: number, ca: string): Promise<Attempt> {
  const request = 'GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n';
  return new Promise((resolve, reject) => {
    let replies = '';
    let servedOnce = false;
    let renegotiated: Attempt['renegotiated'] = 'never answered';
    const socket = tls.connect({ host: '127.0.0.1', port, ca, servername: 'localhost', maxVersion: 'TLSv1.2' }, () => {
      socket.write(request);
    });
    socket.on('data', (chunk: Buffer) => {
      replies += chunk.toString('latin1');
      if (servedOnce) return;
      // Served once: the connection works; now renegotiate, and ask again once that is done.
      servedOnce = true;
      assert.match(replies, /^HTTP\/1\.1 200 /);
      replies = '';
      socket.renegotiate({ rejectUnauthorized: true }, (error) => {
        renegotiated = error ?? null;
        if (error === null) socket.write(request);
      });
    });
    socket.on('error', () => undefined); // the server's close may surface as a reset
    socket.once('close', () => resolve({ renegotiated, replies }));
    setTimeout(() => reject(new Error('the connection was still open after 30 s')), 30_000).unref();
  });
}

/**
 * openssl s_client over TLS 1.2: once connected it sends `R` (renegotiate), then once it says it
 * renegotiates a request. Resolves with its exit code and output; null when openssl is not installed.
 */
function opensslRenegotiate(port: number, caFile: string): Promise<{ code: number | null; output: string } | null> {
  return new Promise((resolve) => {
    const child = spawn('openssl', [
      's_client',
      '-connect',
      `127.0.0.1:${port}`,
      '-tls1_2',
      '-CAfile',
      caFile,
      '-servername',
      'localhost',
      '-brief',
    ]);
    let output = '';
    const steps: [RegExp, string][] = [
      [/CONNECTION ESTABLISHED/, 'R\n'],
      [/RENEGOTIATING/, 'GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'],
    ];
    const read = (chunk: Buffer): void => {
      output += chunk.toString('latin1');
      const [expected, send] = steps[0] ?? [];
      if (expected === undefined || send === undefined || !expected.test(output)) return;
      steps.shift();
      child.stdin.write(send);
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.on('error', () => resolve(null));
    child.on('close', (code) => resolve({ code, output }));
    setTimeout(() => child.kill(), 30_000).unref();
  });
}

function renegotiationChecks(name: string, server: () => TestServer, port: (ts: TestServer) => number): void {
  test(`F47: ${name}: a TLS 1.2 client that renegotiates loses the connection and is not served again`, async () => {
    const ts = server();
    const attempt = await renegotiate(port(ts), ts.caPem);
    assert.notEqual(attempt.renegotiated, null, 'the renegotiation did not succeed');
    assert.doesNotMatch(attempt.replies, /HTTP\/1\.1 200 /, 'no request was served after the renegotiation attempt');
  });

  test(`F47: ${name}: openssl s_client -tls1_2 gets the same answer to its R command`, { skip: skipWithout([TOOLS.openssl]) }, async () => {
    const ts = server();
    const caFile = path.join(ts.dataDir, 'ca-for-openssl.pem');
    writeFileSync(caFile, ts.caPem);
    const result = await opensslRenegotiate(port(ts), caFile);
    assert.ok(result !== null, 'openssl runs');
    assert.match(result.output, /RENEGOTIATING/, result.output);
    assert.notEqual(result.code, 0, result.output);
    assert.doesNotMatch(result.output, /HTTP\/1\.1 200 /, 'no request was served after the renegotiation attempt');
  });
}

describe('TLS renegotiation', () => {
  let soap: TestServer;
  let relay: TestServer;
  before(async () => {
    soap = await startTestServer({ logLevel: 'warn' });
    relay = await startTestServer({ logLevel: 'warn', relayTls: 'on' });
  });
  after(() => Promise.all([soap.close(), relay.close()]));

  renegotiationChecks(
    'the SOAP listener',
    () => soap,
    (ts) => ts.soapPort,
  );
  renegotiationChecks(
    'the relay over HTTPS',
    () => relay,
    (ts) => ts.relayPort,
  );
});
