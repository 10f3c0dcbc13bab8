// Applications and their certificates: the part of the Store contract suite (index.ts) that every engine runs.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import {
  T0,
  activateCertificate,
  addCertificate,
  application,
  assertSessionGone,
  certificate,
  hex64,
  seedApplication,
  seedSession,
  seedUser,
  sorted,
  type StoreTest,
} from './fixtures.js';
import type { CertificateRecord } from '../../../../src/core/store/index.js';

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
    assert.deepEqual(
      listed.find((a) => a.id === first.app.id),
      first.app,
    );
    assert.deepEqual(
      listed.find((a) => a.id === second.app.id),
      second.app,
    );
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
    await addCertificate(store, secondCert);
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
    await addCertificate(store, cert);
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
    assert.equal(await activateCertificate(store, inUse.fingerprint, T0 + 1), true);

    const pending = certificate(app.id, { issuedAt: T0 + 2 });
    await addCertificate(store, pending);
    assert.equal((await store.findCertificate(inUse.fingerprint))?.retiredAt, null);
    assert.deepEqual(await store.findCertificate(pending.fingerprint), pending);

    const newest = certificate(app.id, { issuedAt: T0 + 3 });
    await addCertificate(store, newest);
    assert.equal((await store.findCertificate(inUse.fingerprint))?.retiredAt, null, 'the certificate in use stays');
    assert.notEqual((await store.findCertificate(pending.fingerprint))?.retiredAt, null, 'only the newest pending one may take over');
    assert.deepEqual(await store.findCertificate(newest.fingerprint), newest);
  });

  storeTest('addCertificate retires the never-used first certificate of a new application', async (store) => {
    const { app, cert: first } = await seedApplication(store);
    const second = certificate(app.id, { issuedAt: T0 + 1 });
    await addCertificate(store, second);
    assert.notEqual((await store.findCertificate(first.fingerprint))?.retiredAt, null);
    assert.equal((await store.findCertificate(second.fingerprint))?.retiredAt, null);
  });

  storeTest('addCertificate leaves the certificates of other applications alone', async (store) => {
    const mine = await seedApplication(store);
    const other = await seedApplication(store);
    await addCertificate(store, certificate(mine.app.id, { issuedAt: T0 + 1 }));
    assert.deepEqual(await store.findCertificate(other.cert.fingerprint), other.cert);
  });

  storeTest('activateCertificate marks it used and retires every other certificate of its application', async (store) => {
    const { app, cert: old } = await seedApplication(store);
    await activateCertificate(store, old.fingerprint, T0 + 1);
    const replacement = certificate(app.id, { issuedAt: T0 + 2 });
    await addCertificate(store, replacement);
    const other = await seedApplication(store);

    assert.equal(await activateCertificate(store, replacement.fingerprint, T0 + 3), true);
    assert.deepEqual(await store.findCertificate(replacement.fingerprint), { ...replacement, firstUsedAt: T0 + 3 });
    assert.deepEqual(await store.findCertificate(old.fingerprint), { ...old, firstUsedAt: T0 + 1, retiredAt: T0 + 3 });
    assert.deepEqual(await store.findCertificate(other.cert.fingerprint), other.cert);
  });

  storeTest('activateCertificate keeps the retirement time of certificates retired before', async (store) => {
    const { app, cert: first } = await seedApplication(store);
    await addCertificate(store, certificate(app.id, { issuedAt: T0 + 1 }));
    const retired = await store.findCertificate(first.fingerprint);
    assert.notEqual(retired?.retiredAt, null);
    const last = certificate(app.id, { issuedAt: T0 + 2 });
    await addCertificate(store, last);
    await activateCertificate(store, last.fingerprint, T0 + 9);
    assert.deepEqual(await store.findCertificate(first.fingerprint), retired);
  });

  storeTest('activateCertificate of a retired certificate is false and changes nothing', async (store) => {
    const { app, cert: old } = await seedApplication(store);
    await activateCertificate(store, old.fingerprint, T0 + 1);
    const replacement = certificate(app.id, { issuedAt: T0 + 2 });
    await addCertificate(store, replacement);
    await activateCertificate(store, replacement.fingerprint, T0 + 3);
    const before = await store.listCertificates(app.id);

    assert.equal(await activateCertificate(store, old.fingerprint, T0 + 4), false);
    assert.deepEqual(sortedCertificates(await store.listCertificates(app.id)), sortedCertificates(before));
  });

  storeTest('activateCertificate of an unknown fingerprint is false', async (store) => {
    assert.equal(await activateCertificate(store, hex64(), T0), false);
  });

  storeTest('activateCertificate again keeps the time of the first use', async (store) => {
    const { cert } = await seedApplication(store);
    assert.equal(await activateCertificate(store, cert.fingerprint, T0 + 1), true);
    assert.equal(await activateCertificate(store, cert.fingerprint, T0 + 2), true);
    assert.equal((await store.findCertificate(cert.fingerprint))?.firstUsedAt, T0 + 1);
  });

  storeTest('a race between the old and the new certificate has one outcome', async (store) => {
    const { app, cert: old } = await seedApplication(store);
    await activateCertificate(store, old.fingerprint, T0 + 1);
    const replacement = certificate(app.id, { issuedAt: T0 + 2 });
    await addCertificate(store, replacement);

    const outcomes = await Promise.all([
      activateCertificate(store, old.fingerprint, T0 + 3),
      activateCertificate(store, replacement.fingerprint, T0 + 3),
    ]);
    assert.equal(outcomes.filter(Boolean).length, 1);
    const accepted = (await store.listCertificates(app.id)).filter((c) => c.retiredAt === null);
    assert.equal(accepted.length, 1);
  });
}

function sortedCertificates(certs: readonly CertificateRecord[]): CertificateRecord[] {
  return [...certs].sort((a, b) => a.fingerprint.localeCompare(b.fingerprint));
}

export function applicationsContract(storeTest: StoreTest): void {
  registerApplicationTests(storeTest);
  registerCertificateTests(storeTest);
}
