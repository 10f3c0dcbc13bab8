// The unit of work: the part of the Store contract suite (index.ts) that every engine runs. The
// rules built on it (certificate rotation, disabling a user) are stated in applications.ts and users.ts.
import assert from 'node:assert/strict';
import type { Store } from '../../../../src/core/store/index.js';
import { T0, certificate, seedApplication, seedSession, seedUser, type StoreTest } from './fixtures.js';

/** An application with its certificate, a user of it with a session, and a next certificate not stored yet. */
async function seedUnit(store: Store) {
  const { app, cert } = await seedApplication(store);
  const owner = await seedUser(store, app.id);
  const session = await seedSession(store, owner.id);
  return { app, cert, owner, session, next: certificate(app.id, { issuedAt: T0 + 1 }) };
}

export function unitOfWorkContract(storeTest: StoreTest): void {
  storeTest('apply runs the writes of a unit in order and resolves true', async (store) => {
    const { app, cert, owner, session, next } = await seedUnit(store);
    assert.equal(
      await store.apply([
        { write: 'insertCertificate', certificate: next },
        { write: 'retireCertificates', applicationId: app.id, at: T0 + 2, which: { except: next.fingerprint } },
        { write: 'setUserDisabled', userId: owner.id, disabledAt: T0 + 3 },
        { write: 'deleteUserSessions', userId: owner.id },
      ]),
      true,
    );
    assert.equal((await store.findCertificate(cert.fingerprint))?.retiredAt, T0 + 2);
    assert.equal((await store.findCertificate(next.fingerprint))?.retiredAt, null);
    assert.equal((await store.getUser(owner.id))?.disabledAt, T0 + 3);
    assert.equal(await store.getGlobalSession(session.global.id), null);
    assert.equal(await store.apply([]), true);
  });

  storeTest('a required write that changes no row undoes the whole unit, whatever ran before it', async (store) => {
    const { app, cert, owner, session, next } = await seedUnit(store);
    assert.equal(
      await store.apply([
        { write: 'insertCertificate', certificate: next },
        { write: 'deleteUserSessions', userId: owner.id },
        { write: 'setUserDisabled', userId: 'no such user', disabledAt: T0 + 2, required: true },
        { write: 'retireCertificates', applicationId: app.id, at: T0 + 2, which: { neverUsed: true } },
      ]),
      false,
    );
    assert.equal(await store.findCertificate(next.fingerprint), null);
    assert.deepEqual(await store.listCertificates(app.id), [cert]);
    assert.deepEqual(await store.getGlobalSession(session.global.id), session.global);
  });

  storeTest('useCertificate changes nothing on a retired certificate, so a unit that requires it does not stand', async (store) => {
    const { app, cert } = await seedApplication(store);
    await store.apply([{ write: 'retireCertificates', applicationId: app.id, at: T0 + 1, which: { neverUsed: true } }]);
    const use = { write: 'useCertificate', applicationId: app.id, fingerprint: cert.fingerprint, at: T0 + 2 } as const;
    assert.equal(await store.apply([use]), true, 'not required: the unit stands without it');
    assert.equal(await store.apply([{ ...use, required: true }]), false);
    assert.deepEqual(await store.findCertificate(cert.fingerprint), { ...cert, retiredAt: T0 + 1 });
  });
}
