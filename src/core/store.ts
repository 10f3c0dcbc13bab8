// The one storage contract every engine implements (STYLE: one store contract, many engines).
// Everything is async so that a networked engine (PostgreSQL) fits the same shape as SQLite.
// Times are milliseconds since the epoch. Secrets (session ids, relay tokens, cookie values) are
// never stored: only their SHA-256, hex (docs/DECISIONS.md "Sessions and the relay").

export interface ApplicationRecord {
  /** UUID, lower case. */
  readonly id: string;
  readonly name: string;
  readonly displayName: string;
  readonly version: string;
  readonly capabilities: string;
  /** Normalized `scheme://host:port/`, or null when the application gave none. */
  readonly url: string | null;
  readonly restorePasswordUrl: string | null;
  readonly changePasswordUrl: string | null;
  readonly createdAt: number;
}

/** The updatable fields of an application; an absent key is left unchanged, null clears it. */
export type ApplicationChanges = Partial<Omit<ApplicationRecord, 'id' | 'createdAt'>>;

/** A client certificate that ssod issued to an application. */
export interface CertificateRecord {
  /** SHA-256 of the DER certificate, lower-case hex: the identity of the caller (docs/DECISIONS.md "Certificates"). */
  readonly fingerprint: string;
  readonly applicationId: string;
  /** Hex serial number, for operators. */
  readonly serial: string;
  readonly issuedAt: number;
  readonly notAfter: number;
  /** First time a request presented it; null while never used. */
  readonly firstUsedAt: number | null;
  /** When it stopped being accepted (protocol §4.2 rotation); null while accepted. */
  readonly retiredAt: number | null;
}

export interface UserRecord {
  /** UUID, lower case. */
  readonly id: string;
  /** The login as the owner gave it. */
  readonly login: string;
  /** The login as compared: its PRECIS UsernameCaseMapped form (core/identifiers.ts), unique (docs/DECISIONS.md "Logins"). */
  readonly loginKey: string;
  /** The owner application's id (protocol §3.2). */
  readonly ownerId: string;
  /** The password hash as a self-describing string (see infra/hashing/passwords.ts). */
  readonly passwordHash: string;
  readonly createdAt: number;
  /** When an operator disabled the user; null while enabled. A disabled user cannot authenticate. */
  readonly disabledAt: number | null;
}

/** Which users listUsers gives, ordered by login key. */
export interface UserQuery {
  /** Only the users of this owner application. */
  readonly ownerId?: string;
  /** Only logins whose key contains this text (compare folded: pass a login key fragment). */
  readonly loginKeyContains?: string;
  /** Paging: only login keys after this one. */
  readonly afterLoginKey?: string;
  /** At most this many. */
  readonly limit: number;
}

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

/** Which sessions countSessions counts: those of the query still live at `now` (the complement of purgeExpiredSessions). */
export interface SessionCountQuery {
  readonly userId?: string;
  readonly baseUrl?: string;
  readonly now: number;
  /** Sessions last seen at or before this are idle, so over. */
  readonly idleBefore: number;
}

/** PostgreSQL pool use (pg Pool totalCount, idleCount, waitingCount), for the metrics. */
export interface PoolUse {
  readonly total: number;
  readonly idle: number;
  readonly waiting: number;
}

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

/** A security event for the audit trail. `detail` holds only fields that are safe to show (never a secret). */
export interface AuditEvent {
  readonly at: number;
  /** What happened, e.g. `user.created`, `authentication.failed`. */
  readonly type: string;
  /** Who did it, e.g. `application:<id>`, `guest`, `operator`. */
  readonly actor: string;
  /** What it was done to, e.g. `user:<id>`, `application:<id>`, `login:<login key>`. */
  readonly target: string;
  /** `ok`, or the reason it failed. */
  readonly outcome: string;
  readonly detail: Readonly<Record<string, string | number | boolean | null>>;
}

export interface AuditRecord extends AuditEvent {
  /** Increasing in the order the events were appended. */
  readonly id: number;
}

/** Which audit events queryAudit gives, newest first. */
export interface AuditQuery {
  /** Only events at or after this time. */
  readonly since?: number;
  /** Only events before this time. */
  readonly until?: number;
  readonly type?: string;
  readonly actor?: string;
  readonly target?: string;
  /** Paging: only events with a smaller id. */
  readonly beforeId?: number;
  readonly limit: number;
}

/**
 * Key material that every node must share (the certificate authority, the server certificate),
 * kept in the store when the store is PostgreSQL. The private key is sealed by the domain with the
 * master key before it reaches the store (infra/keys/masterKey.ts): the store never sees it plain.
 */
export interface KeyMaterialRecord {
  /** What it is: 'ca' or 'server'. */
  readonly name: string;
  readonly certificatePem: string;
  /** The PEM private key sealed with the master key. */
  readonly sealedKey: string;
  readonly updatedAt: number;
}

/** Thrown by insertUser and changeLogin when the login key is taken. */
export class DuplicateLoginError extends Error {
  constructor() {
    super('login already registered');
    this.name = 'DuplicateLoginError';
  }
}

/**
 * Thrown by a networked engine when the database cannot be reached or does not answer in time
 * (connection refused or lost, timeouts, the server shutting down). The request fails fast with
 * sso:internalError, the relay answers 503; the engine reconnects by itself on the next call.
 */
export class StoreUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`the store is unavailable: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'StoreUnavailableError';
  }
}

export interface Store {
  readonly engine: 'sqlite' | 'postgres';
  /** Resolves when the store answers a trivial query (for /healthz). */
  ping(): Promise<void>;
  /** Commits a write that changes no data (the latest schema version's row set to itself): /readyz knows writes work. */
  probeWrite(): Promise<void>;
  /** The connection pool's use, for an engine that has one (PostgreSQL). */
  poolUse?(): PoolUse;
  close(): Promise<void>;

  // Applications (protocol §5.1–5.5)
  /** Inserts the application and its first certificate, atomically. */
  insertApplication(app: ApplicationRecord, cert: CertificateRecord): Promise<void>;
  getApplication(id: string): Promise<ApplicationRecord | null>;
  listApplicationIds(): Promise<string[]>;
  listApplications(): Promise<ApplicationRecord[]>;
  /** False when no such application. */
  updateApplication(id: string, changes: ApplicationChanges): Promise<boolean>;
  /** Deletes the application, its certificates, the users it owns and their sessions, atomically. False when absent. */
  deleteApplication(id: string): Promise<boolean>;
  /** True when some registered application has exactly this normalized url (relay url rule). */
  hasApplicationUrl(url: string): Promise<boolean>;

  // Certificates (protocol §4.2)
  /**
   * Adds a newly issued certificate. Certificates of the same application that were issued but
   * never used are retired at once (only the newest pending one may take over); the one in use stays.
   */
  addCertificate(cert: CertificateRecord): Promise<void>;
  findCertificate(fingerprint: string): Promise<CertificateRecord | null>;
  listCertificates(applicationId: string): Promise<CertificateRecord[]>;
  /**
   * The first request with this certificate: marks it used and retires every other certificate of
   * its application, atomically. Returns false (and changes nothing) when the certificate is
   * already retired, so a race between old and new certificates has one outcome.
   */
  activateCertificate(fingerprint: string, now: number): Promise<boolean>;

  // Users (protocol §5.6–5.16)
  /** Throws DuplicateLoginError when the login key is taken. */
  insertUser(user: UserRecord): Promise<void>;
  getUser(id: string): Promise<UserRecord | null>;
  findUserByLoginKey(loginKey: string): Promise<UserRecord | null>;
  listUserIds(ownerId: string): Promise<string[]>;
  /** Throws DuplicateLoginError when the login key is taken. False when no such user. */
  changeLogin(id: string, login: string, loginKey: string): Promise<boolean>;
  /**
   * Replaces the password hash. With `expected`, only when the stored hash still equals it
   * (a hash upgrade must not undo a concurrent changePassword). False when nothing changed.
   */
  setPasswordHash(id: string, passwordHash: string, expected?: string): Promise<boolean>;
  /** False when no such user. */
  setOwner(id: string, ownerId: string): Promise<boolean>;
  /** Deletes the user and all of its sessions, atomically. False when absent. */
  deleteUser(id: string): Promise<boolean>;
  /** Users matching the query, ordered by login key. */
  listUsers(query: UserQuery): Promise<UserRecord[]>;
  /**
   * Disables the user at `disabledAt`, ending all of its sessions in the same transaction, or
   * enables it with null (keeping nothing else). False when no such user.
   */
  setUserDisabled(id: string, disabledAt: number | null): Promise<boolean>;

  // Sessions (protocol §2, §5.17–5.19)
  /** Creates a global session with its first local session and relay token, atomically. */
  createSession(global: GlobalSessionRecord, local: LocalSessionRecord, token: RelayTokenRecord): Promise<void>;
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
  /** Deletes global sessions past their lifetime or idle since `idleBefore`, and expired tokens. Returns how many sessions. */
  purgeExpiredSessions(now: number, idleBefore: number): Promise<number>;
  /** Global sessions matching the query with their local sessions' base URLs, newest first. */
  listSessions(query: SessionQuery): Promise<SessionSummary[]>;
  /** How many sessions match the query, without a limit (one indexed count). */
  countSessions(query: SessionCountQuery): Promise<number>;
  /** Deletes every global session of the user with its local sessions and tokens, atomically. Returns how many. */
  deleteUserSessions(userId: string): Promise<number>;

  // Service settings (operator commands; read by every node)
  /** Every stored setting, by key; a key that is absent has its default. */
  readSettings(): Promise<Record<string, string>>;
  /** Sets (a string) or removes (null) settings, all in one transaction. */
  writeSettings(changes: Readonly<Record<string, string | null>>, now: number): Promise<void>;

  // Brute-force protection
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
   * that this attempt set, if any. All in one transaction.
   */
  settleSuccess(attemptId: string, clear: string, refund: readonly string[]): Promise<void>;
  /** The records of those keys that have one, in any order. */
  getThrottles(keys: readonly string[]): Promise<ThrottleRecord[]>;
  /** Every record, most recent failure first (at most `limit`). */
  listThrottles(limit: number): Promise<ThrottleRecord[]>;
  /** Forgets the key's failures and lock. False when it had none. */
  clearThrottle(key: string): Promise<boolean>;
  /** Forgets records whose last failure was before `before` and that are not locked at `now`. Returns how many. */
  purgeThrottles(before: number, now: number): Promise<number>;

  // Audit trail
  appendAudit(event: AuditEvent): Promise<void>;
  /** Events matching the query, newest first. */
  queryAudit(query: AuditQuery): Promise<AuditRecord[]>;
  /** Deletes events before `before`. Returns how many. */
  trimAudit(before: number): Promise<number>;

  // Key material shared by every node (the CA and the server certificate)
  getKeyMaterial(name: string): Promise<KeyMaterialRecord | null>;
  /**
   * Stores `record` unless another writer got there first, and returns what the store holds
   * afterwards. When nothing is stored under its name it is inserted (so several nodes creating
   * the CA at once end up with one: the first insert wins and the others get it back); otherwise
   * it replaces the stored record only when that record's certificatePem is still `replacing`.
   */
  saveKeyMaterial(record: KeyMaterialRecord, replacing: string | null): Promise<KeyMaterialRecord>;

  // ---- Browser sessions and the outbox of domain events (core/sessions.ts, core/events.ts, core/outbox.ts) ----
  /**
   * Inserts a global session alone: one whose browser binding (cookieHash, cookieSealedSecret)
   * is set at once, started without a relay token.
   */
  insertGlobalSession(global: GlobalSessionRecord): Promise<void>;
  /** Appends an event; returns its id, greater than that of every event appended before it committed. */
  appendOutboxEvent(event: OutboxEventInput): Promise<number>;
  /** Up to `limit` events with an id above `after`, in id order. */
  readOutbox(after: number, limit: number): Promise<OutboxEventRecord[]>;
  /**
   * Takes the subscriber's lease for `owner` until `leaseUntil`, when nobody else holds it at `now`
   * (one holds it while its leaseUntil is later than now), creating the cursor on first use at 0, or
   * with `startAtEnd` at the last event's id. Returns the cursor's position, or null when another
   * owner holds the lease.
   */
  claimOutboxCursor(subscriber: string, owner: string, now: number, leaseUntil: number, startAtEnd: boolean): Promise<number | null>;
  /**
   * Moves the cursor forward to `position` (never backwards) and extends the lease, only while
   * `owner` holds it. False when it holds it no more (then nothing changed).
   */
  advanceOutboxCursor(subscriber: string, owner: string, position: number, leaseUntil: number): Promise<boolean>;
  /** Gives the lease up, when `owner` holds it. */
  releaseOutboxCursor(subscriber: string, owner: string): Promise<void>;
  /** Deletes events appended before `before`, and those that every cursor has passed. Returns how many. */
  trimOutbox(before: number): Promise<number>;
  /** appendAudit for the outbox event `eventId`: nothing when a record of that event exists. True when it appended. */
  appendAuditOfEvent(eventId: number, event: AuditEvent): Promise<boolean>;
}

/** An event as published, before the outbox gives it an id. */
export interface OutboxEventInput {
  readonly at: number;
  /** The event's type (core/events.ts), for operators reading the table. */
  readonly type: string;
  /** The event as JSON (core/events.ts); the store keeps it as it is. */
  readonly payload: string;
}

export interface OutboxEventRecord extends OutboxEventInput {
  /** Increasing in the order the events were appended. */
  readonly id: number;
}
