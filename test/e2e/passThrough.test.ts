// Pass-through authentication in a real browser (docs/federation/pass-through.md): a page of the
// organization's portal, on an origin of its own, posts a plain HTML form to ssod's
// /networking/passThroughAuth; ssod asks the organization's authentication service (PHP's
// SoapServer behind TLS) whose session it is, and the browser lands signed in on the success page,
// then reaches the panel example without a prompt. A session the service does not vouch for lands
// on the error page. Screenshots are kept in test-artifacts/e2e/ (pass-through-*.png).
import assert from 'node:assert/strict';
import http from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { addSource } from '../../src/core/operator/sources.js';
import { turnSingleSignOnOn } from '../../src/core/operator/users.js';
import { userByLoginOrId } from '../../src/core/users.js';
import { escapeHtml } from '../../src/adapters/http/http.js';
import { ifAssigned } from '../helpers/defined.js';
import { launchChromium, screenshot, startBrowserDemo, type BrowserDemo } from '../helpers/browser.js';
import { startLjService, type LjService } from '../helpers/ljService.js';
import { TOOLS, skipWithout } from '../helpers/tools.js';

const RELAY_HOST = 'sso.test';
const PORTAL_HOST = 'portal.test';
/** The service vouches for this session of the portal (helpers/ljService.ts). */
const USER = { login: 'alice@abc.com', password: 'a local password, dropped with single sign-on' };
const VOUCHED_SESSION = 'session-of-alice';

/** The organization's portal: one page with the form an organization pastes (docs/federation/pass-through.md). */
async function startPortal(action: string): Promise<{ url: (session: string) => string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const session = new URL(req.url ?? '/', 'http://portal.test').searchParams.get('session') ?? '';
    const body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Intranet</title></head><body>
<h1>Intranet of ABC</h1>
<form method="post" action="${escapeHtml(action)}">
<input type="hidden" name="sessionID" value="${escapeHtml(session)}">
<input type="hidden" name="loginID" value="${escapeHtml(USER.login)}">
<button type="submit" id="go">Open the billing platform</button>
</form></body></html>`;
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(body);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: (session) => `http://${PORTAL_HOST}:${port}/?session=${encodeURIComponent(session)}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('pass-through authentication in a real browser', { skip: skipWithout([TOOLS.chromium, TOOLS.phpSoap]), timeout: 90_000 }, () => {
  let setup: BrowserDemo;
  let lj: LjService;
  let portal: Awaited<ReturnType<typeof startPortal>>;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  before(async () => {
    setup = await startBrowserDemo(RELAY_HOST, USER, { server: { argon2MemoryKib: 8192, argon2Iterations: 1 }, signInAt: 'ssod' });
    lj = await startLjService();
    const services = setup.ts.server.services;
    await addSource(services, {
      name: 'corp',
      settings: { kind: 'webService', url: lj.url, caPem: lj.caPem, connectTimeoutMs: 3000, timeoutMs: 8000 },
    });
    const alice = await userByLoginOrId(services, USER.login, undefined);
    assert.ok(alice !== null);
    await turnSingleSignOnOn(services, alice, 'corp');
    await services.store.writeSettings({ passThroughSource: 'corp' }, services.now());
    await services.settings.refresh();
    portal = await startPortal(`${setup.relayOrigin}/networking/passThroughAuth`);
    browser = await launchChromium([RELAY_HOST, PORTAL_HOST, 'panel.test', 'billing.test']);
    context = await browser.newContext({ viewport: { width: 1000, height: 640 }, locale: 'en-US' });
    page = await context.newPage();
  });

  after(async () => {
    await ifAssigned(browser)?.close();
    await ifAssigned(portal)?.close();
    await ifAssigned(lj)?.stop();
    await ifAssigned(setup)?.close();
  });

  test("1. a session the service does not vouch for: the portal's form lands on ssod's error page, signed in nowhere", async () => {
    await page.goto(portal.url('a session the service never saw'));
    await Promise.all([page.waitForURL(`${setup.relayOrigin}/sign-in-failed*`), page.click('#go')]);
    assert.equal(await page.locator('h1').innerText(), 'Sign-in did not succeed');
    assert.deepEqual(await context.cookies(setup.relayOrigin), []);
    await screenshot(page, 'pass-through-1-failed');
  });

  test('2. the portal posts the form from its own origin: the browser lands signed in on the success page', async () => {
    await page.goto(portal.url(VOUCHED_SESSION));
    await Promise.all([page.waitForURL(`${setup.relayOrigin}/signed-in*`), page.click('#go')]);
    assert.equal(await page.locator('h1').innerText(), 'You are signed in');
    assert.deepEqual(
      (await context.cookies(setup.relayOrigin)).map((cookie) => cookie.name),
      ['sid'],
    );
    const seen = await lj.lastRequest();
    assert.equal(seen.sessionID, VOUCHED_SESSION);
    assert.equal(seen.originatingDomain, PORTAL_HOST);
    await screenshot(page, 'pass-through-2-signed-in');
  });

  test('3. the panel then knows the user without a prompt', async () => {
    await page.goto(setup.demo.panel.url);
    assert.equal(page.url(), setup.demo.panel.url);
    assert.equal(await page.locator('#login').innerText(), USER.login);
    await screenshot(page, 'pass-through-3-panel');
  });
});
