// changePassword (Open Fusion SSO protocol, section 5.13) in the domain. The owner application sets a new password. An oldPassword
// is a password guess like a sign-in's: counted under the same per-login and per-source counters,
// refused while they are locked, and audited either way (docs/SECURITY.md "Brute force"). The
// user's sessions end with the change unless the operator turned passwordChangeEndsSessions off:
// the protocol's changePassword names no session, so the one that asked cannot be kept apart from the others.
// A user with single sign-on has no password here: its changePassword is refused (docs/FEDERATION.md).
import { SsoError } from './errors.js';
import type { UserRecord } from './store/index.js';
import { actorOf } from './audit.js';
import { publish } from './events.js';
import { checkGuess, guardedCheck, sourceKeys } from './authentication.js';
import type { Services } from './services.js';
import { endUserSessions } from './sessions.js';
import { loginThrottleKey, sourceAddress } from './throttle.js';
import { requireLocalPassword } from './sources.js';
import { setPasswordHash } from './users.js';

export interface PasswordChange {
  readonly user: UserRecord;
  /** The owner application, by its certificate. */
  readonly applicationId: string;
  /** The client address the server sees. */
  readonly address: string;
  /** The current password, when the caller gives it: then it must be right. */
  readonly oldPassword?: string | undefined;
  /** The new password's hash (core/users.ts hashNewPassword). */
  readonly passwordHash: string;
}

export async function changePassword(services: Services, change: PasswordChange): Promise<void> {
  const { user, oldPassword } = change;
  requireLocalPassword(user);
  const actor = actorOf(change.applicationId);
  const refused = (outcome: string): Promise<void> =>
    publish(services, {
      type: 'user.passwordChangeFailed',
      actor,
      userId: user.id,
      login: user.login,
      address: sourceAddress(change.address),
      outcome,
    });
  if (oldPassword !== undefined) {
    const keys = { login: loginThrottleKey(user.loginKey), sources: sourceKeys(change.applicationId, change.address) };
    const failure = await guardedCheck(
      services,
      { keys, actor, password: oldPassword },
      () => checkGuess(services, user, oldPassword, { upgrade: false, sources: keys.sources }),
      refused,
    );
    if (failure !== null) throw new SsoError('invalidCredentials');
  }
  // Compare-and-set: a concurrent change (or hash upgrade) between the check and here wins over this one.
  const expected = oldPassword === undefined ? undefined : user.passwordHash;
  if (!(await setPasswordHash(services, user, change.passwordHash, actor, expected))) {
    if (oldPassword === undefined) throw new SsoError('noSuchUser');
    await refused('changedMeanwhile');
    throw new SsoError('invalidCredentials');
  }
  if (services.settings.current().passwordChangeEndsSessions === 'on') await endUserSessions(services, user.id, actor, 'passwordChanged');
}
