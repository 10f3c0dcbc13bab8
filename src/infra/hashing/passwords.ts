// Password storage (docs/DECISIONS.md "Passwords"): argon2id, parameters recorded with each hash (PHC string).
// A legacy digest (protocol §5.6 passwordHashType) is stored wrapped: `sha1:` + argon2id(hex digest), and
// upgraded to a direct hash at the next successful sign-in with the plaintext. Hashing runs on a
// pool of low-priority threads (infra/hashing/pool.ts), never on the event loop.
import { createHash } from 'node:crypto';
import type { Algorithm } from '@node-rs/argon2';
import { OPTION_SPECS } from '../../config/options.js';
import { HashingQueueFull, hashPassword as argon2Hash, verifyPassword as argon2Verify, type HashingSources } from './pool.js';

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
   * `sources`: whose turn in the hashing pool this is (infra/hashing/pool.ts); throws HashingQueueFull,
   * without hashing, when one of them already has its share of the pool.
   */
  verify(stored: string, plaintext: string, sources?: HashingSources): Promise<VerifyResult>;
  /** Costs what a verify costs; used for unknown logins so that they take as long as wrong passwords. */
  verifyDummy(plaintext: string, sources?: HashingSources): Promise<void>;
}

export function isLegacyHashType(value: string): value is LegacyHashType {
  return (LEGACY_HASH_TYPES as readonly string[]).includes(value);
}

/** A legacy digest is hex of the right length for its type, either case (docs/DECISIONS.md, D27). */
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

/** A bound on one part of a stored hash: from `min` to `max`, in `unit`. */
interface Bound {
  readonly min: number;
  readonly max: number;
  readonly unit: string;
}

/**
 * What a stored hash that comes from outside (`ssod import`) may cost and hold. Memory and iterations
 * are the ranges that --argon2-memory-kib and --argon2-iterations accept, so that an imported hash
 * costs no more at sign-in than one this ssod could be set to make (a larger one is a denial of
 * service at the next sign-in) and no less (a weaker one is a cheap guess). ssod makes parallelism 1;
 * other argon2 producers use a few lanes. Salt and output lengths are those of RFC 9106, section 3.1
 * (salt 16 bytes recommended, at least 8; tag at least 4 bytes, 32 usual).
 */
export const STORED_HASH_BOUNDS: Readonly<Record<'memoryKib' | 'iterations' | 'parallelism' | 'saltBytes' | 'hashBytes', Bound>> = {
  memoryKib: { min: OPTION_SPECS.argon2MemoryKib.min, max: OPTION_SPECS.argon2MemoryKib.max, unit: 'KiB' },
  iterations: { min: OPTION_SPECS.argon2Iterations.min, max: OPTION_SPECS.argon2Iterations.max, unit: '' },
  parallelism: { min: 1, max: 8, unit: '' },
  saltBytes: { min: 8, max: 64, unit: 'bytes' },
  hashBytes: { min: 16, max: 64, unit: 'bytes' },
};

const STORED_HASH_FORM = /^(?:(?:sha1|md5|sha256):)?\$argon2id\$v=19\$m=(\d{1,10}),t=(\d{1,10}),p=(\d{1,10})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

/** Bytes that unpadded base64 of `length` characters holds, or null for a length no encoding gives. */
function base64Bytes(length: number): number | null {
  return length % 4 === 1 ? null : Math.floor((length * 3) / 4);
}

/**
 * Null when `stored` is a hash as ssod stores it (argon2id PHC string, bare or wrapping a legacy
 * digest) within STORED_HASH_BOUNDS; otherwise what is wrong with it, naming the bound.
 */
export function storedHashProblem(stored: string): string | null {
  const match = STORED_HASH_FORM.exec(stored);
  if (match === null) return 'must be an argon2id hash as ssod stores it (never a plaintext): $argon2id$v=19$m=…,t=…,p=…$salt$hash, bare or after sha1:, md5: or sha256:';
  const [, memory, iterations, parallelism, salt, hash] = match as unknown as [string, string, string, string, string, string];
  const parts: readonly [keyof typeof STORED_HASH_BOUNDS, string, number | null][] = [
    ['memoryKib', 'argon2id memory m', Number(memory)],
    ['iterations', 'argon2id iterations t', Number(iterations)],
    ['parallelism', 'argon2id parallelism p', Number(parallelism)],
    ['saltBytes', 'the salt', base64Bytes(salt.length)],
    ['hashBytes', 'the hash output', base64Bytes(hash.length)],
  ];
  for (const [name, what, value] of parts) {
    const { min, max, unit } = STORED_HASH_BOUNDS[name];
    const units = unit === '' ? '' : ` ${unit}`;
    if (value === null) return `${what} is not valid unpadded base64`;
    if (value < min || value > max) return `${what} is ${value}${units}, outside the bounds ssod accepts (${min} to ${max}${units})`;
  }
  return null;
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
