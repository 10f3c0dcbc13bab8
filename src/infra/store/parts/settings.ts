// Service settings: the statements, once for every engine, and the store's part.
import { step, type Executor } from '../executor.js';
import { sql } from '../sql/statement.js';
import type { SettingsStore } from '../../../core/store/index.js';

const readSettings = sql<object, { key: string; value: string }>('read_settings', () => 'SELECT key, value FROM settings');
const writeSetting = sql<{ key: string; value: string; now: number }>(
  'write_setting',
  () => `INSERT INTO settings (key, value, updated_at) VALUES (@key, @value, @now)
  ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
);
const deleteSetting = sql<{ key: string }>('delete_setting', () => 'DELETE FROM settings WHERE key = @key');

export function settingsPart(x: Executor): SettingsStore {
  return {
    readSettings: async () => Object.fromEntries((await x.all(readSettings, {})).map((row) => [row.key, row.value])),
    async writeSettings(changes, now) {
      await x.batch(
        Object.entries(changes).map(([key, value]) =>
          value === null ? step(deleteSetting, { key }) : step(writeSetting, { key, value, now }),
        ),
      );
    },
  };
}
