// protocol §5.6–5.16, answered in process (helpers/inProcess.ts; one test over real TLS): ownership rules (§3.2), faults, legacy hash types (docs/DECISIONS.md "Passwords").
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { startInProcess, type InProcessServer } from '../../../helpers/inProcess.js';
import { call, registerApp, startTestServer, type RegisteredApp, type SoapTarget, type TestServer } from '../../../helpers/server.js';
import { eventually } from '../../../helpers/eventually.js';

const NO_SUCH_ID = '00000000-0000-4000-8000-00000000abcd';

/** createUser makes the caller the owner; getUser and getUserId find it (protocol §5.6, §5.8, §5.9). */
async function createdUserIsFound(ts: SoapTarget, owner: RegisteredApp, other: RegisteredApp): Promise<void> {
  const reply = await call(ts, 'createUser', { login: 'user@example.com', password: 'pa55word' }, { credentials: owner.credentials });
  assert.equal(reply.status, 200, reply.body);
  const id = reply.field('userId') ?? '';
  const got = await call(ts, 'getUser', { userId: id }, { credentials: other.credentials });
  assert.equal(got.field('login'), 'user@example.com');
  assert.equal(got.field('applicationId'), owner.id);
  assert.equal((await call(ts, 'getUserId', { login: 'user@example.com' }, { credentials: other.credentials })).field('userId'), id);
  assert.equal((await call(ts, 'getUserId', { login: 'nobody@example.com' }, { credentials: other.credentials })).fault, 'noSuchUser');
  assert.equal((await call(ts, 'getUser', { userId: NO_SUCH_ID }, { credentials: owner.credentials })).fault, 'noSuchUser');
}

describe('users over TLS', () => {
  let ts: TestServer;
  after(() => ts.close());

  test('createUser makes the caller the owner; getUser and getUserId find it (protocol §5.6, §5.8, §5.9)', async () => {
    ts = await startTestServer();
    await createdUserIsFound(
      ts,
      await registerApp(ts, 'https://owner.example.com:8443/', 'owner'),
      await registerApp(ts, 'https://other.example.com:8443/', 'other'),
    );
  });
});

describe('users', () => {
  let ts: InProcessServer;
  let owner: RegisteredApp;
  let other: RegisteredApp;
  before(async () => {
    ts = await startInProcess();
    owner = await registerApp(ts, 'https://owner.example.com:8443/', 'owner');
    other = await registerApp(ts, 'https://other.example.com:8443/', 'other');
  });
  after(() => ts.close());

  const create = async (login: string, password = 'pa55word', hashType?: string): Promise<string> => {
    const reply = await call(ts, 'createUser', { login, password, passwordHashType: hashType }, { credentials: owner.credentials });
    assert.equal(reply.status, 200, reply.body);
    return reply.field('userId') ?? '';
  };
  const authenticate = (fields: Record<string, string | undefined>, credentials = owner.credentials) =>
    call(ts, 'authenticate', fields, { credentials });

  test('createUser makes the caller the owner; getUser and getUserId find it (protocol §5.6, §5.8, §5.9)', () =>
    createdUserIsFound(ts, owner, other));

  test('duplicate logins are refused, whatever their case (duplicateLogin)', async () => {
    await create('Dup@Example.com');
    const reply = await call(ts, 'createUser', { login: 'dup@example.COM', password: 'x' }, { credentials: other.credentials });
    assert.equal(reply.fault, 'duplicateLogin');
    assert.equal((await call(ts, 'getUserId', { login: 'DUP@EXAMPLE.COM' }, { credentials: owner.credentials })).status, 200);
  });

  test('listUsers lists only the users the caller owns (protocol §5.10)', async () => {
    const id = await create('listed');
    const mine = await call(ts, 'listUsers', {}, { credentials: owner.credentials });
    const theirs = await call(ts, 'listUsers', {}, { credentials: other.credentials });
    assert.ok(mine.all('a').includes(id));
    assert.ok(!theirs.all('a').includes(id));
    assert.match(theirs.body, /<sso:usersList\/>|<sso:usersList><\/sso:usersList>/);
  });

  test('only the owner may delete, change login, duplicate, change password or transfer (protocol §3.2)', async () => {
    const id = await create('owned');
    const asOther = (name: string, fields: Record<string, string>) => call(ts, name, fields, { credentials: other.credentials });
    assert.equal((await asOther('deleteUser', { userId: id })).fault, 'permissionDenied');
    assert.equal((await asOther('changeLogin', { userId: id, login: 'stolen' })).fault, 'permissionDenied');
    assert.equal((await asOther('duplicateUser', { userId: id, login: 'clone' })).fault, 'permissionDenied');
    assert.equal((await asOther('changePassword', { userId: id, newPassword: 'x' })).fault, 'permissionDenied');
    assert.equal((await asOther('transferOwnership', { userId: id, applicationId: other.id })).fault, 'permissionDenied');
    assert.equal((await call(ts, 'getUser', { userId: id }, { credentials: owner.credentials })).field('login'), 'owned');
  });

  test('deleteUser deletes; a missing user is noSuchUser (protocol §5.7 erratum: not noSuchLogin)', async () => {
    const id = await create('to-delete');
    assert.equal((await call(ts, 'deleteUser', { userId: id }, { credentials: owner.credentials })).status, 200);
    assert.equal((await call(ts, 'getUser', { userId: id }, { credentials: owner.credentials })).fault, 'noSuchUser');
    assert.equal((await call(ts, 'deleteUser', { userId: id }, { credentials: owner.credentials })).fault, 'noSuchUser');
  });

  test('deleteUser ends the sessions of the user', async () => {
    const id = await create('delete-sessions');
    const auth = await authenticate({ login: 'delete-sessions', password: 'pa55word', baseUrl: 'https://owner.example.com:8443/' });
    const sessionId = auth.field('sessionId') ?? '';
    await call(ts, 'deleteUser', { userId: id }, { credentials: owner.credentials });
    assert.equal((await call(ts, 'verifySession', { sessionId })).fault, 'noSuchSession');
  });

  test('changeLogin renames; taken login is duplicateLogin; unknown is noSuchUser (protocol §5.11)', async () => {
    const id = await create('before-rename');
    await create('taken-name');
    assert.equal((await call(ts, 'changeLogin', { userId: id, login: 'after-rename' }, { credentials: owner.credentials })).status, 200);
    assert.equal((await call(ts, 'getUser', { userId: id }, { credentials: owner.credentials })).field('login'), 'after-rename');
    assert.equal(
      (await call(ts, 'changeLogin', { userId: id, login: 'TAKEN-name' }, { credentials: owner.credentials })).fault,
      'duplicateLogin',
    );
    assert.equal(
      (await call(ts, 'changeLogin', { userId: NO_SUCH_ID, login: 'z' }, { credentials: owner.credentials })).fault,
      'noSuchUser',
    );
    assert.equal((await authenticate({ login: 'after-rename', password: 'pa55word' })).status, 200);
  });

  test('duplicateUser copies the password under a new id and login (protocol §5.12)', async () => {
    const id = await create('original', 'copy-me');
    const reply = await call(ts, 'duplicateUser', { userId: id, login: 'clone_user@example.com' }, { credentials: owner.credentials });
    const cloneId = reply.field('userId') ?? '';
    assert.notEqual(cloneId, id);
    assert.equal((await authenticate({ login: 'clone_user@example.com', password: 'copy-me' })).field('userId'), cloneId);
    assert.equal((await call(ts, 'duplicateUser', { userId: id }, { credentials: owner.credentials })).fault, 'duplicateLogin');
    assert.equal(
      (await call(ts, 'duplicateUser', { userId: id, login: 'original' }, { credentials: owner.credentials })).fault,
      'duplicateLogin',
    );
    assert.equal(
      (await call(ts, 'duplicateUser', { userId: NO_SUCH_ID, login: 'q' }, { credentials: owner.credentials })).fault,
      'noSuchUser',
    );
  });

  test('changePassword checks oldPassword when given (protocol §5.13)', async () => {
    const id = await create('changer', 'abcdef');
    const wrong = await call(
      ts,
      'changePassword',
      { userId: id, oldPassword: 'nope', newPassword: 'new-1' },
      { credentials: owner.credentials },
    );
    assert.equal(wrong.fault, 'invalidCredentials');
    assert.equal((await authenticate({ login: 'changer', password: 'abcdef' })).status, 200);
    const right = await call(
      ts,
      'changePassword',
      { userId: id, oldPassword: 'abcdef', newPassword: 'new-1' },
      { credentials: owner.credentials },
    );
    assert.equal(right.status, 200, right.body);
    assert.equal((await authenticate({ login: 'changer', password: 'abcdef' })).fault, 'invalidCredentials');
    assert.equal((await authenticate({ login: 'changer', password: 'new-1' })).status, 200);
    const noOld = await call(ts, 'changePassword', { userId: id, newPassword: 'new-2' }, { credentials: owner.credentials });
    assert.equal(noOld.status, 200);
    assert.equal((await authenticate({ login: 'changer', password: 'new-2' })).status, 200);
    assert.equal(
      (await call(ts, 'changePassword', { userId: NO_SUCH_ID, newPassword: 'x' }, { credentials: owner.credentials })).fault,
      'noSuchUser',
    );
  });

  test('legacy digests sha1, md5 and sha256 are accepted, and the digest itself is not a password (docs/DECISIONS.md, D27)', async () => {
    for (const type of ['sha1', 'md5', 'sha256'] as const) {
      const digest = createHash(type).update('legacy secret').digest('hex');
      const id = await create(`legacy-${type}`, type === 'md5' ? digest.toUpperCase() : digest, type);
      const stored = async (): Promise<string | undefined> => (await ts.services.store.getUser(id))?.passwordHash;
      assert.match((await stored()) ?? '', new RegExp(`^${type}:\\$argon2id\\$`), `${type}: stored wrapped before the first sign-in`);
      assert.equal((await authenticate({ login: `legacy-${type}`, password: 'legacy secret' })).status, 200, type);
      // The upgrade to a direct hash happens in the background: the store comes to hold argon2id of the plaintext.
      await eventually(async () => assert.match((await stored()) ?? '', /^\$argon2id\$/, `${type}: upgraded to argon2id`), {
        timeoutMs: 10_000,
      });
      assert.equal((await authenticate({ login: `legacy-${type}`, password: 'legacy secret' })).status, 200, type);
      assert.equal((await authenticate({ login: `legacy-${type}`, password: digest })).fault, 'invalidCredentials', type);
    }
    const sha1 = createHash('sha1').update('changed').digest('hex');
    const id = await create('legacy-change', 'plain-before');
    assert.equal(
      (await call(ts, 'changePassword', { userId: id, newPassword: sha1, newPasswordHashType: 'sha1' }, { credentials: owner.credentials }))
        .status,
      200,
    );
    assert.equal((await authenticate({ login: 'legacy-change', password: 'changed' })).status, 200);
  });

  test('D27: a digest of the wrong length, not hex, or an unknown type is invalidParameter', async () => {
    const sha1 = createHash('sha1').update('x').digest('hex');
    const cases: [string, string][] = [
      [sha1.slice(0, 39), 'sha1'],
      [sha1 + '0', 'sha1'],
      ['z'.repeat(40), 'sha1'],
      [sha1, 'md5'],
      [sha1, 'crc32'],
      [sha1, 'SHA1'],
    ];
    for (const [password, type] of cases) {
      const reply = await call(
        ts,
        'createUser',
        { login: `bad-${type}-${password.length}-${password[0] ?? ''}`, password, passwordHashType: type },
        { credentials: owner.credentials },
      );
      assert.equal(reply.fault, 'invalidParameter', `${type} ${password}`);
    }
    assert.equal(
      (await call(ts, 'createUser', { login: 'empty-pw', password: '' }, { credentials: owner.credentials })).fault,
      'invalidParameter',
    );
  });

  test('D28: a password over the limit is refused; long ones below it work, without truncation', async () => {
    const long = 'p'.repeat(200);
    await create('long-pw', long);
    assert.equal((await authenticate({ login: 'long-pw', password: long })).status, 200);
    assert.equal((await authenticate({ login: 'long-pw', password: long + 'x' })).fault, 'invalidCredentials');
    assert.equal((await authenticate({ login: 'long-pw', password: long.slice(0, 199) })).fault, 'invalidCredentials');
    const tooLong = await call(ts, 'createUser', { login: 'too-long-pw', password: 'p'.repeat(1025) }, { credentials: owner.credentials });
    assert.equal(tooLong.fault, 'invalidParameter');
    // That it is refused quickly is measured on its own, in test/security/refusals.timing.test.ts.
  });

  test('getChangePasswordUrl and getRestorePasswordUrl substitute $uid; no url when none registered (protocol §5.14, §5.15)', async () => {
    const reg = await call(ts, 'registerApplication', {
      name: 'plesk',
      displayName: 'Plesk',
      version: '8.2',
      url: 'https://plesk.example.com:8443/',
      restorePasswordUrl: 'https://plesk.example.com:8443/plesk/$uid/restore_password/',
      changePasswordUrl: 'https://plesk.example.com:8443/plesk/$uid/change_password/',
    });
    const { splitPem } = await import('../../../helpers/server.js');
    const plesk = splitPem(reg.field('certificate') ?? '');
    const id = (await call(ts, 'createUser', { login: 'url-user', password: 'x1' }, { credentials: plesk })).field('userId') ?? '';
    const change = await call(ts, 'getChangePasswordUrl', { userId: id }, { credentials: other.credentials });
    assert.equal(change.field('url'), `https://plesk.example.com:8443/plesk/${id}/change_password/`);
    const byLogin = await call(ts, 'getRestorePasswordUrl', { login: 'url-user' }, { credentials: other.credentials });
    assert.equal(byLogin.field('url'), `https://plesk.example.com:8443/plesk/${id}/restore_password/`);
    const byId = await call(ts, 'getRestorePasswordUrl', { userId: id }, { credentials: other.credentials });
    assert.equal(byId.field('url'), byLogin.field('url'));
    assert.equal(
      (await call(ts, 'getRestorePasswordUrl', { login: 'url-user', userId: id }, { credentials: other.credentials })).fault,
      'invalidParameter',
    );
    assert.equal((await call(ts, 'getRestorePasswordUrl', {}, { credentials: other.credentials })).fault, 'invalidParameter');
    assert.equal(
      (await call(ts, 'getRestorePasswordUrl', { login: 'nobody-here' }, { credentials: other.credentials })).fault,
      'noSuchUser',
    );
    assert.equal((await call(ts, 'getChangePasswordUrl', { userId: NO_SUCH_ID }, { credentials: other.credentials })).fault, 'noSuchUser');
    const plain = await create('no-url-user');
    const none = await call(ts, 'getChangePasswordUrl', { userId: plain }, { credentials: other.credentials });
    assert.equal(none.status, 200);
    assert.equal(none.field('url'), undefined);
  });

  test('transferOwnership hands the user over (protocol §5.16)', async () => {
    const id = await create('transferred');
    assert.equal(
      (await call(ts, 'transferOwnership', { userId: id, applicationId: NO_SUCH_ID }, { credentials: owner.credentials })).fault,
      'noSuchApplication',
    );
    assert.equal(
      (await call(ts, 'transferOwnership', { userId: NO_SUCH_ID, applicationId: other.id }, { credentials: owner.credentials })).fault,
      'noSuchUser',
    );
    assert.equal(
      (await call(ts, 'transferOwnership', { userId: id, applicationId: other.id }, { credentials: owner.credentials })).status,
      200,
    );
    assert.equal((await call(ts, 'getUser', { userId: id }, { credentials: owner.credentials })).field('applicationId'), other.id);
    assert.equal((await call(ts, 'deleteUser', { userId: id }, { credentials: owner.credentials })).fault, 'permissionDenied');
    assert.equal((await call(ts, 'deleteUser', { userId: id }, { credentials: other.credentials })).status, 200);
  });

  test('a legacy hash type the operator no longer accepts is invalidParameter, and getSettings stops offering it', async () => {
    const md5 = createHash('md5').update('x').digest('hex');
    await ts.services.store.writeSettings({ passwordHashTypes: 'sha256' }, Date.now());
    await ts.services.settings.refresh();
    try {
      assert.deepEqual((await call(ts, 'getSettings')).all('passwordHash'), ['sha256']);
      const refused = await call(
        ts,
        'createUser',
        { login: 'md5-refused', password: md5, passwordHashType: 'md5' },
        { credentials: owner.credentials },
      );
      assert.equal(refused.fault, 'invalidParameter');
      await create('sha256-accepted', createHash('sha256').update('x').digest('hex'), 'sha256');
    } finally {
      await ts.services.store.writeSettings({ passwordHashTypes: null }, Date.now());
      await ts.services.settings.refresh();
    }
  });

  test('non-UUID ids are invalidParameter (A10)', async () => {
    for (const userId of ['123', 'not-a-uuid', '00000000-0000-4000-8000-00000000000g', '']) {
      assert.equal((await call(ts, 'getUser', { userId }, { credentials: owner.credentials })).fault, 'invalidParameter', userId);
    }
  });
});
