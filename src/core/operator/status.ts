// The figures of `ssod status` and of the admin console's overview that come from the store, so they
// are the whole service's, whatever node or worker served them: live sessions, sign-ins and failures
// in a recent window (the last minute for `ssod status`, the last hour for the console), locks, and
// whether the store answers and takes writes.
import type { OperatorServices } from '../services.js';
import { countEvents } from './audit.js';
import { countLocks } from './locks.js';
import { countLiveSessions } from './sessions.js';

/** Counting audit events stops here: a busier minute shows as "at least". */
const MOST_EVENTS = 10_000;
const MOST_LOCKS = 10_000;
const WINDOW_MS = 60_000;

/** The store's figures over a window: sign-ins (all and failed) since `now - windowMs`. */
export interface StoreFigures {
  readonly ready: boolean;
  readonly writable: boolean;
  readonly liveSessions: number;
  readonly signIns: { readonly total: number; readonly failed: number; readonly atLeast: boolean };
  readonly locks: { readonly logins: number; readonly sources: number };
}

/** The figures as `ssod status` shows them: sign-ins in the last minute. */
export interface StoreStatus extends Omit<StoreFigures, 'signIns'> {
  readonly signIns: { readonly lastMinute: number; readonly failedLastMinute: number; readonly atLeast: boolean };
}

async function succeeds(work: () => Promise<unknown>): Promise<boolean> {
  return work().then(
    () => true,
    () => false,
  );
}

/** The store's figures at `now`, sign-ins counted over the last `windowMs`. */
export async function storeFigures(
  services: Pick<OperatorServices, 'store' | 'settings'>,
  now: number,
  windowMs: number,
): Promise<StoreFigures> {
  const ready = await succeeds(() => services.store.ping());
  const since = now - windowMs;
  const [liveSessions, succeeded, failed, locks, writable] = await Promise.all([
    countLiveSessions(services, now),
    countEvents(services, 'authentication.succeeded', since, MOST_EVENTS),
    countEvents(services, 'authentication.failed', since, MOST_EVENTS),
    countLocks(services, now, MOST_LOCKS),
    ready ? succeeds(() => services.store.probeWrite()) : Promise.resolve(false),
  ]);
  const signIns = { total: succeeded + failed, failed, atLeast: succeeded >= MOST_EVENTS || failed >= MOST_EVENTS };
  return { ready, writable, liveSessions, signIns, locks };
}

/** The store's figures at `now`, as `ssod status` shows them (sign-ins in the last minute). */
export async function storeStatus(services: Pick<OperatorServices, 'store' | 'settings'>, now: number): Promise<StoreStatus> {
  const { signIns, ...rest } = await storeFigures(services, now, WINDOW_MS);
  return { ...rest, signIns: { lastMinute: signIns.total, failedLastMinute: signIns.failed, atLeast: signIns.atLeast } };
}
