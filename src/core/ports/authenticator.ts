// Where a password is checked. The rules around the check (brute-force counting and locks, the same
// fault and time for every failure, the audit events) stay in core/authentication.ts; an
// authenticator only answers whether this password is the user's. Today there is one, the local
// hash (core/localAuthenticator.ts). A delegated source (an organization's web service or LDAP
// directory) is another implementation; the composition root can route per user between them
// (for instance by the user's owner application), since every check names the user.
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
}

/** `unknownUser`: the authenticator knows no such user (after the same work as a wrong password). */
export type PasswordVerdict = 'right' | 'wrong' | 'unknownUser';

export interface Authenticator {
  /**
   * Checks the password, taking the same time whatever the verdict (docs/SECURITY.md, case D24).
   * Rejects when the check cannot be made now (a busy pool, an unreachable directory); the caller
   * answers that as a failed sign-in.
   */
  check(request: PasswordCheck): Promise<PasswordVerdict>;
}
