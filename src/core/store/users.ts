// Users (protocol §3.2, §5.6–5.16): the store's part.

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
  /**
   * The delegated source that checks this user's password (single sign-on, docs/FEDERATION.md), or
   * null: ssod's own hash checks it. A user with a source has no local password (passwordHash is '').
   */
  readonly sourceName: string | null;
}

/** Which users listUsers gives, ordered by login key. */
export interface UserQuery {
  /** Only the users of this owner application. */
  readonly ownerId?: string;
  /** Only the users of a set (docs/groups.md): owned by a member of the group, or with null by an ungrouped application. */
  readonly set?: { readonly groupName: string | null };
  /** Only logins whose key contains this text (compare folded: pass a login key fragment). */
  readonly loginKeyContains?: string;
  /** Paging: only login keys after this one. */
  readonly afterLoginKey?: string;
  /** At most this many. */
  readonly limit: number;
}

/** Thrown by insertUser and changeLogin when the login key is taken. */
export class DuplicateLoginError extends Error {
  constructor() {
    super('login already registered');
    this.name = 'DuplicateLoginError';
  }
}

/**
 * The user writes a unit of work may hold (unitOfWork.ts); what goes with them (disabling a user
 * ends its sessions) is the core's rule (core/users.ts).
 */
export type UserWrite =
  /** Sets when the user was disabled (null: enabled); changes nothing when there is no such user. */
  | { readonly write: 'setUserDisabled'; readonly userId: string; readonly disabledAt: number | null }
  /** Every user of one owner passes to another (a subscriber joining a group hands its users to the provider). */
  | { readonly write: 'transferUsers'; readonly fromOwnerId: string; readonly toOwnerId: string };

export interface UserStore {
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
}
