// Key material shared by every node (the CA and the server certificate): the store's part.

/**
 * Key material that every node must share (the certificate authority, the server certificate),
 * kept in the store when the store is PostgreSQL. The private key is sealed by the domain with the
 * master key before it reaches the store (infra/keys/masterKey.ts): the store never sees it plain.
 */
export interface KeyMaterialRecord {
  /** What it is: 'ca' or 'server'. */
  readonly name: string;
  readonly certificatePem: string;
  /** The PEM private key sealed with the master key. */
  readonly sealedKey: string;
  readonly updatedAt: number;
}

export interface KeyMaterialStore {
  getKeyMaterial(name: string): Promise<KeyMaterialRecord | null>;
  /**
   * Stores `record` unless another writer got there first, and returns what the store holds
   * afterwards. When nothing is stored under its name it is inserted (so several nodes creating
   * the CA at once end up with one: the first insert wins and the others get it back); otherwise
   * it replaces the stored record only when that record's certificatePem is still `replacing`.
   */
  saveKeyMaterial(record: KeyMaterialRecord, replacing: string | null): Promise<KeyMaterialRecord>;
}
