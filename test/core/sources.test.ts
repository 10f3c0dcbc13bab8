// Delegated sources in the core (docs/FEDERATION.md): one test per rule, through the core's use cases
// and, where the rule shows there, through the SOAP API answered in process. The sources are
// doubles that implement the port (helpers/sources.ts), counting what they were asked; the real
// web service and LDAP directory are tested with real servers in their own files.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { signIn } from '../../src/core/authentication.js';
import { SsoError } from '../../src/core/errors.js';
import { localAuthenticator } from '../../src/core/localAuthenticator.js';
import { addSource, removeSource } from '../../src/core/operator/sources.js';
import { turnSingleSignOnOff, turnSingleSignOnOn } from '../../src/core/operator/users.js';
import { changePassword } from '../../src/core/passwordChange.js';
import { disableUser } from '../../src/core/users.js';
import { Refusal } from '../../src/core/refusal.js';
import { applicationSourceKey, loginThrottleKey } from '../../src/core/throttle.js';
import { DIRECTORY_DOWN_WARNING, SOURCES_REFRESH_MS } from '../../src/core/sources.js';
import type { AuditRecord, UserRecord } from '../../src/core/store/index.js';
import { startInProcess, type InProcessServer } from '../helpers/inProcess.js';
import { call, registerApp, type RegisteredApp } from '../helpers/server.js';
import {
  DIRECTORY_PASSWORD,
  MALFORMED,
  REJECTED,
  UNAVAILABLE,
  doubleOpener,
  webServiceSettings,
  type DoubleOpener,
  type SourceDouble,
} from '../helpers/sources.js';

const FAST_ARGON2 = { argon2MemoryKib: 8192, argon2Iterations: 1 } as const;
const LOCAL_PASSWORD = 'local password';

function refusedWith(pattern: RegExp): (error: unknown) => boolean {
  return (error) => error instanceof Refusal && pattern.test(error.message);
}

describe('delegated sources: the rules of single sign-on', () => {
  let ts: InProcessServer;
  let opener: DoubleOpener;
  let owner: RegisteredApp;
  let sourceCount = 0;
  before(async () => {
    opener = doubleOpener();
    ts = await startInProcess(FAST_ARGON2, { openSource: opener.open });
    owner = await registerApp(ts, 'https://owner.example.com:8443/', 'owner');
    const updated = await call(
      ts,
      'updateApplication',
      {
        applicationId: owner.id,
        changePasswordUrl: 'https://owner.example.com:8443/users/$uid/password',
        restorePasswordUrl: 'https://owner.example.com:8443/users/$uid/restore',
      },
      { credentials: owner.credentials },
    );
    assert.equal(updated.fault, undefined, updated.body);
  });
  after(() => ts.close());

  /** A new source of its own (a URL of its own, so its double is told apart), followed by the node at once. */
  async function newSource(): Promise<{ name: string; url: string }> {
    sourceCount += 1;
    const name = `corp-${sourceCount}`;
    const url = `https://auth${sourceCount}.example.com/LJAuthenticate`;
    await addSource(ts.services, { name, settings: webServiceSettings({ url }) });
    // Every node follows the store within SOURCES_REFRESH_MS: this one now.
    ts.advanceClock(SOURCES_REFRESH_MS);
    return { name, url };
  }

  /** A user of the owner application with a local password. */
  async function localUser(login: string): Promise<UserRecord> {
    const created = await call(ts, 'createUser', { login, password: LOCAL_PASSWORD }, { credentials: owner.credentials });
    assert.equal(created.fault, undefined, created.body);
    const user = await ts.services.store.getUser(created.field('userId') ?? '');
    assert.ok(user !== null);
    return user;
  }

  /** A user with single sign-on through a new source, and that source's double (opened on its first check). */
  async function delegatedUser(login: string): Promise<{ user: UserRecord; source: { name: string; url: string } }> {
    const source = await newSource();
    const change = await turnSingleSignOnOn(ts.services, await localUser(login), source.name);
    return { user: change.user, source };
  }

  const authenticate = (fields: Record<string, string | undefined>) => call(ts, 'authenticate', fields, { credentials: owner.credentials });
  const trail = async (user: UserRecord): Promise<AuditRecord[]> =>
    (await ts.services.store.queryAudit({ target: `user:${user.id}`, limit: 50 })).reverse();
  const lastFailure = async (user: UserRecord): Promise<AuditRecord | undefined> =>
    (await trail(user)).filter((record) => record.type === 'authentication.failed').at(-1);
  const double = (source: { url: string }): SourceDouble => opener.last(source.url);
  /** How many checks every source opened for this URL was asked (none when it was never opened). */
  const checksAt = (source: { url: string }): number =>
    opener.opened.filter((entry) => entry.settings.url === source.url).reduce((sum, entry) => sum + entry.source.checks.length, 0);

  test('1. turning single sign-on on drops the local hash in the same write: the old local password no longer signs in, the source decides', async () => {
    const { user, source } = await delegatedUser('one@example.com');
    const stored = await ts.services.store.getUser(user.id);
    assert.equal(stored?.sourceName, source.name);
    assert.equal(stored.passwordHash, '', 'no local hash is kept');
    assert.equal((await authenticate({ login: 'one@example.com', password: LOCAL_PASSWORD })).fault, 'invalidCredentials');
    const reply = await authenticate({ login: 'one@example.com', password: DIRECTORY_PASSWORD });
    assert.equal(reply.fault, undefined, reply.body);
    assert.equal(reply.field('userId'), user.id);
    assert.deepEqual(
      double(source).checks.map((check) => check.password),
      [LOCAL_PASSWORD, DIRECTORY_PASSWORD],
    );
  });

  test("1. the local hash '' (no local password) never matches, after the work of a wrong password", async () => {
    const local = localAuthenticator(ts.services);
    const user = { ...(await localUser('nohash@example.com')), passwordHash: '' };
    const check = (password: string) => local.check({ user, password, sources: [], upgrade: false });
    await check('warms the dummy hash up'); // the dummy hash is made on first use
    const before = ts.services.passwords.counts().started;
    assert.equal(await check(''), 'wrong');
    assert.equal(await check('anything'), 'wrong');
    assert.equal(ts.services.passwords.counts().started - before, 1, 'one dummy verification, as a wrong password costs');
  });

  test("2. changePassword of a delegated user is permissionDenied: the password is the organization's directory's (core and SOAP)", async () => {
    const { user } = await delegatedUser('two@example.com');
    await assert.rejects(
      changePassword(ts.services, { user, applicationId: owner.id, address: '127.0.0.1', passwordHash: 'unused' }),
      (error: unknown) => error instanceof SsoError && error.code === 'permissionDenied' && /organization's directory/.test(error.message),
    );
    const reply = await call(ts, 'changePassword', { userId: user.id, newPassword: 'new local' }, { credentials: owner.credentials });
    assert.equal(reply.fault, 'permissionDenied');
    assert.match(reply.body, /managed by the organization(&apos;|&#39;|')s directory/);
    assert.equal((await ts.services.store.getUser(user.id))?.passwordHash, '', 'nothing was set');
  });

  test('2. getChangePasswordUrl and getRestorePasswordUrl give no URL for a delegated user (a local one gets the owner form)', async () => {
    const local = await localUser('two-local@example.com');
    const { user } = await delegatedUser('two-url@example.com');
    const url = (name: string, fields: Record<string, string>) =>
      call(ts, name, fields, { credentials: owner.credentials }).then((reply) => [reply.fault, reply.field('url')]);
    assert.deepEqual(await url('getChangePasswordUrl', { userId: local.id }), [
      undefined,
      `https://owner.example.com:8443/users/${local.id}/password`,
    ]);
    assert.deepEqual(await url('getChangePasswordUrl', { userId: user.id }), [undefined, undefined]);
    assert.deepEqual(await url('getRestorePasswordUrl', { login: 'two-url@example.com' }), [undefined, undefined]);
    assert.deepEqual(await url('getRestorePasswordUrl', { userId: user.id }), [undefined, undefined]);
  });

  test('3. turning single sign-on on without any source, or with a name that is none of them, is refused saying what to do', async () => {
    const lone = await startInProcess(FAST_ARGON2, { openSource: doubleOpener().open });
    try {
      const app = await registerApp(lone);
      const created = await call(lone, 'createUser', { login: 'lone@example.com', password: 'pw' }, { credentials: app.credentials });
      const user = await lone.services.store.getUser(created.field('userId') ?? '');
      assert.ok(user !== null);
      await assert.rejects(
        turnSingleSignOnOn(lone.services, user, 'corp'),
        refusedWith(/^no delegated source is configured; add one first with `ssod sources add NAME --web-service https:\/\/HOST\/PATH`/),
      );
      await addSource(lone.services, { name: 'corp', settings: webServiceSettings() });
      await addSource(lone.services, { name: 'backup', settings: webServiceSettings() });
      await assert.rejects(
        turnSingleSignOnOn(lone.services, user, 'crop'),
        refusedWith(/^no source named "crop"; the configured sources are: backup, corp$/),
      );
      assert.equal((await lone.services.store.getUser(user.id))?.sourceName, null);
    } finally {
      await lone.close();
    }
  });

  test('4. removing a source while users have it is refused with their number and how to list them; once they have none it goes', async () => {
    const { user, source } = await delegatedUser('four@example.com');
    await turnSingleSignOnOn(ts.services, await localUser('four-b@example.com'), source.name);
    await assert.rejects(
      removeSource(ts.services, source.name),
      refusedWith(new RegExp(`^source ${source.name} is the source of 2 user\\(s\\): .*\`ssod sources show ${source.name}\` lists them$`)),
    );
    assert.notEqual(await ts.services.store.getSource(source.name), null);
    await turnSingleSignOnOff(ts.services, user, await ts.services.passwords.hash('four local'));
    const other = await ts.services.store.findUserByLoginKey('four-b@example.com');
    assert.ok(other !== null);
    await ts.services.store.deleteUser(other.id);
    await removeSource(ts.services, source.name);
    assert.equal(await ts.services.store.getSource(source.name), null);
    await assert.rejects(removeSource(ts.services, source.name), refusedWith(/^no source named/));
  });

  test('5. turning single sign-on off sets a new local password in the same write; the source is no longer asked', async () => {
    const { user, source } = await delegatedUser('five@example.com');
    await assert.rejects(turnSingleSignOnOff(ts.services, user, ''), refusedWith(/needs a new local password/));
    const change = await turnSingleSignOnOff(ts.services, user, await ts.services.passwords.hash('five local'));
    assert.equal(change.changed, true);
    const stored = await ts.services.store.getUser(user.id);
    assert.equal(stored?.sourceName, null);
    assert.match(stored.passwordHash, /^\$argon2id\$/);
    assert.equal((await authenticate({ login: 'five@example.com', password: 'five local' })).fault, undefined);
    assert.equal((await authenticate({ login: 'five@example.com', password: DIRECTORY_PASSWORD })).fault, 'invalidCredentials');
    assert.equal(checksAt(source), 0, 'the source is not asked for a local user');
    assert.equal((await turnSingleSignOnOff(ts.services, { ...user, sourceName: null }, 'x')).changed, false, 'local already');
  });

  test('6. turning single sign-on on warns that the user cannot sign in while the directory is down; the change is audited', async () => {
    const source = await newSource();
    const user = await localUser('six@example.com');
    const change = await turnSingleSignOnOn(ts.services, user, source.name);
    assert.equal(change.warning, DIRECTORY_DOWN_WARNING);
    assert.match(change.warning, /keep administrators on local passwords/);
    assert.equal((await turnSingleSignOnOn(ts.services, change.user, source.name)).changed, false, 'the same source again changes nothing');
    const changed = (await trail(user)).filter((record) => record.type === 'user.singleSignOnChanged');
    assert.deepEqual(
      changed.map((record) => [record.actor, record.detail]),
      [['operator', { login: 'six@example.com', from: 'local', to: source.name }]],
    );
  });

  test("7. authenticate of a delegated user asks its source with the user's login, the password and the browser's address", async () => {
    const { user, source } = await delegatedUser('Seven@Example.com');
    const reply = await authenticate({ login: 'seven@example.com', password: DIRECTORY_PASSWORD, baseUrl: owner.url });
    assert.equal(reply.fault, undefined, reply.body);
    assert.ok(reply.field('relayToken') !== undefined, 'a session starts as for a local user');
    assert.deepEqual(double(source).checks, [{ login: 'Seven@Example.com', password: DIRECTORY_PASSWORD, originatingIp: '127.0.0.1' }]);
    const attempt = { user, password: DIRECTORY_PASSWORD, applicationId: owner.id, address: '203.0.113.5' };
    await signIn(ts.services, { ...attempt, originatingIp: '198.51.100.7' });
    await signIn(ts.services, attempt);
    assert.deepEqual(
      double(source).checks.map((check) => check.originatingIp),
      ['127.0.0.1', '198.51.100.7', '203.0.113.5'],
    );
  });

  test('7. each failure at the source is invalidCredentials to the caller, and the audit record says the cause, the source and its detail', async () => {
    for (const [answer, outcome] of [
      [REJECTED, 'sourceRejected'],
      [UNAVAILABLE, 'sourceUnavailable'],
      [MALFORMED, 'sourceMalformed'],
    ] as const) {
      const login = `seven-${outcome}@example.com`;
      const { user, source } = await delegatedUser(login);
      await authenticate({ login, password: 'first, opens the source' });
      double(source).answer = () => answer;
      const reply = await authenticate({ login, password: DIRECTORY_PASSWORD });
      assert.equal(reply.fault, 'invalidCredentials', outcome);
      const record = await lastFailure(user);
      assert.equal(record?.outcome, outcome);
      assert.equal(record.detail.source, source.name);
      assert.equal(record.detail.sourceDetail, answer.ok ? null : answer.detail);
      assert.doesNotMatch(JSON.stringify(record), new RegExp(DIRECTORY_PASSWORD), 'no password in the trail');
    }
  });

  test('7. a positive answer is never cached: every sign-in asks the source again', async () => {
    const { source } = await delegatedUser('seven-nocache@example.com');
    const signInNow = () => authenticate({ login: 'seven-nocache@example.com', password: DIRECTORY_PASSWORD });
    assert.equal((await signInNow()).fault, undefined);
    assert.equal((await signInNow()).fault, undefined);
    double(source).answer = () => REJECTED; // the password was changed in the directory
    assert.equal((await signInNow()).fault, 'invalidCredentials');
    assert.equal(double(source).checks.length, 3);
  });

  test('7. a locked login never reaches the source: brute-force counting comes first (G53)', async () => {
    const { user, source } = await delegatedUser('seven-locked@example.com');
    await ts.services.store.writeSettings({ maxLoginFailures: '2' }, ts.services.now());
    await ts.services.settings.refresh();
    try {
      for (const guess of ['guess 1', 'guess 2'])
        assert.equal((await authenticate({ login: 'seven-locked@example.com', password: guess })).fault, 'invalidCredentials');
      assert.equal(double(source).checks.length, 2);
      const locked = await authenticate({ login: 'seven-locked@example.com', password: DIRECTORY_PASSWORD });
      assert.equal(locked.fault, 'invalidCredentials', 'the right password while locked');
      assert.equal(double(source).checks.length, 2, 'the source was not asked');
      assert.deepEqual(
        (await trail(user)).filter((record) => record.type === 'authentication.failed').map((record) => record.outcome),
        ['sourceRejected', 'sourceRejected'],
      );
    } finally {
      await ts.services.store.writeSettings({ maxLoginFailures: null }, ts.services.now());
      await ts.services.settings.refresh();
    }
  });

  test('G53: an unavailable source checked nothing: the application and the address get the attempt back, the login keeps it', async () => {
    const login = 'seven-outage@example.com';
    const { source } = await delegatedUser(login);
    await authenticate({ login, password: 'first, opens the source' });
    double(source).answer = () => UNAVAILABLE;
    const keys = [applicationSourceKey(owner.id), loginThrottleKey(login)] as const;
    const failures = async (): Promise<number[]> => {
      const records = await ts.services.store.getThrottles(keys);
      return keys.map((key) => records.find((record) => record.key === key)?.failures ?? 0);
    };
    const [applicationBefore = 0, loginBefore = 0] = await failures();
    for (let i = 0; i < 3; i += 1) assert.equal((await authenticate({ login, password: DIRECTORY_PASSWORD })).fault, 'invalidCredentials');
    const [applicationAfter, loginAfter] = await failures();
    assert.equal(applicationAfter, applicationBefore, 'the application source does not count the unchecked attempts');
    assert.equal(loginAfter, loginBefore + 3, 'the login counts every attempt');
    assert.equal(double(source).checks.length, 4);
  });

  test('7. a disabled delegated user is refused as disabled without asking the source', async () => {
    const { user, source } = await delegatedUser('seven-disabled@example.com');
    assert.equal(await disableUser(ts.services, user, 'operator'), true);
    assert.equal((await authenticate({ login: 'seven-disabled@example.com', password: DIRECTORY_PASSWORD })).fault, 'invalidCredentials');
    assert.equal(checksAt(source), 0, 'the source was not asked');
    assert.equal((await lastFailure(user))?.outcome, 'disabled');
  });

  test('7. an unknown login stays unknownUser, and an empty or over-long password is refused, without asking any source', async () => {
    const { user, source } = await delegatedUser('seven-empty@example.com');
    assert.equal((await authenticate({ login: 'nobody-here@example.com', password: DIRECTORY_PASSWORD })).fault, 'invalidCredentials');
    assert.equal((await authenticate({ login: 'seven-empty@example.com', password: '' })).fault, 'invalidCredentials');
    const long = 'x'.repeat(ts.services.options.maxPasswordBytes + 1);
    await assert.rejects(signIn(ts.services, { user, password: long, applicationId: owner.id, address: '127.0.0.1' }), SsoError);
    assert.equal(checksAt(source), 0, 'the source was not asked');
    assert.deepEqual(
      (await trail(user)).filter((record) => record.type === 'authentication.failed').map((record) => record.outcome),
      ['wrongPassword', 'passwordTooLong'],
    );
    const unknown = await ts.services.store.queryAudit({ target: 'login:nobody-here@example.com', limit: 5 });
    assert.equal(unknown[0]?.outcome, 'unknownUser');
  });

  test('8. G53: the circuit opens after 5 unavailable answers, fails fast while open, half-opens after 30 s (the services clock) and closes on success', async () => {
    const source = await newSource();
    const logins = ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((letter) => `eight-${letter}@example.com`);
    for (const login of logins) await turnSingleSignOnOn(ts.services, await localUser(login), source.name);
    const signInAs = (login: string) => authenticate({ login, password: DIRECTORY_PASSWORD });
    await signInAs(logins[0] ?? '');
    const directory = double(source);
    directory.answer = () => UNAVAILABLE;
    const circuit = () => ts.services.sources.health().find((health) => health.name === source.name);
    for (const login of logins.slice(0, 5)) assert.equal((await signInAs(login)).fault, 'invalidCredentials');
    assert.equal(directory.checks.length, 6);
    assert.deepEqual(circuit(), {
      name: source.name,
      kind: 'webService',
      circuit: 'open',
      lastFailure: UNAVAILABLE.ok ? null : UNAVAILABLE.detail,
    });

    // Open: fails at once, the source is not asked, the trail says why.
    directory.answer = () => ({ ok: true });
    assert.equal((await signInAs(logins[5] ?? '')).fault, 'invalidCredentials');
    assert.equal(directory.checks.length, 6, 'not asked while open');
    const user = await ts.services.store.findUserByLoginKey(logins[5] ?? '');
    assert.ok(user !== null);
    const record = await lastFailure(user);
    assert.deepEqual([record?.outcome, record?.detail.sourceDetail], ['sourceUnavailable', 'circuit open']);

    // After the open period one check goes through; its success closes the circuit.
    ts.advanceClock(30_000);
    assert.equal(circuit()?.circuit, 'halfOpen');
    assert.equal((await signInAs(logins[6] ?? '')).fault, undefined);
    assert.equal(directory.checks.length, 7);
    assert.deepEqual(circuit(), { name: source.name, kind: 'webService', circuit: 'closed', lastFailure: null });
    assert.equal((await signInAs(logins[5] ?? '')).fault, undefined);
  });
});
