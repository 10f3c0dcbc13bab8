// The ticket keyring (core/ports/tickets.ts): Ed25519 keys made with node:crypto, named by their
// JWK thumbprint (RFC 7638), signing and verification through jose only. The private half of a key
// lives where the installation keeps its key material (docs/tickets.md "The key set"): on SQLite the
// file `tickets/<kid>.key` of the data directory (0600, in a 0700 directory), on PostgreSQL the
// store's record, sealed with the master key under the name `ticket-key:<kid>`. The keys are
// re-read from the store at most every 5 s, and at once after a change made through this keyring.
import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { chmod, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { calculateJwkThumbprint, errors, importJWK, jwtVerify, SignJWT, type JWK, type JWTHeaderParameters } from 'jose';
import type { Clock } from '../../core/ports/clock.js';
import {
  TicketRefusedError,
  type TicketClaims,
  type TicketExpectations,
  type TicketKeyring,
  type TicketTokenType,
} from '../../core/ports/tickets.js';
import type { Store, TicketKeyRecord } from '../../core/store/index.js';
import { readIfExists, writeFileAtomically } from '../files.js';
import type { MasterKey } from './masterKey.js';

/** How old the keys a node uses may be (docs/tickets.md: a rotation on one node is served by all within 5 s). */
export const KEYS_MAX_AGE_MS = 5000;
/** The subdirectory of the data directory with the private keys of a SQLite installation. */
export const TICKET_KEY_DIR = 'tickets';
/** docs/tickets.md "What a verifier checks", step 1. */
const MAX_TOKEN_BYTES = 4096;
const CLOCK_TOLERANCE_S = 30;
const ALGORITHMS = ['EdDSA', 'ES256'];
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** The name a sealed private key is bound to: it cannot be moved to another key's record. */
export function sealedKeyName(kid: string): string {
  return `ticket-key:${kid}`;
}

/** Where the private halves are kept: returns what the store record holds (a sealed key, or null), and reads one back. */
export interface TicketKeyPlace {
  save(kid: string, pkcs8Pem: string): Promise<string | null>;
  load(key: Pick<TicketKeyRecord, 'kid' | 'sealedKey'>): Promise<string>;
}

/** The file of a key's private half in a data directory. */
export function ticketKeyFile(dataDir: string, kid: string): string {
  return path.join(dataDir, TICKET_KEY_DIR, `${kid}.key`);
}

/** A SQLite installation's data directory: one file per key, owner-only, in an owner-only directory. */
export function dataDirTicketKeys(dataDir: string): TicketKeyPlace {
  return {
    async save(kid, pkcs8Pem) {
      const dir = path.join(dataDir, TICKET_KEY_DIR);
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await chmod(dir, 0o700); // whatever the umask, and a directory made before
      await writeFileAtomically(ticketKeyFile(dataDir, kid), pkcs8Pem, 0o600);
      return null;
    },
    async load(key) {
      const pem = await readIfExists(ticketKeyFile(dataDir, key.kid));
      if (pem === null)
        throw new Error(
          `the private key of ticket key ${key.kid} is missing (${ticketKeyFile(dataDir, key.kid)}): restore it, or make a new key with \`ssod tickets rotate --now\``,
        );
      return pem;
    },
  };
}

/** A PostgreSQL installation's store: the private half sealed with the master key in the key's record. */
export function sealedTicketKeys(masterKey: MasterKey): TicketKeyPlace {
  return {
    save: (kid, pkcs8Pem) => Promise.resolve(masterKey.seal(pkcs8Pem, sealedKeyName(kid))),
    load(key) {
      if (key.sealedKey === null) throw new Error(`ticket key ${key.kid} has no sealed private key in the store`);
      return Promise.resolve(masterKey.unseal(key.sealedKey, sealedKeyName(key.kid)));
    },
  };
}

/** A new Ed25519 key pair: the PKCS#8 PEM private half and the public JWK (kty, crv, x). */
function newKeyPair(): { pkcs8Pem: string; publicJwk: JWK } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const { kty, crv, x } = publicKey.export({ format: 'jwk' });
  return { pkcs8Pem: privateKey.export({ format: 'pem', type: 'pkcs8' }) as string, publicJwk: { kty, crv, x } };
}

/** What jose's refusal means, in the words of docs/tickets.md (never the token itself). */
function refusalOf(error: unknown): TicketRefusedError {
  if (error instanceof TicketRefusedError) return error;
  if (error instanceof errors.JWTExpired) return new TicketRefusedError('it has expired');
  if (error instanceof errors.JWTClaimValidationFailed)
    return new TicketRefusedError(`claim ${error.claim} is not valid (${error.reason})`);
  if (error instanceof errors.JWSSignatureVerificationFailed) return new TicketRefusedError('the signature does not verify');
  if (error instanceof errors.JOSEAlgNotAllowed) return new TicketRefusedError('its algorithm is not allowed');
  if (error instanceof errors.JOSEError) return new TicketRefusedError(`it is not a valid JWS (${error.code})`);
  throw error;
}

export interface KeyringOptions {
  readonly store: Store;
  readonly place: TicketKeyPlace;
  readonly now: Clock;
}

/** The keyring of one node: its view of the keys in the store, and the private halves it has loaded. */
export class StoreTicketKeyring implements TicketKeyring {
  readonly #store: Store;
  readonly #place: TicketKeyPlace;
  readonly #now: Clock;
  #read: { readonly at: number; readonly keys: Promise<readonly TicketKeyRecord[]> } | null = null;
  readonly #privateKeys = new Map<string, Promise<KeyObject>>();
  readonly #publicKeys = new Map<string, Promise<CryptoKey | Uint8Array>>();

  constructor(options: KeyringOptions) {
    this.#store = options.store;
    this.#place = options.place;
    this.#now = options.now;
  }

  keys(): Promise<readonly TicketKeyRecord[]> {
    const now = this.#now();
    if (this.#read !== null && now - this.#read.at < KEYS_MAX_AGE_MS && now >= this.#read.at) return this.#read.keys;
    const keys = this.#store.listTicketKeys();
    const read = { at: now, keys };
    this.#read = read;
    keys.catch(() => {
      if (this.#read === read) this.#read = null;
    });
    return keys;
  }

  async createKey(delayMs: number): Promise<TicketKeyRecord> {
    const createdAt = this.#now();
    const { pkcs8Pem, publicJwk } = newKeyPair();
    const kid = await calculateJwkThumbprint(publicJwk, 'sha256');
    const record: TicketKeyRecord = {
      kid,
      algorithm: 'EdDSA',
      publicJwk: JSON.stringify(publicJwk),
      sealedKey: await this.#place.save(kid, pkcs8Pem),
      createdAt,
      signsFrom: createdAt + delayMs,
      revokedAt: null,
    };
    await this.#store.insertTicketKey(record);
    this.#read = null;
    return record;
  }

  async revokeKey(kid: string, at: number): Promise<boolean> {
    const revoked = await this.#store.revokeTicketKey(kid, at);
    this.#read = null;
    return revoked;
  }

  async sign(key: TicketKeyRecord, typ: TicketTokenType, claims: TicketClaims): Promise<string> {
    const privateKey = await this.#privateKey(key);
    return new SignJWT({ ...claims }).setProtectedHeader({ alg: key.algorithm, kid: key.kid, typ }).sign(privateKey);
  }

  async verify(token: string, keys: readonly TicketKeyRecord[], expected: TicketExpectations): Promise<TicketClaims> {
    if (Buffer.byteLength(token) > MAX_TOKEN_BYTES) throw new TicketRefusedError(`it is longer than ${MAX_TOKEN_BYTES} bytes`);
    if (!COMPACT_JWS.test(token)) throw new TicketRefusedError('it is not three base64url parts');
    const keyOf = (header: JWTHeaderParameters): Promise<CryptoKey | Uint8Array> => {
      const key = keys.find((candidate) => candidate.kid === header.kid);
      if (key === undefined) throw new TicketRefusedError('its kid names no key of the key set');
      if (key.algorithm !== header.alg) throw new TicketRefusedError("its alg is not its key's");
      return this.#publicKey(key);
    };
    try {
      const { payload } = await jwtVerify(token, keyOf, {
        algorithms: ALGORITHMS,
        typ: expected.typ,
        issuer: expected.issuer,
        currentDate: new Date(expected.now),
        clockTolerance: CLOCK_TOLERANCE_S,
        requiredClaims: ['iss', 'iat', 'exp', 'jti', 'sub'],
      });
      // jose checks iat only for being a number: one from the future (beyond the tolerance) is refused here.
      if ((payload.iat ?? 0) > expected.now / 1000 + CLOCK_TOLERANCE_S) throw new TicketRefusedError('it was issued in the future');
      return payload;
    } catch (error) {
      throw refusalOf(error);
    }
  }

  #privateKey(key: TicketKeyRecord): Promise<KeyObject> {
    let loaded = this.#privateKeys.get(key.kid);
    if (loaded === undefined) {
      loaded = this.#place.load(key).then((pem) => createPrivateKey(pem));
      this.#privateKeys.set(key.kid, loaded);
      loaded.catch(() => this.#privateKeys.delete(key.kid));
    }
    return loaded;
  }

  #publicKey(key: TicketKeyRecord): Promise<CryptoKey | Uint8Array> {
    let imported = this.#publicKeys.get(key.kid);
    if (imported === undefined) {
      imported = importJWK(JSON.parse(key.publicJwk) as JWK, key.algorithm);
      this.#publicKeys.set(key.kid, imported);
      imported.catch(() => this.#publicKeys.delete(key.kid));
    }
    return imported;
  }
}

/** The keyring of an installation: sealed keys in the store with a master key (PostgreSQL), else files of the data directory. */
export function openTicketKeyring(store: Store, masterKey: MasterKey | null, dataDir: string, now: Clock): StoreTicketKeyring {
  const place = masterKey === null ? dataDirTicketKeys(dataDir) : sealedTicketKeys(masterKey);
  return new StoreTicketKeyring({ store, place, now });
}
