// protocol §5.17 authenticate: checks a password (or the owner vouches without one) and, with a
// baseUrl, starts a global session with its local session for baseUrl and a relay token.
// The check itself, with brute-force protection and the audit record, is core/authentication.ts.
// Beyond the protocol it takes ssox:originatingIp (docs/EXTENSIONS.md): the browser's address, which
// the application knows and ssod does not, forwarded to a delegated source. Any caller may give it,
// a guest too, since it decides nothing here: brute-force protection always counts the address of
// the connection (remoteAddress), which a caller cannot choose, never this one.
import { SSOX_NS } from '../faults.js';
import { actorOf } from '../../../core/audit.js';
import { signIn } from '../../../core/authentication.js';
import { setOfApplication, userOfSet } from '../../../core/groups.js';
import { startSession } from '../../../core/sessions.js';
import { userByLoginOrId } from '../../../core/users.js';
import { loginField, passwordMaxLength, userIdField } from './fields.js';
import { operation } from './types.js';

export const authenticate = operation({
  name: 'authenticate',
  section: '5.17',
  summary:
    'Authenticates a user by login or userId and password; with a baseUrl also starts a session and returns its id and a relay token. Failed sign-ins lock the login and the source for a while (docs/SECURITY.md); a locked or disabled user gets invalidCredentials, as a wrong password does.',
  access: 'guest',
  input: [
    { ...loginField, optional: true },
    { ...userIdField, optional: true },
    {
      name: 'password',
      type: 'string',
      optional: true,
      allowEmpty: true,
      maxLength: passwordMaxLength,
      doc: 'Plaintext password; the owner application may omit it.',
    },
    {
      name: 'baseUrl',
      type: 'baseUrl',
      optional: true,
      doc: 'scheme://host:port/ of the application; without it only the password is checked (IMAP, FTP).',
    },
    {
      name: 'originatingIp',
      namespace: SSOX_NS,
      type: 'ip',
      optional: true,
      doc: "The browser's IPv4 or IPv6 address, as the application saw it; forwarded to the user's delegated source. Any caller may give it; brute-force protection still counts the connection's address.",
    },
  ],
  output: [
    { name: 'relayToken', optional: true, doc: 'One-time token for the relay (protocol §2.2.1); with a baseUrl only.' },
    { name: 'sessionId', optional: true, doc: 'The local session id for baseUrl; with a baseUrl only.' },
    { name: 'userId', doc: 'The authenticated user.' },
  ],
  faults: ['invalidParameter', 'invalidCredentials', 'permissionDenied'],
  async handle(input, { caller, remoteAddress, services }) {
    // A user outside the caller's set is refused as an unknown one (docs/groups.md "The rules").
    const set = await setOfApplication(services, caller?.applicationId ?? null);
    const named = await userOfSet(services, await userByLoginOrId(services, input.login, input.userId), set);
    const user = await signIn(services, {
      user: named,
      login: input.login,
      userId: input.userId,
      password: input.password,
      applicationId: caller?.applicationId ?? null,
      address: remoteAddress,
      originatingIp: input.originatingIp,
      baseUrl: input.baseUrl,
    });
    if (input.baseUrl === undefined) return { userId: user.id };
    const session = await startSession(
      services,
      user.id,
      input.baseUrl,
      actorOf(caller?.applicationId),
      set,
      caller?.applicationId ?? null,
    );
    return { relayToken: session.relayToken, sessionId: session.sessionId, userId: user.id };
  },
});
