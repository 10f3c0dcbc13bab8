// Runs one example application on its own, against an ssod that is already running:
//   SSO_SOAP_URL=https://127.0.0.1:11443/soap SSO_CA_FILE=data/ca.crt node dist/examples/panel/app.js
// Optional: SSO_RELAY_URL (default: what getSettings reports), APP_CERT_FILE (default ./NAME.pem,
// created by the first run), PORT (default the application's own), SSO_SIGN_IN_AT=ssod (visitors sign
// in at ssod's sign-in page instead of the application's own).
import { readFileSync } from 'node:fs';
import { listenExampleApp, type ExampleApp } from './app.js';
import { joinSso, signInAtFromEnvironment } from './join.js';

function required(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`set ${name}`);
  return value;
}

export async function runStandalone(app: ExampleApp): Promise<void> {
  const running = await listenExampleApp(app, Number(process.env.PORT ?? app.port));
  const relayUrl = process.env.SSO_RELAY_URL;
  const { client, sso } = await joinSso(app, running.url, process.env.APP_CERT_FILE ?? `${app.name}.pem`, {
    soapUrl: required('SSO_SOAP_URL'),
    ca: readFileSync(required('SSO_CA_FILE'), 'utf8'),
    ...(relayUrl === undefined ? {} : { relayUrl }),
    ...signInAtFromEnvironment(),
  });
  running.attach(sso);
  console.log(`${app.title}: ${running.url}`);
  const stop = (): void => {
    client.close();
    void running.close();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
