// Delegated sources: the part of the Store contract suite (index.ts) that every engine runs.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { DuplicateSourceError, type SourceRecord, type StoredSource, type UserRecord } from '../../../../src/core/store/index.js';
import type { SourceSettings } from '../../../../src/core/ports/delegated.js';
import { ldapSettings, webServiceSettings } from '../../../helpers/sources.js';
import { T0, seedApplication, seedOwnedUser, seedUser, type StoreTest } from './fixtures.js';

function sourceRecord(name: string, settings: SourceSettings = webServiceSettings(), at = T0): SourceRecord {
  return { name, kind: settings.kind, settings, createdAt: at, updatedAt: at };
}

async function seedSource(store: Parameters<Parameters<StoreTest>[1]>[0], name: string, settings?: SourceSettings): Promise<SourceRecord> {
  const record = sourceRecord(name, settings);
  await store.insertSource(record);
  return record;
}

const DELEGATED = { passwordHash: '' } as const;

function registerSourceTests(storeTest: StoreTest): void {
  storeTest('insertSource stores every field; getSource and listSources (by name) read it back', async (store) => {
    assert.deepEqual(await store.listSources(), []);
    const ldap = await seedSource(store, 'corp-ldap', ldapSettings());
    const web = await seedSource(store, 'Billing.WS', webServiceSettings());
    assert.deepEqual(await store.getSource('corp-ldap'), ldap);
    assert.deepEqual(await store.getSource('Billing.WS'), web);
    assert.deepEqual(await store.listSources(), [web, ldap], 'byte-wise by name: upper case first');
    assert.equal(await store.getSource('billing.ws'), null, 'names are compared as stored');
  });

  storeTest('insertSource with a name that is taken throws DuplicateSourceError and changes nothing', async (store) => {
    const first = await seedSource(store, 'corp');
    await assert.rejects(store.insertSource(sourceRecord('corp', ldapSettings(), T0 + 5)), DuplicateSourceError);
    assert.deepEqual(await store.listSources(), [first]);
  });

  storeTest('updateSource replaces the kind, settings and updatedAt, keeps createdAt; false for no such source', async (store) => {
    await seedSource(store, 'corp');
    const replacement = sourceRecord('corp', ldapSettings({ searchFilter: '(mail={login})' }), T0 + 60_000);
    assert.equal(await store.updateSource(replacement), true);
    assert.deepEqual(await store.getSource('corp'), { ...replacement, createdAt: T0 });
    assert.equal(await store.updateSource(sourceRecord('absent')), false);
    assert.equal(await store.getSource('absent'), null);
  });

  storeTest('a stored source whose settings fail the checks is read back as unreadable, with why, never thrown', async (store) => {
    // The store writes what it is given; the checks are made when the settings are read back.
    const broken = { ...sourceRecord('broken'), settings: { ...webServiceSettings(), url: 'http://auth.example.com/' } } as SourceRecord;
    await store.insertSource(broken);
    await seedSource(store, 'fine');
    const read = (await store.getSource('broken')) as StoredSource;
    assert.equal(read.settings, null);
    assert.match('problem' in read ? read.problem : '', /https:\/\//);
    assert.deepEqual(
      (await store.listSources()).map((source) => [source.name, source.settings === null]),
      [
        ['broken', true],
        ['fine', false],
      ],
    );
  });

  storeTest('setUserSource sets the source and the hash together; null makes the user local again', async (store) => {
    const user = await seedOwnedUser(store);
    await seedSource(store, 'corp');
    assert.equal(await store.setUserSource(user.id, 'corp', ''), true);
    assert.deepEqual(await store.getUser(user.id), { ...user, sourceName: 'corp', ...DELEGATED });
    const local = '$argon2id$v=19$m=19456,t=2,p=1$bmV3c2FsdA$bmV3aGFzaA';
    assert.equal(await store.setUserSource(user.id, null, local), true);
    assert.deepEqual(await store.getUser(user.id), { ...user, sourceName: null, passwordHash: local });
  });

  storeTest('setUserSource to a source that does not exist, or of a user that does not, is false and changes nothing', async (store) => {
    const user = await seedOwnedUser(store);
    assert.equal(await store.setUserSource(user.id, 'absent', ''), false);
    assert.deepEqual(await store.getUser(user.id), user);
    await seedSource(store, 'corp');
    assert.equal(await store.setUserSource(randomUUID(), 'corp', ''), false);
  });

  storeTest('countUsersOfSource and listUsersOfSource give the users of that source only, by login key, up to the limit', async (store) => {
    const { app } = await seedApplication(store);
    await seedSource(store, 'corp');
    await seedSource(store, 'other');
    const users: UserRecord[] = [];
    for (const login of ['carol', 'alice', 'bob', 'dave']) users.push(await seedUser(store, app.id, { login, loginKey: login }));
    for (const user of users.slice(0, 3)) await store.setUserSource(user.id, 'corp', '');
    await store.setUserSource((users[3] as UserRecord).id, 'other', '');
    assert.equal(await store.countUsersOfSource('corp'), 3);
    assert.equal(await store.countUsersOfSource('absent'), 0);
    assert.deepEqual(
      (await store.listUsersOfSource('corp', 2)).map((user) => [user.login, user.sourceName]),
      [
        ['alice', 'corp'],
        ['bob', 'corp'],
      ],
    );
    assert.deepEqual(
      (await store.listUsersOfSource('other', 10)).map((user) => user.login),
      ['dave'],
    );
  });

  storeTest('deleteSource leaves a source that users have, with their number; deletes it once they have none', async (store) => {
    const { app } = await seedApplication(store);
    await seedSource(store, 'corp');
    const first = await seedUser(store, app.id);
    const second = await seedUser(store, app.id);
    await store.setUserSource(first.id, 'corp', '');
    await store.setUserSource(second.id, 'corp', '');
    assert.deepEqual(await store.deleteSource('corp'), { inUse: 2 });
    assert.notEqual(await store.getSource('corp'), null);
    await store.setUserSource(first.id, null, 'local-hash');
    await store.deleteUser(second.id);
    assert.equal(await store.deleteSource('corp'), 'deleted');
    assert.equal(await store.getSource('corp'), null);
    assert.equal(await store.deleteSource('corp'), 'absent');
  });

  storeTest("deleting the users' owner application deletes them, and then their source can go", async (store) => {
    const { app } = await seedApplication(store);
    await seedSource(store, 'corp');
    const user = await seedUser(store, app.id);
    await store.setUserSource(user.id, 'corp', '');
    assert.equal(await store.deleteApplication(app.id), true);
    assert.equal(await store.deleteSource('corp'), 'deleted');
  });
}

export function sourcesContract(storeTest: StoreTest): void {
  registerSourceTests(storeTest);
}
