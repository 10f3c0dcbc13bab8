// The local authenticator (core/ports/authenticator.ts): the password hash kept with each user
// (docs/DECISIONS.md "Passwords"). A user that the store does not hold is checked against a dummy
// hash, so that an unknown login costs what a wrong password costs. A right password whose stored
// form is weaker than today's (a legacy digest, older argon2 parameters) is re-hashed in the
// background; the caller does not wait for that.
import type { Authenticator, PasswordCheck, PasswordVerdict } from './ports/authenticator.js';
import type { Services } from './services.js';

/** Whether a password is checked at all: an empty or over-long one is refused without hashing. */
export function checkable(maxPasswordBytes: number, password: string): boolean {
  return password.length > 0 && Buffer.byteLength(password, 'utf8') <= maxPasswordBytes;
}

/** The stored hash of a user without a local password (docs/FEDERATION.md: a delegated user keeps none). */
export const NO_PASSWORD = '';

export function localAuthenticator(services: Pick<Services, 'options' | 'passwords' | 'store' | 'log'>): Authenticator {
  return {
    async check({ user, password, sources, upgrade }: PasswordCheck): Promise<PasswordVerdict> {
      const worthHashing = checkable(services.options.maxPasswordBytes, password);
      if (user === null) {
        if (worthHashing) await services.passwords.verifyDummy(password, sources);
        return 'unknownUser';
      }
      if (!worthHashing) return 'wrong';
      // No local password (a user of a delegated source, or one that lost it): never right, after the work of a wrong one.
      if (user.passwordHash === NO_PASSWORD) {
        await services.passwords.verifyDummy(password, sources);
        return 'wrong';
      }
      const result = await services.passwords.verify(user.passwordHash, password, sources);
      if (upgrade && result.ok && result.needsUpgrade) {
        services.passwords
          .hash(password)
          .then((upgraded) => services.store.setPasswordHash(user.id, upgraded, user.passwordHash))
          .catch((error: unknown) => services.log.error('password hash upgrade failed', { userId: user.id, error: String(error) }));
      }
      return result.ok ? 'right' : 'wrong';
    },
  };
}
