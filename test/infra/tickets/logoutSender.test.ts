// The back-channel logout over HTTPS (docs/tickets.md "Logout"): one POST of the logout token to a
// receiver whose certificate is verified, within the timeouts, reading at most 4 KiB of reply, with
// only 200 and 204 counted as delivered; whatever the receiver does, the try settles and leaves no
// socket behind (the transport rules of docs/SECURITY.md section E).
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createLogoutSender, MAX_REPLY_BYTES } from '../../../src/infra/tickets/logoutSender.js';
import { closedPortUrl, startSilentListener } from '../../helpers/misbehavingService.js';
import { openTestCa, type TestCa } from '../../helpers/testCa.js';
import { loopbackLookup } from '../../adapters/relay/receivers.js';

const HOST = 'apps.example.de';

describe('the logout sender', () => {
  let ca: TestCa;
  let server: https.Server;
  let port: number;
  const received: { path: string; contentType: string | undefined; body: string }[] = [];
  /** What the next request gets, by path. */
  const answers: Record<string, (res: ServerResponse) => void> = {
    '/.ssod/logout': (res) => res.writeHead(204).end(),
    '/ok200': (res) => res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok'),
    '/unavailable': (res) => res.writeHead(503).end(),
    '/redirect': (res) => res.writeHead(302, { Location: 'https://elsewhere.example/' }).end(),
    // 100 MB of reply, a chunk at a time, while the client reads.
    '/huge': (res) => {
      res.writeHead(200);
      let left = 1600;
      const more = (): void => {
        while (left > 0 && res.write(Buffer.alloc(65536, 0x61))) left -= 1;
        if (left > 0) res.once('drain', more);
        else res.end();
      };
      res.on('close', () => (left = 0));
      more();
    },
    '/never': () => undefined,
  };

  before(async () => {
    ca = await openTestCa();
    const identity = await ca.identityFor(HOST);
    server = https.createServer({ key: identity.key, cert: identity.cert }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ path: req.url ?? '', contentType: req.headers['content-type'], body: Buffer.concat(chunks).toString('utf8') });
        (answers[req.url ?? ''] ?? ((r) => r.writeHead(404).end()))(res);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const sender = (options = {}) => createLogoutSender({ lookup: loopbackLookup, ...options });
  const at = (path: string) => `https://${HOST}:${port}${path}`;
  const connections = () => new Promise<number>((resolve, reject) => server.getConnections((e, n) => (e ? reject(e) : resolve(n))));

  test('POSTs logout_token as a form to the receiver, whose certificate the given CA verifies: 204 is delivered', async () => {
    const attempt = await sender().send({ url: at('/.ssod/logout'), caPem: ca.caPem, logoutToken: 'a.b.c' });
    assert.deepEqual(attempt, { delivered: true });
    const last = received.at(-1);
    assert.equal(last?.path, '/.ssod/logout');
    assert.equal(last.contentType, 'application/x-www-form-urlencoded');
    assert.equal(last.body, 'logout_token=a.b.c');
  });

  test('200 is delivered too; 503 and a redirect are not, and the redirect is not followed', async () => {
    const send = (path: string) => sender().send({ url: at(path), caPem: ca.caPem, logoutToken: 't' });
    assert.deepEqual(await send('/ok200'), { delivered: true });
    assert.deepEqual(await send('/unavailable'), { delivered: false, reason: 'HTTP 503' });
    const before = received.length;
    assert.deepEqual(await send('/redirect'), { delivered: false, reason: 'redirect refused (HTTP 302)' });
    assert.equal(received.length, before + 1, 'one request: the redirect was not followed');
  });

  test('a certificate the system CAs do not trust (no CA configured for the receiver) is refused', async () => {
    const attempt = await sender().send({ url: at('/.ssod/logout'), caPem: null, logoutToken: 't' });
    assert.ok(!attempt.delivered);
    assert.match(attempt.reason, /^connection error [A-Z_]+$/);
  });

  test('a certificate of another CA, or one for another host name, is refused', async () => {
    const other = await openTestCa();
    const refused = await sender().send({ url: at('/.ssod/logout'), caPem: other.caPem, logoutToken: 't' });
    assert.equal(refused.delivered, false);
    const wrongHost = await sender().send({ url: `https://billing.example.fr:${port}/.ssod/logout`, caPem: ca.caPem, logoutToken: 't' });
    assert.deepEqual(wrongHost, { delivered: false, reason: 'connection error ERR_TLS_CERT_ALTNAME_INVALID' });
  });

  test('a huge reply is not read to its end: the status decides, and the connection is dropped after 4 KiB', async () => {
    assert.equal(MAX_REPLY_BYTES, 4096);
    assert.deepEqual(await sender().send({ url: at('/huge'), caPem: ca.caPem, logoutToken: 't' }), { delivered: true });
  });

  test('a receiver that never answers: given up at the whole-call deadline, no connection left', async () => {
    const attempt = await sender({ timeoutMs: 300 }).send({ url: at('/never'), caPem: ca.caPem, logoutToken: 't' });
    assert.deepEqual(attempt, { delivered: false, reason: 'no complete reply within 300 ms' });
    for (let i = 0; i < 100 && (await connections()) > 0; i += 1) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(await connections(), 0);
  });

  test('a server that never completes the TLS handshake fails at the connect timeout', async () => {
    const silent = await startSilentListener();
    try {
      const url = silent.url.replace('127.0.0.1', HOST);
      const attempt = await sender({ connectTimeoutMs: 200 }).send({ url, caPem: ca.caPem, logoutToken: 't' });
      assert.deepEqual(attempt, { delivered: false, reason: 'no TLS connection within 200 ms' });
    } finally {
      await silent.stop();
    }
  });

  test('a closed port, a plain http URL, and a closed sender: not delivered, at once', async () => {
    const closed = (await closedPortUrl()).replace('127.0.0.1', HOST);
    assert.deepEqual(await sender().send({ url: closed, caPem: ca.caPem, logoutToken: 't' }), {
      delivered: false,
      reason: 'connection error ECONNREFUSED',
    });
    assert.deepEqual(await sender().send({ url: at('/.ssod/logout').replace('https:', 'http:'), caPem: null, logoutToken: 't' }), {
      delivered: false,
      reason: 'not an https URL',
    });
    const stopping = sender();
    const pending = stopping.send({ url: at('/never'), caPem: ca.caPem, logoutToken: 't' });
    stopping.close();
    assert.deepEqual(await pending, { delivered: false, reason: 'the server is stopping' });
    assert.deepEqual(await stopping.send({ url: at('/.ssod/logout'), caPem: ca.caPem, logoutToken: 't' }), {
      delivered: false,
      reason: 'the server is stopping',
    });
  });
});
