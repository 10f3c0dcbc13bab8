// One command for the whole demonstration: ssod on a temporary data directory, both example
// applications registered with it, and a demo user. `node dist/examples/run.js`; Ctrl-C stops all.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolveOptions } from '../src/config/options.js';
import { createLogger } from '../src/log.js';
import { startServer } from '../src/server/index.js';
import { startDemo } from './lib/demo.js';

const DEMO_USER = { login: 'alice@example.com', password: 'correct horse battery staple' };
// Browsers reach the relay by this name; map it and the applications' names to 127.0.0.1 (README).
const RELAY_HOST = process.env.SSO_RELAY_HOST ?? 'sso.test';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ssod-demo-'));
const soapPort = Number(process.env.SSO_SOAP_PORT ?? 11443);
const relayPort = Number(process.env.SSO_RELAY_PORT ?? 1180);
const server = await startServer(resolveOptions({ flags: { dataDir, soapPort, relayPort, logLevel: 'warn' } }), {
  logger: createLogger('warn', (line) => process.stderr.write(line)),
});
const demo = await startDemo({
  soapUrl: `https://127.0.0.1:${server.soapPort}/soap`,
  ca: server.services.ca.certificatePem,
  relayUrl: `http://${RELAY_HOST}:${server.relayPort}/relay`,
  dir: dataDir,
  demoUser: DEMO_USER,
});

console.log(`ssod       SOAP https://127.0.0.1:${server.soapPort}/soap, relay http://${RELAY_HOST}:${server.relayPort}/relay (data in ${dataDir})
${demo.panel.app.title.padEnd(14)} ${demo.panel.url}
${demo.billing.app.title.padEnd(14)} ${demo.billing.url}
Sign in as ${DEMO_USER.login} / ${DEMO_USER.password}. Ctrl-C stops everything.`);

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await demo.close();
  await server.close();
  rmSync(dataDir, { recursive: true, force: true });
}
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
