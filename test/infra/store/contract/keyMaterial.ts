// Key material shared by every node: the part of the Store contract suite (index.ts) that every engine runs.
import assert from 'node:assert/strict';
import { T0, hex64, type StoreTest } from './fixtures.js';
import type { KeyMaterialRecord } from '../../../../src/core/store/index.js';

function keyMaterial(name: string, overrides: Partial<KeyMaterialRecord> = {}): KeyMaterialRecord {
  return {
    name,
    certificatePem: `-----BEGIN CERTIFICATE-----\n${hex64()}\n-----END CERTIFICATE-----\n`,
    sealedKey: `v1.${hex64()}`,
    updatedAt: T0,
    ...overrides,
  };
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

export function keyMaterialContract(storeTest: StoreTest): void {
  registerKeyMaterialTests(storeTest);
}
