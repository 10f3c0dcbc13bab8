// What an operator sees of the service settings (core/liveSettings.ts); changing them is
// core/settings.ts changeSettings.
import { OPTION_SPECS, settingNames, type SettingName } from '../../config/options.js';
import { settingsFrom, type ServiceSettings } from '../liveSettings.js';
import type { StoreServices } from '../services.js';

export interface SettingEntry {
  readonly name: SettingName;
  readonly value: ServiceSettings[SettingName];
  /** The default, as the option table writes it. */
  readonly default: string;
  /** Whether the store holds a value (otherwise it is the default). */
  readonly stored: boolean;
  readonly doc: string;
}

/** Every setting with its value in the store, its default and what it means. */
export async function showSettings(services: Pick<StoreServices, 'store'>): Promise<SettingEntry[]> {
  const stored = await services.store.readSettings();
  const current = settingsFrom(stored);
  return settingNames().map((name) => ({
    name,
    value: current[name],
    default: String(OPTION_SPECS[name].default),
    stored: stored[name] !== undefined,
    doc: OPTION_SPECS[name].doc,
  }));
}
