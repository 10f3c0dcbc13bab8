// What an operator sees of the brute-force counters and locks (core/throttle.ts); clearing one is
// core/throttle.ts clearLock.
import type { StoreServices } from '../services.js';
import type { ThrottleRecord } from '../store/index.js';
import { isSourceKey } from '../throttle.js';

export interface LockEntry {
  readonly record: ThrottleRecord;
  readonly kind: 'login' | 'source';
  /** Locked at the time asked about. */
  readonly locked: boolean;
}

function isLocked(record: ThrottleRecord, now: number): boolean {
  return record.lockedUntil !== null && record.lockedUntil > now;
}

/** The counters, most recent failure first (at most `limit` read), only the locked ones with `lockedOnly`. */
export async function listLocks(
  services: Pick<StoreServices, 'store' | 'now'>,
  { limit, lockedOnly }: { readonly limit: number; readonly lockedOnly: boolean },
): Promise<LockEntry[]> {
  const now = services.now();
  return (await services.store.listThrottles(limit))
    .map((record): LockEntry => ({ record, kind: isSourceKey(record.key) ? 'source' : 'login', locked: isLocked(record, now) }))
    .filter((entry) => !lockedOnly || entry.locked);
}

/** How many logins and sources are locked now (counting up to `most` records). */
export async function countLocks(
  services: Pick<StoreServices, 'store'>,
  now: number,
  most: number,
): Promise<{ readonly logins: number; readonly sources: number }> {
  const locked = (await services.store.listThrottles(most)).filter((record) => isLocked(record, now));
  const sources = locked.filter((record) => isSourceKey(record.key)).length;
  return { logins: locked.length - sources, sources };
}
