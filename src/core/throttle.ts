// Brute-force protection (docs/SECURITY.md "Brute force"), in the spirit of Keycloak's brute-force
// detection: sign-in attempts are counted per login and per source, and a key that reaches its
// threshold is locked for an increasing wait.
//
// - Login: `login:<login key>`, so case variants share one counter (case D25) and so do a plaintext
//   password and every digest of it offered as one (case D26). A sign-in by an unknown userId counts
//   under `user:<id>`. Unknown logins count like known ones, so a lock tells nothing about existence.
//   After maxLoginFailures failures without failureResetTime of quiet, each failure locks the
//   login for lockWaitIncrement × (failures − maxLoginFailures + 1), at most lockMaxWait. A success
//   resets the count.
// - Source: the protocol carries no end-user address (no `originatingIp`), so a source is what the server
//   sees: the client address (`source:<IPv4>` or `source:<IPv6 /64 prefix>`), and for a caller with a
//   certificate also its application (`source:application:<id>`). Each may fail
//   maxSourceFailuresPerHour times in a window of an hour from its first failure; past that it is
//   locked like a login. Successes do not reset a source: one valid account must not buy an
//   attacker more guesses at others.
// - An attempt is counted before its password is checked (countAttempt) and the count is taken
//   back if it succeeds (settleSuccess), so attempts sent together cannot all pass a check made
//   before any of them failed (case F42).
// - While any key of an attempt is locked, the attempt fails without regard to the password and
//   without a password check. It is still counted, but never moves the running lock later: it only
//   makes the next lock longer, up to lockMaxWait.
import { randomUUID } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import type { AttemptCount, CountedAttempt as StoredCount } from './store/index.js';
import type { AuditActor } from './audit.js';
import { publish, type EventContext } from './events.js';
import type { Services } from './services.js';

/** Sources count failures in fixed windows of this length, from their first failure. */
export const SOURCE_WINDOW_MS = 3_600_000;

const SOURCE_PREFIX = 'source:';

export function loginThrottleKey(loginKey: string): string {
  return `login:${loginKey}`;
}

/** The counter of a sign-in by a userId that names no user. */
export function unknownUserThrottleKey(userId: string): string {
  return `user:${userId}`;
}

export function applicationSourceKey(applicationId: string): string {
  return `${SOURCE_PREFIX}application:${applicationId}`;
}

export function addressSourceKey(address: string): string {
  return SOURCE_PREFIX + sourceAddress(address);
}

export function isSourceKey(key: string): boolean {
  return key.startsWith(SOURCE_PREFIX);
}

/** The eight 16-bit groups of an IPv6 address (a dotted IPv4 tail becomes two groups), or null. */
function ipv6Groups(address: string): number[] | null {
  let text = address;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)?.[1];
  if (dotted !== undefined) {
    const [a = 0, b = 0, c = 0, d = 0] = dotted.split('.').map(Number);
    text = text.slice(0, -dotted.length) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = text.split('::');
  const part = (half: string | undefined): string[] => (half === undefined || half === '' ? [] : half.split(':'));
  const head = part(halves[0]);
  const tail = part(halves[1]);
  const groups = halves.length === 2 ? [...head, ...Array<string>(8 - head.length - tail.length).fill('0'), ...tail] : head;
  return groups.length === 8 ? groups.map((group) => parseInt(group, 16)) : null;
}

/**
 * The address a source is counted under: IPv4 as written (also when IPv4-mapped), IPv6 by its /64
 * prefix, since one IPv6 host usually holds a whole /64.
 */
export function sourceAddress(address: string): string {
  const plain = address.replace(/%.*$/, '').toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(plain)?.[1];
  if (mapped !== undefined) return mapped;
  if (isIPv4(plain)) return plain;
  const groups = isIPv6(plain) ? ipv6Groups(plain) : null;
  if (groups === null) return plain === '' ? 'unknown' : plain;
  return `${groups
    .slice(0, 4)
    .map((group) => group.toString(16))
    .join(':')}::/64`;
}

/** The counters of one sign-in attempt. */
export interface AttemptKeys {
  /** `login:<login key>` or `user:<id>`; null for an attempt that guesses no password (owner sign-in refused). */
  readonly login: string | null;
  /** The client address, and the calling application when it has a certificate. */
  readonly sources: readonly string[];
}

/** An attempt as counted before its password is checked: every attempt counts as a failure until it succeeds. */
export interface CountedAttempt {
  readonly id: string;
  readonly keys: AttemptKeys;
  readonly counted: readonly StoredCount[];
  /** A lock (of the login or of a source) was running when the attempt was counted: it gets no guess. */
  readonly locked: boolean;
}

/** How long a key with `failures` failures is locked when its threshold is `threshold`, in ms (0: not locked). */
export function lockWaitMs(failures: number, threshold: number, increment: number, maxWait: number): number {
  if (threshold <= 0 || failures < threshold) return 0;
  return Math.min(maxWait, increment * (failures - threshold + 1)) * 1000;
}

/**
 * Counts an attempt under each of its keys before its password is checked, atomically in the store,
 * and locks the keys that reach their threshold (a running lock is never moved later). Of several
 * attempts racing the end of a lock, only the one counted first finds the key free: a lock window
 * allows exactly one guess, however close together the attempts arrive.
 */
export async function countAttempt(services: Services, keys: AttemptKeys): Promise<CountedAttempt> {
  const settings = services.settings.current();
  const now = services.now();
  const sourceThreshold = settings.maxSourceFailuresPerHour;
  const counts: AttemptCount[] = [
    ...(keys.login !== null
      ? [{ key: keys.login, resetBefore: now - settings.failureResetTime * 1000, windowBefore: null, threshold: settings.maxLoginFailures }]
      : []),
    // A source's window runs an hour from its first failure; once it has passed, the count starts over.
    ...(sourceThreshold > 0
      ? keys.sources.map((key) => ({
          key,
          resetBefore: now - SOURCE_WINDOW_MS,
          windowBefore: now - SOURCE_WINDOW_MS + 1,
          threshold: sourceThreshold,
        }))
      : []),
  ];
  const id = randomUUID();
  const counted = await services.store.countAttempt(id, counts, now, {
    incrementMs: settings.lockWaitIncrement * 1000,
    maxMs: settings.lockMaxWait * 1000,
  });
  return { id, keys, counted, locked: counted.some((count) => count.lockedBefore) };
}

/** The attempt failed: its count stands, and the locks its count set are logged and audited. */
export async function settleFailure(services: Services, attempt: CountedAttempt, actor: AuditActor): Promise<void> {
  for (const { record } of attempt.counted.filter((count) => count.setLock)) {
    const seconds = ((record.lockedUntil ?? 0) - services.now()) / 1000;
    services.log.warn('sign-ins locked', { key: record.key, failures: record.failures, seconds: Math.round(seconds) });
    await publish(services, { type: 'lock.set', actor, key: record.key, failures: record.failures, until: record.lockedUntil ?? 0 });
  }
}

/**
 * The attempt succeeded: the login's count starts over, and each source loses this attempt's count
 * (a success does not reset a source: one valid account must not buy more guesses at others) and
 * the lock that this count set, if any.
 */
export async function settleSuccess(services: Services, attempt: CountedAttempt): Promise<void> {
  const sources = attempt.counted.map((count) => count.record.key).filter(isSourceKey);
  if (attempt.keys.login !== null) await services.store.settleSuccess(attempt.id, attempt.keys.login, sources);
}

/**
 * The password could not be checked (the user's delegated source is unavailable, or its circuit is
 * open): no guess was made, so the sources get this attempt's count back, and an outage of the
 * directory does not lock an application's or an address's other users out. The login keeps it, so
 * that a flood at one login during an outage still locks that login and its audit trail stays
 * bounded (case F38).
 */
export async function settleUnchecked(services: Services, attempt: CountedAttempt): Promise<CountedAttempt> {
  const sources = attempt.counted.map((count) => count.record.key).filter(isSourceKey);
  await services.store.settleSuccess(attempt.id, null, sources);
  return { ...attempt, counted: attempt.counted.filter((count) => !isSourceKey(count.record.key)) };
}

/** An operator forgets a key's failures and lock. False when the key had none. */
export async function clearLock(context: EventContext, key: string, actor: AuditActor): Promise<boolean> {
  const cleared = await context.store.clearThrottle(key);
  if (cleared) await publish(context, { type: 'lock.cleared', actor, key });
  return cleared;
}

/** Forgets counters whose last failure is older than the reset time and that are not locked. */
export async function purgeThrottles(services: Services): Promise<number> {
  const now = services.now();
  return services.store.purgeThrottles(now - Math.max(services.settings.current().failureResetTime * 1000, SOURCE_WINDOW_MS), now);
}
