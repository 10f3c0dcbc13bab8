// Application groups (docs/groups.md): the part of the Store contract suite (index.ts) that every
// engine runs. The rules built on them (who may join, which sessions end) are core/operator/groups.ts's.
import assert from 'node:assert/strict';
import type { Store } from '../../../../src/core/store/index.js';
import { T0, hex64, seedApplication, seedSession, seedUser, type StoreTest } from './fixtures.js';

/** A group `books` with a provider and one subscriber, each with a user. */
async function seedGroup(store: Store) {
  const provider = (await seedApplication(store)).app;
  const subscriber = (await seedApplication(store)).app;
  const group = { name: 'books', providerId: provider.id, createdAt: T0 };
  assert.equal(await store.apply([{ write: 'insertGroup', group, required: true }]), true);
  const member = { applicationId: subscriber.id, groupName: 'books', role: 'subscriber' as const, joinedAt: T0 + 1 };
  assert.equal(await store.apply([{ write: 'insertGroupMember', member, required: true }]), true);
  return { provider, subscriber, group };
}

export function groupsContract(storeTest: StoreTest): void {
  storeTest('a group holds its provider and subscribers; each application is in at most one group', async (store) => {
    const { provider, subscriber, group } = await seedGroup(store);
    const loner = (await seedApplication(store)).app;
    assert.deepEqual(await store.getGroup('books'), group);
    assert.equal(await store.getGroup('none'), null);
    assert.deepEqual(await store.groupOfApplication(provider.id), { groupName: 'books', providerId: provider.id, role: 'provider' });
    assert.deepEqual(await store.groupOfApplication(subscriber.id), { groupName: 'books', providerId: provider.id, role: 'subscriber' });
    assert.equal(await store.groupOfApplication(loner.id), null);
    assert.deepEqual(await store.listGroupMembers('books'), [
      { applicationId: provider.id, role: 'provider' },
      { applicationId: subscriber.id, role: 'subscriber' },
    ]);
    assert.deepEqual(await store.listGroups(), [{ ...group, members: 2 }]);
    assert.deepEqual(await store.listGroupMemberships(), [
      { applicationId: provider.id, groupName: 'books', role: 'provider', joinedAt: T0 },
      { applicationId: subscriber.id, groupName: 'books', role: 'subscriber', joinedAt: T0 + 1 },
    ]);
    // A taken name, a provider already in a group, a member joining twice: required steps that change nothing.
    assert.equal(await store.apply([{ write: 'insertGroup', group: { ...group, providerId: loner.id }, required: true }]), false);
    assert.equal(
      await store.apply([{ write: 'insertGroup', group: { ...group, name: 'music', providerId: subscriber.id }, required: true }]),
      false,
    );
    const again = { applicationId: subscriber.id, groupName: 'books', role: 'subscriber' as const, joinedAt: T0 };
    assert.equal(await store.apply([{ write: 'insertGroupMember', member: again, required: true }]), false);
    assert.equal(
      await store.apply([{ write: 'deleteGroupMember', groupName: 'books', applicationId: provider.id, required: true }]),
      false,
    );
    assert.equal(
      await store.apply([{ write: 'deleteGroupMember', groupName: 'books', applicationId: subscriber.id, required: true }]),
      true,
    );
    assert.equal(await store.groupOfApplication(subscriber.id), null);
    assert.equal(await store.apply([{ write: 'deleteGroup', name: 'books', required: true }]), true);
    assert.equal(await store.getGroup('books'), null);
    assert.equal(await store.groupOfApplication(provider.id), null);
    assert.deepEqual(await store.listGroups(), []);
  });

  storeTest('a provider is not deleted while its group exists; a deleted subscriber leaves its group', async (store) => {
    const { provider, subscriber } = await seedGroup(store);
    await assert.rejects(store.deleteApplication(provider.id));
    assert.notEqual(await store.getApplication(provider.id), null);
    assert.equal(await store.deleteApplication(subscriber.id), true);
    assert.deepEqual(await store.listGroupMembers('books'), [{ applicationId: provider.id, role: 'provider' }]);
  });

  storeTest('users are listed by set, and pass from one owner to another', async (store) => {
    const { provider, subscriber } = await seedGroup(store);
    const loner = (await seedApplication(store)).app;
    const a = await seedUser(store, provider.id, { login: 'a', loginKey: 'a' });
    const b = await seedUser(store, subscriber.id, { login: 'b', loginKey: 'b' });
    const c = await seedUser(store, loner.id, { login: 'c', loginKey: 'c' });
    const ids = async (groupName: string | null) => (await store.listUsers({ set: { groupName }, limit: 10 })).map((u) => u.id);
    assert.deepEqual(await ids('books'), [a.id, b.id]);
    assert.deepEqual(await ids(null), [c.id]);
    assert.deepEqual(await ids('music'), []);
    assert.equal((await store.listUsers({ limit: 10 })).length, 3);
    assert.equal(await store.apply([{ write: 'transferUsers', fromOwnerId: subscriber.id, toOwnerId: provider.id }]), true);
    assert.equal((await store.getUser(b.id))?.ownerId, provider.id);
  });

  storeTest('sessions record their set; the hot path reads the caller group; sessions of a set end by url or as a whole', async (store) => {
    const { provider, subscriber } = await seedGroup(store);
    const user = await seedUser(store, provider.id);
    const grouped = await seedSession(store, user.id, { groupName: 'books' });
    const ungrouped = await seedSession(store, user.id);
    assert.equal((await store.getGlobalSession(grouped.global.id))?.groupName, 'books');
    assert.equal((await store.getGlobalSession(ungrouped.global.id))?.groupName, null);
    const subscriberCert = (await store.listCertificates(subscriber.id))[0];
    assert.ok(subscriberCert !== undefined);
    const read = await store.findCertificateAndSession(subscriberCert.fingerprint, grouped.local.idHash);
    assert.equal(read.applicationGroup, 'books');
    assert.equal(read.session?.global.groupName, 'books');
    assert.deepEqual(await store.listGroupSessions('books'), [{ id: grouped.global.id, userId: user.id }]);

    // Both sessions have a local session at the same base url: only the set's is deleted.
    await store.apply([{ write: 'deleteLocalSessionsOfSet', baseUrl: grouped.local.baseUrl, groupName: null }]);
    assert.equal(await store.findSessionByLocalId(ungrouped.local.idHash), null);
    assert.notEqual(await store.findSessionByLocalId(grouped.local.idHash), null);
    assert.notEqual(await store.getGlobalSession(ungrouped.global.id), null);

    await store.apply([{ write: 'deleteGroupSessions', groupName: 'books' }]);
    assert.equal(await store.getGlobalSession(grouped.global.id), null);
    assert.notEqual(await store.getGlobalSession(ungrouped.global.id), null);
    assert.deepEqual(await store.listGroupSessions('books'), []);
  });

  storeTest('a url belongs to the sets of the applications registered with it', async (store) => {
    const { subscriber } = await seedGroup(store);
    const url = subscriber.url ?? '';
    assert.equal(await store.hasApplicationUrlInSet(url, 'books'), true);
    assert.equal(await store.hasApplicationUrlInSet(url, null), false);
    assert.equal(await store.groupOfApplicationUrl(url), 'books');
    const shared = (await seedApplication(store, { url })).app;
    assert.equal(await store.hasApplicationUrlInSet(url, null), true);
    assert.equal(await store.groupOfApplicationUrl(url), 'books');
    assert.equal(await store.groupOfApplicationUrl(`https://${hex64().slice(0, 8)}.example.com:443/`), null);
    assert.equal(await store.deleteApplication(shared.id), true);
  });
}
