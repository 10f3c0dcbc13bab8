// The SOAP listener reads a request body as UTF-8 and refuses one that is not: different bytes
// never become one text (a password, a login) by way of replacement characters.
import assert from 'node:assert/strict';
import https from 'node:https';
import { after, before, describe, test } from 'node:test';
import {
  call,
  envelope,
  operation,
  readSoap,
  registerApp,
  startTestServer,
  type Credentials,
  type HttpReply,
  type SoapVersion,
  type TestServer,
} from '../helpers/server.js';

/** One POST of exactly these bytes to /soap. */
function postBytes(ts: TestServer, body: Buffer, version: SoapVersion, credentials: Credentials): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const contentType = version === '1.2' ? 'application/soap+xml; charset=utf-8' : 'text/xml; charset=utf-8';
    const req = https.request(
      {
        host: '127.0.0.1',
        port: ts.soapPort,
        path: '/soap',
        method: 'POST',
        ca: ts.caPem,
        agent: false,
        ...credentials,
        headers: { 'Content-Type': contentType },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** An authenticate request whose password is the given bytes, as they are. */
function authenticateWithPasswordBytes(version: SoapVersion, login: string, password: Buffer): Buffer {
  const [head = '', tail = ''] = envelope(version, operation('authenticate', { login, password: '\u0000' })).split('\u0000');
  return Buffer.concat([Buffer.from(head), password, Buffer.from(tail)]);
}

describe('request body encoding', () => {
  let ts: TestServer;
  let credentials: Credentials;
  before(async () => {
    ts = await startTestServer({ logLevel: 'warn', argon2MemoryKib: 8192, argon2Iterations: 1 });
    ({ credentials } = await registerApp(ts));
    // The password that Latin-1 bytes used to become: "p", U+FFFD, "ss".
    assert.equal((await call(ts, 'createUser', { login: 'latin1@example.com', password: 'p\uFFFDss' }, { credentials })).status, 200);
  });
  after(() => ts.close());

  test('F43: Latin-1 bytes declared UTF-8 are an env:Sender fault, not the password they would decode to', async () => {
    for (const latin1 of [Buffer.from('p\u00e4ss', 'latin1'), Buffer.from('p\u00f6ss', 'latin1')]) {
      const reply = await postBytes(ts, authenticateWithPasswordBytes('1.2', 'latin1@example.com', latin1), '1.2', credentials);
      assert.equal(reply.status, 400, reply.body);
      assert.match(reply.body, /<env:Value>env:Sender<\/env:Value>/);
      assert.match(reply.body, /not valid UTF-8/);
      assert.equal(readSoap(reply).field('userId'), undefined);
    }
  });

  test('F43: the same in SOAP 1.1 is a Client fault', async () => {
    const reply = await postBytes(
      ts,
      authenticateWithPasswordBytes('1.1', 'latin1@example.com', Buffer.from('p\u00e4ss', 'latin1')),
      '1.1',
      credentials,
    );
    assert.equal(reply.status, 500, reply.body);
    assert.match(reply.body, /<faultcode>\w+:Client<\/faultcode>/);
    assert.match(reply.body, /not valid UTF-8/);
  });

  test('the password sent as valid UTF-8 signs in, with or without a byte order mark', async () => {
    const body = authenticateWithPasswordBytes('1.2', 'latin1@example.com', Buffer.from('p\uFFFDss'));
    for (const bytes of [body, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), body])]) {
      const reply = readSoap(await postBytes(ts, bytes, '1.2', credentials));
      assert.equal(reply.status, 200, reply.body);
      assert.equal(reply.fault, undefined);
      assert.ok(reply.field('userId'));
    }
  });
});
