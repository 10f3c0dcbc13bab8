// Single sign-on across DNS domains in a real browser (docs/tickets.md): headless Chromium signs in
// once on the panel (panel.test, through the relay on sso.test) and is then known, with no further
// sign-in, by billing in example.de.test (its own ticket receiver, the SDK) and by the help desk in
// example.fr.test (behind `ssod receiver`); a fourth domain, example.it.test, whose receiver ssod does
// not know, gets nothing; logging out on the panel ends all three. Screenshots in test-artifacts/e2e/.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Cookie, Page } from 'playwright-core';
import { addReceiver } from '../../src/core/operator/tickets.js';
import { listenHelpdesk, type RunningHelpdesk } from '../../examples/helpdesk/app.js';
import { openDemoCa, type DemoCa } from '../../examples/lib/demoCa.js';
import { startDemo, type Demo } from '../../examples/lib/demo.js';
import { freePort, loopbackLookup } from '../../examples/lib/domains.js';
import { defined, ifAssigned } from '../helpers/defined.js';
import { launchChromium, screenshot, skipWithoutChromium } from '../helpers/browser.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const RELAY_HOST = 'sso.test';
const FOURTH_HOST = 'wiki.example.it.test';
const USER = { login: 'alice@example.com', password: 'correct horse battery staple' };
const MAIN = new URL('../../src/app/main.js', import.meta.url).pathname;
const HOSTS = [RELAY_HOST, 'panel.test', 'billing.example.de.test', 'help.example.fr.test', FOURTH_HOST];

/** `ssod receiver` as an operator runs it, for a domain ssod has no receiver for; resolves once it listens. */
async function startFourthReceiver(
  dir: string,
  ca: DemoCa,
  settings: { readonly relayUrl: string; readonly keysUrl: string; readonly ssodCaFile: string; readonly upstream: string },
): Promise<{ child: ChildProcess; origin: string }> {
  const port = await freePort();
  const tls = await ca.issueServer([FOURTH_HOST]);
  writeFileSync(path.join(dir, 'wiki.crt'), tls.cert);
  writeFileSync(path.join(dir, 'wiki.key'), tls.key, { mode: 0o600 });
  const origin = `https://${FOURTH_HOST}:${port}`;
  const child = spawn(
    process.execPath,
    [
      MAIN,
      'receiver',
      '--name=wiki',
      '--domain=example.it.test',
      `--ssod-url=${settings.relayUrl}`,
      `--keys-url=${settings.keysUrl}`,
      `--ca-file=${settings.ssodCaFile}`,
      `--public-origin=${origin}`,
      `--port=${port}`,
      `--tls-cert-file=${path.join(dir, 'wiki.crt')}`,
      `--tls-key-file=${path.join(dir, 'wiki.key')}`,
      `--state-dir=${path.join(dir, 'wiki-state')}`,
      `--upstream=${settings.upstream}`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (/listening/i.test(stderr)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`ssod receiver exited with ${String(code)}: ${stderr}`)));
  });
  return { child, origin };
}

describe('single sign-on across DNS domains in a real browser', { skip: skipWithoutChromium, timeout: 120_000 }, () => {
  let ts: TestServer;
  let dir: string;
  let demo: Demo;
  let wikiPage: RunningHelpdesk;
  let wiki: { child: ChildProcess; origin: string };
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let relayOrigin: string;
  const visited: string[] = [];

  before(async () => {
    // The host name is the relay's, so the tickets' issuer is the relay URL the browser uses.
    ts = await startTestServer({ hostname: RELAY_HOST }, { receiverLookup: loopbackLookup });
    relayOrigin = `http://${RELAY_HOST}:${ts.relayPort}`;
    dir = mkdtempSync(path.join(os.tmpdir(), 'ssod-e2e-tickets-'));
    const ca = await openDemoCa();
    const keysUrl = `https://127.0.0.1:${ts.soapPort}/tickets/keys`;
    demo = await startDemo({
      soapUrl: `https://127.0.0.1:${ts.soapPort}/soap`,
      ca: ts.caPem,
      relayUrl: `${relayOrigin}/relay`,
      dir,
      ports: { panel: 0, billing: 0 },
      demoUser: USER,
      otherDomains: {
        ca,
        keysUrl,
        ports: { billing: 0, helpdeskReceiver: 0, helpdesk: 0 },
        addReceiver: async (receiver) => {
          await addReceiver(ts.server.services, receiver);
        },
      },
    });
    const ssodCaFile = path.join(dir, 'ssod-ca.pem');
    writeFileSync(ssodCaFile, ts.caPem);
    wikiPage = await listenHelpdesk(0, demo.panel.url);
    wiki = await startFourthReceiver(dir, ca, { relayUrl: `${relayOrigin}/relay`, keysUrl, ssodCaFile, upstream: wikiPage.upstream });

    browser = await launchChromium(HOSTS, ['--ignore-certificate-errors']);
    context = await browser.newContext({ viewport: { width: 1000, height: 640 } });
    page = await context.newPage();
    page.on('request', (request) => {
      if (request.isNavigationRequest()) visited.push(request.url());
    });
  });

  after(async () => {
    await ifAssigned(browser)?.close();
    const child = ifAssigned(wiki)?.child;
    if (child !== undefined && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await ifAssigned(wikiPage)?.close();
    await ifAssigned(demo)?.close();
    await ifAssigned(ts)?.close();
    if (ifAssigned(dir) !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  function ticketCookie(cookies: readonly Cookie[], domain: string): Cookie | undefined {
    return cookies.find((cookie) => cookie.name === 'SSOD_TICKET' && cookie.domain.replace(/^\./, '') === domain);
  }

  /** Reloads `url` until `done` holds for the page (a logout reaches the receivers by a back-channel call). */
  async function reloadUntil(url: string, done: () => Promise<boolean>): Promise<void> {
    for (let attempt = 0; attempt < 40; attempt++) {
      await page.goto(url);
      if (await done()) return;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    assert.fail(`${url} never reached the expected state; now at ${page.url()}`);
  }

  test('1. sign in once on the panel: the browser passes every receiver by top-level redirects and lands on the panel', async () => {
    await page.goto(demo.panel.url);
    assert.match(page.url(), /\/login\?/);
    await page.fill('#login', USER.login);
    await page.fill('#password', USER.password);
    visited.length = 0;
    await Promise.all([page.waitForURL(demo.panel.url), page.click('#login-form button[type=submit]')]);
    assert.equal(await page.locator('#login').innerText(), USER.login);
    const hosts = visited.map((url) => new URL(url).host.split(':')[0]);
    assert.ok(hosts.includes('billing.example.de.test'), `billing's receiver was visited: ${hosts.join(' → ')}`);
    assert.ok(hosts.includes('help.example.fr.test'), `the help desk's receiver was visited: ${hosts.join(' → ')}`);
    assert.ok(!hosts.includes(FOURTH_HOST), 'a domain ssod has no receiver for is never visited');
    for (const url of visited.filter((u) => u.includes('/.ssod/ticket'))) {
      assert.match(new URL(url).searchParams.get('ticket') ?? '', /^[\w-]+\.[\w-]+\.[\w-]+$/, 'a compact JWS in the URL');
    }
    await screenshot(page, 'tickets-1-panel-signed-in');
  });

  test("2. each receiver's domain holds SSOD_TICKET with the attributes of docs/tickets.md; no other domain does", async () => {
    const cookies = await context.cookies();
    for (const domain of ['example.de.test', 'example.fr.test']) {
      const cookie = defined(ticketCookie(cookies, domain), `SSOD_TICKET of ${domain}`);
      assert.equal(cookie.domain, `.${domain}`, 'Domain= the receiver domain');
      assert.equal(cookie.path, '/');
      assert.equal(cookie.httpOnly, true);
      assert.equal(cookie.secure, true);
      assert.equal(cookie.sameSite, 'Lax');
      const left = cookie.expires - Date.now() / 1000;
      assert.ok(left > 3500 && left <= 3600, `lasts until the ticket's exp (one hour by default), ${left} s left`);
    }
    const elsewhere = cookies.filter((c) => c.name === 'SSOD_TICKET' && !/example\.(de|fr)\.test$/.test(c.domain));
    assert.deepEqual(elsewhere, [], 'no ticket cookie for panel.test, sso.test or example.it.test');
  });

  test('3. billing, in example.de.test, knows the user from its ticket without a sign-in', async () => {
    await page.goto(demo.billing.url);
    assert.equal(page.url(), demo.billing.url);
    assert.equal(await page.locator('#login').innerText(), USER.login);
    assert.match(await page.locator('main').innerText(), /signed logon ticket of example\.de\.test/);
    const { userId } = await demo.panel.client.getUserId({ login: USER.login });
    assert.equal(await page.locator('#user-id').innerText(), userId);
    await screenshot(page, 'tickets-2-billing-from-ticket');
  });

  test('4. the help desk, in example.fr.test behind `ssod receiver`, knows the user too', async () => {
    const helpdesk = defined(demo.helpdesk, 'the help desk');
    await page.goto(helpdesk.url);
    assert.equal(await page.locator('#login').innerText(), USER.login);
    await screenshot(page, 'tickets-3-helpdesk-from-ticket');
  });

  test('5. a fourth domain whose receiver ssod does not know gets nothing', async () => {
    await page.goto(`${wiki.origin}/`);
    assert.equal(await page.locator('#login').count(), 0, 'no user shown');
    assert.equal(ticketCookie(await context.cookies(), 'example.it.test'), undefined);
    await screenshot(page, 'tickets-4-fourth-domain-nothing');
  });

  test('6. log out on the panel: billing and the help desk no longer know the user (back-channel logout)', async () => {
    await page.goto(demo.panel.url);
    await Promise.all([page.waitForURL(/\/login/), page.click('#logout')]);
    await screenshot(page, 'tickets-5-panel-logged-out');
    const helpdesk = defined(demo.helpdesk, 'the help desk');
    await reloadUntil(helpdesk.url, async () => (await page.locator('#anonymous').count()) === 1);
    await screenshot(page, 'tickets-6-helpdesk-logged-out');
    await reloadUntil(
      demo.billing.url,
      async () => (await page.locator('#login').count()) === 0 || new URL(page.url()).host !== new URL(demo.billing.url).host,
    );
    assert.doesNotMatch(await page.locator('body').innerText(), new RegExp(USER.login.replace('.', '\\.')));
    await screenshot(page, 'tickets-7-billing-logged-out');
  });

  test("7. signing in at ssod's page from billing lands on billing through the receivers; billing's logout ends the help desk's too", async () => {
    // Billing has just sent the visitor to ssod's sign-in page (test 6).
    assert.equal(new URL(page.url()).host, `${RELAY_HOST}:${ts.relayPort}`);
    await page.fill('#login', USER.login);
    await page.fill('#password', USER.password);
    await Promise.all([page.waitForURL(demo.billing.url), page.click('button[type=submit]')]);
    assert.equal(await page.locator('#login').innerText(), USER.login, 'billing knows the user from the new ticket');
    const helpdesk = defined(demo.helpdesk, 'the help desk');
    await page.goto(helpdesk.url);
    assert.equal(await page.locator('#login').innerText(), USER.login, 'so does the help desk');

    await page.goto(demo.billing.url);
    await Promise.all([page.waitForURL((url) => url.host !== new URL(demo.billing.url).host), page.click('#logout')]);
    await reloadUntil(helpdesk.url, async () => (await page.locator('#anonymous').count()) === 1);
    await page.goto(demo.panel.url);
    assert.match(page.url(), /\/login\?/, 'the panel asks for a sign-in again');
    await screenshot(page, 'tickets-8-billing-logout-everywhere');
  });
});
