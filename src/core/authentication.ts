// Signing a user in (Open Fusion SSO protocol, section 5.17) under brute-force protection (core/throttle.ts), with an
// authentication event (core/events.ts) of every outcome that checked a password. Where the password
// is checked is the authenticator's business (core/ports/authenticator.ts). An unknown login, a wrong password and a
// disabled user end in the same fault after the same work (one password verification, the same
// counter writes, one audit record); a lock ends in that fault too, without the verification, after
// the time that one takes (docs/SECURITY.md, cases D24 and F39). The password of a user with single
// sign-on is checked by its delegated source (docs/FEDERATION.md), only once the attempt is counted
// and nothing is locked; whatever the source answered, the caller gets that same fault, and the
// audit record says the cause.
import { SsoError } from './errors.js';
import type { UserRecord } from './store/index.js';
import { actorOf, observeOnly, type AuditActor } from './audit.js';
import { publish, type EventOf, type SignInMethod } from './events.js';
import { checkable } from './localAuthenticator.js';
import type { PasswordVerdict, SourceVerdict } from './ports/authenticator.js';
import type { SourceFailure } from './ports/delegated.js';
import { FailurePace } from './failurePace.js';
import { HashingQueueFull, type HashingSources } from './ports/passwords.js';
import type { Services } from './services.js';
import {
  addressSourceKey,
  applicationSourceKey,
  countAttempt,
  loginThrottleKey,
  settleFailure,
  settleSuccess,
  settleUnchecked,
  sourceAddress,
  unknownUserThrottleKey,
  type AttemptKeys,
} from './throttle.js';
import { loginKeyOf } from './users.js';

export interface SignIn {
  /** The user the request named, or null when it names none. */
  readonly user: UserRecord | null;
  /** How the request named the user (exactly one of them). */
  readonly login?: string | undefined;
  readonly userId?: string | undefined;
  /** Absent: the owner application vouches for its user (Open Fusion SSO protocol, section 5.17). */
  readonly password?: string | undefined;
  /** The application calling, by its certificate; null for a guest. */
  readonly applicationId: string | null;
  /** The client address the server sees. */
  readonly address: string;
  /** The browser's address when the caller knows it (ssod's own pages, pass-through, `ssox:originatingIp`); else `address` stands for it. */
  readonly originatingIp?: string | undefined;
  /** The base URL a session is started for, if any (for the event). */
  readonly baseUrl?: string | undefined;
}

export type SignInFailure =
  | 'wrongPassword'
  | 'unknownUser'
  | 'locked'
  | 'disabled'
  | 'passwordTooLong'
  /** A delegated source answered no, could not be asked, or answered something unreadable (docs/FEDERATION.md). */
  | 'sourceRejected'
  | 'sourceUnavailable'
  | 'sourceMalformed'
  /** Pass-through (core/passThrough.ts): the service vouched for a user without single sign-on, or for another login than asked. */
  | 'notSingleSignOn'
  | 'loginMismatch';

/** The failure of a sign-in that a delegated source did not say yes to, by its cause. */
export const SOURCE_FAILURES: Readonly<Record<SourceFailure, SignInFailure>> = {
  rejected: 'sourceRejected',
  unavailable: 'sourceUnavailable',
  malformed: 'sourceMalformed',
};

/** The sources of a caller: its address, and its application when it has a certificate. */
export function sourceKeys(applicationId: string | null, address: string): string[] {
  return applicationId === null ? [addressSourceKey(address)] : [addressSourceKey(address), applicationSourceKey(applicationId)];
}

function attemptKeys(attempt: SignIn): AttemptKeys {
  const login =
    attempt.user !== null
      ? loginThrottleKey(attempt.user.loginKey)
      : attempt.login !== undefined
        ? loginThrottleKey(loginKeyOf(attempt.login))
        : unknownUserThrottleKey(attempt.userId ?? '');
  return { login, sources: sourceKeys(attempt.applicationId, attempt.address) };
}

function auditTarget(attempt: SignIn): string {
  if (attempt.user !== null) return `user:${attempt.user.id}`;
  return attempt.login !== undefined ? loginThrottleKey(loginKeyOf(attempt.login)) : unknownUserThrottleKey(attempt.userId ?? '');
}

/** What the authentication events say of the attempt (signIn's, and pass-through's: core/passThrough.ts). */
export function facts(attempt: SignIn, method: SignInMethod): Omit<EventOf<'authentication.succeeded'>, 'type' | 'actor'> {
  return {
    subject: auditTarget(attempt),
    userId: attempt.user?.id ?? null,
    method,
    address: sourceAddress(attempt.address),
    ...(attempt.user !== null ? { login: attempt.user.login } : {}),
    ...(attempt.baseUrl !== undefined ? { baseUrl: attempt.baseUrl } : {}),
  };
}

/**
 * The owner application vouches for its user without a password (Open Fusion SSO protocol, section 5.17): no guess, not
 * throttled. Anyone else asking so is refused, and the refusal counts against the caller's sources
 * like a failed sign-in (case F38); while a source is locked its refusals leave no audit record.
 */
async function vouch(services: Services, attempt: SignIn): Promise<UserRecord> {
  const actor = actorOf(attempt.applicationId);
  const user = attempt.user;
  // An unknown user is owned by nobody, so this answer tells a guest nothing about which logins exist.
  if (user === null || attempt.applicationId === null || user.ownerId !== attempt.applicationId) {
    const counted = await countAttempt(services, { login: null, sources: sourceKeys(attempt.applicationId, attempt.address) });
    if (!counted.locked) {
      await settleFailure(services, counted, actor);
      await publish(services, { type: 'authentication.failed', actor, outcome: 'permissionDenied', ...facts(attempt, 'owner') });
    }
    throw new SsoError('permissionDenied', 'Only the owner application may authenticate a user without a password.');
  }
  if (user.disabledAt !== null) {
    await publish(services, { type: 'authentication.failed', actor, outcome: 'disabled', ...facts(attempt, 'owner') });
    throw new SsoError('invalidCredentials');
  }
  await publish(services, { type: 'authentication.succeeded', actor, ...facts(attempt, 'owner') });
  return user;
}

/** How a guess is checked: whether a right password may upgrade the stored form, the request's sources, the login it gave, the browser's address. */
interface GuessOptions {
  readonly upgrade?: boolean;
  readonly sources?: HashingSources;
  readonly login?: string | undefined;
  readonly originatingIp?: string | undefined;
}

/** Asks the authenticator: the same work whatever the answer will be (for the local one, in the hashing pool's turn of its sources). */
function verify(services: Services, user: UserRecord | null, password: string, options: GuessOptions): Promise<PasswordVerdict> {
  return services.authenticator.check({
    user,
    login: options.login,
    password,
    sources: options.sources ?? [],
    upgrade: options.upgrade ?? true,
    originatingIp: options.originatingIp,
  });
}

/**
 * A source that already fills its share of the hashing pool is refused without hashing, with the
 * fault of a wrong password (docs/SECURITY.md, case F39). Like every guess it was counted before
 * its check; it writes no audit record, as a refusal while locked writes none.
 */
async function verifyInTurn(
  services: Services,
  user: UserRecord | null,
  password: string,
  options: GuessOptions,
): Promise<PasswordVerdict> {
  try {
    return await verify(services, user, password, options);
  } catch (error) {
    if (!(error instanceof HashingQueueFull)) throw error;
    if (error.worthLogging)
      services.log.warn('sign-ins refused: too many password checks waiting for one source', { source: error.source });
    throw new SsoError('invalidCredentials');
  }
}

const paces = new WeakMap<Services, FailurePace>();

function paceOf(services: Services): FailurePace {
  let pace = paces.get(services);
  if (pace === undefined) {
    pace = new FailurePace();
    paces.set(services, pace);
  }
  return pace;
}

/**
 * A locked attempt gets no password check: argon2 is not run for it (case F39). It answers after
 * the time a checked failure takes on this node (or, before the first one, after checking the
 * password against the dummy hash), so that its answer and its time are a wrong password's.
 */
async function refuseWithoutCheck(services: Services, password: string, started: number): Promise<void> {
  const pace = paceOf(services);
  if (pace.typicalMs() === null) await verify(services, null, password, {});
  else await pace.waitFrom(started);
}

/** A password guess: the failure to answer (or null when the password is right), whether a hash was run, and a delegated source's no. */
type Checked = { readonly failure: SignInFailure | null; readonly hashed: boolean; readonly source?: SourceVerdict };

/**
 * One password guess under brute-force protection: counted under its keys before the check, refused
 * without a check while any key is locked, settled after it (a success takes its count back).
 * `recordFailure` writes the audit record of a checked failure; a locked refusal writes none, it is
 * counted in the locked key instead (case F38: the trail does not grow with a flood). Null: the
 * password is right.
 */
export async function guardedCheck(
  services: Services,
  guess: { readonly keys: AttemptKeys; readonly actor: AuditActor; readonly password: string },
  check: () => Promise<Checked>,
  recordFailure: (failure: SignInFailure, checked: Checked) => Promise<void>,
): Promise<SignInFailure | null> {
  const started = performance.now();
  const attempt = await countAttempt(services, guess.keys);
  if (attempt.locked) {
    await refuseWithoutCheck(services, guess.password, started);
    return 'locked';
  }
  let checked: Checked;
  try {
    checked = await check();
  } catch (error) {
    // Refused by the hashing queue (or failed): the attempt stays counted, and a lock it set is said.
    await settleFailure(services, attempt, guess.actor);
    throw error;
  }
  if (checked.failure === null) {
    await settleSuccess(services, attempt);
    return null;
  }
  // An unavailable source checked nothing: the sources get the count back (and lose a lock it set).
  await settleFailure(services, checked.failure === 'sourceUnavailable' ? await settleUnchecked(services, attempt) : attempt, guess.actor);
  await recordFailure(checked.failure, checked);
  if (checked.hashed) paceOf(services).record(performance.now() - started);
  return checked.failure;
}

/** Checks `password` as the user's (the dummy hash when there is no user): why it fails, or null. */
export async function checkGuess(
  services: Services,
  user: UserRecord | null,
  password: string,
  options: GuessOptions = {},
): Promise<Checked> {
  const verdict = await verifyInTurn(services, user, password, options);
  // A delegated user's password is checked by its source: no hash is run (and its time is not a hash's).
  const hashed = (user === null || user.sourceName === null) && checkable(services.options.maxPasswordBytes, password);
  // Without a local user there is nobody to sign in, whatever a delegated source would say.
  if (user === null || verdict === 'unknownUser') return { failure: 'unknownUser', hashed };
  if (Buffer.byteLength(password, 'utf8') > services.options.maxPasswordBytes) return { failure: 'passwordTooLong', hashed };
  if (typeof verdict === 'object') return { failure: SOURCE_FAILURES[verdict.cause], hashed, source: verdict };
  if (verdict !== 'right') return { failure: 'wrongPassword', hashed };
  return { failure: null, hashed };
}

/**
 * authenticate's check (Open Fusion SSO protocol, section 5.17): resolves the user when the password is right (or its owner
 * vouches), nothing is locked and the user is enabled; otherwise throws the fault to answer.
 */
export async function signIn(services: Services, attempt: SignIn): Promise<UserRecord> {
  const password = attempt.password;
  if (password === undefined) return vouch(services, attempt);
  const actor = actorOf(attempt.applicationId);
  const keys = attemptKeys(attempt);
  const { user } = attempt;
  const failure = await guardedCheck(
    services,
    { keys, actor, password },
    async () => {
      // A disabled user of a delegated source is refused without asking the source (docs/FEDERATION.md).
      if (user !== null && user.sourceName !== null && user.disabledAt !== null) return { failure: 'disabled', hashed: false };
      const originatingIp = attempt.originatingIp ?? attempt.address;
      const checked = await checkGuess(services, user, password, { sources: keys.sources, login: attempt.login, originatingIp });
      return checked.failure === null && user?.disabledAt !== null ? { ...checked, failure: 'disabled' } : checked;
    },
    (reason, checked) =>
      publish(services, {
        type: 'authentication.failed',
        actor,
        outcome: reason,
        ...facts(attempt, 'password'),
        ...(checked.source !== undefined ? { source: checked.source.source, sourceDetail: checked.source.detail } : {}),
      }),
  );
  if (failure === 'locked') observeOnly({ type: 'authentication.failed', actor, target: auditTarget(attempt), outcome: failure });
  if (failure !== null || attempt.user === null) throw new SsoError('invalidCredentials');
  await publish(services, { type: 'authentication.succeeded', actor, ...facts(attempt, 'password') });
  return attempt.user;
}
