// Issue 5, TLS: both listeners speak TLS 1.2 and 1.3 only, with forward-secret AEAD suites only,
// proven with real clients (openssl s_client and Node's TLS) that offer what must be refused. The
// relay can be served over HTTPS with the server certificate, and its cookie is then Secure.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import https from 'node:https';
import { after, before, describe, test } from 'node:test';
import tls from 'node:tls';
import { call, registerApp, relayGet, startTestServer, type HttpReply, type TestServer } from '../helpers/server.js';
import { TOOLS, skipWithout } from '../helpers/tools.js';

interface Handshake {
  readonly ok: boolean;
  readonly protocol: string | null;
  readonly cipher: string | null;
  /** Node's error code when refused, e.g. ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION (the server's alert). */
  readonly error: string | null;
}

/** One handshake with Node's TLS client; `SECLEVEL=0` lets it offer what a modern client never would. */
function handshake(port: number, ca: string, options: tls.ConnectionOptions): Promise<Handshake> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ca, servername: 'localhost', ...options }, () => {
      resolve({ ok: true, protocol: socket.getProtocol(), cipher: socket.getCipher().name, error: null });
      socket.destroy();
    });
    socket.once('error', (error: NodeJS.ErrnoException) =>
      resolve({ ok: false, protocol: null, cipher: null, error: error.code ?? error.message }),
    );
  });
}

function openssl(args: readonly string[]): Promise<{ code: number; output: string } | null> {
  return new Promise((resolve) => {
    const child = execFile('openssl', args, { timeout: 15_000 }, (error, stdout, stderr) => {
      if (error !== null && (error as NodeJS.ErrnoException).code === 'ENOENT') resolve(null);
      else resolve({ code: typeof error?.code === 'number' ? error.code : error === null ? 0 : 1, output: stdout + stderr });
    });
    child.stdin?.end();
  });
}

const REFUSED_BY_SERVER = /^ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE$/;

function tlsChecks(name: string, port: () => number, ca: () => string): void {
  test(`${name}: TLS 1.3 and TLS 1.2 with an ECDHE AEAD suite are accepted`, async () => {
    const v13 = await handshake(port(), ca(), { minVersion: 'TLSv1.3' });
    assert.deepEqual([v13.ok, v13.protocol], [true, 'TLSv1.3']);
    for (const cipher of ['ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-ECDSA-CHACHA20-POLY1305']) {
      const v12 = await handshake(port(), ca(), { maxVersion: 'TLSv1.2', ciphers: cipher });
      assert.deepEqual([v12.ok, v12.protocol, v12.cipher], [true, 'TLSv1.2', cipher]);
    }
  });

  test(`${name}: TLS 1.0 and 1.1 are refused by the server (protocol version alert)`, async () => {
    for (const version of ['TLSv1', 'TLSv1.1'] as const) {
      const old = await handshake(port(), ca(), { minVersion: version, maxVersion: version, ciphers: 'DEFAULT@SECLEVEL=0' });
      assert.equal(old.ok, false, version);
      assert.equal(old.error, 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION', version);
    }
  });

  test(`${name}: weak TLS 1.2 suites (CBC, static RSA key exchange, no forward secrecy) are refused`, async () => {
    for (const cipher of [
      'ECDHE-ECDSA-AES128-SHA',
      'ECDHE-ECDSA-AES256-SHA384',
      'AES128-GCM-SHA256',
      'AES256-SHA',
      'DHE-RSA-AES128-GCM-SHA256',
    ]) {
      const weak = await handshake(port(), ca(), { maxVersion: 'TLSv1.2', ciphers: `${cipher}@SECLEVEL=0` });
      assert.equal(weak.ok, false, cipher);
      assert.match(weak.error ?? '', REFUSED_BY_SERVER, cipher);
    }
  });

  test(`${name}: openssl s_client gets the same answers`, { skip: skipWithout([TOOLS.openssl]) }, async () => {
    const connect = ['s_client', '-connect', `127.0.0.1:${port()}`, '-brief'];
    const modern = await openssl([...connect, '-tls1_3']);
    assert.ok(modern !== null, 'openssl runs');
    assert.equal(modern.code, 0, modern.output);
    assert.match(modern.output, /Protocol version: TLSv1\.3/);
    const cases: [string[], RegExp][] = [
      [['-tls1_1', '-cipher', 'DEFAULT@SECLEVEL=0'], /alert protocol version/],
      [['-tls1', '-cipher', 'DEFAULT@SECLEVEL=0'], /alert protocol version/],
      [['-tls1_2', '-cipher', 'ECDHE-ECDSA-AES128-SHA'], /alert handshake failure/],
      [['-tls1_2', '-cipher', 'AES128-GCM-SHA256'], /alert handshake failure/],
      [['-tls1_3', '-ciphersuites', 'TLS_AES_128_CCM_8_SHA256'], /alert handshake failure/],
    ];
    for (const [args, refusal] of cases) {
      const result = await openssl([...connect, ...args]);
      assert.notEqual(result?.code, 0, args.join(' '));
      assert.match(result?.output ?? '', refusal, args.join(' '));
    }
  });
}

function httpsGet(port: number, ca: string, path: string): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port, path, ca, servername: 'localhost', agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: '' }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('TLS of the SOAP listener', () => {
  let ts: TestServer;
  before(async () => {
    ts = await startTestServer({ logLevel: 'warn' });
  });
  after(() => ts.close());
  tlsChecks(
    'SOAP',
    () => ts.soapPort,
    () => ts.caPem,
  );
});

describe('the relay over HTTPS (--relay-tls on)', () => {
  let ts: TestServer;
  before(async () => {
    ts = await startTestServer({ logLevel: 'warn', relayTls: 'on', argon2MemoryKib: 8192, argon2Iterations: 1 });
  });
  after(() => ts.close());
  tlsChecks(
    'relay',
    () => ts.relayPort,
    () => ts.caPem,
  );

  test('C23: getSettings names an https relay; the cookie it sets is Secure, HttpOnly, SameSite=Lax', async () => {
    assert.equal((await call(ts, 'getSettings')).field('relayEndpointUrl'), `https://127.0.0.1:${ts.relayPort}/relay`);
    const app = await registerApp(ts, 'https://tls.example.com:443/', 'tls');
    await call(ts, 'createUser', { login: 'tls-user', password: 'pw' }, { credentials: app.credentials });
    const token = (await call(ts, 'authenticate', { login: 'tls-user', password: 'pw', baseUrl: app.url })).field('relayToken') ?? '';
    const reply = await httpsGet(ts.relayPort, ts.caPem, `/relay?${new URLSearchParams({ token, url: app.url }).toString()}`);
    assert.equal(reply.status, 302);
    const cookie = reply.headers['set-cookie']?.[0] ?? '';
    assert.match(cookie, /^__Host-sid=[A-Za-z0-9_-]{43}; Max-Age=\d+; Path=\/; HttpOnly; SameSite=Lax; Secure$/);
  });

  test('plain HTTP to the HTTPS relay gets no answer from the relay', async () => {
    await assert.rejects(relayGet(ts, 'url=https%3A%2F%2Ftls.example.com%2F'));
  });
});
