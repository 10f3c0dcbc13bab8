// the catalog's section B (docs/SECURITY.md) at the API: certificates that must never authenticate an application, the
// rotation race, and client-certificate headers that must be ignored. (The TLS-level proofs of
// B11-B13 are in test/infra/keys/ca.test.ts.)
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { certificateAddition } from '../../src/core/applications.js';
import {
  call,
  envelope,
  httpsRequest,
  operation,
  readSoap,
  registerApp,
  splitPem,
  startTestServer,
  type TestServer,
} from '../helpers/server.js';

describe('client certificates at the API (section B of the catalog)', () => {
  let ts: TestServer;
  before(async () => {
    ts = await startTestServer();
  });
  after(() => ts.close());

  test('B12: an expired certificate of ssod CA registered to the application is FailedAuthentication', async () => {
    const app = await registerApp(ts, 'https://b12.example.com:443/', 'b12');
    // In use before another certificate exists, as it always is when the protocol rotates it.
    assert.equal((await call(ts, 'listUsers', {}, { credentials: app.credentials })).status, 200);
    const { ca, store } = ts.server.services;
    const day = 86_400_000;
    const expired = await ca.issueClientCertificateWithValidity(app.id, new Date(Date.now() - 10 * day), new Date(Date.now() - day));
    await store.apply(
      certificateAddition({
        fingerprint: expired.fingerprint,
        applicationId: app.id,
        serial: expired.serial,
        issuedAt: expired.issuedAt,
        notAfter: expired.notAfter,
        firstUsedAt: null,
        retiredAt: null,
      }),
    );
    assert.equal((await call(ts, 'getSettings', {}, { credentials: splitPem(expired.pem) })).fault, 'FailedAuthentication');
    assert.equal((await call(ts, 'listUsers', {}, { credentials: app.credentials })).status, 200, 'the valid certificate still works');
  });

  test('B12: a certificate of ssod CA that was never registered is FailedAuthentication', async () => {
    const app = await registerApp(ts, 'https://b12b.example.com:443/', 'b12b');
    const unregistered = await ts.server.services.ca.issueClientCertificate(app.id, 30);
    for (const name of ['listUsers', 'getSettings', 'registerApplication']) {
      assert.equal(
        (
          await call(ts, name, name === 'registerApplication' ? { name: 'x', displayName: 'x', version: '1' } : {}, {
            credentials: splitPem(unregistered.pem),
          })
        ).fault,
        'FailedAuthentication',
        name,
      );
    }
  });

  test('B13: the CA certificate itself presented as a client certificate is refused', async () => {
    const credentials = { key: readFileSync(path.join(ts.dataDir, 'ca.key'), 'utf8'), cert: ts.caPem };
    assert.equal((await call(ts, 'getSettings', {}, { credentials })).fault, 'FailedAuthentication');
  });

  test('B14: the rotation race has one outcome: new-certificate requests succeed, old ones succeed only before the switch', async () => {
    for (let round = 0; round < 5; round += 1) {
      const app = await registerApp(ts, `https://b14-${round}.example.com:443/`, `b14-${round}`);
      const fresh = splitPem(
        (await call(ts, 'updateApplication', { applicationId: app.id, certificate: '' }, { credentials: app.credentials })).field(
          'certificate',
        ) ?? '',
      );
      const replies = await Promise.all(
        Array.from({ length: 16 }, (_, i) =>
          call(ts, 'listUsers', {}, { credentials: i % 2 === 0 ? app.credentials : fresh }).then((reply) => ({ old: i % 2 === 0, reply })),
        ),
      );
      for (const { old, reply } of replies) {
        if (old) assert.ok(reply.status === 200 || reply.fault === 'FailedAuthentication', reply.body);
        else assert.equal(reply.status, 200, reply.body);
      }
      assert.equal(
        (await call(ts, 'listUsers', {}, { credentials: app.credentials })).fault,
        'FailedAuthentication',
        'after the race the old certificate is refused',
      );
      assert.equal((await call(ts, 'listUsers', {}, { credentials: fresh })).status, 200);
    }
  });

  test('B15: X-SSL-Client-Cert and X-Forwarded-Client-Cert headers are ignored', async () => {
    const app = await registerApp(ts, 'https://b15.example.com:443/', 'b15');
    const pem = encodeURIComponent(app.credentials.cert);
    const reply = readSoap(
      await httpsRequest(ts, envelope('1.2', operation('listUsers')), {
        headers: { 'X-SSL-Client-Cert': pem, 'X-Forwarded-Client-Cert': `Cert="${pem}"`, SSL_CLIENT_CERT: pem },
      }),
    );
    assert.equal(reply.fault, 'permissionDenied', 'still a guest');
  });
});
