// Global and local sessions, relay tokens and cookies (protocol §2, §5.17–5.19): the store's part.
// Secrets (session ids, relay tokens, cookie values) are never stored: only their SHA-256, hex
// (docs/DECISIONS.md "Sessions and the relay").
import type { CertificateRecord } from './applications.js';

/** One signed-in user in one browser. */
export interface GlobalSessionRecord {
  readonly id: string;
  readonly userId: string;
  readonly createdAt: number;
  /** End of the absolute lifetime. */
  readonly expiresAt: number;
  /** Last activity; the idle timeout counts from here. */
  readonly lastSeenAt: number;
  /** SHA-256 of the relay cookie value, once a relay token was exchanged; else null. */
  readonly cookieHash: string | null;
  /** The session's derivation secret sealed with the cookie value (core/sessions.ts); else null. */
  readonly cookieSealedSecret: string | null;
  /** The set it was started in (docs/groups.md): the group of the application it was started for; null for the default set. Never changes. */
  readonly groupName: string | null;
}

/** The global session as one application (base URL) sees it. */
export interface LocalSessionRecord {
  /** SHA-256 of the full session id `<base url><opaque>`. */
  readonly idHash: string;
  readonly globalId: string;
  readonly baseUrl: string;
  readonly createdAt: number;
}

export interface RelayTokenRecord {
  /** SHA-256 of the token. */
  readonly tokenHash: string;
  readonly globalId: string;
  readonly expiresAt: number;
  /** The session's derivation secret sealed with the token. */
  readonly sealedSecret: string;
}

/** A local session together with the global session it belongs to: what verifySession needs. */
export interface SessionView {
  readonly local: LocalSessionRecord;
  readonly global: GlobalSessionRecord;
}

/** What the hot path reads in one go: the caller's certificate and a session; either may be absent. */
export interface CertificateAndSession {
  readonly certificate: CertificateRecord | null;
  /** The registered url of the certificate's application; null without a certificate or a url. */
  readonly applicationUrl: string | null;
  /** The group of the certificate's application; null without a certificate or when it is ungrouped. */
  readonly applicationGroup: string | null;
  readonly session: SessionView | null;
}

/** A global session with the base URLs of its local sessions: what operators list. */
export interface SessionSummary {
  readonly global: GlobalSessionRecord;
  /** Base URLs of its local sessions, sorted. */
  readonly baseUrls: readonly string[];
}

/** Which sessions listSessions gives, newest first. */
export interface SessionQuery {
  readonly userId?: string;
  /** Only sessions with a local session for this base URL. */
  readonly baseUrl?: string;
  readonly limit: number;
}

/**
 * When a session is over, as core/sessions.ts decides it (sessionCutoff): at or after its expiry
 * instant `now`, or when last seen at or before `idleBefore`.
 */
export interface SessionCutoff {
  readonly now: number;
  readonly idleBefore: number;
}

/** Which sessions countSessions counts: those of the query not over at the cutoff (the complement of purgeExpiredSessions). */
export interface SessionCountQuery extends SessionCutoff {
  readonly userId?: string;
  readonly baseUrl?: string;
}

/** The session writes a unit of work may hold (unitOfWork.ts). */
export type SessionWrite =
  /** Deletes every global session of the user with its local sessions and tokens. */
  | { readonly write: 'deleteUserSessions'; readonly userId: string }
  /**
   * Deletes the local sessions of the base url in the global sessions of a set (the group's; null:
   * the default set): an application that changes sets leaves the sessions of the one it leaves.
   */
  | { readonly write: 'deleteLocalSessionsOfSet'; readonly baseUrl: string; readonly groupName: string | null }
  /** Deletes every global session of the group with its local sessions and tokens. */
  | { readonly write: 'deleteGroupSessions'; readonly groupName: string };

export interface SessionStore {
  /** Creates a global session with its first local session and relay token, atomically. */
  createSession(global: GlobalSessionRecord, local: LocalSessionRecord, token: RelayTokenRecord): Promise<void>;
  /**
   * Inserts a global session alone: one whose browser binding (cookieHash, cookieSealedSecret) is set
   * at once, started without a relay token (core/sessions.ts startBrowserSession).
   */
  insertGlobalSession(global: GlobalSessionRecord): Promise<void>;
  findSessionByLocalId(idHash: string): Promise<SessionView | null>;
  /**
   * findCertificate and findSessionByLocalId in one read (one statement, one round trip, one
   * snapshot): verifySession from an application, on every page load, needs both.
   */
  findCertificateAndSession(fingerprint: string, localIdHash: string): Promise<CertificateAndSession>;
  findSessionByCookie(cookieHash: string): Promise<GlobalSessionRecord | null>;
  getGlobalSession(id: string): Promise<GlobalSessionRecord | null>;
  /** Inserts the local session unless one exists for (globalId, baseUrl); never changes an existing one. True when it inserted. */
  ensureLocalSession(local: LocalSessionRecord): Promise<boolean>;
  /** Moves lastSeenAt forward to `now` (idle timer renewal); never backwards, so overlapping renewals cannot shorten a session. */
  touchSession(globalId: string, now: number): Promise<void>;
  /**
   * Deletes the token and returns it when it exists and has not expired; null otherwise.
   * Exactly one of any number of concurrent callers gets it.
   */
  consumeRelayToken(tokenHash: string, now: number): Promise<RelayTokenRecord | null>;
  setSessionCookie(globalId: string, cookieHash: string, cookieSealedSecret: string): Promise<void>;
  /** Deletes the global session with its local sessions and tokens, atomically. */
  deleteGlobalSession(globalId: string): Promise<void>;
  /** Deletes the global sessions over at the cutoff, and the tokens expired at `cutoff.now`. Returns how many sessions. */
  purgeExpiredSessions(cutoff: SessionCutoff): Promise<number>;
  /** Global sessions matching the query with their local sessions' base URLs, newest first. */
  listSessions(query: SessionQuery): Promise<SessionSummary[]>;
  /** How many sessions match the query, without a limit (one indexed count). */
  countSessions(query: SessionCountQuery): Promise<number>;
  /** Deletes every global session of the user with its local sessions and tokens, atomically. Returns how many. */
  deleteUserSessions(userId: string): Promise<number>;
  /** The ids and users of the live and expired global sessions of the group (what ending it ends). */
  listGroupSessions(groupName: string): Promise<{ id: string; userId: string }[]>;
}
