// protocol §5.20 getSettings (the example's opening tag getSettingsResposne is an erratum: docs/DECISIONS.md).
import { operation } from './types.js';

/** A host name as it goes into a URL: an IPv6 literal in brackets. */
export function urlHost(hostname: string): string {
  return hostname.includes(':') ? `[${hostname}]` : hostname;
}

/** The relay endpoint as applications must call it (protocol §2.1): HTTP, or HTTPS with --relay-tls on. */
export function relayEndpointUrl(hostname: string, relayPort: number, tls: boolean): string {
  return `${tls ? 'https' : 'http'}://${urlHost(hostname)}:${relayPort}/relay`;
}

export const getSettings = operation({
  name: 'getSettings',
  section: '5.20',
  summary: 'Returns the session idle timeout in seconds, the relay URL and the accepted password hash types.',
  access: 'guest',
  input: [],
  output: [
    { name: 'usersSessionsTimeout', doc: 'Idle timeout of sessions, in seconds.' },
    { name: 'relayEndpointUrl', doc: 'URL of the SSO Relay.' },
    { name: 'passwordHash', shape: 'repeated', doc: 'A password hash type createUser and changePassword accept.' },
  ],
  faults: [],
  async handle(_input, { services }) {
    const settings = services.settings.current();
    return Promise.resolve({
      usersSessionsTimeout: String(settings.sessionTimeout),
      relayEndpointUrl: relayEndpointUrl(settings.hostname, services.options.relayPort, services.options.relayTls === 'on'),
      passwordHash: settings.passwordHashTypes,
    });
  },
});
