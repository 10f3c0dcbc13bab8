// Service settings: the part of the Store contract suite (index.ts) that every engine runs.
import assert from 'node:assert/strict';
import { T0, type StoreTest } from './fixtures.js';

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

export function settingsContract(storeTest: StoreTest): void {
  registerSettingsTests(storeTest);
}
