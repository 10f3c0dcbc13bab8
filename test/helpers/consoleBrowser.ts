// The admin console's pages in headless Chromium (docs/admin-console.md): an ssod with its console,
// one administrator (added through the core as `ssod admins add` adds it) signed in with the password
// and the current TOTP code through the sign-in form, and what every page test needs: a page that
// records CSP violations, screenshots, axe-core's serious violations of a page, the page at a phone's
// width, and the command line against the same installation.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { OptionName } from '../../src/config/options.js';
import { ADMIN_PASSWORD, addTestAdmin, startConsoleServer, totpCode } from './adminConsole.js';
import { launchChromium, screenshot } from './browser.js';
import { runCli, type CliResult } from './cli.js';
import type { TestServer } from './server.js';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

export interface AxeViolation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly nodes: readonly { readonly target: readonly string[] }[];
}

export const ADMIN_NAME = 'root';

export interface ConsoleInBrowser {
  readonly ts: TestServer & { adminPort: number };
  readonly browser: Browser;
  /** The signed-in administrator's browser context (1000×700, English). */
  readonly context: BrowserContext;
  /** A page of that context, at the overview after sign-in. */
  readonly page: Page;
  /** `https://127.0.0.1:PORT`. */
  readonly origin: string;
  /** Every CSP violation any page reported: a test ends by asserting there is none. */
  readonly cspViolations: string[];
  /** Goes to a path of the console and waits for the page. */
  visit(path: string, on?: Page): Promise<void>;
  /** Clicks and waits for the navigation the click starts (a link, a form's button). */
  clickAndWait(selector: string, on?: Page): Promise<void>;
  /** A screenshot kept as test-artifacts/e2e/<name>.png. */
  shot(name: string, on?: Page): Promise<void>;
  /** axe-core's serious and critical violations on `path` (in a context without CSP, with the same session). */
  seriousViolations(path: string): Promise<AxeViolation[]>;
  /** `path` at a phone's width (360×740) with the same session: the page, and whether it fits without scrolling sideways. */
  atPhoneWidth(path: string, shotName: string): Promise<{ readonly fits: boolean; readonly scrollWidth: number }>;
  /** `ssod ARGS --data-dir DIR` against the same installation. */
  cli(args: readonly string[], input?: string): Promise<CliResult>;
  close(): Promise<void>;
}

/** A page that records the CSP violations it reports. */
async function recordingPage(context: BrowserContext, violations: string[]): Promise<Page> {
  const page = await context.newPage();
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
  });
  return page;
}

/** Starts ssod with its console and signs an administrator in through the sign-in form. */
export async function openConsoleInBrowser(overrides: Partial<Record<OptionName, string | number>> = {}): Promise<ConsoleInBrowser> {
  const ts = await startConsoleServer(overrides);
  const cspViolations: string[] = [];
  let browser: Browser | null = null;
  try {
    const factor = await addTestAdmin(ts, ADMIN_NAME);
    const origin = `https://127.0.0.1:${ts.adminPort}`;
    // ssod's CA is not one the browser trusts: the test accepts its certificate as an operator would once.
    browser = await launchChromium([], ['--ignore-certificate-errors']);
    const context = await browser.newContext({ viewport: { width: 1000, height: 700 }, locale: 'en-US' });
    const page = await recordingPage(context, cspViolations);
    await page.goto(`${origin}/signin`);
    await page.fill('#name', ADMIN_NAME);
    await page.fill('#password', ADMIN_PASSWORD);
    await page.fill('#code', totpCode(factor.secret, Date.now()));
    await Promise.all([page.waitForURL(`${origin}/`), page.click('form[action="/signin"] button[type=submit]')]);
    const opened = browser;
    return {
      ts,
      browser: opened,
      context,
      page,
      origin,
      cspViolations,
      async visit(path, on = page) {
        await on.goto(`${origin}${path}`);
      },
      async clickAndWait(selector, on = page) {
        await Promise.all([on.waitForEvent('load'), on.click(selector)]);
      },
      shot: (name, on = page) => screenshot(on, name),
      async seriousViolations(path) {
        const audited = await opened.newContext({
          viewport: { width: 1000, height: 700 },
          bypassCSP: true,
          storageState: await context.storageState(),
        });
        try {
          const seen = await audited.newPage();
          await seen.goto(`${origin}${path}`);
          assert.equal(new URL(seen.url()).pathname, path.split('?', 1)[0], 'still signed in');
          await seen.addScriptTag({ path: AXE });
          const violations = await seen.evaluate<AxeViolation[]>('axe.run(document).then((result) => result.violations)');
          return violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical');
        } finally {
          await audited.close();
        }
      },
      async atPhoneWidth(path, shotName) {
        const phone = await opened.newContext({ viewport: { width: 360, height: 740 }, storageState: await context.storageState() });
        try {
          const seen = await recordingPage(phone, cspViolations);
          await seen.goto(`${origin}${path}`);
          const scrollWidth = await seen.evaluate<number>('document.documentElement.scrollWidth');
          await screenshot(seen, shotName);
          return { fits: scrollWidth <= 360, scrollWidth };
        } finally {
          await phone.close();
        }
      },
      cli(args, input) {
        // The installation's flag goes before a `--` (after it, everything is an argument).
        const end = args.indexOf('--');
        const withDir =
          end === -1 ? [...args, '--data-dir', ts.dataDir] : [...args.slice(0, end), '--data-dir', ts.dataDir, ...args.slice(end)];
        return runCli(withDir, input === undefined ? {} : { input });
      },
      async close() {
        await opened.close();
        await ts.close();
      },
    };
  } catch (error) {
    await browser?.close();
    await ts.close();
    throw error;
  }
}
