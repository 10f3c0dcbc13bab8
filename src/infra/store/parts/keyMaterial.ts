// Key material shared by every node: the statements, once for every engine, and the store's part.
import { KEY_MATERIAL_COLUMNS } from '../columns.js';
import type { Executor } from '../executor.js';
import { sql } from '../sql/statement.js';
import type { KeyMaterialRecord, KeyMaterialStore } from '../../../core/store/index.js';

const getKeyMaterial = sql<{ name: string }, KeyMaterialRecord>(
  'get_key_material',
  () => `SELECT ${KEY_MATERIAL_COLUMNS} FROM key_material WHERE name = @name`,
);
const insertKeyMaterial = sql<KeyMaterialRecord>(
  'insert_key_material',
  () => `INSERT INTO key_material (name, certificate_pem, sealed_key, updated_at)
  VALUES (@name, @certificatePem, @sealedKey, @updatedAt) ON CONFLICT (name) DO NOTHING`,
);
const replaceKeyMaterial = sql<KeyMaterialRecord & { replacing: string }>(
  'replace_key_material',
  () => `UPDATE key_material
  SET certificate_pem = @certificatePem, sealed_key = @sealedKey, updated_at = @updatedAt WHERE name = @name AND certificate_pem = @replacing`,
);

export function keyMaterialPart(x: Executor): KeyMaterialStore {
  return {
    getKeyMaterial: (name) => x.one(getKeyMaterial, { name }),
    // Each statement is atomic on its own; the insert waits for a concurrent insert of the same
    // name to commit, and the final read shows whichever record won.
    async saveKeyMaterial(record, replacing) {
      if ((await x.run(insertKeyMaterial, record)) > 0) return record;
      if (replacing !== null && (await x.run(replaceKeyMaterial, { ...record, replacing })) > 0) return record;
      const stored = await x.one(getKeyMaterial, { name: record.name });
      if (stored === null) throw new Error(`key material ${record.name} was removed while being saved`);
      return stored;
    },
  };
}
