// The last test of each delegated source and identity provider: the part of the Store contract suite
// (index.ts) that every engine runs.
import assert from 'node:assert/strict';
import type { LastTestRecord } from '../../../../src/core/store/index.js';
import { idpRecord, idpSettings } from '../../../helpers/identityProviders.js';
import { webServiceSettings } from '../../../helpers/sources.js';
import { MINUTE, T0, seedApplication, seedUser, type StoreTest } from './fixtures.js';

function lastTest(overrides: Partial<LastTestRecord> = {}): LastTestRecord {
  return {
    kind: 'source',
    name: 'corp',
    testedAt: T0,
    actor: 'admin:root',
    outcome: 'refused',
    detail: 'the service answered AUTH_FAILED <b>é</b>',
    ...overrides,
  };
}

export function lastTestsContract(storeTest: StoreTest): void {
  storeTest(
    'recordLastTest keeps the last test of a source and of an identity provider apart, each replacing the one before',
    async (store) => {
      const settings = webServiceSettings();
      await store.insertSource({ name: 'corp', kind: settings.kind, settings, createdAt: T0, updatedAt: T0 });
      await store.insertIdentityProvider(idpRecord('corp', idpSettings(), T0));
      assert.equal(await store.getLastTest('source', 'corp'), null);
      const first = lastTest();
      const idp = lastTest({ kind: 'identityProvider', outcome: 'usable', detail: '[]', actor: 'operator' });
      assert.equal(await store.recordLastTest(first), true);
      assert.equal(await store.recordLastTest(idp), true);
      assert.deepEqual(await store.getLastTest('source', 'corp'), first);
      const second = lastTest({ testedAt: T0 + MINUTE, actor: 'operator', outcome: 'accepted', detail: '' });
      assert.equal(await store.recordLastTest(second), true);
      assert.deepEqual(await store.getLastTest('source', 'corp'), second);
      assert.deepEqual(await store.getLastTest('identityProvider', 'corp'), idp);
    },
  );

  storeTest('recordLastTest of a source or identity provider that does not exist keeps nothing', async (store) => {
    assert.equal(await store.recordLastTest(lastTest({ name: 'absent' })), false);
    assert.equal(await store.recordLastTest(lastTest({ kind: 'identityProvider', name: 'absent' })), false);
    assert.equal(await store.getLastTest('source', 'absent'), null);
    assert.equal(await store.getLastTest('identityProvider', 'absent'), null);
  });

  storeTest('deleteSource and deleteIdentityProvider drop their last test; a source kept for its users keeps it', async (store) => {
    const settings = webServiceSettings();
    await store.insertSource({ name: 'corp', kind: settings.kind, settings, createdAt: T0, updatedAt: T0 });
    await store.insertIdentityProvider(idpRecord('corp', idpSettings(), T0));
    await store.recordLastTest(lastTest());
    await store.recordLastTest(lastTest({ kind: 'identityProvider' }));
    const user = await seedUser(store, (await seedApplication(store)).app.id);
    await store.setUserSource(user.id, 'corp', '');
    assert.deepEqual(await store.deleteSource('corp'), { inUse: 1 });
    assert.notEqual(await store.getLastTest('source', 'corp'), null);
    await store.setUserSource(user.id, null, 'local-hash');
    assert.equal(await store.deleteSource('corp'), 'deleted');
    assert.equal(await store.getLastTest('source', 'corp'), null);
    assert.equal(await store.deleteIdentityProvider('corp'), 'deleted');
    assert.equal(await store.getLastTest('identityProvider', 'corp'), null);
    await store.insertIdentityProvider(idpRecord('corp', idpSettings(), T0));
    await store.recordLastTest(lastTest({ kind: 'identityProvider' }));
    assert.equal(await store.deleteIdentityProvider('corp', { withLinks: true }), 'deleted');
    assert.equal(await store.getLastTest('identityProvider', 'corp'), null, 'removed with its links too');
  });
}
