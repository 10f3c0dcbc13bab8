// On Session Start callbacks (docs/groups.md): the part of the Store contract suite (index.ts) that
// every engine runs: the callbacks, what a session was started for, and the claims that make each
// call exactly once (one insert or one compare-and-set wins; a stale claim is taken over once).
import assert from 'node:assert/strict';
import { T0, seedApplication, seedSession, seedUser, type StoreTest } from './fixtures.js';

export function sessionStartContract(storeTest: StoreTest): void {
  storeTest('a callback is set, replaced, listed and removed; it goes with its application', async (store) => {
    const { app } = await seedApplication(store);
    const callback = {
      applicationId: app.id,
      url: 'https://cb.example.com/start',
      policy: 'continue' as const,
      caPem: null,
      updatedAt: T0,
    };
    await store.setSessionStartCallback(callback);
    assert.deepEqual(await store.getSessionStartCallback(app.id), callback);
    const replaced = { ...callback, url: 'https://cb.example.com/other', policy: 'fail' as const, caPem: 'PEM', updatedAt: T0 + 1 };
    await store.setSessionStartCallback(replaced);
    assert.deepEqual(await store.listSessionStartCallbacks(), [replaced]);
    assert.deepEqual(await store.listApplicationIdsOfUrl(app.url ?? ''), [app.id]);
    assert.equal(await store.deleteSessionStartCallback(app.id), true);
    assert.equal(await store.deleteSessionStartCallback(app.id), false);
    await store.setSessionStartCallback(callback);
    assert.equal(await store.deleteApplication(app.id), true);
    assert.deepEqual(await store.listSessionStartCallbacks(), []);
  });

  storeTest(
    'a call is claimed once; a fresh claim is answered as it is, a stale one taken over once; an outcome is final',
    async (store) => {
      const { app } = await seedApplication(store);
      const user = await seedUser(store, app.id);
      const { global } = await seedSession(store, user.id);
      await store.recordSessionStart({ globalId: global.id, startedFor: app.id, groupName: null, createdAt: T0 });
      await store.recordSessionStart({ globalId: global.id, startedFor: 'other', groupName: 'g', createdAt: T0 + 1 });
      assert.deepEqual(await store.getSessionStart(global.id), { globalId: global.id, startedFor: app.id, groupName: null, createdAt: T0 });

      const key = { globalId: global.id, applicationId: app.id };
      const claim = (by: string, at: number) =>
        store.claimSessionStartCall({ ...key, claimedBy: by, claimedAt: at, staleBefore: at - 30_000 });
      const results = await Promise.all([claim('a', T0), claim('b', T0), claim('c', T0)]);
      assert.equal(results.filter((result) => result.claimed).length, 1, 'one of three');
      const fresh = await claim('d', T0 + 10_000);
      assert.ok(!fresh.claimed, 'a fresh claim is not taken');
      assert.equal(fresh.call?.outcome, null);

      const takeovers = await Promise.all([claim('e', T0 + 31_000), claim('f', T0 + 31_000)]);
      assert.deepEqual(takeovers.map((result) => (result.claimed ? result.takenOver : false)).sort(), [false, true], 'taken over once');
      const holder = takeovers[0].claimed ? 'e' : 'f';
      const loser = holder === 'e' ? 'f' : 'e';
      assert.equal(await store.finishSessionStartCall({ ...key, claimedBy: loser, finishedAt: T0 + 32_000, outcome: 'failed' }), false);
      assert.equal(await store.finishSessionStartCall({ ...key, claimedBy: holder, finishedAt: T0 + 32_000, outcome: 'delivered' }), true);
      assert.equal(await store.finishSessionStartCall({ ...key, claimedBy: holder, finishedAt: T0 + 33_000, outcome: 'refused' }), false);
      const finished = await claim('g', T0 + 100_000);
      assert.ok(!finished.claimed, 'a finished call is never claimed again');
      assert.equal(finished.call?.outcome, 'delivered');

      await store.deleteGlobalSession(global.id);
      assert.deepEqual(await claim('h', T0 + 200_000), { claimed: false, call: null }, 'gone with its session');
      assert.equal(await store.getSessionStart(global.id), null);
    },
  );
}
