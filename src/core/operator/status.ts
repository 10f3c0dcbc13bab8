// The figures of `ssod status` that come from the store, so they are the whole service's, whatever
// node or worker served them: live sessions, sign-ins and failures in the last minute, locks, and
// whether the store answers and takes writes.
import type { OperatorServices } from '../services.js';
import { countEvents } from './audit.js';
import { countLocks } from './locks.js';
import { countLiveSessions } from './sessions.js';

/** Counting audit events stops here: a busier minute shows as "at least". */
const MOST_EVENTS = 10_000;
const MOST_LOCKS = 10_000;
const WINDOW_MS = 60_000;

export interface StoreStatus {
  readonly ready: boolean;
  readonly writable: boolean;
  readonly liveSessions: number;
  readonly signIns: { readonly lastMinute: number; readonly failedLastMinute: number; readonly atLeast: boolean };
  readonly locks: { readonly logins: number; readonly sources: number };
}

async function succeeds(work: () => Promise<unknown>): Promise<boolean> {
  return work().then(
    () => true,
    () => false,
  );
}

/** The store's figures at `now`. */
export async function storeStatus(services: Pick<OperatorServices, 'store' | 'settings'>, now: number): Promise<StoreStatus> {
  const ready = await succeeds(() => services.store.ping());
  const since = now - WINDOW_MS;
  const [liveSessions, succeeded, failed, locks, writable] = await Promise.all([
    countLiveSessions(services, now),
    countEvents(services, 'authentication.succeeded', since, MOST_EVENTS),
    countEvents(services, 'authentication.failed', since, MOST_EVENTS),
    countLocks(services, now, MOST_LOCKS),
    ready ? succeeds(() => services.store.probeWrite()) : Promise.resolve(false),
  ]);
  const signIns = { lastMinute: succeeded + failed, failedLastMinute: failed, atLeast: succeeded >= MOST_EVENTS || failed >= MOST_EVENTS };
  return { ready, writable, liveSessions, signIns, locks };
}
