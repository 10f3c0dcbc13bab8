// Brute-force protection (issue 5; ATTACKS #24–#29), in the spirit of Keycloak's brute-force
// detection: failed sign-ins are counted per login and per source, and a key that reaches its
// threshold is locked for an increasing wait.
//
// - Login: `login:<login key>`, so case variants share one counter (#25) and so do a plaintext
//   password and every digest of it offered as one (#26). A sign-in by an unknown userId counts
//   under `user:<id>`. Unknown logins count like known ones, so a lock tells nothing about existence.
//   After maxLoginFailures failures without failureResetTime of quiet, each failure locks the
//   login for lockWaitIncrement × (failures − maxLoginFailures + 1), at most lockMaxWait. A success
//   resets the count.
// - Source: 003 carries no end-user address (no `originatingIp`), so a source is what the server
//   sees: the client address (`source:<IPv4>` or `source:<IPv6 /64 prefix>`), and for a caller with a
//   certificate also its application (`source:application:<id>`). Each may fail
//   maxSourceFailuresPerHour times in a window of an hour from its first failure; past that it is
//   locked like a login. Successes do not reset a source: one valid account must not buy an
//   attacker more guesses at others.
// - While any key of an attempt is locked, the attempt fails without regard to the password. It is
//   still counted, and costs the same work as a wrong password (ATTACKS #24), but never moves the
//   running lock later: it only makes the next lock longer, up to lockMaxWait.
import { isIPv4, isIPv6 } from 'node:net';
import type { ThrottleRecord } from '../store/types.js';
import { recordAudit, type AuditActor, type AuditContext } from './audit.js';
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
  /** `login:<login key>` or `user:<id>`. */
  readonly login: string;
  /** The client address, and the calling application when it has a certificate. */
  readonly sources: readonly string[];
}

/** The counters as read before the password is checked. */
export interface ThrottleSnapshot {
  readonly keys: AttemptKeys;
  readonly records: ReadonlyMap<string, ThrottleRecord>;
  /** The latest end of a running lock among the keys, or null when none is locked. */
  readonly lockedUntil: number | null;
}

function lockedUntilOf(records: Iterable<ThrottleRecord>, now: number): number | null {
  let until: number | null = null;
  for (const record of records) {
    if (record.lockedUntil !== null && record.lockedUntil > now && (until === null || record.lockedUntil > until)) until = record.lockedUntil;
  }
  return until;
}

export async function readThrottle(services: Services, keys: AttemptKeys): Promise<ThrottleSnapshot> {
  const records = await services.store.getThrottles([keys.login, ...keys.sources]);
  return { keys, records: new Map(records.map((record) => [record.key, record])), lockedUntil: lockedUntilOf(records, services.now()) };
}

/** How long a key with `failures` failures is locked when its threshold is `threshold`, in ms (0: not locked). */
export function lockWaitMs(failures: number, threshold: number, increment: number, maxWait: number): number {
  if (threshold <= 0 || failures < threshold) return 0;
  return Math.min(maxWait, increment * (failures - threshold + 1)) * 1000;
}

/**
 * Counts a failed attempt under each of its keys and locks the keys that reached their threshold
 * and are not locked already (a running lock is never moved later).
 */
export async function countFailure(services: Services, snapshot: ThrottleSnapshot, actor: AuditActor): Promise<void> {
  const settings = services.settings.current();
  const now = services.now();
  const sourcesOn = settings.maxSourceFailuresPerHour > 0;
  const keys = [snapshot.keys.login, ...(sourcesOn ? snapshot.keys.sources : [])];
  for (const key of keys) {
    const source = isSourceKey(key);
    // A source's window runs an hour from its first failure; once it has passed, the count starts
    // over. (Read before the password check: two attempts at the turn of a window may both start
    // it over, losing a count, never adding one.)
    const previous = snapshot.records.get(key);
    const resetBefore = source
      ? previous !== undefined && previous.firstFailureAt <= now - SOURCE_WINDOW_MS
        ? now + 1
        : now - SOURCE_WINDOW_MS
      : now - settings.failureResetTime * 1000;
    const record = await services.store.recordFailure(key, now, resetBefore);
    const threshold = source ? settings.maxSourceFailuresPerHour : settings.maxLoginFailures;
    const wait = lockWaitMs(record.failures, threshold, settings.lockWaitIncrement, settings.lockMaxWait);
    if (wait === 0 || (record.lockedUntil !== null && record.lockedUntil > now)) continue;
    await services.store.lockThrottle(key, now + wait);
    services.log.warn('sign-ins locked', { key, failures: record.failures, seconds: wait / 1000 });
    await recordAudit(services, { type: 'lock.set', actor, target: key, detail: { failures: record.failures, until: new Date(now + wait).toISOString() } });
  }
}

/** After a successful sign-in: the login's count starts over (sources keep theirs). */
export async function resetLogin(services: Services, snapshot: ThrottleSnapshot): Promise<void> {
  if (snapshot.records.has(snapshot.keys.login)) await services.store.clearThrottle(snapshot.keys.login);
}

/** An operator forgets a key's failures and lock. False when the key had none. */
export async function clearLock(context: AuditContext, key: string, actor: AuditActor): Promise<boolean> {
  const cleared = await context.store.clearThrottle(key);
  if (cleared) await recordAudit(context, { type: 'lock.cleared', actor, target: key });
  return cleared;
}

/** Forgets counters whose last failure is older than the reset time and that are not locked. */
export async function purgeThrottles(services: Services): Promise<number> {
  const now = services.now();
  return services.store.purgeThrottles(now - Math.max(services.settings.current().failureResetTime * 1000, SOURCE_WINDOW_MS), now);
}
