// Users: the part of the Store contract suite (index.ts) that every engine runs.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import {
  T0,
  assertSessionGone,
  hex64,
  isDuplicateLogin,
  seedApplication,
  seedOwnedUser,
  seedSession,
  seedUser,
  setUserDisabled,
  sorted,
  user,
  type StoreTest,
} from './fixtures.js';
import type { UserRecord } from '../../../../src/core/store/index.js';

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

function registerUserOperatorTests(storeTest: StoreTest): void {
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

    assert.equal(await setUserDisabled(store, target.id, T0 + 5), true);
    assert.deepEqual(await store.getUser(target.id), { ...target, disabledAt: T0 + 5 });
    assert.deepEqual(await store.findUserByLoginKey(target.loginKey), { ...target, disabledAt: T0 + 5 });
    await assertSessionGone(store, session, cookie);
    assert.deepEqual(await store.getGlobalSession(kept.global.id), kept.global);

    assert.equal(await setUserDisabled(store, target.id, null), true);
    assert.deepEqual(await store.getUser(target.id), target);
    assert.equal(await setUserDisabled(store, randomUUID(), T0), false);
    assert.equal(await setUserDisabled(store, randomUUID(), null), false);
  });
}

export function usersContract(storeTest: StoreTest): void {
  registerUserTests(storeTest);
  registerUserOperatorTests(storeTest);
}
