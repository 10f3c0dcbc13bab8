// Both example applications side by side, joined to one ssod, each linking to the other: what
// run.ts launches and what the browser tests drive. With `otherDomains`, billing is in a DNS domain of
// its own and knows the user from the domain's signed logon ticket, and a help desk in a third domain
// sits behind `ssod receiver` (domains.ts, docs/tickets.md).
import path from 'node:path';
import { isFault, signInPageUrl, type TicketReceiver } from '../../src/client/index.js';
import { BILLING } from '../billing/app.js';
import { HELPDESK } from '../helpdesk/app.js';
import { PANEL } from '../panel/app.js';
import { listenExampleApp, type ExampleApp, type Neighbour } from './app.js';
import {
  BILLING_ELSEWHERE,
  billingReceiver,
  billingReceiverToAdd,
  startHelpdeskDomain,
  type OtherDomains,
  type RunningHelpdeskDomain,
} from './domains.js';
import { joinSso, type Joined, type SsoSettings } from './join.js';

export interface DemoOptions extends SsoSettings {
  /** Where the applications keep their key+certificate files. */
  readonly dir: string;
  /** 0 for any free ports (tests); the applications' own ports by default. */
  readonly ports?: { readonly panel: number; readonly billing: number };
  /** A user to create (owned by the panel) unless it exists. */
  readonly demoUser?: { readonly login: string; readonly password: string };
  /** Billing in a DNS domain of its own, and the help desk in a third one (needs `relayUrl`). */
  readonly otherDomains?: OtherDomains;
}

export interface DemoApp extends Joined {
  readonly app: ExampleApp;
  readonly url: string;
}

export interface Demo {
  readonly panel: DemoApp;
  readonly billing: DemoApp;
  /** The help desk behind `ssod receiver`, with `otherDomains`. */
  readonly helpdesk: { readonly title: string; readonly url: string } | null;
  close(): Promise<void>;
}

export async function startDemo(options: DemoOptions): Promise<Demo> {
  const domains = options.otherDomains ?? null;
  const billingApp = domains === null ? BILLING : BILLING_ELSEWHERE;
  const billingTls = domains === null ? null : await domains.ca.issueServer([billingApp.host]);
  const listening = await Promise.all([
    listenExampleApp(PANEL, options.ports?.panel ?? PANEL.port),
    listenExampleApp(billingApp, domains?.ports.billing ?? options.ports?.billing ?? billingApp.port, billingTls),
  ]);
  const [panelServer, billingServer] = listening;
  const joined: Joined[] = [];
  let helpdesk: RunningHelpdeskDomain | null = null;
  let tickets: TicketReceiver | null = null;
  const closeAll = async (): Promise<void> => {
    for (const { client } of joined) client.close();
    await helpdesk?.close();
    await tickets?.close();
    await Promise.all(listening.map((server) => server.close()));
  };
  try {
    const panel = await joinSso(PANEL, panelServer.url, path.join(options.dir, 'panel.pem'), options);
    joined.push(panel);
    const billing = await joinSso(billingApp, billingServer.url, path.join(options.dir, 'billing.pem'), {
      ...options,
      ...(domains === null ? {} : { signInAt: 'ssod' as const }),
    });
    joined.push(billing);
    const panelNeighbours: Neighbour[] = [{ title: billingApp.title, url: billingServer.url }];
    const billingNeighbours: Neighbour[] = [{ title: PANEL.title, url: panelServer.url }];
    if (domains !== null) {
      if (options.relayUrl === undefined) throw new Error('the demonstration across domains needs the relay URL');
      tickets = billingReceiver(
        billingServer.url,
        options.relayUrl,
        options.ca,
        domains.keysUrl,
        signInPageUrl(options.relayUrl, billingServer.url),
      );
      await domains.addReceiver(billingReceiverToAdd(billingServer.url, domains.ca));
      helpdesk = await startHelpdeskDomain(domains, {
        relayUrl: options.relayUrl,
        ssodCa: options.ca,
        dir: options.dir,
        signInUrl: panelServer.url,
      });
      panelNeighbours.push({ title: HELPDESK.title, url: helpdesk.url });
      billingNeighbours.push({ title: HELPDESK.title, url: helpdesk.url });
    }
    panelServer.attach(panel.sso, panelNeighbours);
    billingServer.attach(billing.sso, billingNeighbours, tickets);
    if (options.demoUser !== undefined) {
      await panel.client.createUser(options.demoUser).catch((error: unknown) => {
        if (!isFault(error, 'duplicateLogin')) throw error;
      });
    }
    return {
      panel: { ...panel, app: PANEL, url: panelServer.url },
      billing: { ...billing, app: billingApp, url: billingServer.url },
      helpdesk: helpdesk === null ? null : { title: HELPDESK.title, url: helpdesk.url },
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
