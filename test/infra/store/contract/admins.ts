// The admin console's administrators and console sessions: the part of the Store contract suite
// (index.ts) that every engine runs.
import assert from 'node:assert/strict';
import { T0, hex64, type StoreTest } from './fixtures.js';
import type { AdminRecord } from '../../../../src/core/store/index.js';

function admin(name: string, overrides: Partial<AdminRecord> = {}): AdminRecord {
  return {
    name,
    passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo',
    totpSealed: `v1.${hex64()}`,
    totpLastStep: 0,
    createdAt: T0,
    lastSignInAt: null,
    ...overrides,
  };
}

const CODES = ['a'.repeat(64), 'b'.repeat(64), 'c'.repeat(64)];

function session(idHash: string, adminName: string, at = T0) {
  return { idHash, adminName, createdAt: at, lastSeenAt: at };
}

function registerAdminTests(storeTest: StoreTest): void {
  storeTest('addAdmin stores an administrator with its recovery codes; a second of the same name is refused', async (store) => {
    assert.equal(await store.getAdmin('alice'), null);
    const alice = admin('alice');
    assert.equal(await store.addAdmin(alice, CODES), true);
    assert.deepEqual(await store.getAdmin('alice'), alice);
    assert.deepEqual((await store.listRecoveryCodeHashes('alice')).sort(), CODES);
    assert.equal(await store.addAdmin(admin('alice', { createdAt: T0 + 1 }), ['d'.repeat(64)]), false);
    assert.deepEqual(await store.getAdmin('alice'), alice, 'the refused one changed nothing');
    assert.deepEqual((await store.listRecoveryCodeHashes('alice')).sort(), CODES, 'nor added its codes');
  });

  storeTest('listAdmins: every administrator by name, with the recovery codes it has left', async (store) => {
    await store.addAdmin(admin('bob'), CODES.slice(0, 1));
    await store.addAdmin(admin('alice'), CODES);
    assert.deepEqual(
      (await store.listAdmins()).map((a) => [a.name, a.recoveryCodesLeft]),
      [
        ['alice', 3],
        ['bob', 1],
      ],
    );
  });

  storeTest('acceptTotpStep accepts only a step later than the last accepted one', async (store) => {
    await store.addAdmin(admin('alice'), []);
    assert.equal(await store.acceptTotpStep('alice', 100), true);
    assert.equal(await store.acceptTotpStep('alice', 100), false, 'the same step again is a replay');
    assert.equal(await store.acceptTotpStep('alice', 99), false, 'an earlier step too');
    assert.equal(await store.acceptTotpStep('alice', 101), true);
    assert.equal((await store.getAdmin('alice'))?.totpLastStep, 101);
    assert.equal(await store.acceptTotpStep('nobody', 5), false);
  });

  storeTest('of 8 concurrent acceptTotpStep of one step exactly one is accepted', async (store) => {
    await store.addAdmin(admin('alice'), []);
    const results = await Promise.all(Array.from({ length: 8 }, () => store.acceptTotpStep('alice', 7)));
    assert.equal(results.filter(Boolean).length, 1);
  });

  storeTest('useRecoveryCode accepts each code once, only for its administrator', async (store) => {
    await store.addAdmin(admin('alice'), CODES);
    await store.addAdmin(admin('bob'), []);
    assert.equal(await store.useRecoveryCode('bob', CODES[0] ?? ''), false);
    assert.equal(await store.useRecoveryCode('alice', CODES[0] ?? ''), true);
    assert.equal(await store.useRecoveryCode('alice', CODES[0] ?? ''), false, 'a second use is refused');
    assert.deepEqual((await store.listRecoveryCodeHashes('alice')).sort(), CODES.slice(1));
  });

  storeTest(
    'resetAdmin replaces the password, or the secret with new codes (the step starts over), and ends the sessions',
    async (store) => {
      await store.addAdmin(admin('alice'), CODES);
      await store.acceptTotpStep('alice', 50);
      await store.createAdminSession(session('s1', 'alice'));
      await store.createAdminSession(session('s2', 'alice'));
      assert.equal(await store.resetAdmin('alice', { passwordHash: 'new-hash' }), 2);
      const afterPassword = await store.getAdmin('alice');
      assert.equal(afterPassword?.passwordHash, 'new-hash');
      assert.equal(afterPassword.totpLastStep, 50, 'the secret is untouched');
      assert.equal(await store.getAdminSession('s1'), null);
      assert.equal(await store.resetAdmin('alice', { totp: { sealed: 'v1.new', recoveryCodeHashes: ['e'.repeat(64)] } }), 0);
      const afterTotp = await store.getAdmin('alice');
      assert.equal(afterTotp?.totpSealed, 'v1.new');
      assert.equal(afterTotp.totpLastStep, 0);
      assert.equal(afterTotp.passwordHash, 'new-hash');
      assert.deepEqual(await store.listRecoveryCodeHashes('alice'), ['e'.repeat(64)]);
      assert.equal(await store.resetAdmin('nobody', { passwordHash: 'x' }), null);
    },
  );

  storeTest('removeAdmin removes the administrator, its codes and its sessions; another keeps its own', async (store) => {
    await store.addAdmin(admin('alice'), CODES);
    await store.addAdmin(admin('bob'), []);
    await store.createAdminSession(session('s1', 'alice'));
    await store.createAdminSession(session('s2', 'bob'));
    assert.equal(await store.removeAdmin('alice'), 1);
    assert.equal(await store.getAdmin('alice'), null);
    assert.deepEqual(await store.listRecoveryCodeHashes('alice'), []);
    assert.equal(await store.getAdminSession('s1'), null);
    assert.deepEqual(await store.getAdminSession('s2'), session('s2', 'bob'));
    assert.equal(await store.removeAdmin('alice'), null);
  });

  storeTest('console sessions: created, read back, touched forward only, deleted once, purged when idle or old', async (store) => {
    await store.addAdmin(admin('alice'), []);
    await store.createAdminSession(session('s1', 'alice'));
    assert.deepEqual(await store.getAdminSession('s1'), session('s1', 'alice'));
    await store.touchAdminSession('s1', T0 + 1000);
    await store.touchAdminSession('s1', T0 + 500);
    assert.equal((await store.getAdminSession('s1'))?.lastSeenAt, T0 + 1000);
    assert.equal(await store.deleteAdminSession('s1'), true);
    assert.equal(await store.deleteAdminSession('s1'), false);

    await store.createAdminSession(session('idle', 'alice', T0));
    await store.createAdminSession({ idHash: 'old', adminName: 'alice', createdAt: T0, lastSeenAt: T0 + 10_000 });
    await store.createAdminSession(session('live', 'alice', T0 + 10_000));
    assert.equal(await store.purgeAdminSessions(T0 + 5000, T0 + 1), 2);
    assert.deepEqual(await store.getAdminSession('live'), session('live', 'alice', T0 + 10_000));
    await store.recordAdminSignIn('alice', T0 + 42);
    assert.equal((await store.getAdmin('alice'))?.lastSignInAt, T0 + 42);
  });
}

export function adminsContract(storeTest: StoreTest): void {
  registerAdminTests(storeTest);
}
