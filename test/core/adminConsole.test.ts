// The admin console's sign-in and sessions in the core (core/adminConsole.ts, core/operator/admins.ts,
// docs/admin-console.md): TOTP codes used once (a replayed or older step is refused), recovery codes
// accepted once, one answer for every failure with its audit record, brute-force locks on
// `admin:NAME`, idle and absolute session expiry, and the TOTP secret never plain in the store.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { adminSessionOf, csrfMatches, signInAdmin, signOutAdmin, ADMIN_IDLE_MS, ADMIN_LIFETIME_MS } from '../../src/core/adminConsole.js';
import { resetAdmin, totpSealName, type AdminKit, type SecondFactor } from '../../src/core/operator/admins.js';
import { ADMIN_PASSWORD, FAST_HASHING, addTestAdmin, kitOf, totpCode } from '../helpers/adminConsole.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

describe('admin console sign-in and sessions (core)', () => {
  let ts: TestServer;
  let kit: AdminKit;

  before(async () => {
    ts = await startTestServer({ ...FAST_HASHING, maxLoginFailures: 5 });
    kit = await kitOf(ts);
  });
  after(() => ts.close());

  const services = () => ts.server.services;
  const now = () => services().now();

  function attempt(name: string, code: string, password = ADMIN_PASSWORD, requireCode = true) {
    return signInAdmin(services(), kit, { name, password, code, address: '192.0.2.10', requireCode });
  }

  async function lastAudit(name: string) {
    const [record] = await services().store.queryAudit({ limit: 1, target: `admin:${name}` });
    return record;
  }

  test('I56: a right password and TOTP code sign in once; the same code again is a replay, an older step too', async () => {
    const factor = await addTestAdmin(ts, 'ada');
    const code = totpCode(factor.secret, now());
    const first = await attempt('ada', code);
    assert.ok(first.ok);
    assert.equal(first.secret.length, 43);
    assert.equal((await lastAudit('ada'))?.type, 'admin.signedIn');

    assert.equal((await attempt('ada', code)).ok, false, 'the same code is refused');
    assert.equal((await lastAudit('ada'))?.outcome, 'replayedCode');
    assert.equal(
      (await attempt('ada', totpCode(factor.secret, now() - 30_000))).ok,
      false,
      'the step before, within the window, is older than the accepted one',
    );
    assert.equal((await lastAudit('ada'))?.outcome, 'replayedCode');

    ts.advanceClock(30_000);
    assert.equal((await attempt('ada', totpCode(factor.secret, now()))).ok, true, 'the next step is accepted');
  });

  test('I60: a wrong code, a wrong password and an unknown name get the same refusal, each with its audit outcome; nothing is used up', async () => {
    const factor = await addTestAdmin(ts, 'bea');
    const code = totpCode(factor.secret, now());
    const wrongCode = code === '000000' ? '111111' : '000000';
    assert.deepEqual(await attempt('bea', wrongCode), { ok: false });
    assert.equal((await lastAudit('bea'))?.outcome, 'wrongCode');
    assert.deepEqual(await attempt('bea', code, 'not the password at all'), { ok: false });
    assert.equal((await lastAudit('bea'))?.outcome, 'wrongPassword');
    assert.deepEqual(await attempt('nobody-here', code), { ok: false });
    assert.equal((await lastAudit('nobody-here'))?.outcome, 'unknownAdmin');
    assert.deepEqual(await attempt('bea', ''), { ok: false }, 'no code while one is required');
    assert.equal((await lastAudit('bea'))?.outcome, 'wrongCode');
    assert.equal((await attempt('bea', code)).ok, true, 'the code refused with a wrong password was not used up');
  });

  test('I57: a recovery code is accepted once, in any case and without dashes; a second use is refused', async () => {
    const factor = await addTestAdmin(ts, 'cyd');
    const recovery = factor.recoveryCodes[3] ?? '';
    const typed = recovery.replace(/-/g, '').toUpperCase();
    const first = await attempt('cyd', typed);
    assert.equal(first.ok, true);
    const signedIn = await lastAudit('cyd');
    assert.equal(signedIn?.detail.factor, 'recoveryCode');
    assert.equal(signedIn.detail.recoveryCodesLeft, 9);
    assert.deepEqual(await attempt('cyd', recovery), { ok: false }, 'a recovery code works once');
    assert.equal((await lastAudit('cyd'))?.outcome, 'wrongCode');
    assert.equal((await attempt('cyd', factor.recoveryCodes[4] ?? '')).ok, true, 'another one still works');
  });

  test('I60: failures lock admin:NAME: then even the right password and code are refused, without a record of their own', async () => {
    const factor = await addTestAdmin(ts, 'dan');
    for (let i = 0; i < 5; i += 1) assert.equal((await attempt('dan', '123456', `wrong password ${i}`)).ok, false);
    const locks = await services().store.listThrottles(100);
    assert.ok(locks.some((lock) => lock.key === 'admin:dan' && lock.lockedUntil !== null && lock.lockedUntil > now()));
    const before = (await services().store.queryAudit({ limit: 100, target: 'admin:dan' })).length;
    assert.deepEqual(await attempt('dan', totpCode(factor.secret, now())), { ok: false });
    assert.equal((await services().store.queryAudit({ limit: 100, target: 'admin:dan' })).length, before);
    await services().store.clearThrottle('admin:dan');
  });

  test('with --admin-totp off the password alone signs in; a code typed anyway is still checked', async () => {
    const factor = await addTestAdmin(ts, 'eve');
    assert.equal((await attempt('eve', '', ADMIN_PASSWORD, false)).ok, true);
    assert.equal((await lastAudit('eve'))?.detail.factor, 'none');
    const code = totpCode(factor.secret, now());
    assert.equal((await attempt('eve', code === '000000' ? '111111' : '000000', ADMIN_PASSWORD, false)).ok, false);
  });

  test('I59: a session ends after 15 idle minutes, after 8 hours whatever, and at sign-out; its CSRF token is its own', async () => {
    const factor = await addTestAdmin(ts, 'fay');
    const signIn = async (): Promise<string> => {
      ts.advanceClock(30_000);
      const result = await attempt('fay', totpCode(factor.secret, now()));
      assert.ok(result.ok);
      return result.secret;
    };
    const idle = await signIn();
    const session = await adminSessionOf(services(), idle);
    assert.ok(session !== null);
    assert.equal(session.adminName, 'fay');
    assert.ok(csrfMatches(session, session.csrf));
    assert.equal(csrfMatches(session, 'A'.repeat(session.csrf.length)), false);
    assert.equal(csrfMatches(session, ''), false);
    ts.advanceClock(ADMIN_IDLE_MS + 1);
    assert.equal(await adminSessionOf(services(), idle), null, 'idle too long');

    const busy = await signIn();
    for (let elapsed = 0; elapsed <= ADMIN_LIFETIME_MS; elapsed += ADMIN_IDLE_MS - 60_000) {
      assert.notEqual(await adminSessionOf(services(), busy), null, `still live after ${elapsed} ms of use`);
      ts.advanceClock(ADMIN_IDLE_MS - 60_000);
    }
    assert.equal(await adminSessionOf(services(), busy), null, 'past its lifetime');

    const other = await adminSessionOf(services(), await signIn());
    assert.ok(other !== null);
    await signOutAdmin(services(), other);
    assert.equal((await lastAudit('fay'))?.type, 'admin.signedOut');
    assert.equal(await services().store.getAdminSession(other.idHash), null);
  });

  test('I59, I61: a reset ends the sessions and the old secret and codes stop working; the secret is sealed, bound to its administrator', async () => {
    const old: SecondFactor = await addTestAdmin(ts, 'gus');
    const result = await attempt('gus', totpCode(old.secret, now()));
    assert.ok(result.ok);
    const { factor } = await resetAdmin(services(), kit, { name: 'gus', totp: true }, 'operator');
    assert.ok(factor !== null);
    assert.equal(await adminSessionOf(services(), result.secret), null);
    ts.advanceClock(30_000);
    assert.equal((await attempt('gus', totpCode(old.secret, now()))).ok, false);
    assert.equal((await attempt('gus', old.recoveryCodes[0] ?? '')).ok, false);
    assert.equal((await attempt('gus', totpCode(factor.secret, now()))).ok, true);

    const stored = await services().store.getAdmin('gus');
    assert.ok(stored !== null);
    assert.equal(kit.sealer.unseal(stored.totpSealed, totpSealName('gus')), factor.secret);
    assert.throws(
      () => kit.sealer.unseal(stored.totpSealed, totpSealName('ada')),
      'a sealed secret does not open for another administrator',
    );
    const database = readFileSync(path.join(ts.dataDir, 'ssod.db')).toString('latin1');
    const wal = readFileSync(path.join(ts.dataDir, 'ssod.db-wal')).toString('latin1');
    for (const secret of [old.secret, factor.secret, ...factor.recoveryCodes]) {
      assert.ok(!database.includes(secret) && !wal.includes(secret), 'no secret or recovery code plain in the store files');
    }
    assert.ok(!ts.logText().includes(factor.secret));
  });
});
