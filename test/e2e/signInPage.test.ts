// ssod's own sign-in page in a real browser (docs/sign-in-page.md): the two example applications
// send a visitor without a session to it (SsoApp's signInAt: 'ssod'), headless Chromium signs in
// there once, with the password the organization's LDAP directory (a real slapd) knows, and is
// signed in to both, and logging out of one signs it out of both. Screenshots of
// each page are kept in test-artifacts/e2e/ (sign-in-*.png).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { Demo } from '../../examples/lib/demo.js';
import { ifAssigned } from '../helpers/defined.js';
import { launchChromium, screenshot, startBrowserDemo, type BrowserDemo } from '../helpers/browser.js';
import { addSource } from '../../src/core/operator/sources.js';
import { turnSingleSignOnOn } from '../../src/core/operator/users.js';
import { userByLoginOrId } from '../../src/core/users.js';
import { startSlapd, type Slapd } from '../helpers/slapd.js';
import { TOOLS, skipWithout } from '../helpers/tools.js';

const RELAY_HOST = 'sso.test';
const USER = { login: 'alice@example.com', password: 'correct horse battery staple' };
/** Alice has single sign-on: her password is the directory's, and the local one above is dropped. */
const DIRECTORY_PASSWORD = 'the directory password of alice';

describe(
  "signing in at ssod's own page in a real browser",
  { skip: skipWithout([TOOLS.chromium, TOOLS.openLdap]), timeout: 90_000 },
  () => {
    let setup: BrowserDemo;
    let demo: Demo;
    let browser: Browser;
    let context: BrowserContext;
    let page: Page;
    let relayOrigin: string;
    let slapd: Slapd;
    const cspViolations: string[] = [];

    before(async () => {
      setup = await startBrowserDemo(RELAY_HOST, USER, { server: { argon2MemoryKib: 8192, argon2Iterations: 1 }, signInAt: 'ssod' });
      ({ demo, relayOrigin } = setup);
      slapd = await startSlapd();
      await slapd.addUser(USER.login, DIRECTORY_PASSWORD);
      const services = setup.ts.server.services;
      await addSource(services, {
        name: 'corp-ldap',
        settings: {
          kind: 'ldap',
          url: slapd.ldapsUrl,
          startTls: false,
          caPem: slapd.caPem,
          bindDn: slapd.serviceDn,
          bindPassword: slapd.servicePassword,
          searchBase: slapd.peopleDn,
          connectTimeoutMs: 3000,
          timeoutMs: 8000,
        },
      });
      const alice = await userByLoginOrId(services, USER.login, undefined);
      assert.ok(alice !== null);
      await turnSingleSignOnOn(services, alice, 'corp-ldap');
      browser = await launchChromium(['panel.test', 'billing.test', RELAY_HOST]);
      context = await browser.newContext({ viewport: { width: 1000, height: 640 }, locale: 'en-US' });
      page = await newPage(context);
    });

    after(async () => {
      await ifAssigned(browser)?.close();
      await ifAssigned(setup)?.close();
      await ifAssigned(slapd)?.stop();
    });

    /** A page of the context whose console reports of a blocked style or form are kept: there must be none. */
    async function newPage(of: BrowserContext): Promise<Page> {
      const opened = await of.newPage();
      opened.on('console', (message) => {
        if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
      });
      return opened;
    }

    function pathOf(url: string): string {
      const u = new URL(url);
      return `${u.origin}${u.pathname}`;
    }

    /** The width the kit's style gives the page's card: the inline style was allowed by the CSP. */
    function cardWidth(on: Page): Promise<string> {
      return on.evaluate<string>('getComputedStyle(document.querySelector("main")).maxWidth');
    }

    /** The sign-in page as the browser shows it: its own style applied, the login field focused. */
    async function assertSignInPage(on: Page, title: string): Promise<void> {
      assert.equal(pathOf(on.url()), `${relayOrigin}/login`);
      assert.equal(await on.locator('h1').innerText(), title);
      // The inline style ran under the CSP (its hash): the card has its width and the page its colour.
      assert.equal(await cardWidth(on), '480px');
      assert.deepEqual(cspViolations, []);
    }

    test("1. panel, not signed in: the visitor is sent to ssod's sign-in page, in English", async () => {
      await page.goto(demo.panel.url);
      await assertSignInPage(page, 'Sign in');
      assert.equal(await page.locator('html').getAttribute('lang'), 'en');
      assert.equal(await page.locator(':focus').getAttribute('id'), 'login', 'the login field has the focus');
      assert.match(await page.locator('main').innerText(), /You then continue to panel\.test:\d+\./);
      const back = new URL(new URL(page.url()).searchParams.get('url') ?? '');
      assert.equal(back.origin, new URL(demo.panel.url).origin);
      await screenshot(page, 'sign-in-1-page-en');
    });

    test('2. a wrong password (the dropped local one): the same page, one generic message, the login kept and the password focused', async () => {
      await page.fill('#login', USER.login);
      await page.fill('#password', USER.password); // the local password, dropped when single sign-on went on
      await Promise.all([page.waitForLoadState('load'), page.click('#sign-in-form button[type=submit]')]);
      await assertSignInPage(page, 'Sign in');
      assert.equal(await page.locator('[role=alert]').innerText(), 'The login or password is not right.');
      assert.equal(await page.inputValue('#login'), USER.login);
      assert.equal(await page.inputValue('#password'), '');
      assert.equal(await page.locator(':focus').getAttribute('id'), 'password');
      await screenshot(page, 'sign-in-2-failed');
    });

    test("3. the directory's password: back on panel, signed in, with the relay cookie set", async () => {
      await page.fill('#password', DIRECTORY_PASSWORD);
      await Promise.all([page.waitForURL(demo.panel.url), page.click('#sign-in-form button[type=submit]')]);
      assert.equal(await page.locator('#login').innerText(), USER.login);
      assert.doesNotMatch(page.url(), /ssosid|sso_state/);
      const relayCookies = await context.cookies(relayOrigin);
      assert.deepEqual(
        relayCookies.map((c) => c.name),
        ['sid'],
        'the form cookie is gone, the relay cookie is set',
      );
      await screenshot(page, 'sign-in-3-panel-signed-in');
    });

    test('4. billing: signed in as the same user without a prompt', async () => {
      await page.goto(demo.billing.url);
      assert.equal(page.url(), demo.billing.url);
      assert.equal(await page.locator('#login').innerText(), USER.login);
    });

    test("5. log out on billing: both applications send the visitor to ssod's sign-in page again", async () => {
      await Promise.all([page.waitForURL(`${relayOrigin}/login?*`), page.click('#logout')]);
      await assertSignInPage(page, 'Sign in');
      await page.goto(demo.panel.url);
      await assertSignInPage(page, 'Sign in');
    });

    test('6. a browser that asks for German gets the page in German', async () => {
      const german = await browser.newContext({ viewport: { width: 1000, height: 640 }, locale: 'de-DE' });
      try {
        const seen = await newPage(german);
        await seen.goto(demo.billing.url);
        await assertSignInPage(seen, 'Anmelden');
        assert.equal(await seen.locator('html').getAttribute('lang'), 'de');
        assert.equal(await seen.locator('label[for=password]').innerText(), 'Passwort');
        await screenshot(seen, 'sign-in-4-page-de');
      } finally {
        await german.close();
      }
    });

    test('7. the pages that end a pass-through sign-in, and a relay refusal, in the same look', async () => {
      const panelHome = encodeURIComponent(demo.panel.url);
      await page.goto(`${relayOrigin}/signed-in?url=${panelHome}`);
      assert.equal(await page.locator('h1').innerText(), 'You are signed in');
      assert.equal(await page.locator('a').getAttribute('href'), demo.panel.url);
      await screenshot(page, 'sign-in-5-signed-in');

      await page.goto(`${relayOrigin}/sign-in-failed?reason=notAllowed&url=${panelHome}`);
      assert.equal(await page.locator('h1').innerText(), 'Sign-in is not allowed');
      await screenshot(page, 'sign-in-6-sign-in-failed');

      const refused = await page.goto(`${relayOrigin}/relay?url=${encodeURIComponent('http://elsewhere.test/')}`);
      assert.equal(refused?.status(), 400);
      assert.equal(await page.locator('h1').innerText(), 'This link does not work');
      assert.equal(await cardWidth(page), '480px');
      await screenshot(page, 'sign-in-7-relay-refusal');
      assert.deepEqual(cspViolations, []);
    });
  },
);
