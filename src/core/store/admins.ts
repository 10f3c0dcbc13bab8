// The administrators of the admin console (docs/admin-console.md) and their console sessions: the
// store's part. Administrators are local accounts, apart from the service's users; the TOTP secret
// reaches the store only sealed, recovery codes and session secrets only as SHA-256.

/** An administrator as stored. */
export interface AdminRecord {
  /** Lower-case letters, digits, `.`, `_`, `-` (core/admins.ts adminNameProblem). */
  readonly name: string;
  /** argon2id, as the password hashing port makes it. */
  readonly passwordHash: string;
  /** The TOTP secret (base32) sealed with the installation's key (core/ports/secrets.ts). */
  readonly totpSealed: string;
  /** The last TOTP time step whose code was accepted; 0 before the first. */
  readonly totpLastStep: number;
  readonly createdAt: number;
  readonly lastSignInAt: number | null;
}

/** An administrator with how many recovery codes it has left. */
export interface AdminSummary extends AdminRecord {
  readonly recoveryCodesLeft: number;
}

/** A console session: the SHA-256 of its secret, whose it is, when it started and was last used. */
export interface AdminSessionRecord {
  readonly idHash: string;
  readonly adminName: string;
  readonly createdAt: number;
  readonly lastSeenAt: number;
}

/** What `resetAdmin` replaces: a new password hash, a new sealed secret with new recovery codes, or both. */
export interface AdminReset {
  readonly passwordHash?: string;
  readonly totp?: { readonly sealed: string; readonly recoveryCodeHashes: readonly string[] };
}

export interface AdminStore {
  /** Adds an administrator with its recovery codes, in one transaction; false when the name is taken. */
  addAdmin(record: AdminRecord, recoveryCodeHashes: readonly string[]): Promise<boolean>;
  getAdmin(name: string): Promise<AdminRecord | null>;
  /** Every administrator, by name. */
  listAdmins(): Promise<AdminSummary[]>;
  /** Removes the administrator, its recovery codes and its sessions; the number of sessions ended, or null when there was none. */
  removeAdmin(name: string): Promise<number | null>;
  /**
   * Replaces what `reset` gives (a new secret also replaces every recovery code and starts the
   * replay step over) and ends the administrator's sessions, in one transaction; the number of
   * sessions ended, or null when there is no such administrator.
   */
  resetAdmin(name: string, reset: AdminReset): Promise<number | null>;
  /** Records `step` as the last accepted TOTP step when it is later than the stored one: false for a replay. */
  acceptTotpStep(name: string, step: number): Promise<boolean>;
  /** Deletes the recovery code with this hash: true when it was there (accepted once, never again). */
  useRecoveryCode(name: string, codeHash: string): Promise<boolean>;
  /** The SHA-256 of each recovery code the administrator has left. */
  listRecoveryCodeHashes(name: string): Promise<string[]>;
  recordAdminSignIn(name: string, at: number): Promise<void>;

  createAdminSession(session: AdminSessionRecord): Promise<void>;
  getAdminSession(idHash: string): Promise<AdminSessionRecord | null>;
  /** Moves the session's last use to `at`. */
  touchAdminSession(idHash: string, at: number): Promise<void>;
  /** Ends one session; false when it was not there. */
  deleteAdminSession(idHash: string): Promise<boolean>;
  /** Deletes the sessions idle since before `idleBefore` or started before `createdBefore`. */
  purgeAdminSessions(idleBefore: number, createdBefore: number): Promise<number>;
}
