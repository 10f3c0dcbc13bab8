// Operator changes to the service settings (core/liveSettings.ts): the one path by which `ssod settings`,
// `ssod mode` and `ssod hostname` write them, so that every change is recorded in one place.
import { formatOptionValue, settingNames, type SettingName } from '../config/options.js';
import { settingsFrom, type ServiceSettings } from './liveSettings.js';
import { publishSettingChanges, type EventContext } from './events.js';

export interface SettingChange<N extends SettingName = SettingName> {
  readonly name: N;
  readonly from: ServiceSettings[N];
  readonly to: ServiceSettings[N];
}

/**
 * Writes the changes (a checked text value, or null for the default) in one transaction and
 * returns each named setting's value before and after. Running servers follow within seconds.
 */
export async function changeSettings(
  services: EventContext,
  changes: Readonly<Partial<Record<SettingName, string | null>>>,
): Promise<SettingChange[]> {
  const before = settingsFrom(await services.store.readSettings());
  await services.store.writeSettings(changes, services.now());
  const after = settingsFrom(await services.store.readSettings());
  const names = settingNames().filter((name) => Object.hasOwn(changes, name));
  services.log.info('settings changed by an operator', { settings: names.join(',') });
  const changed = names.map((name) => ({ name, from: before[name], to: after[name] }));
  await publishSettingChanges(
    services,
    changed.map((c) => ({ name: c.name, from: formatOptionValue(c.from), to: formatOptionValue(c.to) })),
  );
  return changed;
}
