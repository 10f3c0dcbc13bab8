// protocol §5.1–5.5 and §4.2 with real client certificates: answered in process (helpers/inProcess.ts),
// and certificate rotation over real TLS.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { startInProcess, type InProcessServer } from '../../../helpers/inProcess.js';
import { call, registerApp, splitPem, startTestServer, type TestServer } from '../../../helpers/server.js';

describe('applications', () => {
  let ts: InProcessServer;
  before(async () => {
    ts = await startInProcess();
  });
  after(() => ts.close());

  test('registerApplication by a guest returns an id and a key+certificate signed by the ssod CA (protocol §5.1)', async () => {
    const reply = await call(ts, 'registerApplication', {
      name: 'plesk',
      displayName: 'Plesk for Unix',
      version: '8.2',
      capabilities: '',
      url: 'https://plesk.example.com:8443/',
      restorePasswordUrl: 'https://plesk.example.com:8443/plesk/$uid/restore_password/',
      changePasswordUrl: 'https://plesk.example.com:8443/plesk/$uid/change_password/',
    });
    assert.equal(reply.status, 200, reply.body);
    assert.match(reply.field('applicationId') ?? '', /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const pem = reply.field('certificate') ?? '';
    assert.match(pem, /^-----BEGIN PRIVATE KEY-----[\s\S]+-----END CERTIFICATE-----\s*$/);
    const cert = new X509Certificate(splitPem(pem).cert);
    assert.ok(cert.checkIssued(new X509Certificate(ts.caPem)));
  });

  test('a missing port is filled in and kept explicit; a path, query or fragment is invalidParameter (docs/DECISIONS.md URLs)', async () => {
    const app = await registerApp(ts, 'https://Billing.Example.com/', 'billing');
    const info = await call(ts, 'getApplication', { applicationId: app.id });
    assert.equal(info.field('url'), 'https://billing.example.com:443/');
    for (const url of [
      'https://a.example.com:8443/path',
      'https://a.example.com:8443/?q=1',
      'https://a.example.com:8443/#f',
      'ftp://a.example.com:21/',
      'https://user@a.example.com:8443/',
    ]) {
      const reply = await call(ts, 'registerApplication', { name: 'x', displayName: 'x', version: '1', url });
      assert.equal(reply.fault, 'invalidParameter', url);
      assert.equal(reply.status, 400);
    }
  });

  test('registerApplication without a name is invalidParameter', async () => {
    const reply = await call(ts, 'registerApplication', { displayName: 'x', version: '1' });
    assert.equal(reply.fault, 'invalidParameter');
  });

  test('getApplication returns the fields but no certificate; unknown id is noSuchApplication (protocol §5.4)', async () => {
    const app = await registerApp(ts, 'https://get.example.com:8443/', 'get');
    const reply = await call(ts, 'getApplication', { applicationId: app.id });
    assert.equal(reply.field('name'), 'get');
    assert.equal(reply.field('version'), '1.0');
    assert.equal(reply.field('certificate'), undefined);
    assert.equal(reply.field('changePasswordUrl'), undefined);
    const missing = await call(ts, 'getApplication', { applicationId: '00000000-0000-4000-8000-000000000000' });
    assert.equal(missing.fault, 'noSuchApplication');
  });

  test('listApplications lists every registered application, as a guest and as an application (protocol §5.3)', async () => {
    const a = await registerApp(ts, 'https://list-a.example.com:443/', 'a');
    const b = await registerApp(ts, 'https://list-b.example.com:443/', 'b');
    const asGuest = await call(ts, 'listApplications');
    const asApp = await call(ts, 'listApplications', {}, { credentials: a.credentials });
    for (const reply of [asGuest, asApp]) {
      const ids = reply.all('a');
      assert.ok(ids.includes(a.id) && ids.includes(b.id));
      assert.match(reply.body, /<sso:applicationsList>/);
    }
  });

  test('updateApplication changes only the given fields; an empty url clears it (protocol §5.2)', async () => {
    const app = await registerApp(ts, 'https://upd.example.com:443/', 'upd');
    const reply = await call(
      ts,
      'updateApplication',
      { applicationId: app.id, version: '2.0', capabilities: 'ui-integration' },
      { credentials: app.credentials },
    );
    assert.equal(reply.status, 200, reply.body);
    assert.equal(reply.field('certificate'), undefined);
    const info = await call(ts, 'getApplication', { applicationId: app.id });
    assert.equal(info.field('version'), '2.0');
    assert.equal(info.field('capabilities'), 'ui-integration');
    assert.equal(info.field('name'), 'upd');
    await call(ts, 'updateApplication', { applicationId: app.id, url: '' }, { credentials: app.credentials });
    assert.equal((await call(ts, 'getApplication', { applicationId: app.id })).field('url'), undefined);
  });

  test('updateApplication of another application is permissionDenied, of an unknown one noSuchApplication, by a guest permissionDenied', async () => {
    const a = await registerApp(ts, 'https://ua.example.com:443/', 'ua');
    const b = await registerApp(ts, 'https://ub.example.com:443/', 'ub');
    assert.equal(
      (await call(ts, 'updateApplication', { applicationId: b.id, version: '9' }, { credentials: a.credentials })).fault,
      'permissionDenied',
    );
    assert.equal(
      (await call(ts, 'updateApplication', { applicationId: '00000000-0000-4000-8000-000000000001' }, { credentials: a.credentials }))
        .fault,
      'noSuchApplication',
    );
    assert.equal((await call(ts, 'updateApplication', { applicationId: a.id, version: '9' })).fault, 'permissionDenied');
    assert.equal((await call(ts, 'getApplication', { applicationId: b.id })).field('version'), '1.0');
  });

  test('rotation twice before use: only the newest certificate takes over; the one in use stays until then', async () => {
    const app = await registerApp(ts, 'https://rot2.example.com:443/', 'rot2');
    const first = splitPem(
      (await call(ts, 'updateApplication', { applicationId: app.id, certificate: '' }, { credentials: app.credentials })).field(
        'certificate',
      ) ?? '',
    );
    const second = splitPem(
      (await call(ts, 'updateApplication', { applicationId: app.id, certificate: '' }, { credentials: app.credentials })).field(
        'certificate',
      ) ?? '',
    );
    assert.equal((await call(ts, 'listUsers', {}, { credentials: first })).fault, 'FailedAuthentication');
    assert.equal((await call(ts, 'listUsers', {}, { credentials: app.credentials })).status, 200);
    assert.equal((await call(ts, 'listUsers', {}, { credentials: second })).status, 200);
    assert.equal((await call(ts, 'listUsers', {}, { credentials: app.credentials })).fault, 'FailedAuthentication');
  });

  test('updateApplication with a non-empty certificate is invalidParameter', async () => {
    const app = await registerApp(ts, 'https://cert.example.com:443/', 'cert');
    const reply = await call(ts, 'updateApplication', { applicationId: app.id, certificate: 'MIIB...' }, { credentials: app.credentials });
    assert.equal(reply.fault, 'invalidParameter');
  });

  test('unregisterApplication deletes the application and its users; its certificate then fails (protocol §5.5)', async () => {
    const app = await registerApp(ts, 'https://unreg.example.com:443/', 'unreg');
    const other = await registerApp(ts, 'https://unreg-other.example.com:443/', 'other');
    const created = await call(ts, 'createUser', { login: 'unreg-user', password: 'secret-1' }, { credentials: app.credentials });
    const userId = created.field('userId') ?? '';
    assert.equal(
      (await call(ts, 'unregisterApplication', { applicationId: other.id }, { credentials: app.credentials })).fault,
      'permissionDenied',
    );
    assert.equal((await call(ts, 'unregisterApplication', { applicationId: app.id })).fault, 'permissionDenied');
    const reply = await call(ts, 'unregisterApplication', { applicationId: app.id }, { credentials: app.credentials });
    assert.equal(reply.status, 200, reply.body);
    assert.equal((await call(ts, 'getApplication', { applicationId: app.id })).fault, 'noSuchApplication');
    assert.equal((await call(ts, 'getUser', { userId }, { credentials: other.credentials })).fault, 'noSuchUser');
    assert.equal((await call(ts, 'listApplications', {}, { credentials: app.credentials })).fault, 'FailedAuthentication');
  });

  test('guest may not call application-only operations: permissionDenied (protocol §4.2)', async () => {
    for (const name of ['createUser', 'listUsers', 'getUser', 'getUserId', 'deleteUser']) {
      const fields =
        name === 'createUser'
          ? { login: 'g', password: 'p' }
          : name === 'getUserId'
            ? { login: 'g' }
            : name === 'listUsers'
              ? {}
              : { userId: '00000000-0000-4000-8000-000000000000' };
      const reply = await call(ts, name, fields);
      assert.equal(reply.fault, 'permissionDenied', name);
    }
  });
});

describe('applications over TLS', () => {
  let ts: TestServer;
  before(async () => {
    ts = await startTestServer();
  });
  after(() => ts.close());

  test('rotation: the old certificate works until the new one is first used, then FailedAuthentication (protocol §4.2)', async () => {
    const app = await registerApp(ts, 'https://rot.example.com:443/', 'rot');
    const reply = await call(ts, 'updateApplication', { applicationId: app.id, certificate: '' }, { credentials: app.credentials });
    const fresh = splitPem(reply.field('certificate') ?? '');
    assert.notEqual(fresh.cert, app.credentials.cert);
    // Before the new certificate is used, the old one still works.
    assert.equal((await call(ts, 'listUsers', {}, { credentials: app.credentials })).status, 200);
    assert.equal((await call(ts, 'listUsers', {}, { credentials: app.credentials })).status, 200);
    // First use of the new one switches.
    assert.equal((await call(ts, 'listUsers', {}, { credentials: fresh })).status, 200);
    const old = await call(ts, 'listUsers', {}, { credentials: app.credentials });
    assert.equal(old.fault, 'FailedAuthentication');
    assert.equal(old.status, 400);
    // Even for guest operations: a presented certificate never falls back to guest (docs/DECISIONS.md).
    assert.equal((await call(ts, 'getSettings', {}, { credentials: app.credentials })).fault, 'FailedAuthentication');
    assert.equal((await call(ts, 'listUsers', {}, { credentials: fresh })).status, 200);
  });
});
