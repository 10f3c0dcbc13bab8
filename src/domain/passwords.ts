// Password storage (DESIGN.md "Passwords"): argon2id, parameters recorded with each hash (PHC string).
// A legacy digest (003 §5.6 passwordHashType) is stored wrapped: `sha1:` + argon2id(hex digest), and
// upgraded to a direct hash at the next successful sign-in with the plaintext. Hashing runs on a
// pool of low-priority threads (domain/hashing.ts), never on the event loop.
import { createHash } from 'node:crypto';
import type { Algorithm } from '@node-rs/argon2';
import { HashingQueueFull, hashPassword as argon2Hash, verifyPassword as argon2Verify, type HashingSources } from './hashing.js';

/** The legacy digest types that createUser and changePassword accept (getSettings passwordHash). */
export const LEGACY_HASH_TYPES = ['sha1', 'md5', 'sha256'] as const;
export type LegacyHashType = (typeof LEGACY_HASH_TYPES)[number];

// The package declares Algorithm as a const enum, which cannot be read at run time under
// verbatimModuleSyntax; 2 is its Argon2id member.
const ARGON2ID = 2 as Algorithm.Argon2id;

const DIGEST_HEX_LENGTH: Readonly<Record<LegacyHashType, number>> = { sha1: 40, md5: 32, sha256: 64 };

export interface Argon2Parameters {
  readonly memoryKib: number;
  readonly iterations: number;
}

export interface VerifyResult {
  readonly ok: boolean;
  /** True when the stored form is weaker than the configured one (legacy wrap or lower cost). */
  readonly needsUpgrade: boolean;
}

export interface PasswordHasher {
  /** A new hash of a plaintext password. */
  hash(plaintext: string): Promise<string>;
  /** A new hash of a legacy digest; `digestHex` must already be checked by `isLegacyDigest`. */
  hashLegacyDigest(type: LegacyHashType, digestHex: string): Promise<string>;
  /**
   * `sources`: whose turn in the hashing pool this is (domain/hashing.ts); throws HashingQueueFull,
   * without hashing, when one of them already has its share of the pool.
   */
  verify(stored: string, plaintext: string, sources?: HashingSources): Promise<VerifyResult>;
  /** Costs what a verify costs; used for unknown logins so that they take as long as wrong passwords. */
  verifyDummy(plaintext: string, sources?: HashingSources): Promise<void>;
}

export function isLegacyHashType(value: string): value is LegacyHashType {
  return (LEGACY_HASH_TYPES as readonly string[]).includes(value);
}

/** A legacy digest is hex of the right length for its type, either case (DESIGN.md, ATTACKS #27). */
export function isLegacyDigest(type: LegacyHashType, digest: string): boolean {
  return digest.length === DIGEST_HEX_LENGTH[type] && /^[0-9a-fA-F]+$/.test(digest);
}

function legacyDigestOf(type: LegacyHashType, plaintext: string): string {
  return createHash(type).update(plaintext, 'utf8').digest('hex');
}

/** Splits `sha1:$argon2id$…` into its legacy type and the PHC string; a bare PHC string has none. */
function splitStored(stored: string): { legacy: LegacyHashType | null; phc: string } {
  const colon = stored.indexOf(':');
  if (colon > 0 && colon < 8) {
    const prefix = stored.slice(0, colon);
    if (isLegacyHashType(prefix)) return { legacy: prefix, phc: stored.slice(colon + 1) };
  }
  return { legacy: null, phc: stored };
}

function costOf(phc: string): Argon2Parameters | null {
  const match = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=\d+\$/.exec(phc);
  return match ? { memoryKib: Number(match[1]), iterations: Number(match[2]) } : null;
}

export function createPasswordHasher(parameters: Argon2Parameters): PasswordHasher {
  const argon2Options = {
    algorithm: ARGON2ID,
    memoryCost: parameters.memoryKib,
    timeCost: parameters.iterations,
    parallelism: 1,
  };
  const hash = (secret: string): Promise<string> => argon2Hash(secret, argon2Options);
  // A fixed hash at the configured cost, computed once, to verify against for unknown logins.
  let dummy: Promise<string> | null = null;

  return {
    hash,
    hashLegacyDigest: async (type, digestHex) => `${type}:${await hash(digestHex.toLowerCase())}`,
    async verify(stored, plaintext, sources = []) {
      const { legacy, phc } = splitStored(stored);
      const secret = legacy === null ? plaintext : legacyDigestOf(legacy, plaintext);
      let ok: boolean;
      try {
        ok = await argon2Verify(phc, secret, sources);
      } catch (error) {
        if (error instanceof HashingQueueFull) throw error;
        ok = false; // an unreadable stored hash never verifies
      }
      const cost = costOf(phc);
      const weaker = cost === null || cost.memoryKib < parameters.memoryKib || cost.iterations < parameters.iterations;
      return { ok, needsUpgrade: ok && (legacy !== null || weaker) };
    },
    async verifyDummy(plaintext, sources = []) {
      dummy ??= hash('ssod dummy password for unknown logins');
      try {
        await argon2Verify(await dummy, plaintext, sources);
      } catch (error) {
        if (error instanceof HashingQueueFull) throw error;
        // the result is not used; only the time it takes matters
      }
    },
  };
}
