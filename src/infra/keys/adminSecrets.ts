// The sealing of the admin console's TOTP secrets (core/ports/secrets.ts, docs/admin-console.md
// "Secrets"): AES-256-GCM as infra/keys/masterKey.ts seals private keys, under a key derived with
// HKDF-SHA256 from the installation's CA private key. The CA key is where the installation keeps it
// (the data directory's ca.key, or the store sealed with the master key), so the secrets move with
// it through backup, restore and migrate-store, and every node of a PostgreSQL installation can
// open them; a copy of the store alone opens none.
import { createPrivateKey, hkdfSync } from 'node:crypto';
import type { SecretSealer } from '../../core/ports/secrets.js';
import type { KeyMaterialPlace } from './material.js';
import { masterKeyOf } from './masterKey.js';

const INFO = 'ssod admin console secrets v1';
const KEY_BYTES = 32;

/** The sealer of the installation whose CA `place` holds; refused when it holds no CA key. */
export async function caDerivedSealer(place: KeyMaterialPlace): Promise<SecretSealer> {
  const { keyPem } = await place.read('ca');
  if (keyPem === null)
    throw new Error(`${place.label('ca', 'key')} is missing: the admin console's secrets are sealed with a key derived from it`);
  const der = createPrivateKey(keyPem).export({ type: 'pkcs8', format: 'der' });
  return masterKeyOf(Buffer.from(hkdfSync('sha256', der, Buffer.alloc(0), INFO, KEY_BYTES)));
}
