// The console's Sources and Identity providers pages in headless Chromium (docs/admin-console.md
// "Sources", "Identity providers"), against real counterparts: PHP's SoapServer as the web service
// behind TLS (test/helpers/ljService.ts), an LDAP source at a closed port, and an identity provider
// from the SimpleSAMLphp metadata fixture whose sign-in URL is a closed port. Every result is checked
// through the command line too.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { skipWithoutChromium } from '../../helpers/browser.js';
import { openConsoleInBrowser, type ConsoleInBrowser } from '../../helpers/consoleBrowser.js';
import { ifAssigned } from '../../helpers/defined.js';
import { samlFixture } from '../../helpers/identityProviders.js';
import { startLjService, type LjService } from '../../helpers/ljService.js';
import { registerApp } from '../../helpers/server.js';

/** No one listens here: a connection is refused at once. */
const CLOSED = 'https://127.0.0.1:1';

describe('the console Sources and Identity providers pages in a real browser', { skip: skipWithoutChromium, timeout: 240_000 }, () => {
  let console: ConsoleInBrowser;
  let lj: LjService;

  before(async () => {
    console = await openConsoleInBrowser();
    lj = await startLjService();
  });

  after(async () => {
    await ifAssigned(lj)?.stop();
    await ifAssigned(console)?.close();
  });

  async function mainText(): Promise<string> {
    return console.page.locator('main').innerText();
  }

  async function showJson(args: readonly string[]): Promise<Record<string, unknown>> {
    const shown = await console.cli([...args, '--json']);
    assert.equal(shown.code, 0, shown.stderr);
    return JSON.parse(shown.stdout) as Record<string, unknown>;
  }

  test('I69: a web service source whose URL is not https is refused with a clear message, the values kept, nothing added', async () => {
    await console.visit('/sources');
    assert.equal(await console.page.locator('nav a[aria-current=page]').innerText(), 'Sources');
    assert.match(await mainText(), /No source is configured/);
    await console.clickAndWait('a[href="/sources/add/web-service"]');
    await console.page.fill('#field-name', 'corp-ws');
    await console.page.fill('#field-url', 'http://127.0.0.1/LJAuthenticate');
    await console.clickAndWait('main button[type=submit]');
    assert.match(await console.page.locator('.alert').innerText(), /must start with https:\/\/ \(TLS is required\)/);
    assert.equal(await console.page.inputValue('#field-url'), 'http://127.0.0.1/LJAuthenticate');
    await console.shot('console-sources-add-refused');
    const listed = await console.cli(['sources', 'list', '--json']);
    assert.deepEqual(JSON.parse(listed.stdout), []);
  });

  test('a web service source is added, tested with a right and a wrong password, the last answer shown again and by the command line', async () => {
    await console.page.fill('#field-url', lj.url);
    await console.page.fill('#field-caPem', lj.caPem);
    await console.page.fill('#field-timeout', '5000');
    await console.clickAndWait('main button[type=submit]');
    assert.equal(await console.page.locator('h1').innerText(), 'Source corp-ws');
    assert.match(await mainText(), /The source was added[\s\S]*Not tested yet/);
    const shown = await showJson(['sources', 'show', 'corp-ws']);
    assert.equal((shown.settings as Record<string, unknown>).url, lj.url);
    assert.equal((shown.settings as Record<string, unknown>).timeoutMs, 5000);

    await console.page.fill('#field-login', 'alice');
    await console.page.fill('#field-password', 'correct horse');
    await console.clickAndWait('form[action$="/test"] button');
    assert.match(await console.page.locator('.last-test').innerText(), /accepted at .* by admin:root[\s\S]*login alice/);

    await console.page.fill('#field-login', 'alice');
    await console.page.fill('#field-password', 'wrong horse');
    await console.clickAndWait('form[action$="/test"] button');
    assert.match(await console.page.locator('.last-test').innerText(), /refused at .* by admin:root[\s\S]*login alice: .+/);
    await console.visit('/sources/corp-ws');
    assert.match(await console.page.locator('.last-test').innerText(), /refused at .* by admin:root/, 'kept for a later visit');
    await console.shot('console-sources-details');
    const cli = await console.cli(['sources', 'show', 'corp-ws']);
    assert.match(cli.stdout, /last test:\s+refused \(login alice: .+\) at .* by admin:root/);
    assert.deepEqual(await console.seriousViolations('/sources/corp-ws'), []);
    const phone = await console.atPhoneWidth('/sources/corp-ws', 'console-sources-details-phone');
    assert.ok(phone.fits, `the source's page is ${phone.scrollWidth} px wide at a phone's width`);
  });

  test('an LDAP source is added with its search settings; its test at a closed port says unreachable with the detail', async () => {
    await console.visit('/sources/add/ldap');
    assert.deepEqual(await console.seriousViolations('/sources/add/ldap'), []);
    const phone = await console.atPhoneWidth('/sources/add/ldap', 'console-sources-add-ldap-phone');
    assert.ok(phone.fits, `the LDAP form is ${phone.scrollWidth} px wide at a phone's width`);
    await console.page.fill('#field-name', 'corp-ldap');
    await console.page.fill('#field-url', 'ldaps://127.0.0.1:1');
    await console.page.fill('#field-searchBase', 'ou=people,dc=example,dc=com');
    await console.page.fill('#field-bindDn', 'cn=ssod,dc=example,dc=com');
    await console.page.fill('#field-bindPassword', 'service secret');
    await console.page.fill('#field-connectTimeout', '1000');
    await console.shot('console-sources-add-ldap');
    await console.clickAndWait('main button[type=submit]');
    assert.match(await mainText(), /Bind password\s+\(set\)/);
    const shown = await showJson(['sources', 'show', 'corp-ldap']);
    assert.deepEqual(
      [(shown.settings as Record<string, unknown>).searchBase, (shown.settings as Record<string, unknown>).bindPassword],
      ['ou=people,dc=example,dc=com', '(set)'],
    );
    await console.page.fill('#field-login', 'alice');
    await console.page.fill('#field-password', 'anything');
    await console.clickAndWait('form[action$="/test"] button');
    assert.match(await console.page.locator('.last-test').innerText(), /unreachable at .* by admin:root[\s\S]*login alice: .+/);

    await console.visit('/sources');
    assert.match(await mainText(), /corp-ldap\s+LDAP\s+ldaps:\/\/127\.0\.0\.1:1\s+0\s+unreachable/);
    assert.match(await mainText(), /corp-ws\s+Web service\s+.*\s+0\s+refused/);
    assert.deepEqual(await console.seriousViolations('/sources'), []);
    const listPhone = await console.atPhoneWidth('/sources', 'console-sources-phone');
    assert.ok(listPhone.fits, `the sources list is ${listPhone.scrollWidth} px wide at a phone's width`);
    await console.shot('console-sources');
  });

  test('removing a source is confirmed with the number of its users; refused while one has it, cancelled changes nothing, then done', async () => {
    const app = await registerApp(console.ts);
    const created = await console.cli(['users', 'create', 'bob', '--owner', app.id, '--password-stdin'], 'a local password 1');
    assert.equal(created.code, 0, created.stderr);
    const sso = await console.cli(['users', 'sso', 'on', 'bob', '--source', 'corp-ws']);
    assert.equal(sso.code, 0, sso.stderr);

    await console.visit('/sources/corp-ws');
    await console.clickAndWait('form[action$="/remove"] button');
    assert.match(await mainText(), /1 user\(s\) sign in through it/);
    await console.shot('console-sources-remove-confirm');
    await console.clickAndWait('.confirm button');
    assert.match(await console.page.locator('.alert').innerText(), /is the source of 1 user/);
    assert.equal((await console.cli(['sources', 'show', 'corp-ws'])).code, 0, 'still there');

    await console.visit('/sources/corp-ldap');
    await console.clickAndWait('form[action$="/remove"] button');
    assert.match(await mainText(), /0 users sign in through it/);
    await console.clickAndWait('.confirm a');
    assert.equal((await console.cli(['sources', 'show', 'corp-ldap'])).code, 0, 'cancelled: still there');
    await console.clickAndWait('form[action$="/remove"] button');
    await console.clickAndWait('.confirm button');
    assert.match(await mainText(), /The source was removed/);
    assert.equal((await console.cli(['sources', 'show', 'corp-ldap'])).code, 1, 'removed');
  });

  test('an identity provider is added from its metadata with a sign-in URL given, shown with its certificates, tested, removed after a confirmation', async () => {
    await console.visit('/identity-providers');
    assert.match(await mainText(), /No identity provider is configured/);
    await console.clickAndWait('a[href="/identity-providers/add"]');
    await console.page.fill('#field-name', 'corp-idp');
    await console.clickAndWait('main button[type=submit]');
    assert.match(await console.page.locator('.alert').innerText(), /give its metadata/);
    assert.equal(await console.page.inputValue('#field-name'), 'corp-idp', 'the values are kept');
    assert.deepEqual(await console.seriousViolations('/identity-providers/add'), []);
    const formPhone = await console.atPhoneWidth('/identity-providers/add', 'console-identity-providers-add-phone');
    assert.ok(formPhone.fits, `the add form is ${formPhone.scrollWidth} px wide at a phone's width`);

    await console.page.fill('#field-displayName', 'Example Corp');
    await console.page.fill('#field-metadata', samlFixture('simplesamlphp-idp-metadata.xml'));
    await console.page.fill('#field-signInUrl', `${CLOSED}/sso`);
    await console.clickAndWait('main button[type=submit]');
    assert.equal(await console.page.locator('h1').innerText(), 'Identity provider corp-idp');
    const text = await mainText();
    assert.match(text, /Sign-in URL\s+https:\/\/127\.0\.0\.1:1\/sso/);
    assert.match(text, /SHA-256[\s\S]*Valid until[\s\S]*Valid/);
    const shown = await showJson(['idps', 'show', 'corp-idp']);
    assert.equal((shown.settings as Record<string, unknown>).signInUrl, `${CLOSED}/sso`);
    assert.equal(shown.displayName, 'Example Corp');

    await console.clickAndWait('form[action$="/test"] button');
    const lastTest = await console.page.locator('.last-test').innerText();
    assert.match(lastTest, /not usable at .* by admin:root/);
    assert.match(lastTest, /ok\s+settings: readable/);
    assert.match(lastTest, /not ok\s+sign-in URL https:\/\/127\.0\.0\.1:1\/sso: .+/);
    await console.shot('console-identity-providers-details');
    const cli = await console.cli(['idps', 'show', 'corp-idp']);
    assert.match(cli.stdout, /last test:\s+not usable at .* by admin:root[\s\S]*not ok:\s+sign-in URL/);
    assert.deepEqual(await console.seriousViolations('/identity-providers/corp-idp'), []);
    const phone = await console.atPhoneWidth('/identity-providers/corp-idp', 'console-identity-providers-details-phone');
    assert.ok(phone.fits, `the identity provider's page is ${phone.scrollWidth} px wide at a phone's width`);

    await console.visit('/identity-providers');
    assert.match(await mainText(), /corp-idp\s+Example Corp\s+.+\s+0\s+not usable/);
    assert.deepEqual(await console.seriousViolations('/identity-providers'), []);
    const listPhone = await console.atPhoneWidth('/identity-providers', 'console-identity-providers-phone');
    assert.ok(listPhone.fits, `the list is ${listPhone.scrollWidth} px wide at a phone's width`);
    await console.shot('console-identity-providers');

    await console.visit('/identity-providers/corp-idp');
    await console.clickAndWait('form[action$="/remove"] button');
    assert.match(await mainText(), /0 federated id link\(s\) under it are removed with it/);
    await console.clickAndWait('.confirm a');
    assert.equal((await console.cli(['idps', 'show', 'corp-idp'])).code, 0, 'cancelled: still there');
    await console.clickAndWait('form[action$="/remove"] button');
    await console.clickAndWait('.confirm button');
    assert.match(await mainText(), /The identity provider was removed/);
    assert.equal((await console.cli(['idps', 'show', 'corp-idp'])).code, 1, 'removed');
    assert.deepEqual(console.cspViolations, []);
  });
});
