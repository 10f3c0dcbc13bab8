// The keyring the core signs and verifies signed logon tickets and logout tokens with
// (docs/tickets.md): it makes the ticket-signing keys and keeps their private halves (a file of the
// data directory on SQLite, sealed with the master key in the store on PostgreSQL), and follows the
// keys in the store. Which key signs and which are published the core decides (core/ticketKeys.ts).
import type { TicketKeyRecord } from '../store/index.js';

/**
 * The `typ` of a ticket, of a logout token and of an On Session Start callback (explicit typing, RFC
 * 8725 section 3.11): none is taken for another.
 */
export type TicketTokenType = 'ssod-ticket+jwt' | 'ssod-logout+jwt' | 'ssod-session-start+jwt';

/** The claims of a JWT as signed or read: JSON values by name. */
export type TicketClaims = Readonly<Record<string, unknown>>;

/** What a verification checks beyond the signature. */
export interface TicketExpectations {
  readonly typ: TicketTokenType;
  /** The expected `iss`. */
  readonly issuer: string;
  /** The clock, in milliseconds. */
  readonly now: number;
}

/** Why a token was refused (docs/tickets.md "What a verifier checks"); `reason` is safe to log, never the token. */
export class TicketRefusedError extends Error {
  readonly reason: string;
  constructor(reason: string) {
    super(`ticket refused: ${reason}`);
    this.name = 'TicketRefusedError';
    this.reason = reason;
  }
}

export interface TicketKeyring {
  /** The stored keys, oldest first, read from the store at most 5 s ago (at once after a change made through this keyring). */
  keys(): Promise<readonly TicketKeyRecord[]>;
  /** Makes an Ed25519 key that signs `delayMs` after it is made, keeps its private half, stores it; its record. */
  createKey(delayMs: number): Promise<TicketKeyRecord>;
  /** Records that the key was revoked at `at`; false when there is no such key or it was revoked already. */
  revokeKey(kid: string, at: number): Promise<boolean>;
  /** A compact JWS of `claims` with the private half of `key`; header alg, kid and typ, nothing else. */
  sign(key: TicketKeyRecord, typ: TicketTokenType, claims: TicketClaims): Promise<string>;
  /**
   * Verifies a compact JWS with one of `keys` (the published ones): at most 4096 bytes, alg EdDSA or
   * ES256 and equal to the key's, the typ, the signature, iss, exp and iat (30 s of tolerance).
   * Throws TicketRefusedError. The claims the caller checks further (aud, domain, sid) are returned.
   */
  verify(token: string, keys: readonly TicketKeyRecord[], expected: TicketExpectations): Promise<TicketClaims>;
}
