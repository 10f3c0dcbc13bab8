// Signed logon tickets (docs/tickets.md): the store's part. The ticket-signing keys (their public
// halves, their times, and on PostgreSQL their private halves sealed with the master key), the
// receivers the operator configured, and the grants: which receiver was issued a ticket of which
// global session, until when, so that ending the session can notify the receivers (Logout).

/** A ticket-signing key as stored; its state is computed from its times (core/ticketKeys.ts). */
export interface TicketKeyRecord {
  /** The key's JWK thumbprint (RFC 7638, SHA-256, base64url). */
  readonly kid: string;
  /** The JWS algorithm it signs with: `EdDSA`. */
  readonly algorithm: string;
  /** The public key as a JWK, JSON text (kty, crv, x): what the key set publishes. */
  readonly publicJwk: string;
  /**
   * The PKCS#8 PEM private key sealed with the master key under the name `ticket-key:<kid>`
   * (PostgreSQL); null on SQLite, where it is the file `tickets/<kid>.key` of the data directory.
   */
  readonly sealedKey: string | null;
  readonly createdAt: number;
  /** From when it signs (docs/tickets.md "Rotation"). */
  readonly signsFrom: number;
  /** When the operator withdrew it; null while not revoked. */
  readonly revokedAt: number | null;
}

/** A receiver (docs/tickets.md "Receivers"): the domain it serves, its base URL, the CA its certificate chains to (null: the system's). */
export interface TicketReceiverRecord {
  readonly name: string;
  readonly domain: string;
  readonly url: string;
  readonly caPem: string | null;
  readonly createdAt: number;
}

/** Tickets of one global session were issued for one receiver: it is told when the session ends, until the last ticket expires. */
export interface TicketGrant {
  readonly globalId: string;
  readonly receiver: string;
  readonly userId: string;
  /** When the last ticket of the session for the receiver was issued. */
  readonly issuedAt: number;
  /** When the last of them expires (the latest `exp`, in milliseconds). */
  readonly expiresAt: number;
}

/** Thrown by insertTicketReceiver when the name is taken. */
export class DuplicateReceiverError extends Error {
  constructor(name: string) {
    super(`a receiver named ${name} exists already`);
    this.name = 'DuplicateReceiverError';
  }
}

/** Which grants listTicketGrants gives: those of one global session, or every one of the user. */
export interface TicketGrantQuery {
  readonly userId: string;
  readonly globalId: string | null;
}

export interface TicketStore {
  /** Every key, oldest first (by createdAt, then kid). */
  listTicketKeys(): Promise<TicketKeyRecord[]>;
  /** Stores a new key; a key of the same kid is left as it is (false then). */
  insertTicketKey(record: TicketKeyRecord): Promise<boolean>;
  /** Marks the key revoked at `at`; false when there is no such key or it was revoked already. */
  revokeTicketKey(kid: string, at: number): Promise<boolean>;
  /** Every receiver, by name (byte-wise). */
  listTicketReceivers(): Promise<TicketReceiverRecord[]>;
  getTicketReceiver(name: string): Promise<TicketReceiverRecord | null>;
  /** Throws DuplicateReceiverError when the name is taken. */
  insertTicketReceiver(record: TicketReceiverRecord): Promise<void>;
  /** Deletes the receiver with its grants; false when there is none. */
  deleteTicketReceiver(name: string): Promise<boolean>;
  /** Records a grant, or moves an existing one's issuedAt and expiresAt forward (never back). */
  recordTicketGrant(grant: TicketGrant): Promise<void>;
  /** The grants of the query, by receiver name (then global id). */
  listTicketGrants(query: TicketGrantQuery): Promise<TicketGrant[]>;
  /** Deletes these grants, each unless a ticket was issued again after its issuedAt. */
  deleteTicketGrants(grants: readonly TicketGrant[]): Promise<void>;
  /** Deletes the grants whose tickets have all expired at `now`; how many. */
  purgeTicketGrants(now: number): Promise<number>;
}
