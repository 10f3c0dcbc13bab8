// Both example applications side by side, joined to one ssod, each linking to the other: what
// run.ts launches and what the browser tests drive. With `group`, they are one application group
// (docs/groups.md): panel the user provider, billing a subscriber, sharing the session variable
// `customer` that panel's On Session Start callback sets. With `otherDomains`, billing is in a DNS
// domain of its own and knows the user from the domain's signed logon ticket, and a help desk in a
// third domain sits behind `ssod receiver` (domains.ts, docs/tickets.md).
import path from 'node:path';
import { isFault, signInPageUrl, type TicketReceiver } from '../../src/client/index.js';
import { BILLING } from '../billing/app.js';
import { HELPDESK } from '../helpdesk/app.js';
import { PANEL } from '../panel/app.js';
import { CUSTOMER, listenSessionStart, type RunningSessionStart } from '../panel/sessionStart.js';
import { listenExampleApp, type ExampleApp, type Neighbour, type SharedVariable } from './app.js';
import { openDemoCa, type DemoCa } from './demoCa.js';
import {
  BILLING_ELSEWHERE,
  billingReceiver,
  billingReceiverToAdd,
  startHelpdeskDomain,
  type OtherDomains,
  type RunningHelpdeskDomain,
} from './domains.js';
import { joinSso, type Joined, type SsoSettings } from './join.js';
import type { DemoOperator } from './operator.js';

/** Panel and billing as one application group, formed by the operator. */
export interface DemoGroup {
  readonly name: string;
  readonly operator: DemoOperator;
  /** The CA of the certificate of panel's callback endpoint (ssod is told to trust it); a new one by default. */
  readonly ca?: DemoCa;
}

export interface DemoOptions extends SsoSettings {
  /** Where the applications keep their key+certificate files. */
  readonly dir: string;
  /** 0 for any free ports (tests); the applications' own ports by default. */
  readonly ports?: { readonly panel: number; readonly billing: number };
  /** A user to create (owned by the panel) unless it exists. */
  readonly demoUser?: { readonly login: string; readonly password: string };
  /** Billing in a DNS domain of its own, and the help desk in a third one (needs `relayUrl`). */
  readonly otherDomains?: OtherDomains;
  /** Panel and billing as one application group (not with `otherDomains`, where billing knows the user from its ticket). */
  readonly group?: DemoGroup;
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
  /** With `group`: its name and the URL of panel's On Session Start callback. */
  readonly group: { readonly name: string; readonly callbackUrl: string } | null;
  close(): Promise<void>;
}

/**
 * The group as the operator and panel make it: panel declares `customer` and serves its callback over
 * HTTPS, the operator registers the callback (trusting the endpoint's CA) and forms the group.
 */
async function formGroup(group: DemoGroup, panel: Joined, billing: Joined, options: DemoOptions): Promise<RunningSessionStart> {
  await panel.client.declareSessionVariable(CUSTOMER);
  const ca = group.ca ?? (await openDemoCa());
  const callback = await listenSessionStart({
    tls: ca.loopback,
    keysUrl: new URL('/tickets/keys', options.soapUrl).href,
    ssodCa: options.ca,
    applicationId: panel.applicationId,
    issuer: (await panel.client.getSettings()).relayEndpointUrl,
  });
  try {
    await group.operator.setSessionStartCallback(panel.applicationId, callback.url, ca.caPem);
    await group.operator.formGroup(group.name, panel.applicationId, [billing.applicationId]);
    return callback;
  } catch (error) {
    await callback.close();
    throw error;
  }
}

export async function startDemo(options: DemoOptions): Promise<Demo> {
  const domains = options.otherDomains ?? null;
  const group = options.group ?? null;
  if (group !== null && domains !== null)
    throw new Error('the application group is shown with billing on http://billing.test, not across domains');
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
  let callback: RunningSessionStart | null = null;
  const closeAll = async (): Promise<void> => {
    for (const { client } of joined) client.close();
    await callback?.close();
    await helpdesk?.close();
    await tickets?.close();
    await Promise.all(listening.map((server) => server.close()));
  };
  try {
    const settings = { ...options, sessionVariables: group !== null };
    const panel = await joinSso(PANEL, panelServer.url, path.join(options.dir, 'panel.pem'), settings);
    joined.push(panel);
    const billing = await joinSso(billingApp, billingServer.url, path.join(options.dir, 'billing.pem'), {
      ...settings,
      ...(domains === null ? {} : { signInAt: 'ssod' as const }),
    });
    joined.push(billing);
    let shared: SharedVariable | null = null;
    if (group !== null) {
      callback = await formGroup(group, panel, billing, options);
      shared = { owner: panel.applicationId, name: CUSTOMER.name, label: 'customer account', editable: false };
    }
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
    panelServer.attach(panel.sso, panelNeighbours, null, shared);
    billingServer.attach(billing.sso, billingNeighbours, tickets, shared === null ? null : { ...shared, editable: true });
    if (options.demoUser !== undefined) {
      await panel.client.createUser(options.demoUser).catch((error: unknown) => {
        if (!isFault(error, 'duplicateLogin')) throw error;
      });
    }
    return {
      panel: { ...panel, app: PANEL, url: panelServer.url },
      billing: { ...billing, app: billingApp, url: billingServer.url },
      helpdesk: helpdesk === null ? null : { title: HELPDESK.title, url: helpdesk.url },
      group: group === null || callback === null ? null : { name: group.name, callbackUrl: callback.url },
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
