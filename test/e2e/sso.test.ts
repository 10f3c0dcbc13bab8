// Single sign-on in a real browser (protocol §2.2): headless Chromium goes between the two
// example applications through the relay of an in-process ssod. Screenshots of every step are
// kept in test-artifacts/e2e/.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page, Response } from 'playwright-core';
import type { Demo } from '../../examples/lib/demo.js';
import type { TestServer } from '../helpers/server.js';
import { defined, ifAssigned } from '../helpers/defined.js';
import { launchChromium, screenshot, skipWithoutChromium, startBrowserDemo, type BrowserDemo } from '../helpers/browser.js';

const RELAY_HOST = 'sso.test';
const UNREGISTERED_HOST = 'elsewhere.test';
const USER = { login: 'alice@example.com', password: 'correct horse battery staple' };

const MALLORY = { login: 'mallory@example.com', password: 'an attacker of her own' };

function escapeAttribute(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}

describe('single sign-on in a real browser', { skip: skipWithoutChromium, timeout: 60_000 }, () => {
  let setup: BrowserDemo;
  let ts: TestServer;
  let demo: Demo;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let relayOrigin: string;
  let elsewhere: http.Server;
  let elsewhereUrl: string;
  const elsewhereRequests: string[] = [];
  const relayResponses: { url: string; status: number; location: string | undefined }[] = [];

  before(async () => {
    setup = await startBrowserDemo(RELAY_HOST, USER);
    ({ ts, demo, relayOrigin } = setup);
    // A site that is not a registered application: its page sends the browser to the relay
    // asking for a session to be returned to itself.
    elsewhere = http.createServer((req, res) => {
      elsewhereRequests.push(req.url ?? '');
      if ((req.url ?? '').startsWith('/forge?')) {
        // An attacker's page that posts an answer to the relay's question from another site.
        const fields = new URLSearchParams((req.url ?? '').slice('/forge?'.length));
        const inputs = [...fields]
          .map(([name, value]) => `<input type="hidden" name="${escapeAttribute(name)}" value="${escapeAttribute(value)}">`)
          .join('');
        res.writeHead(200, { 'Content-Type': 'text/html' });
        res.end(
          `<!doctype html><title>Forged</title><form method="post" action="${relayOrigin}/relay">${inputs}</form><script>document.forms[0].submit()</script>`,
        );
        return;
      }
      const back = encodeURIComponent(elsewhereUrl);
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end(`<!doctype html><title>Elsewhere</title><a id="go" href="${relayOrigin}/relay?url=${back}">continue</a>`);
    });
    await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.1', resolve));
    elsewhereUrl = `http://${UNREGISTERED_HOST}:${(elsewhere.address() as AddressInfo).port}/`;

    browser = await launchChromium(['panel.test', 'billing.test', RELAY_HOST, UNREGISTERED_HOST]);
    context = await browser.newContext({ viewport: { width: 1000, height: 640 } });
    page = await context.newPage();
    page.on('response', (response: Response) => {
      if (response.url().startsWith(relayOrigin))
        relayResponses.push({ url: response.url(), status: response.status(), location: response.headers().location });
    });
  });

  after(async () => {
    await ifAssigned(browser)?.close();
    await ifAssigned(setup)?.close();
    const other = ifAssigned(elsewhere);
    await new Promise<void>((resolve) => (other ? other.close(() => resolve()) : resolve()));
  });

  async function shot(name: string): Promise<void> {
    await screenshot(page, name);
  }

  function pathOf(url: string): string {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  }

  async function signIn(appUrl: string): Promise<void> {
    await page.goto(appUrl);
    assert.equal(pathOf(page.url()), `${new URL(appUrl).origin}/login`);
    await page.fill('#login', USER.login);
    await page.fill('#password', USER.password);
    await Promise.all([page.waitForURL(appUrl), page.click('#login-form button[type=submit]')]);
  }

  test('1. billing, not signed in anywhere: through the relay to its login page', async () => {
    relayResponses.length = 0;
    await page.goto(demo.billing.url);
    assert.equal(pathOf(page.url()), `${new URL(demo.billing.url).origin}/login`);
    assert.match(await page.locator('h1').innerText(), /Sign in to Billing/);
    // protocol §2.2.2: the relay was asked and answered ssosid=none.
    assert.equal(relayResponses.length, 1);
    const relayed = defined(relayResponses[0], 'the relay response');
    assert.equal(relayed.status, 302);
    assert.match(relayed.location ?? '', /[?&]ssosid=none$/);
    await shot('1-billing-login');
  });

  test('2. sign in on panel: its protected page, and the relay cookie as docs/DECISIONS.md says', async () => {
    await signIn(demo.panel.url);
    assert.equal(await page.locator('#login').innerText(), USER.login);
    assert.doesNotMatch(page.url(), /ssosid/);
    await shot('2-panel-signed-in');

    const relayCookies = await context.cookies(relayOrigin);
    assert.deepEqual(
      relayCookies.map((c) => c.name),
      ['sid'],
    );
    const [sid] = relayCookies;
    assert.ok(sid);
    assert.equal(sid.httpOnly, true);
    assert.equal(sid.sameSite, 'Lax');
    assert.equal(sid.path, '/');
    assert.equal(sid.domain, RELAY_HOST, 'a host-only cookie (no Domain attribute)');
    assert.equal(sid.secure, false, 'the relay is plain http here');
    assert.ok(sid.expires > Date.now() / 1000, 'a persistent cookie with the session lifetime');
    // The application's own session cookie is its own, HttpOnly, and is not the global one.
    const panelCookies = await context.cookies(demo.panel.url);
    const own = panelCookies.find((c) => c.name === 'panel_session');
    assert.ok(own);
    assert.equal(own.httpOnly, true);
    assert.notEqual(own.value, sid.value);
  });

  test('3. billing again: signed in as the same user with no login form', async () => {
    relayResponses.length = 0;
    await page.goto(demo.billing.url);
    assert.equal(page.url(), demo.billing.url, 'back on the protected page with ssosid removed');
    assert.equal(await page.locator('#login').innerText(), USER.login);
    assert.equal(await page.locator('#login-form').count(), 0);
    assert.match(relayResponses[0]?.location ?? '', /[?&]ssosid=http%3A%2F%2Fbilling\.test/);
    const billingUser = await page.locator('#user-id').innerText();
    const { userId } = await demo.panel.client.getUserId({ login: USER.login });
    assert.equal(billingUser, userId);
    await shot('3-billing-signed-in');
  });

  test('4. log out on billing: panel asks for login again (single logout)', async () => {
    await Promise.all([page.waitForURL(/\/login/), page.click('#logout')]);
    assert.equal(pathOf(page.url()), `${new URL(demo.billing.url).origin}/login`);
    await shot('4a-billing-logged-out');
    await page.goto(demo.panel.url);
    assert.equal(pathOf(page.url()), `${new URL(demo.panel.url).origin}/login`);
    assert.equal(await page.locator('#login-form').count(), 1);
    await shot('4b-panel-asks-login');
  });

  test('5. a page on an unregistered origin cannot obtain an ssosid', async () => {
    await signIn(demo.panel.url); // a live global session in this browser, to be sure
    await page.goto(elsewhereUrl);
    const [response] = await Promise.all([page.waitForResponse((r) => r.url().startsWith(`${relayOrigin}/relay`)), page.click('#go')]);
    assert.equal(response.status(), 400);
    assert.equal(response.headers().location, undefined);
    await page.waitForLoadState();
    assert.ok(page.url().startsWith(relayOrigin), 'the browser stays on the relay');
    assert.ok(
      elsewhereRequests.every((url) => !url.includes('ssosid')),
      `requests seen elsewhere: ${elsewhereRequests.join(', ')}`,
    );
    await shot('5-unregistered-origin-refused');
  });

  /** A relay link with a token of mallory's own, as an attacker would send it to the person at this browser. */
  async function attackerLink(): Promise<string> {
    await demo.panel.client.createUser(MALLORY).catch(() => undefined); // created once
    const { relayToken } = await demo.billing.client.authenticate({ ...MALLORY, baseUrl: demo.billing.url });
    return `${relayOrigin}/relay?${new URLSearchParams({ token: relayToken ?? '', url: demo.billing.url }).toString()}`;
  }

  async function relayCookie(): Promise<string> {
    return (await context.cookies(relayOrigin)).find((c) => c.name === 'sid')?.value ?? '';
  }

  test("6. F48: a relay link with another user's token asks before switching; staying keeps the user", async () => {
    const before = await relayCookie(); // signed in as USER since 5
    assert.notEqual(before, '');
    const response = await page.goto(await attackerLink());
    assert.equal(response?.status(), 200);
    assert.equal(await page.locator('h1').innerText(), 'Switch account?');
    const text = await page.locator('main').innerText();
    assert.match(text, /This browser is signed in as alice@example\.com\./);
    assert.match(text, /asks to sign it in as mallory@example\.com instead/);
    assert.equal(await page.locator('button[value=stay]').innerText(), `Stay signed in as ${USER.login}`);
    assert.equal(await page.locator('button[value=switch]').innerText(), `Continue as ${MALLORY.login}`);
    assert.equal(await relayCookie(), before, 'nothing changed yet');
    await shot('6a-relay-asks-before-switching');

    await Promise.all([page.waitForURL(demo.billing.url), page.click('button[value=stay]')]);
    assert.equal(await page.locator('#login').innerText(), USER.login);
    assert.equal(await relayCookie(), before);
    await shot('6b-stayed-signed-in');
  });

  test('7. F48: another site cannot answer the question; the "continue" of the person switches', async () => {
    const before = await relayCookie();
    await page.goto(await attackerLink());
    const confirm = await page.locator('input[name=confirm]').getAttribute('value');
    // Even with the code of the page in hand, a form posted from another site is refused.
    const forge = `${elsewhereUrl}forge?${new URLSearchParams({ url: demo.billing.url, confirm: confirm ?? '', choice: 'switch' }).toString()}`;
    const [forged] = await Promise.all([
      page.waitForResponse((r) => r.url() === `${relayOrigin}/relay` && r.request().method() === 'POST'),
      page.goto(forge),
    ]);
    assert.equal(forged.status(), 403);
    assert.equal(await relayCookie(), before);

    await page.goto(await attackerLink());
    await Promise.all([page.waitForURL(`${demo.billing.url}*`), page.click('button[value=switch]')]);
    const after = await relayCookie();
    assert.notEqual(after, before);
    // The relay now answers for mallory: ask it as billing would.
    const location =
      (
        await fetch(`http://127.0.0.1:${ts.relayPort}/relay?${new URLSearchParams({ url: demo.billing.url }).toString()}`, {
          redirect: 'manual',
          headers: { Cookie: `sid=${after}` },
        })
      ).headers.get('location') ?? '';
    const { userId } = await demo.billing.client.verifySession({ sessionId: new URL(location).searchParams.get('ssosid') ?? '' });
    assert.equal(userId, (await demo.billing.client.getUserId({ login: MALLORY.login })).userId);
  });
});
