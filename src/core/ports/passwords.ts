// What the core asks of password hashing (infra/hashing implements it): hash, verify in a fair turn
// per source, and refuse a source that already has its share of the work (docs/SECURITY.md, F39).
// With it, the rules on what a password hash may be: the legacy digests of protocol §5.6 and the
// stored form that `ssod import` accepts (docs/DECISIONS.md "Passwords").
import { LEGACY_HASH_TYPES, OPTION_SPECS } from '../../config/options.js';

export { LEGACY_HASH_TYPES };
export type LegacyHashType = (typeof LEGACY_HASH_TYPES)[number];

/**
 * The sources a hashing job is counted under (core/throttle.ts source keys, e.g. `source:192.0.2.7`
 * and `source:application:<id>`); it takes its turn under the last. Jobs with none (a new user's
 * hash) share one turn of their own and are never refused.
 */
export type HashingSources = readonly string[];

/** A source already has its share of the hashing work: the job was refused without hashing. */
export class HashingQueueFull extends Error {
  readonly code = 'hashingQueueFull';
  /** The source that has its share. */
  readonly source: string;
  /** True for the first refusal in a minute: worth a log line (a flood would otherwise fill the log). */
  readonly worthLogging: boolean;
  constructor(source: string, worthLogging: boolean) {
    super(`too many password hashes waiting for ${source}`);
    this.source = source;
    this.worthLogging = worthLogging;
  }
}

export interface VerifyResult {
  readonly ok: boolean;
  /** True when the stored form is weaker than the configured one (legacy wrap or lower cost). */
  readonly needsUpgrade: boolean;
}

/** What the hashing of this process has done since it started (metrics). */
export interface HashingCounts {
  /** Jobs handed to a thread. */
  readonly started: number;
  /** Jobs refused for a source over its share. */
  readonly refused: number;
  /** Jobs waiting for a thread now. */
  readonly waiting: number;
}

export interface PasswordHasher {
  /** A new hash of a plaintext password. */
  hash(plaintext: string): Promise<string>;
  /** A new hash of a legacy digest; `digestHex` must already be checked by `isLegacyDigest`. */
  hashLegacyDigest(type: LegacyHashType, digestHex: string): Promise<string>;
  /** `sources`: whose turn this is; throws HashingQueueFull, without hashing, when one of them already has its share. */
  verify(stored: string, plaintext: string, sources?: HashingSources): Promise<VerifyResult>;
  /** Costs what a verify costs; used for unknown logins so that they take as long as wrong passwords. */
  verifyDummy(plaintext: string, sources?: HashingSources): Promise<void>;
  counts(): HashingCounts;
}

const DIGEST_HEX_LENGTH: Readonly<Record<LegacyHashType, number>> = { sha1: 40, md5: 32, sha256: 64 };

export function isLegacyHashType(value: string): value is LegacyHashType {
  return (LEGACY_HASH_TYPES as readonly string[]).includes(value);
}

/** A legacy digest is hex of the right length for its type, either case (docs/DECISIONS.md, D27). */
export function isLegacyDigest(type: LegacyHashType, digest: string): boolean {
  return digest.length === DIGEST_HEX_LENGTH[type] && /^[0-9a-fA-F]+$/.test(digest);
}

// ---------------------------------------------------------------------------------------------
// The stored form: argon2id as a PHC string, bare or wrapping a legacy digest (`sha1:$argon2id$…`).

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

const LEGACY_PREFIX = `(?:(?:${LEGACY_HASH_TYPES.join('|')}):)?`;
const STORED_HASH_FORM = new RegExp(
  `^${LEGACY_PREFIX}\\$argon2id\\$v=19\\$m=(\\d{1,10}),t=(\\d{1,10}),p=(\\d{1,10})\\$([A-Za-z0-9+/]+)\\$([A-Za-z0-9+/]+)$`,
);

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
  if (match === null) {
    const prefixes = LEGACY_HASH_TYPES.map((type) => `${type}:`);
    const last = prefixes.pop() ?? '';
    return `must be an argon2id hash as ssod stores it (never a plaintext): $argon2id$v=19$m=…,t=…,p=…$salt$hash, bare or after ${prefixes.join(', ')} or ${last}`;
  }
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
