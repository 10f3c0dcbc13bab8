// The demonstration across DNS domains (docs/tickets.md): billing moves to a second domain and is
// its own ticket receiver (the SDK's TicketReceiver), and a help desk that knows nothing of single
// sign-on sits in a third domain behind `ssod receiver`. The HTTPS servers there have certificates of
// a throwaway CA (demoCa.ts); ssod trusts it for the back-channel logout.
import { createServer, type LookupFunction } from 'node:net';
import path from 'node:path';
import { TicketReceiver } from '../../src/client/index.js';
import { startReceiver, type RunningReceiver } from '../../src/receiver/server.js';
import { BILLING } from '../billing/app.js';
import { HELPDESK, listenHelpdesk, type RunningHelpdesk } from '../helpdesk/app.js';
import type { ExampleApp } from './app.js';
import type { DemoCa } from './demoCa.js';

/** Billing in its own DNS domain, over HTTPS. */
export const BILLING_ELSEWHERE: ExampleApp = { ...BILLING, host: 'billing.example.de.test', port: 8443 };
export const BILLING_DOMAIN = 'example.de.test';
export const HELPDESK_DOMAIN = 'example.fr.test';
/** The path of the receivers' endpoints, on each receiver's host. */
const RECEIVER_PATH = '/.ssod/';

/**
 * Every host name on the loopback address: the demonstration runs every domain on this machine, so
 * ssod reaches the receivers' back-channel logout there (the browser maps the names the same way).
 */
export const loopbackLookup: LookupFunction = (_hostname, options, callback) => {
  if (options.all === true) callback(null, [{ address: '127.0.0.1', family: 4 }]);
  else callback(null, '127.0.0.1', 4);
};

/** A receiver as the operator adds it to ssod (`ssod receivers add NAME --domain D --url U --ca-file F`). */
export interface ReceiverToAdd {
  readonly name: string;
  readonly domain: string;
  readonly url: string;
  readonly caPem: string;
}

export interface OtherDomains {
  /** The throwaway CA of the HTTPS servers in the other domains. */
  readonly ca: DemoCa;
  /** ssod's key set over HTTPS (the SOAP listener's /tickets/keys), and ssod's CA to trust it with. */
  readonly keysUrl: string;
  /** Ports of billing, of the help desk's `ssod receiver` and of the help desk itself; 0 for any free ones. */
  readonly ports: { readonly billing: number; readonly helpdeskReceiver: number; readonly helpdesk: number };
  /** Tells ssod of a receiver, as the operator does with `ssod receivers add`. */
  addReceiver(receiver: ReceiverToAdd): Promise<void>;
}

export interface RunningHelpdeskDomain {
  readonly url: string;
  close(): Promise<void>;
}

/** A free port on 127.0.0.1 now: the receiver must know its public origin, port included, before it listens. */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => resolve());
  });
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Billing's own receiver: its endpoints at /.ssod/ on billing's origin, the key set from ssod. */
export function billingReceiver(billingUrl: string, relayUrl: string, ssodCa: string, keysUrl: string, signInUrl: string): TicketReceiver {
  return new TicketReceiver({
    issuer: relayUrl,
    domain: BILLING_DOMAIN,
    name: 'billing',
    publicOrigin: new URL(billingUrl).origin,
    keysUrl,
    ca: ssodCa,
    signInUrl,
  });
}

/** The help desk and `ssod receiver` in front of it, in the third domain; the receiver is added to ssod. */
export async function startHelpdeskDomain(
  domains: OtherDomains,
  settings: { readonly relayUrl: string; readonly ssodCa: string; readonly dir: string; readonly signInUrl: string },
): Promise<RunningHelpdeskDomain> {
  const helpdesk: RunningHelpdesk = await listenHelpdesk(domains.ports.helpdesk, settings.signInUrl);
  let receiver: RunningReceiver | null = null;
  try {
    const port = domains.ports.helpdeskReceiver === 0 ? await freePort() : domains.ports.helpdeskReceiver;
    const origin = `https://${HELPDESK.host}:${port}`;
    const tls = await domains.ca.issueServer([HELPDESK.host]);
    receiver = await startReceiver(
      {
        name: 'helpdesk',
        domain: HELPDESK_DOMAIN,
        ssodUrl: settings.relayUrl,
        publicOrigin: origin,
        keysUrl: domains.keysUrl,
        caPem: settings.ssodCa,
        tlsCert: tls.cert,
        tlsKey: tls.key,
        bind: '127.0.0.1',
        port,
        stateDir: path.join(settings.dir, 'helpdesk-receiver'),
        upstream: new URL(helpdesk.upstream),
        allowNext: [],
        requireUser: false,
      },
      { info: () => undefined, warn: (message) => process.stderr.write(`helpdesk receiver: ${message}\n`) },
    );
    await domains.addReceiver({ name: 'helpdesk', domain: HELPDESK_DOMAIN, url: `${origin}${RECEIVER_PATH}`, caPem: domains.ca.caPem });
    const running = receiver;
    return {
      url: `${origin}/`,
      async close() {
        await running.stop();
        await helpdesk.close();
      },
    };
  } catch (error) {
    await receiver?.stop();
    await helpdesk.close();
    throw error;
  }
}

/** Billing's receiver as ssod knows it. */
export function billingReceiverToAdd(billingUrl: string, ca: DemoCa): ReceiverToAdd {
  return { name: 'billing', domain: BILLING_DOMAIN, url: new URL(RECEIVER_PATH, billingUrl).href, caPem: ca.caPem };
}
