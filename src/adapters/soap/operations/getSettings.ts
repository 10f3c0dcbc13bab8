// protocol §5.20 getSettings (the example's opening tag getSettingsResposne is an erratum: docs/DECISIONS.md).
import { relayEndpointUrl } from '../../../core/urls.js';
import { operation } from './types.js';

// Declared with the other URL rules (the relay's pass-through decides with them too); named here as before.
export { relayEndpointUrl, urlHost } from '../../../core/urls.js';

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
