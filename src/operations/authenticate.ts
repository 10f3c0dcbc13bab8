// 003 §5.17 authenticate: checks a password (or the owner vouches without one) and, with a
// baseUrl, starts a global session with its local session for baseUrl and a relay token.
import { startSession } from '../domain/sessions.js';
import { checkPassword } from '../domain/users.js';
import { ProtocolFault } from '../faults.js';
import { loginField, passwordMaxLength, userIdField } from './fields.js';
import { userByLoginOrId } from './getRestorePasswordUrl.js';
import type { Operation } from './types.js';

export const authenticate: Operation = {
  name: 'authenticate',
  section: '5.17',
  summary: 'Authenticates a user by login or userId and password; with a baseUrl also starts a session and returns its id and a relay token.',
  access: 'guest',
  input: [
    { ...loginField, optional: true },
    { ...userIdField, optional: true },
    { name: 'password', type: 'string', optional: true, allowEmpty: true, maxLength: passwordMaxLength, doc: 'Plaintext password; the owner application may omit it.' },
    { name: 'baseUrl', type: 'baseUrl', optional: true, doc: 'scheme://host:port/ of the application; without it only the password is checked (IMAP, FTP).' },
  ],
  output: [
    { name: 'relayToken', optional: true, doc: 'One-time token for the relay (003 §2.2.1); with a baseUrl only.' },
    { name: 'sessionId', optional: true, doc: 'The local session id for baseUrl; with a baseUrl only.' },
    { name: 'userId', doc: 'The authenticated user.' },
  ],
  faults: ['invalidParameter', 'invalidCredentials', 'permissionDenied'],
  async handle(input, { caller, services }) {
    const user = await userByLoginOrId(services, input.login, input.userId);
    if (input.password === undefined) {
      // 003 §5.17: only the owner may vouch for its user without a password. An unknown user is
      // owned by nobody, so this answer tells a guest nothing about which logins exist.
      if (user === null || caller === null || user.ownerId !== caller.applicationId) {
        throw new ProtocolFault('permissionDenied', 'Only the owner application may authenticate a user without a password.');
      }
    } else if (user === null) {
      await services.passwords.verifyDummy(input.password); // as slow as a wrong password (ATTACKS #24)
      throw new ProtocolFault('invalidCredentials');
    } else if (!(await checkPassword(services, user, input.password))) {
      throw new ProtocolFault('invalidCredentials');
    }
    if (input.baseUrl === undefined) return { userId: user.id };
    const session = await startSession(services, user.id, input.baseUrl);
    return { relayToken: session.relayToken, sessionId: session.sessionId, userId: user.id };
  },
};
