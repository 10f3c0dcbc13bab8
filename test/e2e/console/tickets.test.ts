// The console's tickets page in headless Chromium (docs/admin-console.md "Tickets"): rotating a key
// and revoking one (after its confirmation; a ticket signed with it is refused then), adding a
// receiver (a bad URL refused with the core's message), showing and removing one, each checked with
// the `ssod` command line against the same installation.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sessionOfCookie, startBrowserSession } from '../../../src/core/sessions.js';
import { issueTicket, receiverNamed, verifyTicketOnline } from '../../../src/core/tickets.js';
import { skipWithoutChromium } from '../../helpers/browser.js';
import { openConsoleInBrowser, type ConsoleInBrowser } from '../../helpers/consoleBrowser.js';
import { defined, ifAssigned } from '../../helpers/defined.js';
import { call, registerApp } from '../../helpers/server.js';

interface KeyRow {
  readonly kid: string;
  readonly state: string;
}

describe('the console tickets page in a real browser', { skip: skipWithoutChromium, timeout: 180_000 }, () => {
  let console: ConsoleInBrowser;

  before(async () => {
    console = await openConsoleInBrowser();
  });
  after(async () => {
    await ifAssigned(console)?.close();
  });

  const keys = async (): Promise<KeyRow[]> => JSON.parse((await console.cli(['tickets', 'keys', '--json'])).stdout) as KeyRow[];
  const receivers = async (): Promise<{ name: string }[]> =>
    JSON.parse((await console.cli(['receivers', 'list', '--json'])).stdout) as { name: string }[];

  test('I70: add a receiver (a URL that is not https or not in its domain is refused with the message), show it', async () => {
    await console.visit('/tickets');
    assert.equal(await console.page.locator('nav a[aria-current=page]').innerText(), 'Tickets');
    const page = console.page;
    await page.fill('#field-name', 'billing-de');
    await page.fill('#field-domain', 'example.de');
    await page.fill('#field-url', 'http://apps.example.de/.ssod/');
    await console.clickAndWait('form[action="/tickets/receivers"] button[type=submit]');
    assert.match(await page.locator('.alert').innerText(), /must be https/);
    assert.equal(await page.inputValue('#field-name'), 'billing-de', 'the values are kept');
    await page.fill('#field-url', 'https://evil-example.de/.ssod/');
    await console.clickAndWait('form[action="/tickets/receivers"] button[type=submit]');
    assert.match(await page.locator('.alert').innerText(), /must have a host equal to example\.de or inside it/);
    await console.shot('console-tickets-refused');
    assert.deepEqual(await receivers(), [], 'nothing added');

    await page.fill('#field-url', 'https://apps.example.de/.ssod/');
    await console.clickAndWait('form[action="/tickets/receivers"] button[type=submit]');
    assert.match(await page.locator('.notice').innerText(), /receiver was added/);
    assert.deepEqual(
      (await receivers()).map((receiver) => receiver.name),
      ['billing-de'],
    );
    await console.clickAndWait('a[href="/tickets/receivers/billing-de"]');
    assert.match(await page.locator('main').innerText(), /https:\/\/apps\.example\.de\/\.ssod\/logout/);
    assert.deepEqual(await console.seriousViolations('/tickets/receivers/billing-de'), []);
    await console.shot('console-tickets-receiver');
  });

  test('rotate: the new key is listed by `ssod tickets keys`; rotate now makes it sign', async () => {
    const before = await keys();
    await console.visit('/tickets');
    await console.clickAndWait('button[name=now][value=no]');
    assert.match(await console.page.locator('.notice').innerText(), /signs in 10 minutes/);
    const afterRotate = await keys();
    assert.equal(afterRotate.length, before.length + 1);
    assert.equal(afterRotate.at(-1)?.state, 'pending');
    await console.clickAndWait('button[name=now][value=yes]');
    const afterNow = await keys();
    assert.equal(afterNow.at(-1)?.state, 'signing');
    assert.ok(afterNow.some((key) => key.state === 'retiring'));
  });

  test('revoke: the confirmation says what stops working; unconfirmed nothing changes; confirmed, a ticket signed with it is refused', async () => {
    const { services } = console.ts.server;
    const panel = await registerApp(console.ts);
    const userId = defined(
      (await call(console.ts, 'createUser', { login: 'alice', password: 'alice pw' }, { credentials: panel.credentials })).field('userId'),
      'userId',
    );
    const retiring = defined(
      (await keys()).find((key) => key.state === 'retiring'),
      'the retiring key',
    );
    const cookie = await startBrowserSession(services, userId, 'operator', null);
    const session = defined(await sessionOfCookie(services, cookie.value), 'the session').session;
    const receiver = defined(await receiverNamed(services, 'billing-de'), 'the receiver');
    const signing = defined(
      (await keys()).find((key) => key.state === 'signing'),
      'the signing key',
    );
    const ticket = await issueTicket(services, session, receiver);
    assert.equal((await verifyTicketOnline(services, ticket)).userId, userId);

    // Revoking the signing key: the retiring key takes over.
    await console.visit('/tickets');
    await console.clickAndWait(`form[action="/tickets/keys/${encodeURIComponent(signing.kid)}/revoke"] button`);
    const confirmation = await console.page.locator('.confirm').innerText();
    assert.match(confirmation, /Tickets signed with it stop working at once/);
    assert.match(confirmation, new RegExp(`Key ${retiring.kid.replace(/[-]/g, '\\-')} signs new tickets from now on`));
    await console.shot('console-tickets-revoke-confirm');
    assert.equal((await keys()).find((key) => key.kid === signing.kid)?.state, 'signing', 'unconfirmed: nothing changed');
    await console.clickAndWait('.confirm button.danger');
    assert.match(await console.page.locator('.notice').innerText(), /revoked/);
    assert.equal((await keys()).find((key) => key.kid === signing.kid)?.state, 'revoked');
    await assert.rejects(verifyTicketOnline(services, ticket), /kid names no key/);
  });

  test('remove a receiver after its confirmation; the page on a phone, axe, CSP', async () => {
    await console.visit('/tickets/receivers/billing-de');
    await console.clickAndWait('form[action="/tickets/receivers/billing-de/remove"] button');
    assert.match(await console.page.locator('.confirm').innerText(), /no longer told of logouts/);
    assert.equal((await receivers()).length, 1, 'unconfirmed: nothing removed');
    await console.clickAndWait('.confirm button.danger');
    assert.match(await console.page.locator('.notice').innerText(), /receiver was removed/);
    assert.deepEqual(await receivers(), []);
    assert.deepEqual(await console.seriousViolations('/tickets'), []);
    const phone = await console.atPhoneWidth('/tickets', 'console-tickets-phone');
    assert.ok(phone.fits, `the tickets page is ${phone.scrollWidth} px wide at a phone's width`);
    await console.visit('/tickets');
    await console.shot('console-tickets');
    assert.deepEqual(console.cspViolations, []);
  });
});
