// Both example applications side by side, joined to one ssod, each linking to the other: what
// run.ts launches and what the browser test drives.
import path from 'node:path';
import { isFault } from '../../src/client/index.js';
import { BILLING } from '../billing/app.js';
import { PANEL } from '../panel/app.js';
import { listenExampleApp, type ExampleApp } from './app.js';
import { joinSso, type Joined, type SsoSettings } from './join.js';

export interface DemoOptions extends SsoSettings {
  /** Where the applications keep their key+certificate files. */
  readonly dir: string;
  /** 0 for any free ports (tests); the applications' own ports by default. */
  readonly ports?: { readonly panel: number; readonly billing: number };
  /** A user to create (owned by the panel) unless it exists. */
  readonly demoUser?: { readonly login: string; readonly password: string };
}

export interface DemoApp extends Joined {
  readonly app: ExampleApp;
  readonly url: string;
}

export interface Demo {
  readonly panel: DemoApp;
  readonly billing: DemoApp;
  close(): Promise<void>;
}

export async function startDemo(options: DemoOptions): Promise<Demo> {
  const listening = await Promise.all([
    listenExampleApp(PANEL, options.ports?.panel ?? PANEL.port),
    listenExampleApp(BILLING, options.ports?.billing ?? BILLING.port),
  ]);
  const [panelServer, billingServer] = listening;
  const joined: Joined[] = [];
  try {
    const panel = await joinSso(PANEL, panelServer.url, path.join(options.dir, 'panel.pem'), options);
    joined.push(panel);
    const billing = await joinSso(BILLING, billingServer.url, path.join(options.dir, 'billing.pem'), options);
    joined.push(billing);
    panelServer.attach(panel.sso, [{ title: BILLING.title, url: billingServer.url }]);
    billingServer.attach(billing.sso, [{ title: PANEL.title, url: panelServer.url }]);
    if (options.demoUser !== undefined) {
      await panel.client.createUser(options.demoUser).catch((error: unknown) => {
        if (!isFault(error, 'duplicateLogin')) throw error;
      });
    }
    return {
      panel: { ...panel, app: PANEL, url: panelServer.url },
      billing: { ...billing, app: BILLING, url: billingServer.url },
      async close() {
        for (const { client } of joined) client.close();
        await Promise.all(listening.map((server) => server.close()));
      },
    };
  } catch (error) {
    for (const { client } of joined) client.close();
    await Promise.all(listening.map((server) => server.close()));
    throw error;
  }
}
