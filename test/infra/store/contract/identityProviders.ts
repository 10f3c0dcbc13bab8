// SAML identity providers, federated links, AuthnRequest ids and assertion ids: the part of the Store
// contract suite (index.ts) that every engine runs.
import assert from 'node:assert/strict';
import { DuplicateIdentityProviderError, type IdentityProviderRecord, type Store } from '../../../../src/core/store/index.js';
import { idpRecord, idpSettings, ROLLOVER_PEM } from '../../../helpers/identityProviders.js';
import { MINUTE, T0, seedApplication, seedOwnedUser, seedUser, type StoreTest } from './fixtures.js';

async function seedIdp(store: Store, name: string): Promise<IdentityProviderRecord> {
  const record = idpRecord(name, idpSettings(), T0);
  await store.insertIdentityProvider(record);
  return record;
}

function registerIdentityProviderTests(storeTest: StoreTest): void {
  storeTest(
    'insertIdentityProvider stores every field; getIdentityProvider and listIdentityProviders (by name) read it back',
    async (store) => {
      assert.deepEqual(await store.listIdentityProviders(), []);
      const corp = await seedIdp(store, 'corp');
      const full = idpRecord(
        'Partner.IdP',
        idpSettings({
          userIdType: 'userId',
          userIdLocation: 'attribute',
          userIdAttribute: 'urn:oid:0.9.2342.19200300.100.1.1',
          certificates: [idpSettings().certificates[0] as string, ROLLOVER_PEM],
          allowIdpInitiated: true,
        }),
      );
      await store.insertIdentityProvider(full);
      assert.deepEqual(await store.getIdentityProvider('corp'), corp);
      assert.deepEqual(await store.getIdentityProvider('Partner.IdP'), full);
      assert.deepEqual(await store.listIdentityProviders(), [full, corp], 'byte-wise by name: upper case first');
      assert.equal(await store.getIdentityProvider('CORP'), null, 'names are compared as stored');
    },
  );

  storeTest('insertIdentityProvider with a name that is taken throws DuplicateIdentityProviderError and changes nothing', async (store) => {
    const first = await seedIdp(store, 'corp');
    await assert.rejects(
      store.insertIdentityProvider(idpRecord('corp', idpSettings({ issuer: 'https://other/' }), T0 + 5)),
      DuplicateIdentityProviderError,
    );
    assert.deepEqual(await store.listIdentityProviders(), [first]);
  });

  storeTest('updateIdentityProvider replaces the display name, settings and updatedAt, keeps createdAt; false for none', async (store) => {
    await seedIdp(store, 'corp');
    const replacement = { ...idpRecord('corp', idpSettings({ allowIdpInitiated: true }), T0 + MINUTE), displayName: 'Corp' };
    assert.equal(await store.updateIdentityProvider(replacement), true);
    assert.deepEqual(await store.getIdentityProvider('corp'), { ...replacement, createdAt: T0 });
    assert.equal(await store.updateIdentityProvider(idpRecord('absent')), false);
    assert.equal(await store.getIdentityProvider('absent'), null);
  });

  storeTest(
    'a stored identity provider whose settings fail the checks is read back as unreadable, with why, never thrown',
    async (store) => {
      // The store writes what it is given; the checks are made when the settings are read back.
      const broken = idpRecord('broken', { ...idpSettings(), signInUrl: 'http://idp.example.org/sso' });
      await store.insertIdentityProvider(broken);
      await seedIdp(store, 'fine');
      const read = await store.getIdentityProvider('broken');
      assert.ok(read !== null && read.settings === null);
      assert.match(read.problem, /https:\/\//);
      assert.deepEqual(
        (await store.listIdentityProviders()).map((idp) => [idp.name, idp.settings === null]),
        [
          ['broken', true],
          ['fine', false],
        ],
      );
    },
  );
}

function registerLinkTests(storeTest: StoreTest): void {
  storeTest('linkFederatedId links a user; findUserByFederatedId and listFederatedLinksOfUser read it', async (store) => {
    const user = await seedOwnedUser(store);
    await seedIdp(store, 'corp');
    await seedIdp(store, 'alpha');
    const link = { idpName: 'corp', federatedId: 'a1b2c3@corp', userId: user.id, createdAt: T0 };
    assert.equal(await store.linkFederatedId(link), 'linked');
    assert.equal(await store.linkFederatedId({ ...link, idpName: 'alpha', federatedId: 'ALICE' }), 'linked');
    assert.deepEqual(await store.findUserByFederatedId('corp', 'a1b2c3@corp'), user);
    assert.equal(await store.findUserByFederatedId('corp', 'A1B2C3@corp'), null, 'federated ids are compared as given');
    assert.deepEqual(
      (await store.listFederatedLinksOfUser(user.id)).map((l) => [l.idpName, l.federatedId]),
      [
        ['alpha', 'ALICE'],
        ['corp', 'a1b2c3@corp'],
      ],
    );
    assert.equal(await store.countFederatedLinks('corp'), 1);
    assert.deepEqual(await store.listFederatedLinks(), [{ ...link, idpName: 'alpha', federatedId: 'ALICE' }, link]);
  });

  storeTest('E34: a federated id linked under one identity provider does not find the user under another', async (store) => {
    const user = await seedOwnedUser(store);
    await seedIdp(store, 'corp');
    await seedIdp(store, 'partner');
    assert.equal(await store.linkFederatedId({ idpName: 'corp', federatedId: 'alice', userId: user.id, createdAt: T0 }), 'linked');
    assert.equal(await store.findUserByFederatedId('partner', 'alice'), null);
    // The same federated id under the other identity provider is another person, linked on its own.
    const other = await seedOwnedUser(store);
    assert.equal(await store.linkFederatedId({ idpName: 'partner', federatedId: 'alice', userId: other.id, createdAt: T0 }), 'linked');
    assert.equal((await store.findUserByFederatedId('partner', 'alice'))?.id, other.id);
    assert.equal((await store.findUserByFederatedId('corp', 'alice'))?.id, user.id);
  });

  storeTest(
    'linkFederatedId refuses a federated id taken, a second link of the user, and no such user or identity provider',
    async (store) => {
      const { app } = await seedApplication(store);
      const first = await seedUser(store, app.id);
      const second = await seedUser(store, app.id);
      await seedIdp(store, 'corp');
      const link = { idpName: 'corp', federatedId: 'alice', userId: first.id, createdAt: T0 };
      assert.equal(await store.linkFederatedId(link), 'linked');
      assert.equal(await store.linkFederatedId({ ...link, userId: second.id }), 'federatedIdTaken');
      assert.equal(await store.linkFederatedId(link), 'federatedIdTaken', 'the same link again');
      assert.equal(await store.linkFederatedId({ ...link, federatedId: 'alice2' }), 'userLinked');
      assert.equal(await store.linkFederatedId({ ...link, idpName: 'absent', federatedId: 'x' }), 'absent');
      assert.equal(await store.linkFederatedId({ ...link, userId: 'no-such-user', federatedId: 'y' }), 'absent');
      assert.deepEqual(await store.listFederatedLinks(), [link]);
    },
  );

  storeTest('unlinkFederatedId removes the link and gives it back; null when there is none', async (store) => {
    const user = await seedOwnedUser(store);
    await seedIdp(store, 'corp');
    const link = { idpName: 'corp', federatedId: 'alice', userId: user.id, createdAt: T0 };
    await store.linkFederatedId(link);
    assert.deepEqual(await store.unlinkFederatedId(user.id, 'corp'), link);
    assert.equal(await store.unlinkFederatedId(user.id, 'corp'), null);
    assert.equal(await store.findUserByFederatedId('corp', 'alice'), null);
  });

  storeTest('deleting a user deletes its links', async (store) => {
    const user = await seedOwnedUser(store);
    await seedIdp(store, 'corp');
    await store.linkFederatedId({ idpName: 'corp', federatedId: 'alice', userId: user.id, createdAt: T0 });
    assert.equal(await store.deleteUser(user.id), true);
    assert.equal(await store.countFederatedLinks('corp'), 0);
  });

  storeTest('deleteIdentityProvider leaves one with links, with their number; withLinks deletes both', async (store) => {
    const user = await seedOwnedUser(store);
    await seedIdp(store, 'corp');
    await store.linkFederatedId({ idpName: 'corp', federatedId: 'alice', userId: user.id, createdAt: T0 });
    assert.deepEqual(await store.deleteIdentityProvider('corp'), { linked: 1 });
    assert.notEqual(await store.getIdentityProvider('corp'), null);
    assert.equal(await store.deleteIdentityProvider('corp', { withLinks: true }), 'deleted');
    assert.equal(await store.getIdentityProvider('corp'), null);
    assert.deepEqual(await store.listFederatedLinksOfUser(user.id), []);
    assert.equal(await store.deleteIdentityProvider('corp'), 'absent');
    assert.equal(await store.deleteIdentityProvider('corp', { withLinks: true }), 'absent');
    await seedIdp(store, 'unlinked');
    assert.equal(await store.deleteIdentityProvider('unlinked'), 'deleted');
  });
}

function registerSamlStateTests(storeTest: StoreTest): void {
  const request = { id: '_a1b2c3d4e5f6', idpName: 'corp', relayUrl: 'https://app.example.com/after', expiresAt: T0 + 5 * MINUTE };

  storeTest('takeSamlRequest gives a request back once, then never again', async (store) => {
    await store.insertSamlRequest(request);
    assert.deepEqual(await store.takeSamlRequest(request.id, T0), request);
    assert.equal(await store.takeSamlRequest(request.id, T0), null);
    assert.equal(await store.takeSamlRequest('_unknown', T0), null);
  });

  storeTest('takeSamlRequest of an expired request is null, and deletes it', async (store) => {
    await store.insertSamlRequest(request);
    assert.equal(await store.takeSamlRequest(request.id, request.expiresAt), null);
    assert.equal(await store.purgeSamlState(T0), 0, 'taking it deleted it');
  });

  storeTest('of concurrent takeSamlRequest calls for one request, exactly one gets it', async (store) => {
    await store.insertSamlRequest(request);
    const taken = await Promise.all(Array.from({ length: 8 }, () => store.takeSamlRequest(request.id, T0)));
    assert.equal(taken.filter((r) => r !== null).length, 1);
  });

  storeTest('rememberAssertion is true the first time, false for a replay until the id expires', async (store) => {
    const issuer = 'https://idp.example.org/';
    assert.equal(await store.rememberAssertion(issuer, '_assertion1', T0 + MINUTE, T0), true);
    assert.equal(await store.rememberAssertion(issuer, '_assertion1', T0 + 2 * MINUTE, T0 + 1), false, 'a replay');
    assert.equal(await store.rememberAssertion('https://other-idp.example.org/', '_assertion1', T0 + MINUTE, T0), true, 'per issuer');
    assert.equal(await store.rememberAssertion(issuer, '_assertion1', T0 + 3 * MINUTE, T0 + MINUTE), true, 'expired: new again');
    assert.equal(await store.rememberAssertion(issuer, '_assertion1', T0 + 3 * MINUTE, T0 + 2 * MINUTE), false, 'kept to its new expiry');
  });

  storeTest('of concurrent rememberAssertion calls for one id, exactly one is true', async (store) => {
    const results = await Promise.all(Array.from({ length: 8 }, () => store.rememberAssertion('https://idp/', '_x', T0 + MINUTE, T0)));
    assert.equal(results.filter(Boolean).length, 1);
  });

  storeTest('purgeSamlState deletes the requests and assertion ids expired at now, and keeps the others', async (store) => {
    await store.insertSamlRequest(request);
    await store.insertSamlRequest({ ...request, id: '_later', expiresAt: T0 + 10 * MINUTE });
    await store.rememberAssertion('https://idp/', '_old', T0 + MINUTE, T0);
    await store.rememberAssertion('https://idp/', '_new', T0 + 10 * MINUTE, T0);
    assert.equal(await store.purgeSamlState(T0 + 5 * MINUTE), 2);
    assert.equal((await store.takeSamlRequest('_later', T0 + 5 * MINUTE)) !== null, true);
    assert.equal(await store.rememberAssertion('https://idp/', '_new', T0 + 10 * MINUTE, T0 + 5 * MINUTE), false);
  });
}

export function identityProvidersContract(storeTest: StoreTest): void {
  registerIdentityProviderTests(storeTest);
  registerLinkTests(storeTest);
  registerSamlStateTests(storeTest);
}
