// The admin console in a real browser (docs/admin-console.md): an administrator added with the real
// `ssod admins add` (password on standard input), headless Chromium signing in with the password
// and the TOTP code that otpauth computes from the secret the command printed, the overview, sign
// out; refusals (a wrong code, a replayed code, a recovery code used twice, a form without its CSRF
// token, the session's cookie used after sign-out); no CSP violation; axe-core
// finds no serious or critical accessibility violation on the sign-in page and the overview; the
// overview fits a phone's width. Screenshots are kept in test-artifacts/e2e/ (admin-*.png).
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, describe, test } from 'node:test';
import { TOTP } from 'otpauth';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ADMIN_PASSWORD, startConsoleServer } from '../helpers/adminConsole.js';
import { launchChromium, screenshot, skipWithoutChromium } from '../helpers/browser.js';
import { runCli } from '../helpers/cli.js';
import { ifAssigned } from '../helpers/defined.js';
import type { TestServer } from '../helpers/server.js';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

interface AxeViolation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly nodes: readonly { readonly target: readonly string[] }[];
}

describe('the admin console in a real browser', { skip: skipWithoutChromium, timeout: 90_000 }, () => {
  let ts: TestServer & { adminPort: number };
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let origin: string;
  let totp: TOTP;
  let recoveryCodes: string[];
  let usedCode: string;
  const cspViolations: string[] = [];

  before(async () => {
    ts = await startConsoleServer();
    origin = `https://127.0.0.1:${ts.adminPort}`;
    const added = await runCli(['admins', 'add', 'root', '--password-stdin', '--data-dir', ts.dataDir], { input: `${ADMIN_PASSWORD}\n` });
    assert.equal(added.code, 0, added.stderr);
    const secret = /^TOTP secret:\s+([A-Z2-7]+)$/m.exec(added.stdout)?.[1];
    const uri = /^otpauth URI:\s+(otpauth:\/\/\S+)$/m.exec(added.stdout)?.[1];
    recoveryCodes = [...added.stdout.matchAll(/^ {2}([a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4})$/gm)].map((match) => match[1] ?? '');
    assert.ok(secret !== undefined && uri !== undefined, added.stdout);
    assert.equal(recoveryCodes.length, 10);
    assert.match(uri, /^otpauth:\/\/totp\/ssod:root\?issuer=ssod&secret=[A-Z2-7]+&algorithm=SHA1&digits=6&period=30$/);
    totp = new TOTP({ secret, algorithm: 'SHA1', digits: 6, period: 30 });
    // ssod's CA is not one the browser trusts: the test accepts its certificate as an operator would once.
    browser = await launchChromium([], ['--ignore-certificate-errors']);
    context = await browser.newContext({ viewport: { width: 1000, height: 700 }, locale: 'en-US' });
    page = await newPage(context);
  });

  after(async () => {
    await ifAssigned(browser)?.close();
    await ifAssigned(ts)?.close();
  });

  /** A page whose console reports of a blocked script, style or form are kept: there must be none. */
  async function newPage(of: BrowserContext): Promise<Page> {
    const opened = await of.newPage();
    opened.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
    });
    return opened;
  }

  async function submitSignIn(on: Page, code: string): Promise<void> {
    await on.fill('#name', 'root');
    await on.fill('#password', ADMIN_PASSWORD);
    await on.fill('#code', code);
    await Promise.all([on.waitForLoadState('load'), on.click('form[action="/signin"] button[type=submit]')]);
  }

  async function assertRefused(on: Page): Promise<void> {
    assert.equal(new URL(on.url()).pathname, '/signin');
    assert.equal(await on.locator('[role=alert]').innerText(), 'The name, password or code is wrong.');
  }

  /** axe-core's serious and critical violations on the page (in a context without CSP, which blocks the injected script). */
  async function seriousViolations(on: Page): Promise<AxeViolation[]> {
    await on.addScriptTag({ path: AXE });
    const violations = await on.evaluate<AxeViolation[]>('axe.run(document).then((result) => result.violations)');
    return violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical');
  }

  test('1. without a session the console sends the browser to its sign-in page, styled by its own sheet', async () => {
    await page.goto(`${origin}/`);
    assert.equal(page.url(), `${origin}/signin`);
    assert.equal(await page.locator('h1').innerText(), 'Sign in to the admin console');
    assert.equal(await page.evaluate<string>('getComputedStyle(document.querySelector(".panel")).maxWidth'), '416px');
    for (const id of ['name', 'password', 'code']) assert.equal(await page.locator(`label[for=${id}]`).count(), 1, `a label for ${id}`);
    await screenshot(page, 'admin-1-sign-in');
  });

  test('2. I60: a wrong TOTP code is refused with the one message', async () => {
    const right = totp.generate();
    await submitSignIn(page, right === '000000' ? '999999' : '000000');
    await assertRefused(page);
    assert.equal(await page.inputValue('#name'), 'root', 'the name is kept');
    await screenshot(page, 'admin-2-refused');
  });

  test('3. the password and the current TOTP code sign in: the overview, with the administrator in the header', async () => {
    usedCode = totp.generate();
    await submitSignIn(page, usedCode);
    assert.equal(page.url(), `${origin}/`);
    assert.equal(await page.locator('h1').innerText(), 'Overview');
    assert.match(await page.locator('header').innerText(), /Signed in as root/);
    assert.match(await page.locator('main').innerText(), /Live sessions[\s\S]*Sign-ins in the last hour[\s\S]*Locked now[\s\S]*Healthy/);
    const [cookie] = await context.cookies(origin);
    assert.equal(cookie?.name, '__Host-ssod-admin');
    assert.ok(cookie.secure && cookie.httpOnly && cookie.sameSite === 'Strict' && cookie.path === '/');
    await screenshot(page, 'admin-3-overview');
  });

  test('4. I56: the same TOTP code in another browser is a replay: refused', async () => {
    const other = await browser.newContext({ viewport: { width: 1000, height: 700 } });
    try {
      const seen = await newPage(other);
      await seen.goto(`${origin}/signin`);
      await submitSignIn(seen, usedCode);
      await assertRefused(seen);
    } finally {
      await other.close();
    }
  });

  test('5. I57: a recovery code signs in once; axe finds no serious or critical violation on the sign-in page or the overview', async () => {
    const audited = await browser.newContext({ viewport: { width: 1000, height: 700 }, bypassCSP: true });
    try {
      const seen = await audited.newPage();
      await seen.goto(`${origin}/signin`);
      assert.deepEqual(await seriousViolations(seen), []);
      await submitSignIn(seen, recoveryCodes[0] ?? '');
      assert.equal(seen.url(), `${origin}/`);
      assert.deepEqual(await seriousViolations(seen), []);
      await audited.clearCookies();
      await seen.goto(`${origin}/signin`);
      await submitSignIn(seen, recoveryCodes[0] ?? '');
      await assertRefused(seen);
    } finally {
      await audited.close();
    }
  });

  test("6. at a phone's width the overview fits without scrolling sideways, and the focus is visible", async () => {
    const phone = await browser.newContext({ viewport: { width: 360, height: 740 }, storageState: await context.storageState() });
    try {
      const seen = await newPage(phone);
      await seen.goto(`${origin}/`);
      assert.equal(await seen.locator('h1').innerText(), 'Overview');
      assert.ok((await seen.evaluate<number>('document.documentElement.scrollWidth')) <= 360);
      await seen.keyboard.press('Tab');
      const outline = await seen.evaluate<string>('getComputedStyle(document.activeElement).outlineStyle');
      assert.equal(outline, 'solid', 'the focused link has an outline');
      await screenshot(seen, 'admin-4-overview-phone');
    } finally {
      await phone.close();
    }
  });

  test('7. I58: a form sent without its CSRF token (removed from the page) is refused with a 403 page; the session goes on', async () => {
    await page.goto(`${origin}/`);
    await page.evaluate('document.querySelector(\'form[action="/signout"] input[name=csrf]\').remove()');
    const [answer] = await Promise.all([page.waitForResponse(`${origin}/signout`), page.click('form[action="/signout"] button')]);
    assert.equal(answer.status(), 403);
    assert.equal(await page.locator('h1').innerText(), 'Refused');
    await screenshot(page, 'admin-5-refused-csrf');
    await page.goto(`${origin}/`);
    assert.equal(await page.locator('h1').innerText(), 'Overview', 'still signed in');
  });

  test('8. I59: sign out: back at the sign-in page; the cookie kept from before is worthless in another browser', async () => {
    const before = await context.storageState();
    await Promise.all([page.waitForURL(`${origin}/signin`), page.click('form[action="/signout"] button')]);
    await page.goto(`${origin}/`);
    assert.equal(page.url(), `${origin}/signin`);
    const replayed = await browser.newContext({ viewport: { width: 1000, height: 700 }, storageState: before });
    try {
      const seen = await newPage(replayed);
      assert.equal((await replayed.cookies(origin)).length, 1, 'the old cookie is sent');
      await seen.goto(`${origin}/`);
      assert.equal(seen.url(), `${origin}/signin`);
    } finally {
      await replayed.close();
    }
    assert.deepEqual(cspViolations, []);
  });
});
