// How an example application joins ssod with the SDK: register once (the key+certificate file is
// kept, protocol §5.1), then a client with that certificate and the SsoApp of protocol §2.2.
import { SsoApp, SsoClient, register, type SignInAt } from '../../src/client/index.js';
import type { ExampleApp } from './app.js';

export interface SsoSettings {
  /** `https://HOST:PORT/soap` of ssod. */
  readonly soapUrl: string;
  /** PEM of ssod's CA. */
  readonly ca: string;
  /** The relay as browsers reach it; by default the one getSettings reports. */
  readonly relayUrl?: string;
  /** Where visitors sign in: the application's own login page (default) or ssod's sign-in page. */
  readonly signInAt?: SignInAt;
  /** Verify with ssox:verifySession: the user carries the session variables of the group (docs/groups.md). */
  readonly sessionVariables?: boolean;
}

/** SSO_SIGN_IN_AT=ssod: the applications send visitors to ssod's sign-in page instead of their own. */
export function signInAtFromEnvironment(): { signInAt?: SignInAt } {
  const value = process.env.SSO_SIGN_IN_AT;
  if (value === undefined || value === '') return {};
  if (value !== 'ssod' && value !== 'application') throw new Error('SSO_SIGN_IN_AT is ssod or application');
  return { signInAt: value };
}

export interface Joined {
  readonly applicationId: string;
  readonly client: SsoClient;
  readonly sso: SsoApp;
}

export async function joinSso(app: ExampleApp, appUrl: string, certFile: string, settings: SsoSettings): Promise<Joined> {
  const { applicationId, identity } = await register({
    soapUrl: settings.soapUrl,
    ca: settings.ca,
    file: certFile,
    application: { name: app.name, displayName: app.title, version: '1.0', url: appUrl },
  });
  const client = new SsoClient({ soapUrl: settings.soapUrl, ca: settings.ca, identity });
  const sso = new SsoApp({
    client,
    appUrl,
    cookieName: `${app.name}_session`,
    ...(settings.relayUrl === undefined ? {} : { relayUrl: settings.relayUrl }),
    ...(settings.signInAt === undefined ? {} : { signInAt: settings.signInAt }),
    ...(settings.sessionVariables === true ? { sessionVariables: true } : {}),
  });
  return { applicationId, client, sso };
}
