// The master key (docs/DECISIONS.md "Several nodes over PostgreSQL"): every node of a PostgreSQL
// installation reads the same key file, and private keys kept in the store (the CA's, the server
// certificate's) are sealed with it, so the database never holds them plain.
//
// The file is one line, `ssod-master-key-v1:` and 32 random bytes in base64url, readable by its
// owner only. Sealing is AES-256-GCM under a key derived from it with HKDF-SHA256; the name of the
// record is authenticated with it, so a sealed key cannot be moved to another record.
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { open, readFile, stat } from 'node:fs/promises';

const PREFIX = 'ssod-master-key-v1:';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const SEALED_VERSION = 'v1';

export class MasterKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MasterKeyError';
  }
}

export interface MasterKey {
  /** A short, public fingerprint of the key: sealed values name it, so a wrong key is told apart from damage. */
  readonly id: string;
  /** Seals `plaintext` for the record `name`: `v1.<key id>.<iv>.<ciphertext>.<tag>`, base64url parts. */
  seal(plaintext: string, name: string): string;
  /** Opens what seal made for `name`; throws a MasterKeyError that never shows the contents. */
  unseal(sealed: string, name: string): string;
}

/** The sealing of a key of KEY_BYTES random bytes (a master key file's, or one derived from other key material). */
export function masterKeyOf(raw: Buffer): MasterKey {
  const id = createHash('sha256').update('ssod master key id\0').update(raw).digest('hex').slice(0, 16);
  const key = Buffer.from(hkdfSync('sha256', raw, Buffer.alloc(0), 'ssod key material v1', KEY_BYTES));
  return {
    id,
    seal(plaintext, name) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(name, 'utf8'));
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return [SEALED_VERSION, id, iv.toString('base64url'), body.toString('base64url'), cipher.getAuthTag().toString('base64url')].join(
        '.',
      );
    },
    unseal(sealed, name) {
      const [version, keyId, iv, body, tag, ...rest] = sealed.split('.');
      if (
        version !== SEALED_VERSION ||
        keyId === undefined ||
        iv === undefined ||
        body === undefined ||
        tag === undefined ||
        rest.length > 0
      ) {
        throw new MasterKeyError(`the sealed ${name} key is not in a format this ssod knows`);
      }
      if (keyId !== id) {
        throw new MasterKeyError(
          `the ${name} key in the store was sealed with another master key (id ${keyId}; this file's is ${id}): every node must use the same master key file`,
        );
      }
      const [ivBytes, tagBytes] = [Buffer.from(iv, 'base64url'), Buffer.from(tag, 'base64url')];
      // GCM would accept a shortened tag, which is weaker: only the full 16 bytes open anything.
      if (ivBytes.length !== IV_BYTES || tagBytes.length !== TAG_BYTES)
        throw new MasterKeyError(`the sealed ${name} key in the store is damaged`);
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, ivBytes);
        decipher.setAAD(Buffer.from(name, 'utf8'));
        decipher.setAuthTag(tagBytes);
        return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
      } catch {
        throw new MasterKeyError(`the sealed ${name} key in the store is damaged: it does not open with this master key`);
      }
    },
  };
}

/** How to make a key file; every message about a missing or bad one ends with it. */
export function howToGenerate(file: string): string {
  return `make one with \`ssod master-key generate ${file}\`, copy it to every node, and pass it with --master-key-file (SSOD_MASTER_KEY_FILE)`;
}

/** Writes a new key file, owner-only; refuses to overwrite one (its sealed keys would be lost). */
export async function generateMasterKeyFile(file: string): Promise<MasterKey> {
  const raw = randomBytes(KEY_BYTES);
  let handle;
  try {
    handle = await open(file, 'wx', 0o600);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST')
      throw new MasterKeyError(`${file} already exists; a master key is never overwritten (the keys sealed with it would be lost)`);
    throw new MasterKeyError(`cannot create ${file}: ${(error as Error).message}`);
  }
  try {
    await handle.chmod(0o600); // whatever the umask
    await handle.writeFile(`${PREFIX}${raw.toString('base64url')}\n`, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  return masterKeyOf(raw);
}

/** Reads a key file; the message of every failure says what to do, and never shows the key. */
export async function readMasterKeyFile(file: string): Promise<MasterKey> {
  let text: string;
  let mode: number;
  try {
    mode = (await stat(file)).mode;
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new MasterKeyError(`master key file ${file} does not exist: ${howToGenerate(file)}`);
    throw new MasterKeyError(`cannot read master key file ${file}: ${(error as Error).message}`);
  }
  if ((mode & 0o077) !== 0) {
    throw new MasterKeyError(`master key file ${file} is readable by others (mode ${(mode & 0o777).toString(8)}): run chmod 600 ${file}`);
  }
  const line = text.trim();
  const raw = line.startsWith(PREFIX) ? Buffer.from(line.slice(PREFIX.length), 'base64url') : Buffer.alloc(0);
  if (raw.length !== KEY_BYTES || raw.toString('base64url') !== line.slice(PREFIX.length)) {
    throw new MasterKeyError(`${file} is not an ssod master key (one line made by \`ssod master-key generate\`)`);
  }
  return masterKeyOf(raw);
}
