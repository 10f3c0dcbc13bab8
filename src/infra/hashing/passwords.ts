// Password storage (docs/DECISIONS.md "Passwords"), the core's PasswordHasher: argon2id, parameters
// recorded with each hash (PHC string).
// A legacy digest (protocol §5.6 passwordHashType) is stored wrapped: `sha1:` + argon2id(hex digest), and
// upgraded to a direct hash at the next successful sign-in with the plaintext. Hashing runs on a
// pool of low-priority threads (infra/hashing/pool.ts), never on the event loop.
import { createHash } from 'node:crypto';
import { HashingQueueFull, isLegacyHashType, type LegacyHashType, type PasswordHasher } from '../../core/ports/passwords.js';
import { ARGON2ID, hashingCounts, hashPassword as argon2Hash, verifyPassword as argon2Verify } from './pool.js';

export interface Argon2Parameters {
  readonly memoryKib: number;
  readonly iterations: number;
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
    counts: hashingCounts,
  };
}
