// An application group in a real browser (docs/groups.md): the example applications as one group,
// panel the user provider, billing a subscriber. Headless Chromium signs in on panel, whose On
// Session Start callback (HTTPS, verified with the SDK) sets the shared session variable `customer`;
// billing knows the user with no prompt and shows that value, changes it through its form, and panel
// shows the new value. Screenshots in test-artifacts/e2e/groups-*.png.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { Demo } from '../../examples/lib/demo.js';
import { initialCustomer } from '../../examples/panel/sessionStart.js';
import { defined, ifAssigned } from '../helpers/defined.js';
import { launchChromium, screenshot, skipWithoutChromium, startBrowserDemo, type BrowserDemo } from '../helpers/browser.js';

const RELAY_HOST = 'sso.test';
const GROUP = 'hosting';
const USER = { login: 'alice@example.com', password: 'correct horse battery staple' };

describe('an application group in a real browser: one session, a shared variable', { skip: skipWithoutChromium, timeout: 60_000 }, () => {
  let setup: BrowserDemo;
  let demo: Demo;
  let browser: Browser;
  let page: Page;

  before(async () => {
    setup = await startBrowserDemo(RELAY_HOST, USER, { group: GROUP });
    ({ demo } = setup);
    browser = await launchChromium(['panel.test', 'billing.test', RELAY_HOST]);
    page = await (await browser.newContext({ viewport: { width: 1000, height: 640 } })).newPage();
  });

  after(async () => {
    await ifAssigned(browser)?.close();
    await ifAssigned(setup)?.close();
  });

  async function shared(): Promise<string> {
    return page.locator('#shared').innerText();
  }

  test('0. the operator formed the group: panel its provider, billing a subscriber, panel with an HTTPS callback', async () => {
    const { store } = setup.ts.server.services;
    assert.deepEqual(await store.groupOfApplication(demo.billing.applicationId), {
      groupName: GROUP,
      providerId: demo.panel.applicationId,
      role: 'subscriber',
    });
    assert.equal((await store.groupOfApplication(demo.panel.applicationId))?.role, 'provider');
    assert.match(defined(demo.group, 'the group').callbackUrl, /^https:\/\/127\.0\.0\.1:\d+\/ssod\/session-start$/);
  });

  test('1. sign in on panel: its callback set the shared customer account of the new session', async () => {
    await page.goto(demo.panel.url);
    assert.match(page.url(), /\/login\?/);
    await page.fill('#login', USER.login);
    await page.fill('#password', USER.password);
    await Promise.all([page.waitForURL(demo.panel.url), page.click('#login-form button[type=submit]')]);
    assert.equal(await page.locator('#login').innerText(), USER.login);
    assert.equal(await shared(), initialCustomer(USER.login));
    assert.equal(await shared(), 'ACME-ALICE');
    assert.equal(await page.locator('#shared-form').count(), 0, 'panel only shows it');
    await screenshot(page, 'groups-1-panel');
  });

  test('2. billing, a subscriber: the same user with no prompt, and the value panel set', async () => {
    await page.goto(demo.billing.url);
    assert.equal(page.url(), demo.billing.url, 'back on the home page, ssosid removed');
    assert.equal(await page.locator('#login-form').count(), 0);
    assert.equal(await page.locator('#login').innerText(), USER.login);
    assert.equal(await shared(), 'ACME-ALICE');
    await screenshot(page, 'groups-2-billing');
  });

  test('3. billing changes it through its form; a post without the form value of its cookie changes nothing', async () => {
    const forged = await page.evaluate(async () => {
      const response = await fetch('/shared', { method: 'POST', body: new URLSearchParams({ csrf: 'guessed', value: 'EVIL' }) });
      return response.status;
    });
    assert.equal(forged, 409);
    await page.reload();
    assert.equal(await shared(), 'ACME-ALICE');

    await page.fill('#shared-value', 'GLOBEX-42');
    await Promise.all([page.waitForURL(demo.billing.url), page.click('#shared-form button[type=submit]')]);
    assert.equal(await shared(), 'GLOBEX-42');
    await screenshot(page, 'groups-3-billing-changed');
  });

  test('4. back on panel: the new value, from the shared session', async () => {
    await page.goto(demo.panel.url);
    assert.equal(page.url(), demo.panel.url);
    assert.equal(await shared(), 'GLOBEX-42');
    await screenshot(page, 'groups-4-panel');
  });

  test("5. log out everywhere on panel, sign in again: a new session, which panel's callback starts in the user's own account", async () => {
    await Promise.all([page.waitForURL(/\/login/), page.click('#logout')]);
    await page.goto(demo.billing.url);
    assert.match(page.url(), /\/login\?/, 'billing no longer knows the user (single logout)');
    await page.goto(demo.panel.url);
    await page.fill('#login', USER.login);
    await page.fill('#password', USER.password);
    await Promise.all([page.waitForURL(demo.panel.url), page.click('#login-form button[type=submit]')]);
    assert.equal(await shared(), 'ACME-ALICE');
    await page.goto(demo.billing.url);
    assert.equal(await shared(), 'ACME-ALICE');
    await screenshot(page, 'groups-5-billing-new-session');
  });
});
