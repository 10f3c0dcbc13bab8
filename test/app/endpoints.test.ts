// The HTTP surface around the operations: WSDL, CA certificate, health, limits, content types,
// hostile envelopes over the wire, and what the log may hold.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { after, before, describe, test } from 'node:test';
import tls from 'node:tls';
import { ALL_OPERATIONS } from '../../src/adapters/soap/operations/index.js';
import { generateExtensionWsdl } from '../../src/adapters/soap/wsdl.js';
import {
  call,
  envelope,
  httpsRequest,
  operation,
  readSoap,
  registerApp,
  relayGet,
  startTestServer,
  type TestServer,
} from '../helpers/server.js';

describe('endpoints', () => {
  let ts: TestServer;
  before(async () => {
    ts = await startTestServer();
  });
  after(() => ts.close());

  test('GET /soap?wsdl serves a WSDL 1.1 with every operation and both SOAP bindings', async () => {
    const reply = await httpsRequest(ts, null, { path: '/soap?wsdl' });
    assert.equal(reply.status, 200);
    assert.match(reply.body, /<wsdl:definitions|<definitions/);
    for (const name of ['registerApplication', 'getApplication', 'verifySession', 'getSettings', 'transferOwnership']) {
      assert.match(reply.body, new RegExp(`name="${name}"`));
    }
    assert.match(reply.body, /schemas\.xmlsoap\.org\/wsdl\/soap12\//);
    assert.ok(reply.body.includes(`https://127.0.0.1:${ts.soapPort}/soap`));
    // Byte for byte the protocol's WSDL (test/vectors/wsdl/README.md), at this server's endpoint.
    const frozen = readFileSync(new URL('../../../test/vectors/wsdl/protocol.wsdl', import.meta.url), 'utf8');
    assert.equal(reply.body, frozen.replaceAll('https://sso.example.com:8443/soap', `https://127.0.0.1:${ts.soapPort}/soap`));
  });

  test('GET /soap?wsdl=ext serves the extensions WSDL (docs/EXTENSIONS.md) at this endpoint; other queries stay 404', async () => {
    const endpoint = `https://127.0.0.1:${ts.soapPort}/soap`;
    for (const query of ['wsdl=ext', 'WSDL=ext']) {
      const reply = await httpsRequest(ts, null, { path: `/soap?${query}` });
      assert.equal(reply.status, 200);
      assert.equal(reply.headers['content-type'], 'text/xml; charset=utf-8');
      assert.equal(reply.body, generateExtensionWsdl(ALL_OPERATIONS, endpoint));
    }
    for (const query of ['wsdl=EXT', 'wsdl=', 'wsdl=ext&x=1', 'wsdl&wsdl=ext', 'wsdl=protocol', 'x=1']) {
      assert.equal((await httpsRequest(ts, null, { path: `/soap?${query}` })).status, 404, query);
    }
  });

  test('GET /ca.pem serves the CA certificate, on the SOAP port and on the relay port (no trust needed first)', async () => {
    const reply = await httpsRequest(ts, null, { path: '/ca.pem' });
    assert.equal(reply.status, 200);
    assert.equal(reply.body, ts.caPem);
    const relay = await fetch(`http://127.0.0.1:${ts.relayPort}/ca.pem`);
    assert.equal(relay.status, 200);
    assert.equal(relay.headers.get('content-type'), 'application/x-pem-file');
    assert.equal(await relay.text(), ts.caPem);
  });

  test('GET /healthz answers 200 on both listeners', async () => {
    assert.equal((await httpsRequest(ts, null, { path: '/healthz' })).status, 200);
    const res = await fetch(`http://127.0.0.1:${ts.relayPort}/healthz`);
    assert.equal(res.status, 200);
  });

  test('unknown paths are 404; GET /soap is 405', async () => {
    assert.equal((await httpsRequest(ts, null, { path: '/nope' })).status, 404);
    assert.equal((await httpsRequest(ts, null, { path: '/soap' })).status, 405);
  });

  test('A8: a missing or wrong Content-Type is 415; a compressed body is 415', async () => {
    const body = envelope('1.2', operation('getSettings'));
    assert.equal((await httpsRequest(ts, body, { contentType: 'application/json' })).status, 415);
    assert.equal((await httpsRequest(ts, body, { contentType: '' })).status, 415);
    assert.equal((await httpsRequest(ts, body, { headers: { 'Content-Encoding': 'gzip' } })).status, 415);
  });

  test('A5: a body over the limit is refused with 413, with and without Content-Length', async () => {
    const big = envelope('1.2', operation('getSettings', { x: 'a'.repeat(70_000) }));
    assert.equal((await httpsRequest(ts, big)).status, 413);
    const chunked = await new Promise<number>((resolve, reject) => {
      const req = https.request(
        {
          host: '127.0.0.1',
          port: ts.soapPort,
          path: '/soap',
          method: 'POST',
          ca: ts.caPem,
          agent: false,
          headers: { 'Content-Type': 'application/soap+xml', 'Transfer-Encoding': 'chunked' },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      for (let i = 0; i < 20; i += 1) req.write('x'.repeat(8192));
      req.end();
    });
    assert.equal(chunked, 413);
  });

  test('A1: a DOCTYPE is a Sender fault over the wire, in the request version', async () => {
    const body = `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>${envelope('1.2', operation('getSettings'))}`;
    const reply = await httpsRequest(ts, body);
    assert.equal(reply.status, 400);
    assert.match(reply.body, /env:Sender/);
    assert.doesNotMatch(reply.body, /root:/);
    const v11 = await httpsRequest(
      ts,
      body.replace('http://www.w3.org/2003/05/soap-envelope', 'http://schemas.xmlsoap.org/soap/envelope/'),
      { contentType: 'text/xml' },
    );
    assert.equal(v11.status, 500);
    assert.match(v11.body, /faultcode/);
  });

  test('A7: SOAPAction naming a guest operation does not authorize the Body operation', async () => {
    const reply = readSoap(
      await httpsRequest(ts, envelope('1.1', operation('listUsers')), {
        contentType: 'text/xml',
        headers: { SOAPAction: '"http://swsoft.com/schemas/sso/1/getSettings"' },
      }),
    );
    assert.equal(reply.fault, 'permissionDenied');
  });

  test('an unknown operation element is invalidParameter', async () => {
    const reply = readSoap(await httpsRequest(ts, envelope('1.2', operation('dropAllTables'))));
    assert.equal(reply.fault, 'invalidParameter');
  });

  test('the examples of the protocol with other prefixes and a default namespace are understood', async () => {
    const body = `<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body><getSettings xmlns="http://swsoft.com/schemas/sso/1"/></soap:Body></soap:Envelope>`;
    const reply = readSoap(await httpsRequest(ts, body));
    assert.equal(reply.status, 200, reply.body);
    assert.ok(reply.field('relayEndpointUrl'));
  });

  test('B11: a certificate from another CA is FailedAuthentication, never guest', async () => {
    const foreign = await startTestServer();
    try {
      const app = await registerApp(foreign, 'https://foreign.example.com:443/', 'foreign');
      for (let i = 0; i < 5; i += 1) {
        const reply = await call(ts, 'getSettings', {}, { credentials: app.credentials });
        assert.equal(reply.fault, 'FailedAuthentication');
      }
    } finally {
      await foreign.close();
    }
  });

  test('TLS below 1.2 is refused', async () => {
    const outcome = await new Promise<string>((resolve) => {
      const socket = tls.connect({ host: '127.0.0.1', port: ts.soapPort, ca: ts.caPem, maxVersion: 'TLSv1.1', minVersion: 'TLSv1' }, () => {
        socket.destroy();
        resolve('connected');
      });
      socket.on('error', () => resolve('refused'));
    });
    assert.equal(outcome, 'refused');
  });

  test('faults never carry a stack trace or a path', async () => {
    const replies = await Promise.all([
      httpsRequest(ts, '<not xml'),
      httpsRequest(ts, envelope('1.2', '<a:b xmlns:a="urn:x"/>')),
      call(ts, 'getUser', { userId: 'x' }).then((r) => r),
    ]);
    for (const reply of replies) {
      assert.doesNotMatch(reply.body, /\bat \w+ \(|\/work\/|node_modules|\.ts:\d+|SQLITE/);
    }
  });

  test('one log line per request with request id, caller, operation and outcome; no secret in the log', async () => {
    const app = await registerApp(ts, 'https://log.example.com:443/', 'log');
    await call(ts, 'createUser', { login: 'log-user', password: 'very-secret-password' }, { credentials: app.credentials });
    const auth = await call(ts, 'authenticate', {
      login: 'log-user',
      password: 'very-secret-password',
      baseUrl: 'https://log.example.com:443/',
    });
    const token = auth.field('relayToken') ?? '';
    const sessionId = auth.field('sessionId') ?? '';
    const relay = await relayGet(ts, new URLSearchParams({ token, url: 'https://log.example.com:443/' }).toString());
    const cookie = (relay.headers['set-cookie']?.[0] ?? '').split(';', 1)[0]?.split('=')[1] ?? '';
    await call(ts, 'verifySession', { sessionId });
    const records = ts.logRecords().filter((r) => r.msg === 'request');
    const verify = records.find((r) => r.operation === 'verifySession');
    assert.ok(verify);
    assert.equal(verify.caller, 'guest');
    assert.equal(verify.outcome, 'ok');
    assert.match(String(verify.requestId), /\S+/);
    const createLine = records.find((r) => r.operation === 'createUser');
    assert.equal(createLine?.caller, app.id);
    const text = ts.logText();
    const opaque = sessionId.slice(sessionId.lastIndexOf('/') + 1);
    for (const secret of ['very-secret-password', token, opaque, cookie, 'PRIVATE KEY']) {
      assert.ok(secret.length > 0);
      assert.ok(!text.includes(secret), `log must not contain ${secret.slice(0, 8)}…`);
    }
  });
});
