// Catalog cases (docs/SECURITY.md ("Tested attacks")) that the unit tests of the parser, the relay and the CA leave
// open, proven over the wire against a running server.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import {
  call,
  envelope,
  httpsRequest,
  operation,
  readSoap,
  registerApp,
  relayGet,
  startTestServer,
  type RegisteredApp,
  type TestServer,
} from '../helpers/server.js';

describe('catalog cases over the wire', () => {
  let ts: TestServer;
  let app: RegisteredApp;
  before(async () => {
    ts = await startTestServer({ logLevel: 'warn', argon2MemoryKib: 8192, argon2Iterations: 1 });
    app = await registerApp(ts, 'https://panel.example.com:8443/', 'panel');
  });
  after(() => ts.close());

  test('A1: external entities, parameter entities and a PUBLIC DTD on a listening URL: Sender fault, nothing read, no connection made', async () => {
    let connections = 0;
    const bait = net.createServer((socket) => {
      connections += 1;
      socket.destroy();
    });
    await new Promise<void>((resolve) => bait.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(bait.address() as net.AddressInfo).port}/x.dtd`;
    try {
      const doctypes = [
        `<!DOCTYPE e [<!ENTITY x SYSTEM "file:///etc/passwd">]>`,
        `<!DOCTYPE e [<!ENTITY x SYSTEM "${url}">]>`,
        `<!DOCTYPE e [<!ENTITY % p SYSTEM "${url}"> %p;]>`,
        `<!DOCTYPE e PUBLIC "-//A//DTD B//EN" "${url}">`,
        `<!DOCTYPE e SYSTEM "${url}">`,
      ];
      for (const doctype of doctypes) {
        const body = `${doctype}\n${envelope('1.2', operation('getUserId', { login: 'root' }))}`.replace('>root<', '>&x;<');
        const reply = await httpsRequest(ts, body);
        assert.equal(reply.status, 400, doctype);
        assert.match(reply.body, /env:Sender/);
        assert.doesNotMatch(reply.body, /root:|\/bin\/|127\.0\.0\.1/);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(connections, 0, 'the parser connected to the URL of a DTD or entity');
    } finally {
      await new Promise<void>((resolve) => bait.close(() => resolve()));
    }
  });

  test('A3: a million character references are refused by the size limit before they are read', async () => {
    const references = '&#x41;'.repeat(1_000_000);
    const reply = await httpsRequest(ts, envelope('1.2', operation('getUserId', { login: 'x' })).replace('>x<', `>${references}<`));
    assert.equal(reply.status, 413);
  });

  test('A5: a gzip bomb is refused with 415 before it is inflated', async () => {
    const bomb = gzipSync(Buffer.alloc(50 * 1024 * 1024, 0x20)); // 50 MiB of spaces in about 50 KiB
    assert.ok(bomb.length < 64 * 1024);
    const reply = await httpsRequest(ts, bomb.toString('latin1'), { headers: { 'Content-Encoding': 'gzip' } });
    assert.equal(reply.status, 415);
    assert.equal((await call(ts, 'getSettings')).status, 200);
  });

  test('B12: the certificate of an application that unregistered is FailedAuthentication, never a guest', async () => {
    const gone = await registerApp(ts, 'https://gone.example.com:443/', 'gone');
    assert.equal((await call(ts, 'unregisterApplication', { applicationId: gone.id }, { credentials: gone.credentials })).status, 200);
    for (const name of ['getSettings', 'listApplications', 'listUsers']) {
      assert.equal((await call(ts, name, {}, { credentials: gone.credentials })).fault, 'FailedAuthentication', name);
    }
  });

  test('C22: the cookie of an ended session gives ssosid=none with the status of a never-issued one', async () => {
    await call(ts, 'createUser', { login: 'c22', password: 'pw' }, { credentials: app.credentials });
    const signIn = await call(ts, 'authenticate', { login: 'c22', password: 'pw', baseUrl: app.url });
    const set = await relayGet(ts, new URLSearchParams({ token: signIn.field('relayToken') ?? '', url: app.url }).toString());
    const cookie = (set.headers['set-cookie']?.[0] ?? '').split(';', 1)[0] ?? '';
    assert.match(cookie, /^sid=.{43}$/);
    const query = new URLSearchParams({ url: app.url }).toString();
    assert.notEqual((await relayGet(ts, query, cookie)).headers.location, 'https://panel.example.com:8443/?ssosid=none', 'live before');
    assert.equal((await call(ts, 'closeSession', { sessionId: signIn.field('sessionId') ?? '' })).status, 200);

    const never = `sid=${'B'.repeat(43)}`;
    for (const tried of [cookie, never, 'sid=garbage']) {
      const reply = await relayGet(ts, query, tried);
      assert.equal(reply.status, 302);
      assert.equal(reply.headers.location, 'https://panel.example.com:8443/?ssosid=none');
    }
    // The timing half is measured on its own, in refusals.timing.test.ts.
  });

  test('A7: a SOAP 1.2 action parameter naming a guest operation does not authorize the Body operation', async () => {
    const reply = readSoap(
      await httpsRequest(ts, envelope('1.2', operation('listUsers')), {
        contentType: 'application/soap+xml; charset=utf-8; action="http://swsoft.com/schemas/sso/1/getSettings"',
      }),
    );
    assert.equal(reply.fault, 'permissionDenied');
  });
});
