// Where a password is checked. The rules around the check (brute-force counting and locks, the same
// fault and time for every failure, the audit events) stay in core/authentication.ts; an
// authenticator only answers whether this password is the user's. The local hash
// (core/localAuthenticator.ts) answers for local users; the routing authenticator
// (core/delegatedAuthenticator.ts) sends the check of a user with single sign-on to its delegated
// source and says why the source did not say yes, for the audit trail.
import type { SourceFailure } from './delegated.js';
import type { UserRecord } from '../store/index.js';

/** One password to check. */
export interface PasswordCheck {
  /** The local user the request names; null when it names none. */
  readonly user: UserRecord | null;
  /** The login as the request gave it, when it named the user by login (a source may know users that ssod does not). */
  readonly login?: string | undefined;
  readonly password: string;
  /** The request's brute-force sources (core/throttle.ts): a shared pool of checks takes turns by them. */
  readonly sources: readonly string[];
  /** Whether a right password may bring the user's stored form up to date (a sign-in may; changePassword's old password may not). */
  readonly upgrade: boolean;
  /** The browser's address where known, else the caller's: what a delegated source is told (LJAuthenticate's originatingIp). */
  readonly originatingIp?: string | undefined;
}

/** A delegated source did not say yes: which, why, and its log-safe detail (for the audit trail, never for the caller). */
export interface SourceVerdict {
  readonly source: string;
  readonly cause: SourceFailure;
  readonly detail: string;
}

/** `unknownUser`: the authenticator knows no such user (after the same work as a wrong password); an object: a delegated source's no. */
export type PasswordVerdict = 'right' | 'wrong' | 'unknownUser' | SourceVerdict;

export interface Authenticator {
  /**
   * Checks the password, taking the same time whatever the verdict (docs/SECURITY.md, case D24).
   * Rejects when the check cannot be made now (a busy pool, an unreachable directory); the caller
   * answers that as a failed sign-in.
   */
  check(request: PasswordCheck): Promise<PasswordVerdict>;
}
