// On Session Start callbacks (docs/groups.md "On Session Start callbacks"): the store's part. The
// callback each application registered, what each global session was started for, and the claims
// that make each (session, application) call exactly once across the nodes of a cluster.

/** What a failure of the callback does: the session goes on (continue), or the sign-in or the member's visit fails (fail). */
export type SessionStartPolicy = 'continue' | 'fail';

/** An application's callback as registered. */
export interface SessionStartCallbackRecord {
  readonly applicationId: string;
  /** An https URL (core/sessionStart.ts checks it). */
  readonly url: string;
  readonly policy: SessionStartPolicy;
  /** The CA the endpoint's certificate must chain to (the operator's --ca-file); null: the system's CAs. */
  readonly caPem: string | null;
  readonly updatedAt: number;
}

/** What a global session was started for: its starting application, and that application's group then (null: the default set). */
export interface SessionStartRecord {
  readonly globalId: string;
  readonly startedFor: string;
  readonly groupName: string | null;
  readonly createdAt: number;
}

/**
 * How a call ended: `delivered` (200 with an acceptable reply), `failed` (a failure under the
 * policy continue: the session went on), `refused` (a failure under the policy fail: the member is
 * kept out of the session, or the session was ended).
 */
export type SessionStartOutcome = 'delivered' | 'failed' | 'refused';

/** The claim of one call: who called (or calls) it since when, and its outcome once finished. */
export interface SessionStartCallRecord {
  readonly globalId: string;
  readonly applicationId: string;
  readonly claimedAt: number;
  /** The node (its dispatcher's owner name, or a random name of the node) that called. */
  readonly claimedBy: string;
  readonly finishedAt: number | null;
  readonly outcome: SessionStartOutcome | null;
}

/** A claim to take: by `claimedBy` at `claimedAt`; an unfinished claim taken at or before `staleBefore` is taken over. */
export interface SessionStartClaim {
  readonly globalId: string;
  readonly applicationId: string;
  readonly claimedBy: string;
  readonly claimedAt: number;
  readonly staleBefore: number;
}

/**
 * The answer to a claim: this caller holds it now (`claimed`, with `takenOver` when an older
 * unfinished claim was taken over), or the claim as another holds it, or `gone` when the session
 * (or the application) no longer exists.
 */
export type SessionStartClaimResult =
  | { readonly claimed: true; readonly takenOver: boolean }
  | { readonly claimed: false; readonly call: SessionStartCallRecord }
  | { readonly claimed: false; readonly call: null };

export interface SessionStartStore {
  /** Registers (or replaces) the application's callback. */
  setSessionStartCallback(record: SessionStartCallbackRecord): Promise<void>;
  /** Removes it; false when there was none. */
  deleteSessionStartCallback(applicationId: string): Promise<boolean>;
  getSessionStartCallback(applicationId: string): Promise<SessionStartCallbackRecord | null>;
  /** Every registered callback, by application id. */
  listSessionStartCallbacks(): Promise<SessionStartCallbackRecord[]>;
  /** The ids of the applications registered with exactly this normalized url, in order. */
  listApplicationIdsOfUrl(url: string): Promise<string[]>;
  /** Records what a session was started for (once: a second record of it changes nothing). */
  recordSessionStart(record: SessionStartRecord): Promise<void>;
  getSessionStart(globalId: string): Promise<SessionStartRecord | null>;
  /** Inserts the claim, or takes over a stale unfinished one; otherwise answers the claim as it is. */
  claimSessionStartCall(claim: SessionStartClaim): Promise<SessionStartClaimResult>;
  /** Records the outcome of a claim this caller holds; false when another took it over meanwhile (or the session is gone). */
  finishSessionStartCall(
    call: Pick<SessionStartCallRecord, 'globalId' | 'applicationId' | 'claimedBy'> & { finishedAt: number; outcome: SessionStartOutcome },
  ): Promise<boolean>;
  getSessionStartCall(globalId: string, applicationId: string): Promise<SessionStartCallRecord | null>;
  /** Deletes the member's local sessions of the global session (a member kept out). How many. */
  deleteLocalSessionsOf(globalId: string, baseUrl: string): Promise<number>;
}
