// Headless Chromium for the browser tests (test/e2e): Debian's chromium driven by playwright-core,
// the test's host names mapped to 127.0.0.1, the folder the screenshots are kept in, and the
// example applications joined to an ssod in process.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { SignInAt } from '../../src/client/index.js';
import { startDemo, type Demo } from '../../examples/lib/demo.js';
import { demoOperator } from '../../examples/lib/operator.js';
import { startTestServer, type TestServer } from './server.js';
import { CHROMIUM, TOOLS, skipWithout } from './tools.js';

export { CHROMIUM };

/** The skip of a browser test: skipped without chromium when run alone, failed under `npm test` or CI (helpers/tools.ts). */
export const skipWithoutChromium: string | false = skipWithout([TOOLS.chromium]);

// From DIST/test/helpers/ up to the repository, whichever dist folder this was compiled into.
export const ARTIFACTS = fileURLToPath(new URL('../../../test-artifacts/e2e/', import.meta.url));

/**
 * Chromium with each host name resolving to 127.0.0.1, and nothing of its own going out;
 * `extraArgs` adds switches (`--ignore-certificate-errors` for servers with a test CA's certificates).
 */
export async function launchChromium(hosts: readonly string[], extraArgs: readonly string[] = []): Promise<Browser> {
  if (!TOOLS.chromium.present())
    throw new Error(`chromium is missing at ${CHROMIUM}: sudo apt-get install -y chromium (npm test installs it)`);
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
      ...extraArgs,
    ],
  });
}

/** A screenshot of the whole page, kept as test-artifacts/e2e/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** ssod in process with both example applications joined to it (as one application group with `group`), for a browser that reaches the relay by a host name. */
export interface BrowserDemo {
  readonly ts: TestServer;
  readonly demo: Demo;
  /** `http://<relay host>:<port>`, as the browser reaches the relay listener. */
  readonly relayOrigin: string;
  close(): Promise<void>;
}

export async function startBrowserDemo(
  relayHost: string,
  user: { readonly login: string; readonly password: string },
  options: {
    readonly server?: Parameters<typeof startTestServer>[0];
    readonly signInAt?: SignInAt;
    /** Panel and billing as one application group of this name (examples/lib/demo.ts). */
    readonly group?: string;
  } = {},
): Promise<BrowserDemo> {
  const ts = await startTestServer(options.server);
  const relayOrigin = `http://${relayHost}:${ts.relayPort}`;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ssod-e2e-'));
  const close = async (demo?: Demo): Promise<void> => {
    await demo?.close();
    await ts.close();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const demo = await startDemo({
      soapUrl: `https://127.0.0.1:${ts.soapPort}/soap`,
      ca: ts.caPem,
      relayUrl: `${relayOrigin}/relay`,
      dir,
      ports: { panel: 0, billing: 0 },
      demoUser: user,
      ...(options.signInAt === undefined ? {} : { signInAt: options.signInAt }),
      ...(options.group === undefined ? {} : { group: { name: options.group, operator: demoOperator(ts.server.services) } }),
    });
    return { ts, demo, relayOrigin, close: () => close(demo) };
  } catch (error) {
    await close();
    throw error;
  }
}
