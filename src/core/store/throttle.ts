// Brute-force protection (core/throttle.ts): the store's part.

/**
 * Failed sign-ins counted under one key, for brute-force protection (core/throttle.ts): `login:<login key>`,
 * `user:<id>` (a userId naming nobody), `source:<address>` or `source:application:<id>`.
 */
export interface ThrottleRecord {
  readonly key: string;
  /** Failures since firstFailureAt (a count older than the reset window starts over). */
  readonly failures: number;
  readonly firstFailureAt: number;
  readonly lastFailureAt: number;
  /** Sign-ins under this key are refused until then; null when not locked. */
  readonly lockedUntil: number | null;
}

/** How countAttempt counts one key of an attempt (core/throttle.ts derives it from the settings). */
export interface AttemptCount {
  readonly key: string;
  /** A count whose last failure was before this starts over at 1 (a running lock is kept). */
  readonly resetBefore: number;
  /** A count whose first failure was before this starts over too (a source's window); null: no window. */
  readonly windowBefore: number | null;
  /** The count from which the key locks; 0: never. */
  readonly threshold: number;
}

/** How long countAttempt locks a key, in milliseconds. */
export interface LockWaits {
  readonly incrementMs: number;
  readonly maxMs: number;
}

/** One key of an attempt after countAttempt. */
export interface CountedAttempt {
  readonly record: ThrottleRecord;
  /** A lock set by another attempt was running when this one was counted: this one is refused. */
  readonly lockedBefore: boolean;
  /** This attempt's count set the lock (it reached the threshold). */
  readonly setLock: boolean;
}

export interface ThrottleStore {
  /**
   * Counts one sign-in attempt under each of its keys in one transaction, before its password is
   * checked, and returns each key's record after it (in the order given). A key that reaches its
   * threshold and is not locked yet is locked in the same statement, for
   * min(lockMaxWaitMs, lockWaitIncrementMs × (failures − threshold + 1)), with `attemptId` as the
   * lock's owner: so of several attempts racing the end of a lock exactly one finds the key free.
   */
  countAttempt(attemptId: string, counts: readonly AttemptCount[], now: number, waits: LockWaits): Promise<CountedAttempt[]>;
  /**
   * A counted attempt succeeded: forgets `clear` (the login: a success resets it) and takes the
   * attempt's count off each of `refund` (sources, which a success does not reset), with the lock
   * that this attempt set, if any. All in one transaction. With `clear` null only the refunds are
   * made (an attempt whose password could not be checked: core/throttle.ts settleUnchecked).
   */
  settleSuccess(attemptId: string, clear: string | null, refund: readonly string[]): Promise<void>;
  /** The records of those keys that have one, in any order. */
  getThrottles(keys: readonly string[]): Promise<ThrottleRecord[]>;
  /** Every record, most recent failure first (at most `limit`). */
  listThrottles(limit: number): Promise<ThrottleRecord[]>;
  /** Forgets the key's failures and lock. False when it had none. */
  clearThrottle(key: string): Promise<boolean>;
  /** Forgets records whose last failure was before `before` and that are not locked at `now`. Returns how many. */
  purgeThrottles(before: number, now: number): Promise<number>;
}
