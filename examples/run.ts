// One command for the whole demonstration: ssod on a temporary data directory, both example
// applications registered with it (billing in a DNS domain of its own, where it is its own ticket
// receiver), a help desk in a third domain behind `ssod receiver`, and a demo user.
// `node dist/examples/run.js`; Ctrl-C stops all. With DEMO_LAYOUT=group, billing is on
// http://billing.test instead and both applications are one application group sharing the session
// variable `customer` (docs/groups.md).
// Whatever ends it (Ctrl-C, SIGTERM, a port already taken, any error), the temporary directory,
// which holds a CA key, is removed, and a failure is one line that says what to do.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolveOptions } from '../src/config/options.js';
import { createLogger } from '../src/infra/log.js';
import { startServer, type RunningServer } from '../src/app/server.js';
import { addReceiver } from '../src/core/operator/tickets.js';
import { BILLING } from './billing/app.js';
import { openDemoCa } from './lib/demoCa.js';
import { startDemo, type Demo, type DemoOptions } from './lib/demo.js';
import { BILLING_DOMAIN, BILLING_ELSEWHERE, HELPDESK_DOMAIN, loopbackLookup } from './lib/domains.js';
import { signInAtFromEnvironment } from './lib/join.js';
import { demoOperator } from './lib/operator.js';
import { PANEL } from './panel/app.js';

const DEMO_USER = { login: 'alice@example.com', password: 'correct horse battery staple' };
// Browsers reach the relay by this name; map it and the applications' names to 127.0.0.1 (README).
const RELAY_HOST = process.env.SSO_RELAY_HOST ?? 'sso.test';
/** `domains` (the default): billing in a DNS domain of its own; `group`: billing on billing.test, one application group with the panel. */
const LAYOUT = process.env.DEMO_LAYOUT ?? 'domains';
const GROUP = 'hosting';

/** Each port, by the environment variable that changes it. */
const PORTS = {
  SSO_SOAP_PORT: Number(process.env.SSO_SOAP_PORT ?? 11443),
  SSO_RELAY_PORT: Number(process.env.SSO_RELAY_PORT ?? 1180),
  PANEL_PORT: Number(process.env.PANEL_PORT ?? PANEL.port),
  BILLING_PORT: Number(process.env.BILLING_PORT ?? (LAYOUT === 'group' ? BILLING : BILLING_ELSEWHERE).port),
  HELPDESK_PORT: Number(process.env.HELPDESK_PORT ?? 8444),
  HELPDESK_UPSTREAM_PORT: Number(process.env.HELPDESK_UPSTREAM_PORT ?? 8083),
};

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ssod-demo-'));
// The last word on every way out but SIGKILL: nothing of the demonstration stays behind.
process.on('exit', () => rmSync(dataDir, { recursive: true, force: true }));

let server: RunningServer | undefined;
let demo: Demo | undefined;
// Widened: stop() sets it from a signal handler at any await, which narrowing cannot follow.
let stopping = false as boolean;

async function stop(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  try {
    await demo?.close();
    await server?.close();
  } finally {
    process.exit(code);
  }
}

/** The one line a failure prints: a taken port names its variable; anything else its message, no stack. */
function failureMessage(error: unknown): string {
  const { code, port } = error as NodeJS.ErrnoException & { port?: number };
  const variable = Object.entries(PORTS).find(([, value]) => value === port)?.[0] ?? 'its variable';
  if (code === 'EADDRINUSE') {
    return `examples/run: port ${port} is in use; stop what listens there (a quick-start \`ssod serve\` still running?) or set ${variable} to a free port`;
  }
  if (code === 'EACCES') return `examples/run: port ${port} is not allowed for this user; set ${variable} to a port above 1023`;
  return `examples/run: ${error instanceof Error ? error.message : String(error)}`;
}

function fail(error: unknown): void {
  if (stopping) return;
  process.stderr.write(failureMessage(error) + '\n');
  void stop(1);
}

process.once('SIGINT', () => void stop(0));
process.once('SIGTERM', () => void stop(0));
process.on('uncaughtException', fail);
process.on('unhandledRejection', fail);

/** What the chosen layout adds to the demonstration: the other domains, or the group the operator forms. */
async function layoutOf(running: RunningServer): Promise<Pick<DemoOptions, 'otherDomains' | 'group'>> {
  const services = running.services;
  if (LAYOUT === 'group') return { group: { name: GROUP, operator: demoOperator(services) } };
  if (LAYOUT !== 'domains') throw new Error('DEMO_LAYOUT is domains or group');
  return {
    otherDomains: {
      ca: await openDemoCa(),
      keysUrl: `https://127.0.0.1:${running.soapPort}/tickets/keys`,
      ports: { billing: PORTS.BILLING_PORT, helpdeskReceiver: PORTS.HELPDESK_PORT, helpdesk: PORTS.HELPDESK_UPSTREAM_PORT },
      addReceiver: async (receiver) => {
        await addReceiver(services, receiver);
      },
    },
  };
}

function billingLine(running: Demo): string {
  const title = running.billing.app.title.padEnd(14);
  if (running.group !== null)
    return `${title} ${running.billing.url} (with the panel, group ${running.group.name}: the shared session variable customer)`;
  return `${title} ${running.billing.url} (its own ticket receiver for ${BILLING_DOMAIN})
${'Help Desk'.padEnd(14)} ${running.helpdesk?.url ?? '-'} (behind \`ssod receiver\` for ${HELPDESK_DOMAIN})
The HTTPS pages have certificates of a throwaway CA: accept the browser's warning (examples/README.md).`;
}

try {
  // The host name is the relay's, so that the tickets' issuer is the relay URL the browser and the receivers use.
  server = await startServer(
    resolveOptions({
      flags: { dataDir, hostname: RELAY_HOST, soapPort: PORTS.SSO_SOAP_PORT, relayPort: PORTS.SSO_RELAY_PORT, logLevel: 'warn' },
    }),
    { logger: createLogger('warn', (line) => process.stderr.write(line)), receiverLookup: loopbackLookup },
  );
  demo = await startDemo({
    soapUrl: `https://127.0.0.1:${server.soapPort}/soap`,
    ca: server.services.ca.certificatePem,
    relayUrl: `http://${RELAY_HOST}:${server.relayPort}/relay`,
    dir: dataDir,
    ports: { panel: PORTS.PANEL_PORT, billing: PORTS.BILLING_PORT },
    demoUser: DEMO_USER,
    ...signInAtFromEnvironment(),
    ...(await layoutOf(server)),
  });
} catch (error) {
  fail(error);
}

if (!stopping && server !== undefined && demo !== undefined) {
  console.log(`ssod       SOAP https://127.0.0.1:${server.soapPort}/soap, relay http://${RELAY_HOST}:${server.relayPort}/relay (data in ${dataDir})
${demo.panel.app.title.padEnd(14)} ${demo.panel.url}
${billingLine(demo)}
Sign in as ${DEMO_USER.login} / ${DEMO_USER.password}. Ctrl-C stops everything.`);
}
