// What the core asks of sealing a small secret before it reaches the store (the admin console's
// TOTP secrets, docs/admin-console.md): AES-256-GCM under the installation's key, the record's name
// bound to it, as infra/keys/masterKey.ts seals private keys. The store never sees the secret plain.

export interface SecretSealer {
  /** `plaintext` sealed for the record `name`: it opens only under that name. */
  seal(plaintext: string, name: string): string;
  /** What `seal` made for `name`; throws when it was sealed with another key or for another name. */
  unseal(sealed: string, name: string): string;
}
