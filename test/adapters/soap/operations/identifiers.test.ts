// Logins and application names over the SOAP API, answered in process (helpers/inProcess.ts): look-alike logins are one login or invalidParameter
// (PRECIS UsernameCaseMapped, RFC 8265), and names that would forge lines in an operator's output
// are invalidParameter at every operation that sets them.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startInProcess, type InProcessServer } from '../../../helpers/inProcess.js';
import { call, registerApp, type RegisteredApp } from '../../../helpers/server.js';

const LOGIN = 'sasha@example.com';
const PASSWORD = 'correct horse battery staple';
const FULLWIDTH = 'ｓａｓｈａ@example.com';
const REFUSED_LOOK_ALIKES = [
  ['zero-width space', 'sa\u200Bsha@example.com'],
  ['right-to-left override prefix', '\u202Esasha@example.com'],
  ['combining grapheme joiner', 'sa\u034Fsha@example.com'],
  ['long s', '\u017Fasha@example.com'],
] as const;

describe('identifiers over the SOAP API', () => {
  let ts: InProcessServer;
  let owner: RegisteredApp;
  let sashaId: string;
  before(async () => {
    ts = await startInProcess();
    owner = await registerApp(ts, 'https://owner.example.com:8443/', 'owner');
    sashaId =
      (await call(ts, 'createUser', { login: LOGIN, password: PASSWORD }, { credentials: owner.credentials })).field('userId') ?? '';
    assert.match(sashaId, /^[0-9a-f-]{36}$/);
  });
  after(() => ts.close());

  const asOwner = (name: string, fields: Record<string, string>) => call(ts, name, fields, { credentials: owner.credentials });

  test('F44: a fullwidth look-alike of a login is that login: createUser is duplicateLogin, authenticate signs in its user', async () => {
    assert.equal((await asOwner('createUser', { login: FULLWIDTH, password: 'another password' })).fault, 'duplicateLogin');
    const signedIn = await asOwner('authenticate', { login: FULLWIDTH, password: PASSWORD });
    assert.equal(signedIn.fault, undefined, signedIn.body);
    assert.equal(signedIn.field('userId'), sashaId);
    assert.equal((await asOwner('getUserId', { login: FULLWIDTH })).field('userId'), sashaId);
  });

  test('F44: zero-width, right-to-left override, combining grapheme joiner and long s look-alikes are invalidParameter at createUser and authenticate', async () => {
    for (const [what, lookAlike] of REFUSED_LOOK_ALIKES) {
      const created = await asOwner('createUser', { login: lookAlike, password: 'another password' });
      assert.equal(created.fault, 'invalidParameter', what);
      assert.match(created.body, /The login may not hold U\+/, what);
      const signIn = await call(ts, 'authenticate', { login: lookAlike, password: PASSWORD });
      assert.equal(signIn.fault, 'invalidParameter', what);
    }
    // None of them became an account; the one login still signs in.
    assert.equal((await asOwner('authenticate', { login: 'SASHA@example.com', password: PASSWORD })).field('userId'), sashaId);
  });

  test('F45: a login with a newline or a control is invalidParameter at createUser, changeLogin and duplicateUser', async () => {
    for (const login of ['mallory\nsasha@example.com  enabled', 'mallory\u0085x', 'mallory\u2028x']) {
      assert.equal((await asOwner('createUser', { login, password: 'x' })).fault, 'invalidParameter', JSON.stringify(login));
      assert.equal((await asOwner('changeLogin', { userId: sashaId, login })).fault, 'invalidParameter', JSON.stringify(login));
      assert.equal((await asOwner('duplicateUser', { userId: sashaId, login })).fault, 'invalidParameter', JSON.stringify(login));
    }
    assert.equal((await asOwner('getUser', { userId: sashaId })).field('login'), LOGIN);
  });

  test('F45: an application name, display name or version with a newline, a C1 control or U+202E is invalidParameter at registerApplication and updateApplication', async () => {
    const forged = [
      ['name', 'evil\n00000000-0000-4000-8000-000000000000  bank  https://bank.example.com/'],
      ['name', 'evil\u009B31m'],
      ['displayName', '\u202Elenap'],
      ['version', '1.0\u2029'],
    ] as const;
    for (const [field, value] of forged) {
      const registered = await call(ts, 'registerApplication', { name: 'evil', displayName: 'Evil', version: '1', [field]: value });
      assert.equal(registered.fault, 'invalidParameter', `${field} ${JSON.stringify(value)}`);
      assert.match(registered.body, new RegExp(`${field} may not hold U\\+`));
      const updated = await asOwner('updateApplication', { applicationId: owner.id, [field]: value });
      assert.equal(updated.fault, 'invalidParameter', `${field} ${JSON.stringify(value)}`);
    }
    assert.equal(
      (await call(ts, 'getApplication', { applicationId: owner.id }, { credentials: owner.credentials })).field('name'),
      'owner',
    );
  });
});
