// 003 §5.20 getSettings (the example's opening tag getSettingsResposne is an erratum: DESIGN.md).
import { LEGACY_HASH_TYPES } from '../domain/passwords.js';
import type { Operation } from './types.js';
import type { Options } from '../config/options.js';

/** The relay endpoint as applications must call it (003 §2.1). */
export function relayEndpointUrl(options: Pick<Options, 'hostname' | 'relayPort'>): string {
  const host = options.hostname.includes(':') ? `[${options.hostname}]` : options.hostname;
  return `http://${host}:${options.relayPort}/relay`;
}

export const getSettings: Operation = {
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
    return Promise.resolve({
      usersSessionsTimeout: String(services.options.sessionTimeout),
      relayEndpointUrl: relayEndpointUrl(services.options),
      passwordHash: LEGACY_HASH_TYPES,
    });
  },
};
