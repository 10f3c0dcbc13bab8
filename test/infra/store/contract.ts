// THE Store contract suite (STYLE: one store contract, many engines): every engine runs exactly
// these tests, which follow the doc comments of src/core/store.ts. Each test opens a fresh store.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { DuplicateLoginError } from '../../../src/core/store.js';
import type {
  ApplicationRecord,
  AuditEvent,
  AuditRecord,
  CertificateRecord,
  GlobalSessionRecord,
  KeyMaterialRecord,
  LocalSessionRecord,
  RelayTokenRecord,
  Store,
  UserRecord,
} from '../../../src/core/store.js';

// Real epoch milliseconds: beyond 32 bits, so an engine that truncates times fails.
const T0 = 1_700_000_000_000;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

function hex64(): string {
  return (randomUUID() + randomUUID()).replaceAll('-', '').slice(0, 64);
}

function application(overrides: Partial<ApplicationRecord> = {}): ApplicationRecord {
  const id = randomUUID();
  return {
    id,
    name: `app-${id.slice(0, 8)}`,
    displayName: 'Billing – Zürich',
    version: '1.2.3',
    capabilities: 'users,sessions',
    url: `https://${id.slice(0, 8)}.example.com:8443/`,
    restorePasswordUrl: 'https://billing.example.com:443/restore?login=%s',
    changePasswordUrl: 'https://billing.example.com:443/change',
    createdAt: T0,
    ...overrides,
  };
}

function certificate(applicationId: string, overrides: Partial<CertificateRecord> = {}): CertificateRecord {
  return {
    fingerprint: hex64(),
    applicationId,
    serial: '0A1B2C3D4E5F',
    issuedAt: T0,
    notAfter: T0 + 365 * 24 * HOUR,
    firstUsedAt: null,
    retiredAt: null,
    ...overrides,
  };
}

function user(ownerId: string, overrides: Partial<UserRecord> = {}): UserRecord {
  const id = randomUUID();
  return {
    id,
    login: `User.${id.slice(0, 8)}@Example.com`,
    loginKey: `user.${id.slice(0, 8)}@example.com`,
    ownerId,
    passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA',
    createdAt: T0,
    disabledAt: null,
    ...overrides,
  };
}

interface SessionParts {
  readonly global: GlobalSessionRecord;
  readonly local: LocalSessionRecord;
  readonly token: RelayTokenRecord;
}

export function sessionParts(userId: string, globalOverrides: Partial<GlobalSessionRecord> = {}): SessionParts {
  const global: GlobalSessionRecord = {
    id: hex64().slice(0, 32),
    userId,
    createdAt: T0,
    expiresAt: T0 + 24 * HOUR,
    lastSeenAt: T0,
    cookieHash: null,
    cookieSealedSecret: null,
    ...globalOverrides,
  };
  return {
    global,
    local: { idHash: hex64(), globalId: global.id, baseUrl: 'https://plesk.example.com:8443/', createdAt: global.createdAt },
    token: { tokenHash: hex64(), globalId: global.id, expiresAt: global.createdAt + MINUTE, sealedSecret: 'c2VhbGVk' },
  };
}

async function seedApplication(store: Store, overrides: Partial<ApplicationRecord> = {}): Promise<{ app: ApplicationRecord; cert: CertificateRecord }> {
  const app = application(overrides);
  const cert = certificate(app.id);
  await store.insertApplication(app, cert);
  return { app, cert };
}

async function seedUser(store: Store, ownerId: string, overrides: Partial<UserRecord> = {}): Promise<UserRecord> {
  const record = user(ownerId, overrides);
  await store.insertUser(record);
  return record;
}

async function seedSession(store: Store, userId: string, globalOverrides: Partial<GlobalSessionRecord> = {}): Promise<SessionParts> {
  const parts = sessionParts(userId, globalOverrides);
  await store.createSession(parts.global, parts.local, parts.token);
  return parts;
}

/** A user of a fresh application: what every session test starts from. */
export async function seedOwnedUser(store: Store): Promise<UserRecord> {
  const { app } = await seedApplication(store);
  return seedUser(store, app.id);
}

function sorted(values: readonly string[]): string[] {
  return [...values].sort();
}

function isDuplicateLogin(error: unknown): boolean {
  return error instanceof DuplicateLoginError;
}

/** Asserts that every trace of a session is gone: global, local, token, cookie. */
async function assertSessionGone(store: Store, parts: SessionParts, cookieHash?: string): Promise<void> {
  assert.equal(await store.getGlobalSession(parts.global.id), null);
  assert.equal(await store.findSessionByLocalId(parts.local.idHash), null);
  // Consuming at creation time would succeed if the token were still there.
  assert.equal(await store.consumeRelayToken(parts.token.tokenHash, parts.global.createdAt), null);
  if (cookieHash !== undefined) assert.equal(await store.findSessionByCookie(cookieHash), null);
}

export function runStoreContract(engineName: string, open: () => Promise<Store>): void {
  /** A test on a fresh store, closed afterwards whatever happens. */
  function storeTest(name: string, body: (store: Store) => Promise<void>): void {
    test(name, async () => {
      const store = await open();
      try {
        await body(store);
      } finally {
        await store.close();
      }
    });
  }

  describe(`Store contract: ${engineName}`, () => {
    describe('the store itself', () => {
      storeTest('names its engine and answers ping', async (store) => {
        assert.equal(store.engine, engineName);
        await store.ping();
      });
      storeTest('takes a write probe that changes nothing, and reports pool use only where there is a pool', async (store) => {
        const before = await store.readSettings();
        await store.probeWrite();
        await store.probeWrite();
        assert.deepEqual(await store.readSettings(), before);
        const use = store.poolUse?.();
        if (engineName === 'sqlite') assert.equal(use, undefined);
        else assert.ok(use !== undefined && use.total >= use.idle && use.waiting >= 0);
      });
    });

    describe('applications', () => {
      registerApplicationTests(storeTest);
    });

    describe('certificates (protocol §4.2)', () => {
      registerCertificateTests(storeTest);
    });

    describe('users', () => {
      registerUserTests(storeTest);
    });

    describe('sessions and relay tokens', () => {
      registerSessionTests(storeTest);
      registerRelayTokenTests(storeTest);
      registerSessionEndTests(storeTest);
    });

    describe('operator views: listing and disabling users, listing and ending sessions', () => {
      registerOperatorTests(storeTest);
    });

    describe('service settings', () => {
      registerSettingsTests(storeTest);
    });

    describe('brute-force throttle', () => {
      registerThrottleTests(storeTest);
    });

    describe('audit trail', () => {
      registerAuditTests(storeTest);
    });

    describe('key material shared by every node', () => {
      registerKeyMaterialTests(storeTest);
    });
  });
}

type StoreTest = (name: string, body: (store: Store) => Promise<void>) => void;

function registerApplicationTests(storeTest: StoreTest): void {
  storeTest('insertApplication stores every field of the application and of its first certificate', async (store) => {
    const { app, cert } = await seedApplication(store);
    assert.deepEqual(await store.getApplication(app.id), app);
    assert.deepEqual(await store.findCertificate(cert.fingerprint), cert);
    assert.deepEqual(await store.listCertificates(app.id), [cert]);
  });

  storeTest('null urls are stored and read back as null', async (store) => {
    const { app } = await seedApplication(store, { url: null, restorePasswordUrl: null, changePasswordUrl: null });
    assert.deepEqual(await store.getApplication(app.id), app);
  });

  storeTest('getApplication of an unknown id is null', async (store) => {
    assert.equal(await store.getApplication(randomUUID()), null);
  });

  storeTest('insertApplication is atomic: a certificate that cannot be stored leaves no application', async (store) => {
    const { cert } = await seedApplication(store);
    const app = application();
    await assert.rejects(store.insertApplication(app, { ...certificate(app.id), fingerprint: cert.fingerprint }));
    assert.equal(await store.getApplication(app.id), null);
    assert.deepEqual(await store.listCertificates(app.id), []);
  });

  storeTest('listApplicationIds and listApplications give every application', async (store) => {
    assert.deepEqual(await store.listApplicationIds(), []);
    assert.deepEqual(await store.listApplications(), []);
    const first = await seedApplication(store);
    const second = await seedApplication(store, { url: null, createdAt: T0 + 1 });
    assert.deepEqual(sorted(await store.listApplicationIds()), sorted([first.app.id, second.app.id]));
    const listed = await store.listApplications();
    assert.equal(listed.length, 2);
    assert.deepEqual(listed.find((a) => a.id === first.app.id), first.app);
    assert.deepEqual(listed.find((a) => a.id === second.app.id), second.app);
  });

  storeTest('updateApplication changes only the given fields', async (store) => {
    const { app } = await seedApplication(store);
    assert.equal(await store.updateApplication(app.id, { displayName: 'Renamed', version: '2.0' }), true);
    assert.deepEqual(await store.getApplication(app.id), { ...app, displayName: 'Renamed', version: '2.0' });
  });

  storeTest('updateApplication can change every field', async (store) => {
    const { app } = await seedApplication(store, { url: null, restorePasswordUrl: null, changePasswordUrl: null });
    const changes = {
      name: 'n2',
      displayName: 'd2',
      version: 'v2',
      capabilities: 'c2',
      url: 'https://new.example.com:443/',
      restorePasswordUrl: 'https://new.example.com:443/r',
      changePasswordUrl: 'https://new.example.com:443/c',
    };
    assert.equal(await store.updateApplication(app.id, changes), true);
    assert.deepEqual(await store.getApplication(app.id), { ...app, ...changes });
  });

  storeTest('updateApplication with null clears a field; an absent or undefined key keeps it', async (store) => {
    const { app } = await seedApplication(store);
    assert.equal(await store.updateApplication(app.id, { url: null, changePasswordUrl: undefined }), true);
    assert.deepEqual(await store.getApplication(app.id), { ...app, url: null });
    assert.equal(await store.updateApplication(app.id, { restorePasswordUrl: null, changePasswordUrl: null }), true);
    assert.deepEqual(await store.getApplication(app.id), { ...app, url: null, restorePasswordUrl: null, changePasswordUrl: null });
  });

  storeTest('updateApplication with no changes keeps everything and is true; of an unknown id is false', async (store) => {
    const { app } = await seedApplication(store);
    assert.equal(await store.updateApplication(app.id, {}), true);
    assert.deepEqual(await store.getApplication(app.id), app);
    assert.equal(await store.updateApplication(randomUUID(), { name: 'x' }), false);
    assert.equal(await store.updateApplication(randomUUID(), {}), false);
  });

  storeTest('deleteApplication removes its certificates, its users and their sessions, and nothing of others', async (store) => {
    const doomed = await seedApplication(store);
    const secondCert = certificate(doomed.app.id, { issuedAt: T0 + 1 });
    await store.addCertificate(secondCert);
    const doomedUser = await seedUser(store, doomed.app.id);
    const doomedSession = await seedSession(store, doomedUser.id);
    const doomedCookie = hex64();
    await store.setSessionCookie(doomedSession.global.id, doomedCookie, 'sealed');

    const kept = await seedApplication(store);
    const keptUser = await seedUser(store, kept.app.id);
    const keptSession = await seedSession(store, keptUser.id);

    assert.equal(await store.deleteApplication(doomed.app.id), true);

    assert.equal(await store.getApplication(doomed.app.id), null);
    assert.equal(await store.findCertificate(doomed.cert.fingerprint), null);
    assert.equal(await store.findCertificate(secondCert.fingerprint), null);
    assert.deepEqual(await store.listCertificates(doomed.app.id), []);
    assert.equal(await store.getUser(doomedUser.id), null);
    assert.equal(await store.findUserByLoginKey(doomedUser.loginKey), null);
    assert.deepEqual(await store.listUserIds(doomed.app.id), []);
    await assertSessionGone(store, doomedSession, doomedCookie);

    assert.deepEqual(await store.listApplicationIds(), [kept.app.id]);
    assert.deepEqual(await store.findCertificate(kept.cert.fingerprint), kept.cert);
    assert.deepEqual(await store.getUser(keptUser.id), keptUser);
    assert.deepEqual(await store.findSessionByLocalId(keptSession.local.idHash), { local: keptSession.local, global: keptSession.global });
    assert.deepEqual(await store.consumeRelayToken(keptSession.token.tokenHash, T0), keptSession.token);
  });

  storeTest('deleteApplication of an unknown or already deleted application is false', async (store) => {
    const { app } = await seedApplication(store);
    assert.equal(await store.deleteApplication(randomUUID()), false);
    assert.equal(await store.deleteApplication(app.id), true);
    assert.equal(await store.deleteApplication(app.id), false);
  });

  storeTest('hasApplicationUrl is true exactly for a url that a registered application has now', async (store) => {
    const { app } = await seedApplication(store, { url: 'https://billing.example.com:443/' });
    await seedApplication(store, { url: null });
    assert.equal(await store.hasApplicationUrl('https://billing.example.com:443/'), true);
    assert.equal(await store.hasApplicationUrl('https://billing.example.com:8443/'), false);
    assert.equal(await store.hasApplicationUrl('https://billing.example.com:443'), false);
    assert.equal(await store.hasApplicationUrl(''), false);

    await store.updateApplication(app.id, { url: 'https://billing2.example.com:443/' });
    assert.equal(await store.hasApplicationUrl('https://billing.example.com:443/'), false);
    assert.equal(await store.hasApplicationUrl('https://billing2.example.com:443/'), true);

    await store.deleteApplication(app.id);
    assert.equal(await store.hasApplicationUrl('https://billing2.example.com:443/'), false);
  });
}

function registerCertificateTests(storeTest: StoreTest): void {
  storeTest('addCertificate stores every field; findCertificate of an unknown fingerprint is null', async (store) => {
    const { app } = await seedApplication(store);
    const cert = certificate(app.id, { serial: 'FF01', issuedAt: T0 + 5, notAfter: T0 + 10, firstUsedAt: T0 + 6, retiredAt: T0 + 7 });
    await store.addCertificate(cert);
    assert.deepEqual(await store.findCertificate(cert.fingerprint), cert);
    assert.equal(await store.findCertificate(hex64()), null);
  });

  storeTest('listCertificates gives the certificates of that application only', async (store) => {
    const first = await seedApplication(store);
    const second = await seedApplication(store);
    assert.deepEqual(await store.listCertificates(first.app.id), [first.cert]);
    assert.deepEqual(await store.listCertificates(second.app.id), [second.cert]);
    assert.deepEqual(await store.listCertificates(randomUUID()), []);
  });

  storeTest('addCertificate retires never-used certificates but keeps the one in use', async (store) => {
    const { app, cert: inUse } = await seedApplication(store);
    assert.equal(await store.activateCertificate(inUse.fingerprint, T0 + 1), true);

    const pending = certificate(app.id, { issuedAt: T0 + 2 });
    await store.addCertificate(pending);
    assert.equal((await store.findCertificate(inUse.fingerprint))?.retiredAt, null);
    assert.deepEqual(await store.findCertificate(pending.fingerprint), pending);

    const newest = certificate(app.id, { issuedAt: T0 + 3 });
    await store.addCertificate(newest);
    assert.equal((await store.findCertificate(inUse.fingerprint))?.retiredAt, null, 'the certificate in use stays');
    assert.notEqual((await store.findCertificate(pending.fingerprint))?.retiredAt, null, 'only the newest pending one may take over');
    assert.deepEqual(await store.findCertificate(newest.fingerprint), newest);
  });

  storeTest('addCertificate retires the never-used first certificate of a new application', async (store) => {
    const { app, cert: first } = await seedApplication(store);
    const second = certificate(app.id, { issuedAt: T0 + 1 });
    await store.addCertificate(second);
    assert.notEqual((await store.findCertificate(first.fingerprint))?.retiredAt, null);
    assert.equal((await store.findCertificate(second.fingerprint))?.retiredAt, null);
  });

  storeTest('addCertificate leaves the certificates of other applications alone', async (store) => {
    const mine = await seedApplication(store);
    const other = await seedApplication(store);
    await store.addCertificate(certificate(mine.app.id, { issuedAt: T0 + 1 }));
    assert.deepEqual(await store.findCertificate(other.cert.fingerprint), other.cert);
  });

  storeTest('activateCertificate marks it used and retires every other certificate of its application', async (store) => {
    const { app, cert: old } = await seedApplication(store);
    await store.activateCertificate(old.fingerprint, T0 + 1);
    const replacement = certificate(app.id, { issuedAt: T0 + 2 });
    await store.addCertificate(replacement);
    const other = await seedApplication(store);

    assert.equal(await store.activateCertificate(replacement.fingerprint, T0 + 3), true);
    assert.deepEqual(await store.findCertificate(replacement.fingerprint), { ...replacement, firstUsedAt: T0 + 3 });
    assert.deepEqual(await store.findCertificate(old.fingerprint), { ...old, firstUsedAt: T0 + 1, retiredAt: T0 + 3 });
    assert.deepEqual(await store.findCertificate(other.cert.fingerprint), other.cert);
  });

  storeTest('activateCertificate keeps the retirement time of certificates retired before', async (store) => {
    const { app, cert: first } = await seedApplication(store);
    await store.addCertificate(certificate(app.id, { issuedAt: T0 + 1 }));
    const retired = await store.findCertificate(first.fingerprint);
    assert.notEqual(retired?.retiredAt, null);
    const last = certificate(app.id, { issuedAt: T0 + 2 });
    await store.addCertificate(last);
    await store.activateCertificate(last.fingerprint, T0 + 9);
    assert.deepEqual(await store.findCertificate(first.fingerprint), retired);
  });

  storeTest('activateCertificate of a retired certificate is false and changes nothing', async (store) => {
    const { app, cert: old } = await seedApplication(store);
    await store.activateCertificate(old.fingerprint, T0 + 1);
    const replacement = certificate(app.id, { issuedAt: T0 + 2 });
    await store.addCertificate(replacement);
    await store.activateCertificate(replacement.fingerprint, T0 + 3);
    const before = await store.listCertificates(app.id);

    assert.equal(await store.activateCertificate(old.fingerprint, T0 + 4), false);
    assert.deepEqual(sortedCertificates(await store.listCertificates(app.id)), sortedCertificates(before));
  });

  storeTest('activateCertificate of an unknown fingerprint is false', async (store) => {
    assert.equal(await store.activateCertificate(hex64(), T0), false);
  });

  storeTest('activateCertificate again keeps the time of the first use', async (store) => {
    const { cert } = await seedApplication(store);
    assert.equal(await store.activateCertificate(cert.fingerprint, T0 + 1), true);
    assert.equal(await store.activateCertificate(cert.fingerprint, T0 + 2), true);
    assert.equal((await store.findCertificate(cert.fingerprint))?.firstUsedAt, T0 + 1);
  });

  storeTest('a race between the old and the new certificate has one outcome', async (store) => {
    const { app, cert: old } = await seedApplication(store);
    await store.activateCertificate(old.fingerprint, T0 + 1);
    const replacement = certificate(app.id, { issuedAt: T0 + 2 });
    await store.addCertificate(replacement);

    const outcomes = await Promise.all([
      store.activateCertificate(old.fingerprint, T0 + 3),
      store.activateCertificate(replacement.fingerprint, T0 + 3),
    ]);
    assert.equal(outcomes.filter(Boolean).length, 1);
    const accepted = (await store.listCertificates(app.id)).filter((c) => c.retiredAt === null);
    assert.equal(accepted.length, 1);
  });
}

function sortedCertificates(certs: readonly CertificateRecord[]): CertificateRecord[] {
  return [...certs].sort((a, b) => a.fingerprint.localeCompare(b.fingerprint));
}

function registerUserTests(storeTest: StoreTest): void {
  storeTest('insertUser stores every field; getUser and findUserByLoginKey read it back', async (store) => {
    const { app } = await seedApplication(store);
    const record = await seedUser(store, app.id, { login: 'Jörg@Example.com', loginKey: 'jörg@example.com' });
    assert.deepEqual(await store.getUser(record.id), record);
    assert.deepEqual(await store.findUserByLoginKey('jörg@example.com'), record);
    assert.equal(await store.getUser(randomUUID()), null);
    assert.equal(await store.findUserByLoginKey('Jörg@Example.com'), null, 'the key is compared as stored');
  });

  storeTest('insertUser with a login key that is taken throws DuplicateLoginError and stores nothing', async (store) => {
    const { app } = await seedApplication(store);
    const first = await seedUser(store, app.id);
    const second = user(app.id, { loginKey: first.loginKey, login: first.login.toUpperCase() });
    await assert.rejects(store.insertUser(second), isDuplicateLogin);
    assert.equal(await store.getUser(second.id), null);
    assert.deepEqual(await store.findUserByLoginKey(first.loginKey), first);
    assert.deepEqual(await store.listUserIds(app.id), [first.id]);
  });

  storeTest('listUserIds gives the users of that owner only', async (store) => {
    const mine = await seedApplication(store);
    const other = await seedApplication(store);
    const first = await seedUser(store, mine.app.id);
    const second = await seedUser(store, mine.app.id, { createdAt: T0 + 1 });
    const foreign = await seedUser(store, other.app.id);
    assert.deepEqual(sorted(await store.listUserIds(mine.app.id)), sorted([first.id, second.id]));
    assert.deepEqual(await store.listUserIds(other.app.id), [foreign.id]);
    assert.deepEqual(await store.listUserIds(randomUUID()), []);
  });

  storeTest('changeLogin replaces the login and its key', async (store) => {
    const record = await seedOwnedUser(store);
    assert.equal(await store.changeLogin(record.id, 'New@Example.com', 'new@example.com'), true);
    const changed = { ...record, login: 'New@Example.com', loginKey: 'new@example.com' };
    assert.deepEqual(await store.getUser(record.id), changed);
    assert.deepEqual(await store.findUserByLoginKey('new@example.com'), changed);
    assert.equal(await store.findUserByLoginKey(record.loginKey), null);
  });

  storeTest('changeLogin to the same key with other letter case is allowed', async (store) => {
    const record = await seedOwnedUser(store);
    assert.equal(await store.changeLogin(record.id, record.login.toUpperCase(), record.loginKey), true);
    assert.equal((await store.getUser(record.id))?.login, record.login.toUpperCase());
  });

  storeTest('changeLogin to a key that is taken throws DuplicateLoginError and changes nothing', async (store) => {
    const { app } = await seedApplication(store);
    const first = await seedUser(store, app.id);
    const second = await seedUser(store, app.id);
    await assert.rejects(store.changeLogin(second.id, first.login, first.loginKey), isDuplicateLogin);
    assert.deepEqual(await store.getUser(second.id), second);
    assert.deepEqual(await store.findUserByLoginKey(first.loginKey), first);
  });

  storeTest('changeLogin of an unknown user is false', async (store) => {
    assert.equal(await store.changeLogin(randomUUID(), 'x', 'x'), false);
  });

  storeTest('setPasswordHash without expected replaces the hash', async (store) => {
    const record = await seedOwnedUser(store);
    assert.equal(await store.setPasswordHash(record.id, 'hash-2'), true);
    assert.deepEqual(await store.getUser(record.id), { ...record, passwordHash: 'hash-2' });
    assert.equal(await store.setPasswordHash(randomUUID(), 'hash-3'), false);
  });

  storeTest('setPasswordHash with expected replaces only a hash that still equals it', async (store) => {
    const record = await seedOwnedUser(store);
    assert.equal(await store.setPasswordHash(record.id, 'upgraded', record.passwordHash), true);
    assert.equal((await store.getUser(record.id))?.passwordHash, 'upgraded');

    // A hash upgrade computed from the old hash must not undo a changePassword made meanwhile.
    await store.setPasswordHash(record.id, 'changed by the user');
    assert.equal(await store.setPasswordHash(record.id, 'late upgrade', 'upgraded'), false);
    assert.equal((await store.getUser(record.id))?.passwordHash, 'changed by the user');
    assert.equal(await store.setPasswordHash(randomUUID(), 'x', 'upgraded'), false);
  });

  storeTest('setOwner moves the user to another application, and its fate with it', async (store) => {
    const from = await seedApplication(store);
    const to = await seedApplication(store);
    const record = await seedUser(store, from.app.id);
    assert.equal(await store.setOwner(record.id, to.app.id), true);
    assert.deepEqual(await store.getUser(record.id), { ...record, ownerId: to.app.id });
    assert.deepEqual(await store.listUserIds(from.app.id), []);
    assert.deepEqual(await store.listUserIds(to.app.id), [record.id]);

    await store.deleteApplication(from.app.id);
    assert.notEqual(await store.getUser(record.id), null, 'the former owner takes it along no longer');
    await store.deleteApplication(to.app.id);
    assert.equal(await store.getUser(record.id), null);
  });

  storeTest('setOwner of an unknown user is false', async (store) => {
    const { app } = await seedApplication(store);
    assert.equal(await store.setOwner(randomUUID(), app.id), false);
  });

  storeTest('deleteUser removes the user and all of its sessions, and nothing of other users', async (store) => {
    const { app } = await seedApplication(store);
    const doomed = await seedUser(store, app.id);
    const first = await seedSession(store, doomed.id);
    const second = await seedSession(store, doomed.id);
    const cookie = hex64();
    await store.setSessionCookie(second.global.id, cookie, 'sealed');
    const kept = await seedUser(store, app.id);
    const keptSession = await seedSession(store, kept.id);

    assert.equal(await store.deleteUser(doomed.id), true);
    assert.equal(await store.getUser(doomed.id), null);
    assert.equal(await store.findUserByLoginKey(doomed.loginKey), null);
    await assertSessionGone(store, first);
    await assertSessionGone(store, second, cookie);
    assert.deepEqual(await store.getUser(kept.id), kept);
    assert.deepEqual(await store.getGlobalSession(keptSession.global.id), keptSession.global);
    assert.deepEqual(await store.listUserIds(app.id), [kept.id]);
  });

  storeTest('deleteUser of an unknown or already deleted user is false; its login key is free again', async (store) => {
    const record = await seedOwnedUser(store);
    assert.equal(await store.deleteUser(randomUUID()), false);
    assert.equal(await store.deleteUser(record.id), true);
    assert.equal(await store.deleteUser(record.id), false);
    await store.insertUser(user(record.ownerId, { loginKey: record.loginKey }));
  });
}

function registerSessionTests(storeTest: StoreTest): void {
  storeTest('createSession stores the global session, its local session and its relay token', async (store) => {
    const owner = await seedOwnedUser(store);
    const parts = await seedSession(store, owner.id, { expiresAt: T0 + 7, lastSeenAt: T0 + 3 });
    assert.deepEqual(await store.getGlobalSession(parts.global.id), parts.global);
    assert.deepEqual(await store.findSessionByLocalId(parts.local.idHash), { local: parts.local, global: parts.global });
    assert.deepEqual(await store.consumeRelayToken(parts.token.tokenHash, T0), parts.token);
  });

  storeTest('createSession stores cookie fields given at creation', async (store) => {
    const owner = await seedOwnedUser(store);
    const parts = await seedSession(store, owner.id, { cookieHash: hex64(), cookieSealedSecret: 'sealed' });
    assert.deepEqual(await store.getGlobalSession(parts.global.id), parts.global);
  });

  storeTest('findCertificateAndSession reads the certificate, the url of its application and the session together, each or both absent', async (store) => {
    const { app, cert } = await seedApplication(store);
    const owner = await seedUser(store, app.id);
    const parts = await seedSession(store, owner.id, { expiresAt: T0 + 7, lastSeenAt: T0 + 3, cookieHash: hex64(), cookieSealedSecret: 'sealed' });
    const session = { local: parts.local, global: parts.global };
    assert.deepEqual(await store.findCertificateAndSession(cert.fingerprint, parts.local.idHash), { certificate: cert, applicationUrl: app.url, session });
    assert.deepEqual(await store.findCertificateAndSession(hex64(), parts.local.idHash), { certificate: null, applicationUrl: null, session });
    assert.deepEqual(await store.findCertificateAndSession(cert.fingerprint, hex64()), { certificate: cert, applicationUrl: app.url, session: null });
    assert.deepEqual(await store.findCertificateAndSession(hex64(), hex64()), { certificate: null, applicationUrl: null, session: null });

    await store.activateCertificate(cert.fingerprint, T0 + 1);
    const replacement = certificate(app.id, { issuedAt: T0 + 2 });
    await store.addCertificate(replacement);
    await store.activateCertificate(replacement.fingerprint, T0 + 3);
    assert.deepEqual((await store.findCertificateAndSession(cert.fingerprint, parts.local.idHash)).certificate, await store.findCertificate(cert.fingerprint));
    await store.deleteGlobalSession(parts.global.id);
    assert.deepEqual(await store.findCertificateAndSession(replacement.fingerprint, parts.local.idHash), {
      certificate: { ...replacement, firstUsedAt: T0 + 3 },
      applicationUrl: app.url,
      session: null,
    });
  });

  storeTest('lookups of unknown sessions are null', async (store) => {
    assert.equal(await store.getGlobalSession(hex64()), null);
    assert.equal(await store.findSessionByLocalId(hex64()), null);
    assert.equal(await store.findSessionByCookie(hex64()), null);
  });

  storeTest('createSession is atomic: a local session id already in use leaves no global session or token', async (store) => {
    const owner = await seedOwnedUser(store);
    const existing = await seedSession(store, owner.id);
    const clash = sessionParts(owner.id);
    const local = { ...clash.local, idHash: existing.local.idHash };
    await assert.rejects(store.createSession(clash.global, local, clash.token));
    await assertSessionGone(store, clash);
    assert.deepEqual(await store.findSessionByLocalId(existing.local.idHash), { local: existing.local, global: existing.global });
  });

  storeTest('createSession is atomic: a relay token already in use leaves no global or local session', async (store) => {
    const owner = await seedOwnedUser(store);
    const existing = await seedSession(store, owner.id);
    const clash = sessionParts(owner.id);
    await assert.rejects(store.createSession(clash.global, clash.local, { ...clash.token, tokenHash: existing.token.tokenHash }));
    assert.equal(await store.getGlobalSession(clash.global.id), null);
    assert.equal(await store.findSessionByLocalId(clash.local.idHash), null);
  });

  storeTest('ensureLocalSession adds the local session of another application', async (store) => {
    const owner = await seedOwnedUser(store);
    const parts = await seedSession(store, owner.id);
    const second: LocalSessionRecord = { idHash: hex64(), globalId: parts.global.id, baseUrl: 'https://billing.example.com:443/', createdAt: T0 + 5 };
    await store.ensureLocalSession(second);
    assert.deepEqual(await store.findSessionByLocalId(second.idHash), { local: second, global: parts.global });
    assert.deepEqual(await store.findSessionByLocalId(parts.local.idHash), { local: parts.local, global: parts.global });
  });

  storeTest('ensureLocalSession is idempotent and never changes an existing local session', async (store) => {
    const owner = await seedOwnedUser(store);
    const parts = await seedSession(store, owner.id);
    await store.ensureLocalSession(parts.local);
    await store.ensureLocalSession(parts.local);
    const sameApplication = { ...parts.local, idHash: hex64(), createdAt: T0 + 9 };
    await store.ensureLocalSession(sameApplication);
    assert.deepEqual(await store.findSessionByLocalId(parts.local.idHash), { local: parts.local, global: parts.global });
    assert.equal(await store.findSessionByLocalId(sameApplication.idHash), null);
  });

  storeTest('touchSession sets lastSeenAt and nothing else', async (store) => {
    const owner = await seedOwnedUser(store);
    const parts = await seedSession(store, owner.id);
    await store.touchSession(parts.global.id, T0 + 5 * MINUTE);
    const touched = { ...parts.global, lastSeenAt: T0 + 5 * MINUTE };
    assert.deepEqual(await store.getGlobalSession(parts.global.id), touched);
    assert.deepEqual(await store.findSessionByLocalId(parts.local.idHash), { local: parts.local, global: touched });
    await store.touchSession(hex64(), T0);
  });

  storeTest('setSessionCookie binds a cookie to the session; a new cookie replaces the old one', async (store) => {
    const owner = await seedOwnedUser(store);
    const parts = await seedSession(store, owner.id);
    const first = hex64();
    await store.setSessionCookie(parts.global.id, first, 'sealed-1');
    const withFirst = { ...parts.global, cookieHash: first, cookieSealedSecret: 'sealed-1' };
    assert.deepEqual(await store.findSessionByCookie(first), withFirst);
    assert.deepEqual(await store.getGlobalSession(parts.global.id), withFirst);

    const second = hex64();
    await store.setSessionCookie(parts.global.id, second, 'sealed-2');
    assert.equal(await store.findSessionByCookie(first), null);
    assert.deepEqual(await store.findSessionByCookie(second), { ...parts.global, cookieHash: second, cookieSealedSecret: 'sealed-2' });
  });
}

function registerRelayTokenTests(storeTest: StoreTest): void {
  storeTest('consumeRelayToken gives the token once', async (store) => {
    const owner = await seedOwnedUser(store);
    const { token } = await seedSession(store, owner.id);
    assert.deepEqual(await store.consumeRelayToken(token.tokenHash, T0), token);
    assert.equal(await store.consumeRelayToken(token.tokenHash, T0), null);
    assert.equal(await store.consumeRelayToken(hex64(), T0), null);
  });

  storeTest('consumeRelayToken of an expired token is null; the last valid instant is just before expiresAt', async (store) => {
    const owner = await seedOwnedUser(store);
    const expired = await seedSession(store, owner.id);
    assert.equal(await store.consumeRelayToken(expired.token.tokenHash, expired.token.expiresAt), null);
    assert.equal(await store.consumeRelayToken(expired.token.tokenHash, expired.token.expiresAt + HOUR), null);
    const live = await seedSession(store, owner.id);
    assert.deepEqual(await store.consumeRelayToken(live.token.tokenHash, live.token.expiresAt - 1), live.token);
  });

  storeTest('of 20 concurrent consumeRelayToken calls on one token exactly one gets it', async (store) => {
    const owner = await seedOwnedUser(store);
    const { token } = await seedSession(store, owner.id);
    const results = await Promise.all(Array.from({ length: 20 }, () => store.consumeRelayToken(token.tokenHash, T0)));
    assert.deepEqual(results.filter((r) => r !== null), [token]);
  });
}

function registerSessionEndTests(storeTest: StoreTest): void {
  storeTest('deleteGlobalSession removes its local sessions, tokens and cookie, and nothing of others', async (store) => {
    const owner = await seedOwnedUser(store);
    const doomed = await seedSession(store, owner.id);
    const secondLocal: LocalSessionRecord = { idHash: hex64(), globalId: doomed.global.id, baseUrl: 'https://b.example.com:443/', createdAt: T0 };
    await store.ensureLocalSession(secondLocal);
    const cookie = hex64();
    await store.setSessionCookie(doomed.global.id, cookie, 'sealed');
    const kept = await seedSession(store, owner.id);

    await store.deleteGlobalSession(doomed.global.id);
    await assertSessionGone(store, doomed, cookie);
    assert.equal(await store.findSessionByLocalId(secondLocal.idHash), null);
    assert.deepEqual(await store.findSessionByLocalId(kept.local.idHash), { local: kept.local, global: kept.global });
    assert.deepEqual(await store.getUser(owner.id), owner);
    await store.deleteGlobalSession(doomed.global.id);
  });

  storeTest('purgeExpiredSessions removes sessions past their lifetime or idle since idleBefore', async (store) => {
    const owner = await seedOwnedUser(store);
    const now = T0 + 10 * HOUR;
    const idleBefore = now - 2 * HOUR;
    // As core/sessions.ts judges it: over at the expiry instant, and when last seen at idleBefore or earlier.
    const pastLifetime = await seedSession(store, owner.id, { expiresAt: now, lastSeenAt: now - MINUTE });
    const idle = await seedSession(store, owner.id, { expiresAt: now + HOUR, lastSeenAt: idleBefore });
    const live = await seedSession(store, owner.id, { expiresAt: now + 1, lastSeenAt: idleBefore + 1 });

    assert.equal(await store.purgeExpiredSessions(now, idleBefore), 2);
    await assertSessionGone(store, pastLifetime);
    await assertSessionGone(store, idle);
    assert.deepEqual(await store.findSessionByLocalId(live.local.idHash), { local: live.local, global: live.global });
    assert.equal(await store.purgeExpiredSessions(now, idleBefore), 0);
  });

  storeTest('purgeExpiredSessions removes expired relay tokens of live sessions and keeps the others', async (store) => {
    const owner = await seedOwnedUser(store);
    const now = T0 + 10 * MINUTE;
    const expiredToken = await seedSession(store, owner.id, { createdAt: now - 5 * MINUTE, lastSeenAt: now });
    const liveToken = await seedSession(store, owner.id, { createdAt: now, lastSeenAt: now });

    assert.equal(await store.purgeExpiredSessions(now, now - HOUR), 0);
    assert.notEqual(await store.getGlobalSession(expiredToken.global.id), null);
    // Consuming as of before the expiry would succeed if the purge had left the token.
    assert.equal(await store.consumeRelayToken(expiredToken.token.tokenHash, expiredToken.global.createdAt), null);
    assert.deepEqual(await store.consumeRelayToken(liveToken.token.tokenHash, now), liveToken.token);
  });
}

function registerOperatorTests(storeTest: StoreTest): void {
  storeTest('listUsers orders by login key, filters by owner and by a login key fragment, and pages', async (store) => {
    const mine = await seedApplication(store);
    const other = await seedApplication(store);
    const carol = await seedUser(store, mine.app.id, { login: 'Carol@example.com', loginKey: 'carol@example.com' });
    const alice = await seedUser(store, mine.app.id, { login: 'alice@example.com', loginKey: 'alice@example.com' });
    const bob = await seedUser(store, other.app.id, { login: 'bob@example.org', loginKey: 'bob@example.org' });
    const ids = (users: readonly UserRecord[]): string[] => users.map((u) => u.id);

    assert.deepEqual(await store.listUsers({ limit: 10 }), [alice, bob, carol]);
    assert.deepEqual(ids(await store.listUsers({ ownerId: mine.app.id, limit: 10 })), [alice.id, carol.id]);
    assert.deepEqual(ids(await store.listUsers({ loginKeyContains: 'example.com', limit: 10 })), [alice.id, carol.id]);
    assert.deepEqual(ids(await store.listUsers({ loginKeyContains: '%', limit: 10 })), [], 'the fragment is text, not a pattern');
    assert.deepEqual(ids(await store.listUsers({ loginKeyContains: '_', limit: 10 })), []);
    assert.deepEqual(ids(await store.listUsers({ ownerId: other.app.id, loginKeyContains: 'example', limit: 10 })), [bob.id]);
    assert.deepEqual(ids(await store.listUsers({ limit: 2 })), [alice.id, bob.id]);
    assert.deepEqual(ids(await store.listUsers({ afterLoginKey: bob.loginKey, limit: 2 })), [carol.id]);
  });

  storeTest('setUserDisabled disables with a time and ends every session of the user; enabling keeps the rest', async (store) => {
    const { app } = await seedApplication(store);
    const target = await seedUser(store, app.id);
    const session = await seedSession(store, target.id);
    const cookie = hex64();
    await store.setSessionCookie(session.global.id, cookie, 'sealed');
    const bystander = await seedUser(store, app.id);
    const kept = await seedSession(store, bystander.id);

    assert.equal(await store.setUserDisabled(target.id, T0 + 5), true);
    assert.deepEqual(await store.getUser(target.id), { ...target, disabledAt: T0 + 5 });
    assert.deepEqual(await store.findUserByLoginKey(target.loginKey), { ...target, disabledAt: T0 + 5 });
    await assertSessionGone(store, session, cookie);
    assert.deepEqual(await store.getGlobalSession(kept.global.id), kept.global);

    assert.equal(await store.setUserDisabled(target.id, null), true);
    assert.deepEqual(await store.getUser(target.id), target);
    assert.equal(await store.setUserDisabled(randomUUID(), T0), false);
    assert.equal(await store.setUserDisabled(randomUUID(), null), false);
  });

  storeTest('listSessions gives sessions newest first with their base urls, by user and by base url', async (store) => {
    const owner = await seedOwnedUser(store);
    const other = await seedUser(store, owner.ownerId);
    const older = await seedSession(store, owner.id, { createdAt: T0 });
    const billing = 'https://billing.example.com:443/';
    await store.ensureLocalSession({ idHash: hex64(), globalId: older.global.id, baseUrl: billing, createdAt: T0 + 1 });
    const newer = await seedSession(store, owner.id, { createdAt: T0 + 10 });
    const foreign = await seedSession(store, other.id, { createdAt: T0 + 5 });

    assert.deepEqual(await store.listSessions({ userId: owner.id, limit: 10 }), [
      { global: newer.global, baseUrls: [newer.local.baseUrl] },
      { global: older.global, baseUrls: [billing, older.local.baseUrl] },
    ]);
    assert.deepEqual((await store.listSessions({ limit: 10 })).map((s) => s.global.id), [newer.global.id, foreign.global.id, older.global.id]);
    assert.deepEqual((await store.listSessions({ baseUrl: billing, limit: 10 })).map((s) => s.global.id), [older.global.id]);
    assert.deepEqual((await store.listSessions({ limit: 1 })).map((s) => s.global.id), [newer.global.id]);
    assert.deepEqual(await store.listSessions({ userId: randomUUID(), limit: 10 }), []);
  });

  storeTest('countSessions counts the live sessions of the query, without a limit', async (store) => {
    const owner = await seedOwnedUser(store);
    const other = await seedUser(store, owner.ownerId);
    const idle = await seedSession(store, owner.id, { createdAt: T0 });
    const billing = 'https://billing.example.com:443/';
    await store.ensureLocalSession({ idHash: hex64(), globalId: idle.global.id, baseUrl: billing, createdAt: T0 + 1 });
    const live = await seedSession(store, owner.id, { createdAt: T0 + 10 });
    await seedSession(store, other.id, { createdAt: T0 + 5 });
    await store.touchSession(live.global.id, T0 + 100);
    const now = T0 + 200;

    assert.equal(await store.countSessions({ now, idleBefore: T0 - 1 }), 3);
    assert.equal(await store.countSessions({ userId: owner.id, now, idleBefore: T0 - 1 }), 2);
    assert.equal(await store.countSessions({ baseUrl: billing, now, idleBefore: T0 - 1 }), 1);
    assert.equal(await store.countSessions({ now, idleBefore: T0 + 50 }), 1, 'only the one seen since is not idle');
    assert.equal(await store.countSessions({ now: live.global.expiresAt, idleBefore: T0 - 1 }), 0, 'over at its expiry instant');
    assert.equal(await store.countSessions({ userId: randomUUID(), now, idleBefore: T0 - 1 }), 0);
  });

  storeTest('deleteUserSessions ends every session of that user only', async (store) => {
    const owner = await seedOwnedUser(store);
    const other = await seedUser(store, owner.ownerId);
    const first = await seedSession(store, owner.id);
    const second = await seedSession(store, owner.id);
    const kept = await seedSession(store, other.id);
    assert.equal(await store.deleteUserSessions(owner.id), 2);
    await assertSessionGone(store, first);
    await assertSessionGone(store, second);
    assert.deepEqual(await store.getGlobalSession(kept.global.id), kept.global);
    assert.deepEqual(await store.getUser(owner.id), owner);
    assert.equal(await store.deleteUserSessions(owner.id), 0);
  });
}

function registerSettingsTests(storeTest: StoreTest): void {
  storeTest('readSettings of a new store is empty; writeSettings sets, replaces and removes', async (store) => {
    assert.deepEqual(await store.readSettings(), {});
    await store.writeSettings({ hostname: 'sso.example.com', sessionTimeout: '600' }, T0);
    assert.deepEqual(await store.readSettings(), { hostname: 'sso.example.com', sessionTimeout: '600' });
    await store.writeSettings({ sessionTimeout: '900', hostname: null, mode: 'multiple-panels' }, T0 + 1);
    assert.deepEqual(await store.readSettings(), { sessionTimeout: '900', mode: 'multiple-panels' });
    await store.writeSettings({ absent: null }, T0 + 2);
    assert.deepEqual(await store.readSettings(), { sessionTimeout: '900', mode: 'multiple-panels' });
  });

  storeTest('writeSettings is atomic: all changes or none', async (store) => {
    await store.writeSettings({ a: '1' }, T0);
    // A value that is not a string cannot be stored; the change before it in the same call must not stay.
    await assert.rejects(store.writeSettings({ a: '2', b: undefined as unknown as string }, T0 + 1));
    assert.deepEqual(await store.readSettings(), { a: '1' });
  });
}

function registerThrottleTests(storeTest: StoreTest): void {
  const HOUR_AGO = (now: number): number => now - HOUR;
  const WAITS = { incrementMs: MINUTE, maxMs: 5 * MINUTE };
  /** One attempt counted under `key` alone, with an hour's reset window and the given threshold (0: never locks). */
  const count = async (store: Store, key: string, now: number, threshold = 0, attemptId: string = randomUUID()) => {
    const [counted] = await store.countAttempt(attemptId, [{ key, resetBefore: HOUR_AGO(now), windowBefore: null, threshold }], now, WAITS);
    assert.ok(counted !== undefined);
    return counted;
  };

  storeTest('countAttempt counts attempts per key and keeps the first and last failure times', async (store) => {
    const key = `login:${randomUUID()}`;
    assert.deepEqual((await count(store, key, T0)).record, { key, failures: 1, firstFailureAt: T0, lastFailureAt: T0, lockedUntil: null });
    assert.deepEqual((await count(store, key, T0 + 5)).record, { key, failures: 2, firstFailureAt: T0, lastFailureAt: T0 + 5, lockedUntil: null });
    const other = await count(store, 'source:192.0.2.1', T0 + 6);
    assert.equal(other.record.failures, 1);
    assert.deepEqual(sorted((await store.getThrottles([key, 'source:192.0.2.1', 'login:nobody'])).map((r) => `${r.key}=${r.failures}`)), sorted([`${key}=2`, 'source:192.0.2.1=1']));
    assert.deepEqual(await store.getThrottles([]), []);
  });

  storeTest('countAttempt counts every key of one attempt, in the order given', async (store) => {
    const keys = ['source:z', 'login:m', 'source:application:a'];
    const counted = await store.countAttempt(randomUUID(), keys.map((key) => ({ key, resetBefore: HOUR_AGO(T0), windowBefore: null, threshold: 0 })), T0, WAITS);
    assert.deepEqual(counted.map((c) => [c.record.key, c.record.failures, c.lockedBefore, c.setLock]), keys.map((key) => [key, 1, false, false]));
  });

  storeTest('countAttempt starts over when the last failure is older than the reset window, keeping a running lock', async (store) => {
    const key = 'login:reset@example.com';
    await count(store, key, T0);
    const locking = await count(store, key, T0 + MINUTE, 2);
    assert.equal(locking.setLock, true);
    assert.equal(locking.record.lockedUntil, T0 + 2 * MINUTE);
    const later = T0 + MINUTE + HOUR + 1;
    const { record } = await count(store, key, later, 2);
    assert.deepEqual(record, { key, failures: 1, firstFailureAt: later, lastFailureAt: later, lockedUntil: T0 + 2 * MINUTE });
  });

  storeTest('countAttempt starts a windowed count over once its first failure is older than the window', async (store) => {
    const key = 'source:192.0.2.9';
    const windowed = (now: number) => store.countAttempt(randomUUID(), [{ key, resetBefore: HOUR_AGO(now), windowBefore: HOUR_AGO(now) + 1, threshold: 0 }], now, WAITS);
    await windowed(T0);
    await windowed(T0 + 30 * MINUTE);
    assert.equal((await windowed(T0 + HOUR - 1))[0]?.record.failures, 3, 'within the hour of the first failure');
    assert.deepEqual((await windowed(T0 + HOUR))[0]?.record, { key, failures: 1, firstFailureAt: T0 + HOUR, lastFailureAt: T0 + HOUR, lockedUntil: null });
  });

  storeTest('of 20 concurrent countAttempt calls on one key none is lost', async (store) => {
    const key = 'login:race@example.com';
    await Promise.all(Array.from({ length: 20 }, (_, i) => count(store, key, T0 + i)));
    const [record] = await store.getThrottles([key]);
    assert.equal(record?.failures, 20);
    assert.equal(record?.lastFailureAt, T0 + 19);
  });

  storeTest('countAttempt locks at the threshold, one increment more per count past it, capped; a running lock is never moved', async (store) => {
    const key = 'login:lock@example.com';
    const waits: number[] = [];
    let now = T0;
    for (let i = 0; i < 8; i += 1) {
      const counted = await count(store, key, now, 2);
      if (!counted.setLock) {
        assert.equal(counted.record.lockedUntil, null, 'below the threshold');
        now += 1;
        continue;
      }
      waits.push(((counted.record.lockedUntil ?? 0) - now) / MINUTE);
      const again = await count(store, key, now + 1, 2);
      assert.deepEqual([again.lockedBefore, again.setLock, again.record.lockedUntil], [true, false, counted.record.lockedUntil], 'locked: counted, the lock stays');
      now = (again.record.lockedUntil ?? now) + 1;
    }
    // The first count is below the threshold, the second sets the first lock; the rest are one each.
    assert.deepEqual(waits, [1, 3, 5, 5, 5, 5, 5]);
  });

  storeTest('F42: of many attempts racing the end of a lock exactly one finds the key free', async (store) => {
    const key = 'login:burst@example.com';
    for (let i = 0; i < 3; i += 1) await count(store, key, T0 + i, 3);
    for (let round = 0; round < 5; round += 1) {
      const at = ((await store.getThrottles([key]))[0]?.lockedUntil ?? 0) + 1;
      const counted = await Promise.all(Array.from({ length: 12 }, () => count(store, key, at, 3)));
      assert.equal(counted.filter((c) => !c.lockedBefore).length, 1, `round ${round}: one attempt is let through`);
      assert.equal(counted.filter((c) => c.setLock).length, 1, 'and it set the next lock');
    }
  });

  storeTest('settleSuccess forgets the login, takes one count off each source and only the lock that attempt set', async (store) => {
    const source = 'source:192.0.2.50';
    const other = 'source:192.0.2.51';
    await count(store, source, T0, 3);
    await count(store, other, T0, 1);
    const id = randomUUID();
    const counted = await store.countAttempt(
      id,
      [
        { key: 'login:ok@example.com', resetBefore: HOUR_AGO(T0), windowBefore: null, threshold: 3 },
        { key: source, resetBefore: HOUR_AGO(T0), windowBefore: null, threshold: 2 },
        { key: other, resetBefore: HOUR_AGO(T0), windowBefore: null, threshold: 1 },
      ],
      T0 + 1,
      WAITS,
    );
    assert.deepEqual(counted.map((c) => [c.setLock, c.lockedBefore]), [[false, false], [true, false], [false, true]]);
    await store.settleSuccess(id, 'login:ok@example.com', [source, other]);
    const after = new Map((await store.getThrottles(['login:ok@example.com', source, other])).map((r) => [r.key, r]));
    assert.equal(after.has('login:ok@example.com'), false);
    assert.deepEqual([after.get(source)?.failures, after.get(source)?.lockedUntil], [1, null], 'its own lock is taken back');
    assert.deepEqual([after.get(other)?.failures, after.get(other)?.lockedUntil], [1, T0 + MINUTE], 'a lock another attempt set stays');
  });

  storeTest('listThrottles gives the most recent failures first; clearThrottle forgets a key', async (store) => {
    await count(store, 'login:a', T0);
    await count(store, 'login:b', T0 + 2);
    await count(store, 'source:c', T0 + 1);
    assert.deepEqual((await store.listThrottles(10)).map((r) => r.key), ['login:b', 'source:c', 'login:a']);
    assert.deepEqual((await store.listThrottles(1)).map((r) => r.key), ['login:b']);
    assert.equal(await store.clearThrottle('login:b'), true);
    assert.equal(await store.clearThrottle('login:b'), false);
    assert.deepEqual((await store.listThrottles(10)).map((r) => r.key), ['source:c', 'login:a']);
  });

  storeTest('purgeThrottles forgets old failures that are not locked at the time', async (store) => {
    const now = T0 + 24 * HOUR;
    await count(store, 'login:old', T0);
    await store.countAttempt(randomUUID(), [{ key: 'login:old-locked', resetBefore: HOUR_AGO(T0), windowBefore: null, threshold: 1 }], now - 1, WAITS);
    await count(store, 'login:recent', now - MINUTE);
    assert.equal(await store.purgeThrottles(now - HOUR, now), 1);
    assert.deepEqual(sorted((await store.listThrottles(10)).map((r) => r.key)), ['login:old-locked', 'login:recent']);
  });
}

function registerAuditTests(storeTest: StoreTest): void {
  const event = (overrides: Partial<AuditEvent> = {}): AuditEvent => ({
    at: T0,
    type: 'user.created',
    actor: `application:${randomUUID()}`,
    target: `user:${randomUUID()}`,
    outcome: 'ok',
    detail: { login: 'alice@example.com', count: 2, flag: true, none: null },
    ...overrides,
  });

  storeTest('appendAudit keeps every field; queryAudit gives the newest first with increasing ids', async (store) => {
    const first = event();
    const second = event({ at: T0 + 1, type: 'authentication.failed', outcome: 'invalidCredentials', detail: {} });
    await store.appendAudit(first);
    await store.appendAudit(second);
    const records = await store.queryAudit({ limit: 10 });
    assert.equal(records.length, 2);
    const [newest, oldest] = records as [AuditRecord, AuditRecord];
    assert.ok(newest.id > oldest.id);
    assert.deepEqual({ ...newest, id: 0 }, { ...second, id: 0 });
    assert.deepEqual({ ...oldest, id: 0 }, { ...first, id: 0 });
  });

  storeTest('queryAudit filters by time, type, actor and target, and pages by id', async (store) => {
    const alice = event({ at: T0, target: 'user:alice' });
    const failed = event({ at: T0 + 10, type: 'authentication.failed', actor: 'guest', target: 'login:bob' });
    const bob = event({ at: T0 + 20, target: 'user:bob', actor: 'operator' });
    for (const e of [alice, failed, bob]) await store.appendAudit(e);
    const targets = (records: readonly AuditRecord[]): string[] => records.map((r) => r.target);

    assert.deepEqual(targets(await store.queryAudit({ since: T0 + 10, limit: 10 })), ['user:bob', 'login:bob']);
    assert.deepEqual(targets(await store.queryAudit({ until: T0 + 10, limit: 10 })), ['user:alice']);
    assert.deepEqual(targets(await store.queryAudit({ type: 'authentication.failed', limit: 10 })), ['login:bob']);
    assert.deepEqual(targets(await store.queryAudit({ actor: 'operator', limit: 10 })), ['user:bob']);
    assert.deepEqual(targets(await store.queryAudit({ target: 'user:alice', limit: 10 })), ['user:alice']);
    const [page] = await store.queryAudit({ limit: 1 });
    assert.deepEqual(targets(await store.queryAudit({ beforeId: page?.id ?? 0, limit: 10 })), ['login:bob', 'user:alice']);
  });

  storeTest('trimAudit deletes the events before a time', async (store) => {
    await store.appendAudit(event({ at: T0 }));
    await store.appendAudit(event({ at: T0 + HOUR }));
    assert.equal(await store.trimAudit(T0 + 1), 1);
    assert.deepEqual((await store.queryAudit({ limit: 10 })).map((r) => r.at), [T0 + HOUR]);
    assert.equal(await store.trimAudit(T0 + 1), 0);
  });
}

function keyMaterial(name: string, overrides: Partial<KeyMaterialRecord> = {}): KeyMaterialRecord {
  return { name, certificatePem: `-----BEGIN CERTIFICATE-----\n${hex64()}\n-----END CERTIFICATE-----\n`, sealedKey: `v1.${hex64()}`, updatedAt: T0, ...overrides };
}

function registerKeyMaterialTests(storeTest: StoreTest): void {
  storeTest('saveKeyMaterial stores a record absent before and getKeyMaterial reads every field back', async (store) => {
    assert.equal(await store.getKeyMaterial('ca'), null);
    const ca = keyMaterial('ca');
    assert.deepEqual(await store.saveKeyMaterial(ca, null), ca);
    assert.deepEqual(await store.getKeyMaterial('ca'), ca);
    assert.equal(await store.getKeyMaterial('server'), null, 'names are separate records');
  });

  storeTest('saveKeyMaterial without replacing keeps what is stored and returns it', async (store) => {
    const first = await store.saveKeyMaterial(keyMaterial('ca'), null);
    assert.deepEqual(await store.saveKeyMaterial(keyMaterial('ca', { updatedAt: T0 + 1 }), null), first);
    assert.deepEqual(await store.getKeyMaterial('ca'), first);
  });

  storeTest('saveKeyMaterial replaces only the record whose certificate is still the one given', async (store) => {
    const first = await store.saveKeyMaterial(keyMaterial('server'), null);
    const second = keyMaterial('server', { updatedAt: T0 + 1 });
    assert.deepEqual(await store.saveKeyMaterial(second, first.certificatePem), second);
    assert.deepEqual(await store.getKeyMaterial('server'), second);

    // A writer that read the first record before the second was saved does not undo it.
    const late = keyMaterial('server', { updatedAt: T0 + 2 });
    assert.deepEqual(await store.saveKeyMaterial(late, first.certificatePem), second);
    assert.deepEqual(await store.getKeyMaterial('server'), second);
  });

  storeTest('of 8 concurrent first saves of one name exactly one is stored, and every caller gets it back', async (store) => {
    const candidates = Array.from({ length: 8 }, () => keyMaterial('ca'));
    const results = await Promise.all(candidates.map((candidate) => store.saveKeyMaterial(candidate, null)));
    const stored = await store.getKeyMaterial('ca');
    assert.ok(stored !== null && candidates.some((c) => c.certificatePem === stored.certificatePem));
    for (const result of results) assert.deepEqual(result, stored);
  });
}
