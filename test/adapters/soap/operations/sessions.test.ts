// protocol §5.17–5.20: authenticate, verifySession, closeSession, getSettings, expiry; answered in
// process (helpers/inProcess.ts), and the hot path's one store read and certificate rules over real TLS.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startInProcess, type InProcessServer } from '../../../helpers/inProcess.js';
import {
  call,
  registerApp,
  splitPem,
  startTestServer,
  type RegisteredApp,
  type SoapTarget,
  type TestServer,
} from '../../../helpers/server.js';

const BASE = 'https://owner.example.com:8443/';
const SETTINGS = { sessionTimeout: 600, sessionLifetime: 3600 };

/** Both describes' fixture: the owner application of BASE, another application, and one user of the owner. */
async function seed(target: SoapTarget): Promise<{ owner: RegisteredApp; other: RegisteredApp; userId: string }> {
  const owner = await registerApp(target, BASE, 'owner');
  const other = await registerApp(target, 'https://other.example.com:443/', 'other');
  const created = await call(target, 'createUser', { login: 'user@example.com', password: 'l2345' }, { credentials: owner.credentials });
  return { owner, other, userId: created.field('userId') ?? '' };
}

/** authenticate as the user, for BASE unless `fields` say otherwise. */
function signInOn(target: SoapTarget, fields: Record<string, string | undefined> = {}) {
  return call(target, 'authenticate', { login: 'user@example.com', password: 'l2345', baseUrl: BASE, ...fields });
}

describe('sessions over TLS', () => {
  let ts: TestServer;
  let other: RegisteredApp;
  let userId: string;
  before(async () => {
    ts = await startTestServer(SETTINGS);
    ({ other, userId } = await seed(ts));
  });
  after(() => ts.close());

  const signIn = (fields: Record<string, string | undefined> = {}) => signInOn(ts, fields);

  test('verifySession from an application reads its certificate and the session in one store read; a guest reads only the session', async () => {
    const sessionId = (await signIn({ baseUrl: other.url })).field('sessionId') ?? '';
    const store = ts.server.services.store;
    const calls: string[] = [];
    const spied = ['findCertificate', 'findSessionByLocalId', 'findCertificateAndSession'];
    for (const name of spied) {
      const original = Reflect.get(store, name) as (...args: unknown[]) => Promise<unknown>;
      // An own property shadows the engine's method until it is deleted again.
      Reflect.set(store, name, (...args: unknown[]) => (calls.push(name), original.apply(store, args)));
    }
    try {
      assert.equal((await call(ts, 'verifySession', { sessionId }, { credentials: other.credentials })).field('userId'), userId);
      assert.deepEqual(calls.splice(0), ['findCertificateAndSession']);
      assert.equal((await call(ts, 'verifySession', { sessionId })).field('userId'), userId);
      assert.deepEqual(calls.splice(0), ['findSessionByLocalId']);
    } finally {
      for (const name of spied) Reflect.deleteProperty(store, name);
    }
  });

  test('verifySession through the one read keeps the certificate rules: first use activates, a retired certificate fails first (protocol §4.2)', async () => {
    const rotating = await registerApp(ts, 'https://rotating.example.com:443/', 'rotating');
    const sessionId = (await signIn({ baseUrl: rotating.url })).field('sessionId') ?? '';
    const pem =
      (await call(ts, 'updateApplication', { applicationId: rotating.id, certificate: '' }, { credentials: rotating.credentials })).field(
        'certificate',
      ) ?? '';
    const renewed = splitPem(pem);
    assert.equal(
      (await call(ts, 'verifySession', { sessionId }, { credentials: renewed })).field('userId'),
      userId,
      'the first use of the new certificate',
    );
    assert.equal(
      (await call(ts, 'verifySession', { sessionId }, { credentials: rotating.credentials })).fault,
      'FailedAuthentication',
      'the old one is retired',
    );
    assert.equal(
      (await call(ts, 'verifySession', { sessionId: 'not a session id' }, { credentials: rotating.credentials })).fault,
      'FailedAuthentication',
      'the caller is judged before the input',
    );
    assert.equal((await call(ts, 'verifySession', { sessionId: `${BASE}00` }, { credentials: renewed })).fault, 'noSuchSession');
  });
});

describe('sessions', () => {
  let ts: InProcessServer;
  let owner: RegisteredApp;
  let other: RegisteredApp;
  let userId: string;
  before(async () => {
    ts = await startInProcess(SETTINGS);
    ({ owner, other, userId } = await seed(ts));
  });
  after(() => ts.close());

  const signIn = (fields: Record<string, string | undefined> = {}) => signInOn(ts, fields);

  test('authenticate with a baseUrl returns a relay token, a session id on that base url and the userId (protocol §5.17)', async () => {
    const reply = await signIn();
    assert.equal(reply.status, 200, reply.body);
    assert.equal(reply.field('userId'), userId);
    assert.match(reply.field('sessionId') ?? '', /^https:\/\/owner\.example\.com:8443\/[0-9A-F]{32}$/);
    assert.match(reply.field('relayToken') ?? '', /^[0-9a-f]{32}$/);
    assert.equal((await call(ts, 'verifySession', { sessionId: reply.field('sessionId') ?? '' })).field('userId'), userId);
  });

  test("F37: an application that presents its certificate gets noSuchSession for another application's local session; a guest still gets the user", async () => {
    const ownerSession = (await signIn()).field('sessionId') ?? '';
    const otherSession = (await signIn({ baseUrl: other.url })).field('sessionId') ?? '';
    const asOther = await call(ts, 'verifySession', { sessionId: ownerSession }, { credentials: other.credentials });
    assert.equal(asOther.fault, 'noSuchSession');
    assert.equal(asOther.status, 400);
    assert.equal(
      (await call(ts, 'verifySession', { sessionId: otherSession }, { credentials: other.credentials })).field('userId'),
      userId,
    );
    assert.equal(
      (await call(ts, 'verifySession', { sessionId: ownerSession }, { credentials: owner.credentials })).field('userId'),
      userId,
    );
    assert.equal(
      (await call(ts, 'verifySession', { sessionId: ownerSession })).field('userId'),
      userId,
      'a guest verifies any session, as the protocol says',
    );
    // An application without a url has no local sessions of its own.
    const urlless = await call(ts, 'registerApplication', { name: 'nourl', displayName: 'nourl', version: '1.0' });
    const urllessCredentials = splitPem(urlless.field('certificate') ?? '');
    assert.equal(
      (await call(ts, 'verifySession', { sessionId: ownerSession }, { credentials: urllessCredentials })).fault,
      'noSuchSession',
    );
  });

  test("F37: closeSession by an application that presents its certificate leaves another application's session alone", async () => {
    const ownerSession = (await signIn()).field('sessionId') ?? '';
    assert.equal(
      (await call(ts, 'closeSession', { sessionId: ownerSession }, { credentials: other.credentials })).status,
      200,
      'as an unknown id: not an error',
    );
    assert.equal((await call(ts, 'verifySession', { sessionId: ownerSession })).field('userId'), userId, 'the session lives on');
    assert.equal((await call(ts, 'closeSession', { sessionId: ownerSession }, { credentials: owner.credentials })).status, 200);
    assert.equal((await call(ts, 'verifySession', { sessionId: ownerSession })).fault, 'noSuchSession', 'its own application ends it');
  });

  test('authenticate without a baseUrl only checks the password and starts nothing', async () => {
    const reply = await call(ts, 'authenticate', { login: 'user@example.com', password: 'l2345' });
    assert.equal(reply.status, 200);
    assert.equal(reply.field('userId'), userId);
    assert.equal(reply.field('sessionId'), undefined);
    assert.equal(reply.field('relayToken'), undefined);
  });

  test('authenticate by userId instead of login; both or neither is invalidParameter', async () => {
    assert.equal((await call(ts, 'authenticate', { userId, password: 'l2345' })).field('userId'), userId);
    assert.equal((await call(ts, 'authenticate', { login: 'user@example.com', userId, password: 'l2345' })).fault, 'invalidParameter');
    assert.equal((await call(ts, 'authenticate', { password: 'l2345' })).fault, 'invalidParameter');
  });

  test('authenticate: a base url with a path is invalidParameter; login case does not matter', async () => {
    assert.equal((await signIn({ baseUrl: 'https://owner.example.com:8443/x' })).fault, 'invalidParameter');
    assert.equal((await signIn({ login: 'USER@example.com' })).status, 200);
  });

  test('D24: unknown login and wrong password give the same fault', async () => {
    const unknown = await call(ts, 'authenticate', { login: 'nobody@example.com', password: 'l2345' });
    const wrong = await call(ts, 'authenticate', { login: 'user@example.com', password: 'wrong' });
    assert.equal(unknown.fault, 'invalidCredentials');
    assert.equal(wrong.fault, 'invalidCredentials');
    assert.equal(unknown.body.replace(/\s+/g, ''), wrong.body.replace(/\s+/g, ''));
  });

  test('the owner may omit the password; anyone else, a guest, or an unknown user: permissionDenied (protocol §5.17)', async () => {
    const asOwner = await call(ts, 'authenticate', { login: 'user@example.com', baseUrl: BASE }, { credentials: owner.credentials });
    assert.equal(asOwner.status, 200, asOwner.body);
    assert.ok(asOwner.field('sessionId'));
    assert.equal(
      (await call(ts, 'authenticate', { login: 'user@example.com', baseUrl: BASE }, { credentials: other.credentials })).fault,
      'permissionDenied',
    );
    assert.equal((await call(ts, 'authenticate', { login: 'user@example.com', baseUrl: BASE })).fault, 'permissionDenied');
    assert.equal(
      (await call(ts, 'authenticate', { login: 'nobody@example.com' }, { credentials: owner.credentials })).fault,
      'permissionDenied',
    );
  });

  test('verifySession of an unknown or malformed id is noSuchSession (protocol §5.18)', async () => {
    for (const sessionId of [`${BASE}00000000000000000000000000000000`, 'garbage', BASE]) {
      const reply = await call(ts, 'verifySession', { sessionId });
      assert.equal(reply.fault, 'noSuchSession');
      assert.equal(reply.status, 400);
    }
  });

  test('closeSession ends the whole global session: single logout (protocol §5.19, docs/DECISIONS.md)', async () => {
    const sessionId = (await signIn()).field('sessionId') ?? '';
    assert.equal((await call(ts, 'closeSession', { sessionId })).status, 200);
    assert.equal((await call(ts, 'verifySession', { sessionId })).fault, 'noSuchSession');
    assert.equal((await call(ts, 'closeSession', { sessionId })).status, 200, 'closing twice is not an error');
    assert.equal((await call(ts, 'closeSession', { sessionId: 'never-existed' })).status, 200);
  });

  test('idle timeout: a session idle longer than usersSessionsTimeout ends; verifySession renews it', async () => {
    const sessionId = (await signIn()).field('sessionId') ?? '';
    ts.advanceClock(400_000);
    assert.equal((await call(ts, 'verifySession', { sessionId })).field('userId'), userId, 'renewed at 400 s');
    ts.advanceClock(400_000);
    assert.equal((await call(ts, 'verifySession', { sessionId })).field('userId'), userId, 'still alive 400 s after renewal');
    ts.advanceClock(601_000);
    assert.equal((await call(ts, 'verifySession', { sessionId })).fault, 'noSuchSession');
  });

  test('absolute lifetime ends a session however active it is', async () => {
    const sessionId = (await signIn()).field('sessionId') ?? '';
    // Lifetime 3600 s, idle timeout 600 s: a verify every 500 s keeps it alive until 3600 s.
    for (let i = 1; i <= 8; i += 1) {
      ts.advanceClock(500_000);
      const reply = await call(ts, 'verifySession', { sessionId });
      if (i * 500 < 3600) assert.equal(reply.field('userId'), userId, `at ${i * 500} s`);
      else assert.equal(reply.fault, 'noSuchSession');
    }
  });

  test('getSettings reports the timeout, the relay url and the hash types (protocol §5.20, erratum: getSettingsResponse)', async () => {
    const reply = await call(ts, 'getSettings');
    assert.match(reply.body, /<sso:getSettingsResponse[ >]/);
    assert.equal(reply.field('usersSessionsTimeout'), '600');
    assert.equal(reply.field('relayEndpointUrl'), `http://127.0.0.1:${ts.relayPort}/relay`);
    assert.deepEqual(reply.all('passwordHash'), ['sha1', 'md5', 'sha256']);
  });

  test('SOAP 1.1 is answered in SOAP 1.1, faults with faultcode sso:… and HTTP 500', async () => {
    const ok = await call(ts, 'getSettings', {}, { version: '1.1' });
    assert.equal(ok.status, 200);
    assert.match(ok.headers['content-type'] ?? '', /^text\/xml/);
    assert.match(ok.body, /http:\/\/schemas\.xmlsoap\.org\/soap\/envelope\//);
    const fault = await call(ts, 'verifySession', { sessionId: 'nope' }, { version: '1.1' });
    assert.equal(fault.status, 500);
    assert.match(fault.body, /<faultcode>sso:noSuchSession<\/faultcode>/);
  });
});
