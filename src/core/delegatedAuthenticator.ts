// The routing authenticator (core/ports/authenticator.ts): a local user's password is checked against
// ssod's own hash (core/localAuthenticator.ts); the password of a user with single sign-on by its
// delegated source only (docs/FEDERATION.md), through the registry, behind the source's circuit
// breaker. What a source answered other than yes comes back as a SourceVerdict, which the sign-in
// turns into the one fault of every failure and an audit record that says the cause
// (core/authentication.ts). The rules around the check (brute-force counting first, a locked login
// never reaching the source, a disabled delegated user not asked for) stay there.
import { checkable } from './localAuthenticator.js';
import type { Authenticator, PasswordCheck, PasswordVerdict } from './ports/authenticator.js';
import type { SourceRegistry } from './ports/delegated.js';

/** The address a source is told when the check names none (a check outside a request). */
const NO_ADDRESS = '0.0.0.0';

export function routingAuthenticator(local: Authenticator, sources: SourceRegistry, maxPasswordBytes: number): Authenticator {
  return {
    async check(request: PasswordCheck): Promise<PasswordVerdict> {
      const { user, password } = request;
      if (user === null || user.sourceName === null) return local.check(request);
      const source = user.sourceName;
      // An empty or over-long password is refused without asking anyone, as the local hash refuses it unhashed.
      if (!checkable(maxPasswordBytes, password)) return 'wrong';
      const delegated = await sources.source(source);
      if (delegated === null) return { source, cause: 'unavailable', detail: 'no source of this name is configured on this node' };
      // Never cached: each sign-in asks the source again (a password changed or revoked there counts at once).
      const answer = await delegated.checkPassword({ login: user.login, password, originatingIp: request.originatingIp ?? NO_ADDRESS });
      return answer.ok ? 'right' : { source, cause: answer.cause, detail: answer.detail };
    },
  };
}
