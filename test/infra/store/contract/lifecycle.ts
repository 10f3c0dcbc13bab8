// The store itself: the part of the Store contract suite (index.ts) that every engine runs.
import assert from 'node:assert/strict';
import type { StoreTest } from './fixtures.js';

export function lifecycleContract(storeTest: StoreTest, engineName: string): void {
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
}
