// The console's users pages in headless Chromium (docs/admin-console.md "Users"): creating users (in
// the console and with SOAP createUser), the live search with and without script, a user's page,
// disabling and enabling, single sign-on on and off through a real web-service source, federated
// links, ending sessions and deleting, each checked through the command line or the SOAP API, with
// the refusals (bad input, an unconfirmed change), accessibility, a phone's width and no CSP report.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { addIdentityProvider, linkFederatedId } from '../../../src/core/operator/identityProviders.js';
import { addSource } from '../../../src/core/operator/sources.js';
import { skipWithoutChromium } from '../../helpers/browser.js';
import { openConsoleInBrowser, type ConsoleInBrowser } from '../../helpers/consoleBrowser.js';
import { defined, ifAssigned } from '../../helpers/defined.js';
import { eventually } from '../../helpers/eventually.js';
import { idpSettings } from '../../helpers/identityProviders.js';
import { startLjService, type LjService } from '../../helpers/ljService.js';
import { call, registerApp, type RegisteredApp } from '../../helpers/server.js';
import { TOOLS, skipWithout } from '../../helpers/tools.js';

const PASSWORD = 'a password of a user';
const SCRIPT_LOGIN = '<script>alert(1)</script>@example.com';
const IDP = 'corp-idp';

describe('the console users pages in a real browser', { skip: skipWithoutChromium, timeout: 300_000 }, () => {
  let console: ConsoleInBrowser;
  let app: RegisteredApp;
  let soapUserId: string;
  let service: LjService | undefined;

  before(async () => {
    console = await openConsoleInBrowser();
    app = await registerApp(console.ts);
    soapUserId = await createWithSoap('soap-user@example.com');
    await createWithSoap(SCRIPT_LOGIN);
    await addIdentityProvider(console.ts.server.services, { name: IDP, displayName: 'Corp', settings: idpSettings() });
  });

  after(async () => {
    await ifAssigned(console)?.close();
    await service?.stop();
  });

  async function createWithSoap(login: string, password = PASSWORD): Promise<string> {
    const reply = await call(console.ts, 'createUser', { login, password }, { credentials: app.credentials });
    return defined(reply.field('userId'), `createUser: ${reply.body}`);
  }

  /** authenticate; with `session`, for the application's url, so that a session starts. */
  function authenticate(login: string, password: string, session = false) {
    return call(console.ts, 'authenticate', { login, password, ...(session ? { baseUrl: app.url } : {}) });
  }

  async function sessionOf(login: string): Promise<string> {
    return defined((await authenticate(login, PASSWORD, true)).field('sessionId'), 'a session');
  }

  async function verified(sessionId: string): Promise<boolean> {
    return (await call(console.ts, 'verifySession', { sessionId })).field('userId') !== undefined;
  }

  async function cliShow(login: string): Promise<string> {
    const shown = await console.cli(['users', 'show', login]);
    assert.equal(shown.code, 0, shown.stderr);
    return shown.stdout;
  }

  const page = () => console.page;
  const mainText = () => page().locator('main').innerText();
  const confirm = () => console.clickAndWait('.confirm button[type=submit]');

  test('creates a user in the console: differing passwords and a taken login show the form again with the values kept', async () => {
    await console.visit('/users/new');
    await page().fill('#field-login', 'console-user@example.com');
    await page().selectOption('#field-owner', app.id);
    await page().fill('#field-password', PASSWORD);
    await page().fill('#field-password2', 'another password');
    await console.clickAndWait('form[action="/users/new"] button[type=submit]');
    assert.match(await page().locator('.alert').innerText(), /two passwords differ/);
    assert.equal(await page().inputValue('#field-login'), 'console-user@example.com');
    await page().fill('#field-password', PASSWORD);
    await page().fill('#field-password2', PASSWORD);
    await console.clickAndWait('form[action="/users/new"] button[type=submit]');
    const id = defined(/\/users\/([0-9a-f-]{36})\?done=created$/.exec(page().url())?.[1], 'the new user page');
    assert.match(await page().locator('.notice').innerText(), /The user was created/);
    assert.match(await cliShow('console-user@example.com'), new RegExp(`id:\\s+${id}[\\s\\S]*owner:\\s+panel[\\s\\S]*state:\\s+enabled`));
    assert.equal((await authenticate('console-user@example.com', PASSWORD)).field('userId'), id);

    await console.visit('/users/new');
    await page().fill('#field-login', 'CONSOLE-USER@example.com');
    await page().fill('#field-password', PASSWORD);
    await page().fill('#field-password2', PASSWORD);
    await console.clickAndWait('form[action="/users/new"] button[type=submit]');
    assert.match(await page().locator('.alert').innerText(), /is taken/);
    assert.equal(await page().inputValue('#field-login'), 'CONSOLE-USER@example.com');
    await console.shot('console-users-new-refused');
    assert.deepEqual(await console.seriousViolations('/users/new'), []);
    const phone = await console.atPhoneWidth('/users/new', 'console-users-new-phone');
    assert.ok(phone.fits, `the form is ${phone.scrollWidth} px wide at a phone's width`);
  });

  test('I64: the list and the live search narrow as the administrator types, logins with markup shown as text', async () => {
    await console.visit('/users');
    const results = page().locator('#user-results');
    for (const login of ['console-user@example.com', 'soap-user@example.com', SCRIPT_LOGIN])
      assert.match(await results.innerText(), new RegExp(login.replace(/[()]/g, '\\$&')));
    await console.shot('console-users');
    await page().fill('#field-q', 'console');
    await page().locator('#user-results', { hasNotText: 'soap-user' }).waitFor();
    assert.match(await results.innerText(), /console-user@example\.com/);
    assert.match(page().url(), /\/users\?q=console$/, 'the address follows the search');
    await page().fill('#field-q', '<script>');
    await page().locator('#user-results', { hasNotText: 'console-user' }).waitFor();
    assert.equal(await results.locator('tbody a').innerText(), SCRIPT_LOGIN);
    assert.equal(await page().locator('main script').count(), 0, 'no script element from a login');
    await console.clickAndWait('#user-results tbody a');
    assert.equal(await page().locator('h1').innerText(), `User ${SCRIPT_LOGIN}`);
    assert.equal(await page().locator('main script').count(), 0, "no script element from a login on the user's page");
    await console.visit('/users');
    assert.deepEqual(await console.seriousViolations('/users'), []);
    const phone = await console.atPhoneWidth('/users', 'console-users-phone');
    assert.ok(phone.fits, `the list is ${phone.scrollWidth} px wide at a phone's width`);
  });

  test('the search works without script, by its button; I65: 10 000 characters are cut without an error', async () => {
    const noScript = await console.browser.newContext({ javaScriptEnabled: false, storageState: await console.context.storageState() });
    try {
      const plain = await noScript.newPage();
      await plain.goto(`${console.origin}/users`);
      await plain.fill('#field-q', 'soap');
      await Promise.all([plain.waitForEvent('load'), plain.click('form[role=search] button[type=submit]')]);
      assert.match(plain.url(), /\/users\?q=soap$/);
      const text = await plain.locator('#user-results').innerText();
      assert.match(text, /soap-user@example\.com/);
      assert.doesNotMatch(text, /console-user/);
      const long = await plain.goto(`${console.origin}/users?q=${'x'.repeat(10_000)}`);
      assert.equal(long?.status(), 200);
      assert.match(await plain.locator('#user-results').innerText(), /at most 255 characters/);
      assert.equal((await plain.inputValue('#field-q')).length, 255);
    } finally {
      await noScript.close();
    }
  });

  test("a user's page shows its details; disabling is confirmed, ends its sessions and refuses its sign-in; enabling lets it in again", async () => {
    const sessionId = await sessionOf('soap-user@example.com');
    await console.visit(`/users/${soapUserId}`);
    const details = await page().locator('.details').innerText();
    assert.match(details, /soap-user@example\.com[\s\S]*panel[\s\S]*ssod's own \(local\)[\s\S]*enabled[\s\S]*Live sessions\s+1/);
    assert.match(await page().locator('main').innerText(), new RegExp(app.url.replace(/[.]/g, '\\.')), 'the session shows its application');
    await console.shot('console-user');
    assert.deepEqual(await console.seriousViolations(`/users/${soapUserId}`), []);
    const phone = await console.atPhoneWidth(`/users/${soapUserId}`, 'console-user-phone');
    assert.ok(phone.fits, `the user's page is ${phone.scrollWidth} px wide at a phone's width`);

    await console.clickAndWait(`form[action="/users/${soapUserId}/disable"] button`);
    assert.match(await mainText(), /Disable user soap-user@example\.com\?[\s\S]*1 live session ends now/);
    await console.shot('console-users-confirm-disable');
    assert.match(await cliShow('soap-user@example.com'), /state:\s+enabled/, 'nothing changed before the confirmation');
    await confirm();
    assert.match(await page().locator('.notice').innerText(), /The user is disabled/);
    assert.match(await cliShow('soap-user@example.com'), /state:\s+disabled since/);
    assert.equal((await authenticate('soap-user@example.com', PASSWORD)).field('userId'), undefined, 'a disabled user is refused');
    assert.equal(await verified(sessionId), false, 'its session ended');

    await console.clickAndWait(`form[action="/users/${soapUserId}/enable"] button`);
    assert.match(await page().locator('.notice').innerText(), /The user is enabled/);
    assert.equal((await authenticate('soap-user@example.com', PASSWORD)).field('userId'), soapUserId);
  });

  test(
    'single sign-on on (confirmed, the local password dropped) and off (a new local password, twice) with a web-service source',
    { skip: skipWithout([TOOLS.phpSoap]) },
    async () => {
      service = await startLjService();
      await addSource(console.ts.server.services, {
        name: 'corp',
        settings: { kind: 'webService', url: service.url, caPem: service.caPem },
      });
      const aliceId = await createWithSoap('alice');
      await console.visit(`/users/${aliceId}`);
      await page().selectOption('#field-source', 'corp');
      await console.clickAndWait(`form[action="/users/${aliceId}/sso-on"] button`);
      assert.match(await mainText(), /local password is dropped[\s\S]*directory cannot be reached this user cannot sign in/);
      assert.match(await cliShow('alice'), /password:\s+ssod's own/, 'nothing changed before the confirmation');
      await confirm();
      assert.match(await page().locator('.notice').innerText(), /Single sign-on is on[\s\S]*cannot be reached/);
      assert.match(await cliShow('alice'), /checked by source corp/);
      await console.shot('console-users-sso-on');
      // The server reads its sources again within a couple of seconds.
      await eventually(async () => (await authenticate('alice', 'correct horse')).field('userId') === aliceId, {
        timeoutMs: 20_000,
        what: 'alice signed in through the source',
      });
      assert.equal((await authenticate('alice', PASSWORD)).field('userId'), undefined, 'the local password is gone');

      await page().fill('#field-password', 'a new local password');
      await page().fill('#field-password2', 'not the same');
      await console.clickAndWait(`form[action="/users/${aliceId}/sso-off"] button`);
      assert.match(await page().locator('.alert').innerText(), /two passwords differ/);
      assert.match(await cliShow('alice'), /checked by source corp/);
      await page().fill('#field-password', 'a new local password');
      await page().fill('#field-password2', 'a new local password');
      await console.clickAndWait(`form[action="/users/${aliceId}/sso-off"] button`);
      assert.match(await page().locator('.notice').innerText(), /Single sign-on is off/);
      assert.equal((await authenticate('alice', 'a new local password')).field('userId'), aliceId);
    },
  );

  test('links a federated id (an empty one shown again with the form) and unlinks it after a confirmation', async () => {
    await console.visit(`/users/${soapUserId}`);
    await page().selectOption('#field-idp', IDP);
    await console.clickAndWait(`form[action="/users/${soapUserId}/link"] button`);
    assert.match(await page().locator('.alert').innerText(), /Give the federated id/);
    await page().fill('#field-federatedId', 'fed-<b>123</b>');
    await console.clickAndWait(`form[action="/users/${soapUserId}/link"] button`);
    assert.match(await page().locator('.notice').innerText(), /linked/);
    const links = async () => JSON.parse((await console.cli(['users', 'links', 'soap-user@example.com', '--json'])).stdout) as unknown;
    assert.deepEqual(
      ((await links()) as { idp: string; federatedId: string }[]).map((link) => [link.idp, link.federatedId]),
      [[IDP, 'fed-<b>123</b>']],
    );
    await console.clickAndWait(`form[action="/users/${soapUserId}/unlink"] button`);
    assert.match(await mainText(), /Unlink the federated id of soap-user@example\.com under identity provider corp-idp\?/);
    assert.equal(((await links()) as unknown[]).length, 1, 'nothing changed before the confirmation');
    await confirm();
    assert.match(await page().locator('.notice').innerText(), /unlinked/);
    assert.deepEqual(await links(), []);
  });

  test("ends one of the user's sessions, then all of them, each confirmed; verifySession refuses them after", async () => {
    const sessions = [await sessionOf('soap-user@example.com'), await sessionOf('soap-user@example.com')];
    await console.visit(`/users/${soapUserId}`);
    await console.clickAndWait(`form[action="/users/${soapUserId}/end-session"] button >> nth=0`);
    assert.match(await mainText(), /signed out of every application this session reached/);
    assert.deepEqual(await Promise.all(sessions.map(verified)), [true, true], 'nothing changed before the confirmation');
    await confirm();
    assert.match(await page().locator('.notice').innerText(), /The session ended/);
    assert.equal((await Promise.all(sessions.map(verified))).filter(Boolean).length, 1, 'one session is left');
    const listed = await console.cli(['sessions', 'list', '--user', 'soap-user@example.com', '--json']);
    const left = (JSON.parse(listed.stdout) as unknown[]).length;
    await console.clickAndWait(`form[action="/users/${soapUserId}/end-sessions"] button`);
    assert.match(
      await mainText(),
      new RegExp(`End all sessions of soap-user@example\\.com\\?[\\s\\S]*${left} live sessions? ends?`),
      'the confirmation counts what `ssod sessions list` lists',
    );
    await confirm();
    assert.match(await page().locator('.notice').innerText(), /sessions ended/);
    assert.deepEqual(await Promise.all(sessions.map(verified)), [false, false]);
  });

  test('deletes a user after a confirmation that counts its sessions and links; SOAP finds it no more', async () => {
    const services = console.ts.server.services;
    const user = defined(await services.store.findUserByLoginKey('console-user@example.com'), 'the user created in the console');
    await sessionOf('console-user@example.com');
    await linkFederatedId(services, user, IDP, 'fed-of-console-user');
    await console.visit(`/users/${user.id}`);
    await console.clickAndWait(`form[action="/users/${user.id}/delete"] button`);
    assert.match(
      await mainText(),
      /Delete user console-user@example\.com\?[\s\S]*1 live session ends[\s\S]*1 federated id link is removed/,
    );
    await console.shot('console-users-confirm-delete');
    assert.equal((await call(console.ts, 'getUser', { userId: user.id }, { credentials: app.credentials })).field('login'), user.login);
    await confirm();
    assert.match(page().url(), /\/users\?done=deleted$/);
    assert.match(await page().locator('.notice').innerText(), /The user was deleted/);
    assert.equal((await call(console.ts, 'getUser', { userId: user.id }, { credentials: app.credentials })).fault, 'noSuchUser');
    assert.equal((await authenticate('console-user@example.com', PASSWORD)).field('userId'), undefined);
    assert.deepEqual(console.cspViolations, []);
  });
});
