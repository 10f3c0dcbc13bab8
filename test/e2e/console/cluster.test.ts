// The admin console on two nodes of one PostgreSQL store, in headless Chromium (docs/admin-console.md
// "Turning it on"): the administrator signs in on node 1; the session is accepted by node 2 (both
// listen on the same host, so the browser sends the cookie to both ports); a user created through
// node 1's SOAP API shows on node 2's Users page; disabled in node 1's console, it shows disabled on
// node 2's console and node 2's SOAP API refuses its sign-in.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { ADMIN_PASSWORD, addTestAdmin, totpCode } from '../../helpers/adminConsole.js';
import { launchChromium, screenshot, skipWithoutChromium } from '../../helpers/browser.js';
import { ifAssigned } from '../../helpers/defined.js';
import { freePort } from '../../helpers/ports.js';
import { twoPostgresNodes } from '../../helpers/pgNodes.js';
import { postgresSuite } from '../../helpers/postgres.js';
import { call, registerApp } from '../../helpers/server.js';

const PASSWORD = 'a good password';

postgresSuite('the admin console on two PostgreSQL nodes in a real browser', () => {
  const nodes = twoPostgresNodes(
    'console-e2e',
    () => ({}),
    async () => ({ adminPort: await freePort() }),
  );
  let browser: Browser;
  let page: Page;

  before(async () => {
    if (skipWithoutChromium !== false) return;
    browser = await launchChromium([], ['--ignore-certificate-errors']);
    page = await (await browser.newContext({ viewport: { width: 1000, height: 700 } })).newPage();
  });

  after(async () => {
    await ifAssigned(browser)?.close();
  });

  function originOf(node: ReturnType<typeof nodes>[number]): string {
    return `https://127.0.0.1:${String(node.server.adminPort)}`;
  }

  test(
    'a change made in the console of node 1 shows in the console and the SOAP API of node 2',
    { skip: skipWithoutChromium },
    async () => {
      const [first, second] = nodes();
      const { secret } = await addTestAdmin(first, 'ops');
      await page.goto(`${originOf(first)}/signin`);
      await page.fill('#name', 'ops');
      await page.fill('#password', ADMIN_PASSWORD);
      await page.fill('#code', totpCode(secret, Date.now()));
      await Promise.all([page.waitForURL(`${originOf(first)}/`), page.click('form[action="/signin"] button[type=submit]')]);

      const app = await registerApp(first);
      const created = await call(first, 'createUser', { login: 'dana', password: PASSWORD }, { credentials: app.credentials });
      const userId = created.field('userId');
      assert.ok(userId !== undefined, created.body);

      await page.goto(`${originOf(second)}/users`);
      assert.equal(page.url(), `${originOf(second)}/users`, 'node 2 accepts the session made on node 1');
      assert.match(await page.locator('main').innerText(), /dana\s+panel\s+local\s+enabled/);

      await page.goto(`${originOf(first)}/users/${userId}`);
      await Promise.all([page.waitForEvent('load'), page.click(`form[action="/users/${userId}/disable"] button`)]);
      await Promise.all([page.waitForEvent('load'), page.click('.confirm button[type=submit]')]);
      assert.match(await page.locator('.notice').innerText(), /The user is disabled/);

      await page.goto(`${originOf(second)}/users/${userId}`);
      assert.match(await page.locator('.details').innerText(), /State\s+disabled/);
      await screenshot(page, 'console-cluster-node2-user');
      const refused = await call(second, 'authenticate', { login: 'dana', password: PASSWORD }, { credentials: app.credentials });
      assert.equal(refused.field('userId'), undefined, 'node 2 refuses the disabled user');
    },
  );
});
