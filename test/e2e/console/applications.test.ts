// The console's Applications and Groups pages in headless Chromium (docs/admin-console.md
// "Applications", "Groups"): applications registered over the real SOAP API, listed and shown with
// the fingerprint `ssod applications show` prints, a certificate re-issued and downloaded that works
// over TLS, a group created, a subscriber added and removed, the group deleted, an application
// unregistered after its confirmation; and over HTTP: a POST without CSRF token, a re-issue by GET,
// a crafted id.
import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { queryAuditTrail } from '../../../src/core/operator/audit.js';
import { consoleRequest, csrfOf } from '../../helpers/adminConsole.js';
import { skipWithoutChromium } from '../../helpers/browser.js';
import { openConsoleInBrowser, type ConsoleInBrowser } from '../../helpers/consoleBrowser.js';
import { ifAssigned } from '../../helpers/defined.js';
import { call, registerApp, splitPem, type RegisteredApp } from '../../helpers/server.js';

interface ListedApplication {
  readonly id: string;
  readonly name: string;
  readonly group: string | null;
  readonly groupRole: string | null;
}

describe('the console Applications and Groups pages in a real browser', { skip: skipWithoutChromium, timeout: 240_000 }, () => {
  let console: ConsoleInBrowser;
  let accounts: RegisteredApp;
  let shop: RegisteredApp;
  let billing: RegisteredApp;

  before(async () => {
    console = await openConsoleInBrowser();
    accounts = await registerApp(console.ts, 'https://accounts.example.com:443/', 'accounts');
    shop = await registerApp(console.ts, 'https://shop.example.com:443/', 'shop');
    billing = await registerApp(console.ts, 'https://billing.example.com:443/', 'billing');
    // The first use of a certificate puts it in use (protocol §4.2): shop's is in use, the others pending.
    assert.equal((await call(console.ts, 'listUsers', {}, { credentials: shop.credentials })).status, 200);
    await signedIn('ann@example.com', billing, billing);
  });

  after(async () => {
    await ifAssigned(console)?.close();
  });

  /** A new user of `owner` signed in to `at` (by `at`, as a member of a group signs in): a live session. */
  async function signedIn(login: string, owner: RegisteredApp, at: RegisteredApp): Promise<void> {
    const user = await call(console.ts, 'createUser', { login, password: 'l2345' }, { credentials: owner.credentials });
    assert.ok(user.field('userId') !== undefined, user.body);
    const session = await call(console.ts, 'authenticate', { login, password: 'l2345', baseUrl: at.url }, { credentials: at.credentials });
    assert.ok(session.field('sessionId') !== undefined, session.body);
  }

  const page = () => console.page;
  const main = () => console.page.locator('main').innerText();

  async function listed(): Promise<ListedApplication[]> {
    const result = await console.cli(['applications', 'list', '--json']);
    assert.equal(result.code, 0, result.stderr);
    return JSON.parse(result.stdout) as ListedApplication[];
  }

  /** The certificates `ssod applications show` prints. */
  async function certificatesOf(id: string): Promise<{ fingerprint: string; serial: string; state: string }[]> {
    const shown = await console.cli(['applications', 'show', id, '--json']);
    assert.equal(shown.code, 0, shown.stderr);
    return (JSON.parse(shown.stdout) as { certificates: { fingerprint: string; serial: string; state: string }[] }).certificates;
  }

  async function checkPage(path: string, name: string): Promise<void> {
    assert.deepEqual(await console.seriousViolations(path), [], path);
    const phone = await console.atPhoneWidth(path, `console-${name}-phone`);
    assert.ok(phone.fits, `${path} is ${phone.scrollWidth} px wide at a phone's width`);
  }

  /** The cookie of the browser's console session, for requests over HTTP. */
  async function sessionCookie(): Promise<string> {
    const cookie = (await console.context.cookies()).find((c) => c.name === '__Host-ssod-admin');
    assert.ok(cookie !== undefined);
    return cookie.value;
  }

  test('the list shows every application with its address, group, users and certificate; each links to its page', async () => {
    await console.visit('/applications');
    assert.equal(await page().locator('nav a[aria-current=page]').innerText(), 'Applications');
    const text = await main();
    for (const app of [accounts, shop, billing]) {
      assert.ok(text.includes(app.id), app.id);
      assert.ok(text.includes(app.url), app.url);
    }
    const billingRow = page().locator('tr', { hasText: billing.id });
    assert.match(await billingRow.innerText(), /billing[\s\S]*\b1\b[\s\S]*in use until \d{4}-\d\d-\d\d/);
    await console.shot('console-applications-list');
    await checkPage('/applications', 'applications-list');
    await console.clickAndWait(`a[href="/applications/${shop.id}"]`);
    assert.equal(await page().locator('h1').innerText(), 'shop');
  });

  test('the page of an application shows each certificate with the fingerprint `ssod applications show` prints', async () => {
    await console.visit(`/applications/${shop.id}`);
    const [cert] = await certificatesOf(shop.id);
    assert.ok(cert !== undefined);
    const row = await page().locator('tbody tr').first().innerText();
    assert.ok(row.includes(cert.fingerprint), row);
    assert.ok(row.includes(cert.serial), row);
    assert.match(row, /in use/);
    assert.match(await main(), /Group\s+none[\s\S]*On Session Start callback\s+none/);
    await console.shot('console-application-show');
    await checkPage(`/applications/${shop.id}`, 'application-show');
  });

  test('re-issue downloads a key and a certificate of the CA once; the new certificate works over TLS and retires the old one', async () => {
    await console.visit(`/applications/${shop.id}`);
    const [download] = await Promise.all([
      page().waitForEvent('download'),
      page().click(`form[action="/applications/${shop.id}/certificate"] button`),
    ]);
    assert.match(download.suggestedFilename(), /^shop-[0-9a-f]{8}\.pem$/);
    const pem = await readFile(await download.path(), 'utf8');
    const credentials = splitPem(pem);
    const cert = new X509Certificate(credentials.cert);
    assert.ok(cert.verify(new X509Certificate(console.ts.caPem).publicKey), 'signed by the CA');
    assert.ok(cert.checkPrivateKey(createPrivateKey(credentials.key)), 'the key is the certificate’s');
    // Pending until first used: the old one keeps working meanwhile (protocol §4.2).
    await console.visit(`/applications/${shop.id}`);
    assert.match(await page().locator('tbody').innerText(), /pending[\s\S]*in use/);
    assert.equal((await call(console.ts, 'listUsers', {}, { credentials: shop.credentials })).status, 200);
    assert.equal((await call(console.ts, 'listUsers', {}, { credentials })).status, 200);
    assert.equal((await call(console.ts, 'listUsers', {}, { credentials: shop.credentials })).fault, 'FailedAuthentication');
    shop = { ...shop, credentials };
    const issued = await queryAuditTrail(console.ts.server.services, { type: 'certificate.issued', actor: 'admin:root', limit: 5 });
    assert.equal(issued.length, 1);
  });

  test('a group is created, a subscriber added and removed (confirmed first), the group deleted (confirmed)', async () => {
    await console.visit('/groups');
    assert.equal(await page().locator('nav a[aria-current=page]').innerText(), 'Groups');
    // Bad input: the form again, with what was typed, and nothing made.
    await page().fill('#field-name', 'no spaces allowed');
    await page().selectOption('#field-provider', accounts.id);
    await console.clickAndWait('form[action="/groups"] button[type=submit]');
    assert.match(await page().locator('.alert').innerText(), /1 to 64 letters/);
    assert.equal(await page().inputValue('#field-name'), 'no spaces allowed');
    await console.shot('console-groups-bad-name');
    await page().fill('#field-name', 'suite');
    await console.clickAndWait('form[action="/groups"] button[type=submit]');
    assert.equal(await page().locator('h1').innerText(), 'Group suite');
    assert.match(await page().locator('.notice').innerText(), /group was created/);
    await page().selectOption('#field-application', shop.id);
    await console.clickAndWait('form[action="/groups/suite/members"] button[type=submit]');
    assert.match(await page().locator('.notice').innerText(), /subscriber was added/);
    assert.match(await page().locator('tbody').innerText(), /shop[\s\S]*subscriber/);
    const apps = await listed();
    assert.equal(apps.find((app) => app.id === shop.id)?.group, 'suite');
    assert.equal(apps.find((app) => app.id === shop.id)?.groupRole, 'subscriber');
    assert.equal(apps.find((app) => app.id === accounts.id)?.group, 'suite');
    assert.equal(apps.find((app) => app.id === accounts.id)?.groupRole, 'provider');
    await console.shot('console-group-show');
    // The provider of a group is not unregistered: the refusal as a page, nothing changed.
    await console.visit(`/applications/${accounts.id}`);
    await console.clickAndWait(`form[action="/applications/${accounts.id}/unregister"] button`);
    assert.equal(await page().locator('h1').innerText(), 'Not done');
    assert.match(await page().locator('.alert').innerText(), /provides the users of group suite; delete the group first/);
    assert.ok((await listed()).some((app) => app.id === accounts.id));
    await console.visit('/groups/suite');
    await checkPage('/groups/suite', 'group-show');
    await checkPage('/groups', 'groups-list');

    // A user of the group signs in to shop: one session of the group, which reached shop.
    await signedIn('bob@example.com', accounts, shop);

    await console.clickAndWait('form[action="/groups/suite/remove"] button');
    assert.match(await main(), /Remove shop[\s\S]*1 live session reached it/);
    await console.shot('console-group-remove-confirm');
    await console.clickAndWait('.confirm button.danger');
    assert.match(await page().locator('.notice').innerText(), /subscriber was removed/);
    assert.equal((await listed()).find((app) => app.id === shop.id)?.group, null);

    await page().selectOption('#field-application', shop.id);
    await console.clickAndWait('form[action="/groups/suite/members"] button[type=submit]');
    await console.clickAndWait('form[action="/groups/suite/delete"] button');
    assert.match(
      await main(),
      /Every session of the group ends: 1 session[\s\S]*2 members become ungrouped[\s\S]*1 subscriber[\s\S]*1 user goes back/,
    );
    await console.shot('console-group-delete-confirm');
    assert.equal(
      (JSON.parse((await console.cli(['groups', 'list', '--json'])).stdout) as unknown[]).length,
      1,
      'not deleted before the confirmation',
    );
    await console.clickAndWait('.confirm button.danger');
    assert.match(await page().locator('.notice').innerText(), /group was deleted/);
    const groups = await console.cli(['groups', 'list', '--json']);
    assert.deepEqual(JSON.parse(groups.stdout), []);
    const recorded = await queryAuditTrail(console.ts.server.services, { actor: 'admin:root', limit: 20 });
    for (const type of ['group.created', 'group.memberAdded', 'group.memberRemoved', 'group.deleted'])
      assert.ok(
        recorded.some((record) => record.type === type),
        type,
      );
  });

  test('unregister shows the figures first; only the confirmation unregisters, and the certificate is refused after', async () => {
    await console.visit(`/applications/${billing.id}`);
    await console.clickAndWait(`form[action="/applications/${billing.id}/unregister"] button`);
    assert.match(await main(), /The 1 user it owns is deleted, and their 1 live session ends/);
    await console.shot('console-application-unregister-confirm');
    assert.ok(
      (await listed()).some((app) => app.id === billing.id),
      'the confirmation page changed nothing',
    );
    await console.clickAndWait('.confirm button.danger');
    assert.match(await page().locator('.notice').innerText(), /application was unregistered/);
    assert.ok(!(await listed()).some((app) => app.id === billing.id));
    assert.equal((await call(console.ts, 'listUsers', {}, { credentials: billing.credentials })).fault, 'FailedAuthentication');
    const unregistered = await queryAuditTrail(console.ts.server.services, { type: 'application.unregistered', limit: 5 });
    assert.equal(unregistered[0]?.actor, 'admin:root');
    await console.visit(`/applications/${billing.id}`);
    assert.equal(await page().locator('h1').innerText(), 'Not found');
    assert.deepEqual(console.cspViolations, []);
  });

  test('over HTTP: a POST without CSRF token is 403 and changes nothing; an unconfirmed unregister changes nothing', async () => {
    const cookie = await sessionCookie();
    const headers = { Origin: console.origin, 'Sec-Fetch-Site': 'same-origin' };
    const before = await listed();
    const certificatesBefore = await certificatesOf(shop.id);
    for (const path of [`/applications/${shop.id}/unregister`, `/applications/${shop.id}/certificate`]) {
      const refused = await consoleRequest(console.ts, path, { cookie, headers, form: { confirm: 'yes' } });
      assert.equal(refused.status, 403, path);
    }
    const csrf = csrfOf(await consoleRequest(console.ts, `/applications/${shop.id}`, { cookie }));
    const unconfirmed = await consoleRequest(console.ts, `/applications/${shop.id}/unregister`, { cookie, headers, form: { csrf } });
    assert.equal(unconfirmed.status, 200);
    assert.match(unconfirmed.body, /Unregister shop/);
    assert.deepEqual(await listed(), before);
    assert.deepEqual(await certificatesOf(shop.id), certificatesBefore);
  });

  test('I62: a re-issued key is only a POST answer, never cached and saved as a file; a GET of it is 404', async () => {
    const cookie = await sessionCookie();
    const headers = { Origin: console.origin, 'Sec-Fetch-Site': 'same-origin' };
    const csrf = csrfOf(await consoleRequest(console.ts, `/applications/${accounts.id}`, { cookie }));
    const answer = await consoleRequest(console.ts, `/applications/${accounts.id}/certificate`, { cookie, headers, form: { csrf } });
    assert.equal(answer.status, 200);
    assert.equal(answer.headers['cache-control'], 'no-store');
    assert.match(answer.headers['content-disposition'] ?? '', /^attachment; filename="accounts-[0-9a-f]{8}\.pem"$/);
    assert.match(answer.body, /^-----BEGIN PRIVATE KEY-----[\s\S]+-----BEGIN CERTIFICATE-----/);
    const byGet = await consoleRequest(console.ts, `/applications/${accounts.id}/certificate`, { cookie });
    assert.equal(byGet.status, 404);
    assert.doesNotMatch(byGet.body, /PRIVATE KEY/);
  });

  test('I63: a crafted application id or group name in the path is a 404 page, not an error', async () => {
    const cookie = await sessionCookie();
    const headers = { Origin: console.origin, 'Sec-Fetch-Site': 'same-origin' };
    const csrf = csrfOf(await consoleRequest(console.ts, '/applications', { cookie }));
    for (const path of [
      '/applications/%27%20OR%201%3D1--',
      '/applications/00000000-0000-4000-8000-000000000000',
      `/applications/${accounts.id.toUpperCase()}`,
      '/applications/%E0%A4%A',
      `/applications/${'a'.repeat(5000)}`,
      '/groups/%3Cscript%3E',
      '/groups/nosuch',
    ]) {
      const answer = await consoleRequest(console.ts, path, { cookie });
      assert.equal(answer.status, 404, path);
      assert.doesNotMatch(answer.body, /<script>|Error:|at .*\.js/, path);
    }
    const posted = await consoleRequest(console.ts, '/applications/%27--/unregister', { cookie, headers, form: { csrf, confirm: 'yes' } });
    assert.equal(posted.status, 404);
    const member = await consoleRequest(console.ts, '/groups/nosuch/members', { cookie, headers, form: { csrf, application: shop.id } });
    assert.equal(member.status, 404);
  });
});
