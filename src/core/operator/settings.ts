// What an operator sees of the service settings (core/liveSettings.ts), and the checks of a change
// typed by an operator, shared by `ssod settings` and the admin console's settings page; writing
// them is core/settings.ts changeSettings.
import { OPTION_SPECS, SSO_MODES, settingNames, type SettingName } from '../../config/options.js';
import { parseSettingChanges, settingsFrom, type ServiceSettings } from '../liveSettings.js';
import { Refusal } from '../refusal.js';
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

/** Settings that have a command of their own, because changing them takes more than a value. */
const OWN_COMMANDS: Partial<Record<SettingName, string>> = {
  hostname: '`ssod hostname NAME` (it also re-issues the server certificate)',
  mode: `\`ssod mode ${SSO_MODES.join('|')}\` (it checks the host name and the registered applications first)`,
};

/** The command that changes a setting which is not changed as a plain value, or undefined. */
export function ownCommandOf(name: SettingName): string | undefined {
  return OWN_COMMANDS[name];
}

/**
 * Checks the changes an operator typed (a text value, or null for the default): a setting with a
 * command of its own is refused (Refusal), an unknown setting or a bad value throws OptionError
 * naming it; `source` says where the values were typed. The changes to give changeSettings.
 */
export function checkSettingChanges(changes: Readonly<Record<string, string | null>>, source?: string): Record<SettingName, string | null> {
  for (const name of Object.keys(changes)) {
    const own = OWN_COMMANDS[name as SettingName];
    if (own !== undefined) throw new Refusal(`${name} is not changed with \`ssod settings\`; use ${own}`);
  }
  return parseSettingChanges(changes, source);
}
