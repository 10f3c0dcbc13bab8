// Signing a user in (003 §5.17) under brute-force protection (domain/throttle.ts), with an audit
// record of every outcome. An unknown login, a wrong password, a disabled user and a lock all end
// in the same fault after the same work: one password verification, the same counter writes and
// one audit record (ATTACKS #24).
import { ProtocolFault } from '../faults.js';
import type { UserRecord } from '../store/types.js';
import { actorOf, recordAudit, type AuditDetail } from './audit.js';
import { HashingQueueFull, type HashingSources } from './hashing.js';
import type { Services } from './services.js';
import {
  addressSourceKey,
  applicationSourceKey,
  countFailure,
  loginThrottleKey,
  readThrottle,
  resetLogin,
  sourceAddress,
  unknownUserThrottleKey,
  type AttemptKeys,
  type ThrottleSnapshot,
} from './throttle.js';
import { checkPassword, loginKeyOf } from './users.js';

export interface SignIn {
  /** The user the request named, or null when it names none. */
  readonly user: UserRecord | null;
  /** How the request named the user (exactly one of them). */
  readonly login?: string | undefined;
  readonly userId?: string | undefined;
  /** Absent: the owner application vouches for its user (003 §5.17). */
  readonly password?: string | undefined;
  /** The application calling, by its certificate; null for a guest. */
  readonly applicationId: string | null;
  /** The client address the server sees. */
  readonly address: string;
  /** The base URL a session is started for, if any (for the audit record). */
  readonly baseUrl?: string | undefined;
}

export type SignInFailure = 'wrongPassword' | 'unknownUser' | 'locked' | 'disabled' | 'passwordTooLong';

function attemptKeys(attempt: SignIn): AttemptKeys {
  const login =
    attempt.user !== null
      ? loginThrottleKey(attempt.user.loginKey)
      : attempt.login !== undefined
        ? loginThrottleKey(loginKeyOf(attempt.login))
        : unknownUserThrottleKey(attempt.userId ?? '');
  const sources = [addressSourceKey(attempt.address)];
  if (attempt.applicationId !== null) sources.push(applicationSourceKey(attempt.applicationId));
  return { login, sources };
}

function auditTarget(attempt: SignIn, keys: AttemptKeys): string {
  return attempt.user !== null ? `user:${attempt.user.id}` : keys.login;
}

function auditDetail(attempt: SignIn, method: 'password' | 'owner'): AuditDetail {
  return {
    method,
    address: sourceAddress(attempt.address),
    ...(attempt.user !== null ? { login: attempt.user.login } : {}),
    ...(attempt.baseUrl !== undefined ? { baseUrl: attempt.baseUrl } : {}),
  };
}

/** The owner application vouches for its user without a password (003 §5.17): no password, no throttle. */
async function vouch(services: Services, attempt: SignIn): Promise<UserRecord> {
  const actor = actorOf(attempt.applicationId);
  const user = attempt.user;
  // An unknown user is owned by nobody, so this answer tells a guest nothing about which logins exist.
  if (user === null || attempt.applicationId === null || user.ownerId !== attempt.applicationId) {
    await recordAudit(services, { type: 'authentication.failed', actor, target: auditTarget(attempt, attemptKeys(attempt)), outcome: 'permissionDenied', detail: auditDetail(attempt, 'owner') });
    throw new ProtocolFault('permissionDenied', 'Only the owner application may authenticate a user without a password.');
  }
  if (user.disabledAt !== null) {
    await recordAudit(services, { type: 'authentication.failed', actor, target: `user:${user.id}`, outcome: 'disabled', detail: auditDetail(attempt, 'owner') });
    throw new ProtocolFault('invalidCredentials');
  }
  await recordAudit(services, { type: 'authentication.succeeded', actor, target: `user:${user.id}`, detail: auditDetail(attempt, 'owner') });
  return user;
}

/**
 * Verifies the password against the stored hash, or the dummy one: the same work whatever the answer
 * will be. Waits its sources' turn in the hashing pool (domain/hashing.ts).
 */
async function verify(services: Services, user: UserRecord | null, password: string, sources: HashingSources): Promise<boolean> {
  if (user !== null) return checkPassword(services, user, password, { sources });
  if (password.length > 0 && Buffer.byteLength(password, 'utf8') <= services.options.maxPasswordBytes) await services.passwords.verifyDummy(password, sources);
  return false;
}

/**
 * A source that already fills its share of the hashing pool is refused without hashing, with the
 * fault of a wrong password (docs/SECURITY.md, case F39). It is not counted as a failure: no
 * password was checked, and an honest application's burst must not lock its users out.
 */
async function verifyInTurn(services: Services, user: UserRecord | null, password: string, sources: HashingSources): Promise<boolean> {
  try {
    return await verify(services, user, password, sources);
  } catch (error) {
    if (!(error instanceof HashingQueueFull)) throw error;
    if (error.worthLogging) services.log.warn('sign-ins refused: too many password checks waiting for one source', { source: error.source });
    throw new ProtocolFault('invalidCredentials');
  }
}

type Verdict = { readonly user: UserRecord } | { readonly failure: SignInFailure };

async function verdictOf(services: Services, attempt: SignIn & { password: string }, before: ThrottleSnapshot, right: boolean): Promise<Verdict> {
  if (before.lockedUntil !== null) return { failure: 'locked' };
  const user = attempt.user;
  if (user === null) return { failure: 'unknownUser' };
  if (Buffer.byteLength(attempt.password, 'utf8') > services.options.maxPasswordBytes) return { failure: 'passwordTooLong' };
  if (!right) return { failure: 'wrongPassword' };
  if (user.disabledAt !== null) return { failure: 'disabled' };
  // Many attempts sent at once all pass the first check before any has failed; a right password
  // counts only if no lock was set meanwhile.
  if ((await readThrottle(services, before.keys)).lockedUntil !== null) return { failure: 'locked' };
  return { user };
}

/**
 * authenticate's check (003 §5.17): resolves the user when the password is right (or its owner
 * vouches), nothing is locked and the user is enabled; otherwise throws the fault to answer.
 */
export async function signIn(services: Services, attempt: SignIn): Promise<UserRecord> {
  const password = attempt.password;
  if (password === undefined) return vouch(services, attempt);
  const actor = actorOf(attempt.applicationId);
  const keys = attemptKeys(attempt);
  const before = await readThrottle(services, keys);
  // While locked the password is still verified, and its answer ignored, so that a lock costs
  // what a wrong password costs (ATTACKS #24).
  const right = await verifyInTurn(services, attempt.user, password, keys.sources);
  const verdict = await verdictOf(services, { ...attempt, password }, before, right);
  if ('user' in verdict) {
    await resetLogin(services, before);
    await recordAudit(services, { type: 'authentication.succeeded', actor, target: `user:${verdict.user.id}`, detail: auditDetail(attempt, 'password') });
    return verdict.user;
  }
  await countFailure(services, before, actor);
  await recordAudit(services, { type: 'authentication.failed', actor, target: auditTarget(attempt, keys), outcome: verdict.failure, detail: auditDetail(attempt, 'password') });
  throw new ProtocolFault('invalidCredentials');
}
