// The one storage contract every engine implements (STYLE: one store contract, many engines).
// Everything is async so that a networked engine (PostgreSQL) fits the same shape as SQLite.
// Times are milliseconds since the epoch. Secrets (session ids, relay tokens, cookie values) are
// never stored: only their SHA-256, hex (DESIGN.md "Sessions and the relay").

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
  /** SHA-256 of the DER certificate, lower-case hex: the identity of the caller (DESIGN.md "Certificates"). */
  readonly fingerprint: string;
  readonly applicationId: string;
  /** Hex serial number, for operators. */
  readonly serial: string;
  readonly issuedAt: number;
  readonly notAfter: number;
  /** First time a request presented it; null while never used. */
  readonly firstUsedAt: number | null;
  /** When it stopped being accepted (003 §4.2 rotation); null while accepted. */
  readonly retiredAt: number | null;
}

export interface UserRecord {
  /** UUID, lower case. */
  readonly id: string;
  /** The login as the owner gave it. */
  readonly login: string;
  /** The login folded for comparison (NFC, lower case): unique (DESIGN.md "Logins"). */
  readonly loginKey: string;
  /** The owner application's id (003 §3.2). */
  readonly ownerId: string;
  /** The password hash as a self-describing string (see domain/passwords.ts). */
  readonly passwordHash: string;
  readonly createdAt: number;
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
  /** The session's derivation secret sealed with the cookie value (domain/sessions.ts); else null. */
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

/** Thrown by insertUser and changeLogin when the login key is taken. */
export class DuplicateLoginError extends Error {
  constructor() {
    super('login already registered');
    this.name = 'DuplicateLoginError';
  }
}

export interface Store {
  readonly engine: 'sqlite' | 'postgres';
  /** Resolves when the store answers a trivial query (for /healthz). */
  ping(): Promise<void>;
  close(): Promise<void>;

  // Applications (003 §5.1–5.5)
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

  // Certificates (003 §4.2)
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

  // Users (003 §5.6–5.16)
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

  // Sessions (003 §2, §5.17–5.19)
  /** Creates a global session with its first local session and relay token, atomically. */
  createSession(global: GlobalSessionRecord, local: LocalSessionRecord, token: RelayTokenRecord): Promise<void>;
  findSessionByLocalId(idHash: string): Promise<SessionView | null>;
  findSessionByCookie(cookieHash: string): Promise<GlobalSessionRecord | null>;
  getGlobalSession(id: string): Promise<GlobalSessionRecord | null>;
  /** Inserts the local session unless one exists for (globalId, baseUrl); never changes an existing one. */
  ensureLocalSession(local: LocalSessionRecord): Promise<void>;
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
}
