// Where ssod keeps its key material (a private key and its certificate: the CA, the server
// certificate), addressed by name: one interface, two places, so that infra/keys/authority.ts
// loads, creates and renews the same way from both.
// - The data directory (a SQLite installation): the files KEY_MATERIAL names, private keys
//   readable by the owner only.
// - The store (a PostgreSQL installation, shared by every node): a key_material record by name,
//   certificate in the clear, private key sealed with the master key (infra/keys/masterKey.ts)
//   under that name, never plain in the database.
import { chmod, mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { readIfExists, writeFileAtomically } from '../files.js';
import type { Clock } from '../../core/ports/clock.js';
import type { Store } from '../../core/store/index.js';
import { CA_CERT_FILE, CA_KEY_FILE, SERVER_CERT_FILE, SERVER_KEY_FILE } from '../dataFiles.js';
import { howToGenerate, MasterKeyError, readMasterKeyFile, type MasterKey } from './masterKey.js';

/** The files of one key material in a data directory. */
export interface MaterialFiles {
  readonly key: string;
  readonly certificate: string;
}

/**
 * The key material ssod keeps, by name: the name is that of its record in the store (and the name
 * its sealed key is bound to), the files are where a data directory holds it. A new key with a
 * certificate is one more entry; the places, migrate-store and the sealing follow. (The
 * ticket-signing keys, many and without certificates, have their own keyring: ./tickets.ts.)
 */
export const KEY_MATERIAL = {
  ca: { key: CA_KEY_FILE, certificate: CA_CERT_FILE },
  server: { key: SERVER_KEY_FILE, certificate: SERVER_CERT_FILE },
} as const satisfies Readonly<Record<string, MaterialFiles>>;

export type MaterialName = keyof typeof KEY_MATERIAL;

/** Every name of KEY_MATERIAL, in its order. */
export const MATERIAL_NAMES = Object.keys(KEY_MATERIAL) as readonly MaterialName[];

export interface KeyAndCertificate {
  readonly keyPem: string;
  readonly certificatePem: string;
}

/** What a place holds for a name; either half may be missing. */
export interface StoredMaterial {
  readonly keyPem: string | null;
  readonly certificatePem: string | null;
}

export interface KeyMaterialPlace {
  /** How a message names the key or the certificate of `name` (a file path, a record of the store); never their contents. */
  label(name: MaterialName, part: 'key' | 'certificate'): string;
  read(name: MaterialName): Promise<StoredMaterial>;
  /**
   * Saves `material` unless another node changed the place since `replacing` (the certificate read
   * before, null when there was none), and returns what the place holds afterwards.
   */
  save(name: MaterialName, material: KeyAndCertificate, replacing: string | null): Promise<KeyAndCertificate>;
}

// ---------------------------------------------------------------------------------------------
// The data directory

const KEY_MODE = 0o600;
const CERT_MODE = 0o644;
const DIR_MODE = 0o700;

/** docs/DECISIONS.md "Certificates": a private key is readable by the owner only. */
async function tightenKeyMode(file: string): Promise<void> {
  const { mode } = await stat(file);
  if ((mode & 0o077) !== 0) await chmod(file, KEY_MODE);
}

/** Files in `dataDir`: one node owns them, so `replacing` never loses. Saving creates the directory (0700). */
export function dataDirPlace(dataDir: string): KeyMaterialPlace {
  const fileOf = (name: MaterialName, part: 'key' | 'certificate'): string => path.join(dataDir, KEY_MATERIAL[name][part]);
  return {
    label: fileOf,
    async read(name) {
      const keyPem = await readIfExists(fileOf(name, 'key'));
      if (keyPem !== null) await tightenKeyMode(fileOf(name, 'key'));
      return { keyPem, certificatePem: await readIfExists(fileOf(name, 'certificate')) };
    },
    async save(name, material) {
      await mkdir(dataDir, { recursive: true, mode: DIR_MODE });
      await writeFileAtomically(fileOf(name, 'key'), material.keyPem, KEY_MODE);
      await writeFileAtomically(fileOf(name, 'certificate'), material.certificatePem, CERT_MODE);
      return material;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The store

/** The key_material record of `name`, its private key sealed with the master key. */
export function sealedRecord(masterKey: MasterKey, name: MaterialName, material: KeyAndCertificate, now: number) {
  return { name, certificatePem: material.certificatePem, sealedKey: masterKey.seal(material.keyPem, name), updatedAt: now };
}

/** Records of the store's key_material table; several nodes may create or renew at once, the store settles it. */
export function storePlace(store: Store, masterKey: MasterKey, now: Clock): KeyMaterialPlace {
  return {
    label: (name, part) => `the ${name} ${part} in the store`,
    async read(name) {
      const record = await store.getKeyMaterial(name);
      if (record === null) return { keyPem: null, certificatePem: null };
      return { keyPem: masterKey.unseal(record.sealedKey, name), certificatePem: record.certificatePem };
    },
    async save(name, material, replacing) {
      const stored = await store.saveKeyMaterial(sealedRecord(masterKey, name, material, now()), replacing);
      if (stored.certificatePem === material.certificatePem) return material;
      return { keyPem: masterKey.unseal(stored.sealedKey, name), certificatePem: stored.certificatePem };
    },
  };
}

/** The master key a PostgreSQL node needs; refusing to start without one, with how to make one. */
export async function requireMasterKey(file: string): Promise<MasterKey> {
  if (file === '') {
    throw new MasterKeyError(
      `a PostgreSQL store keeps the CA private key sealed with a master key, and none was given: ${howToGenerate('/etc/ssod/master.key')}`,
    );
  }
  return await readMasterKeyFile(file);
}

/** The store when it holds the key material (PostgreSQL, with its master key), else the data directory. */
export function keyMaterialPlaceFor(store: Store, masterKey: MasterKey | null, dataDir: string, now: Clock): KeyMaterialPlace {
  return masterKey === null ? dataDirPlace(dataDir) : storePlace(store, masterKey, now);
}
