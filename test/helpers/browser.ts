// Headless Chromium for the browser tests (test/e2e): Debian's chromium driven by playwright-core,
// the test's host names mapped to 127.0.0.1, and the folder the screenshots are kept in.
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

// Debian's chromium; CHROMIUM_PATH points elsewhere (and shows what happens when it is missing).
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const haveChromium = existsSync(CHROMIUM);

// On CI a missing browser is a broken environment, not a reason to skip the proof.
export const skipWithoutChromium: string | false =
  !haveChromium && process.env.CI === undefined ? `chromium not installed at ${CHROMIUM}: browser test skipped` : false;

// From DIST/test/helpers/ up to the repository, whichever dist folder this was compiled into.
export const ARTIFACTS = fileURLToPath(new URL('../../../test-artifacts/e2e/', import.meta.url));

/** Chromium with each host name resolving to 127.0.0.1, and nothing of its own going out. */
export async function launchChromium(hosts: readonly string[]): Promise<Browser> {
  if (!haveChromium) throw new Error(`chromium is required on CI (${CHROMIUM})`);
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      `--host-resolver-rules=${hosts.map((host) => `MAP ${host} 127.0.0.1`).join(', ')}`,
    ],
  });
}

/** A screenshot of the whole page, kept as test-artifacts/e2e/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}
