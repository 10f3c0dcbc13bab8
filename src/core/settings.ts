// Operator changes to the service settings (core/liveSettings.ts): the one path by which `ssod settings`,
// `ssod mode` and `ssod hostname` write them, so that every change is recorded in one place.
import { formatOptionValue, settingNames, type SettingName } from '../config/options.js';
import { settingsFrom, type ServiceSettings } from './liveSettings.js';
import { publishSettingChanges, type Actor, type EventContext } from './events.js';
import { Refusal } from './refusal.js';

export interface SettingChange<N extends SettingName = SettingName> {
  readonly name: N;
  readonly from: ServiceSettings[N];
  readonly to: ServiceSettings[N];
}

/**
 * Pass-through is answered by a web service source (docs/federation/pass-through.md): a name that is
 * none of them is refused when it is set, rather than found out by the first browser that tries.
 */
async function checkPassThroughSource(services: EventContext, name: string | null | undefined): Promise<void> {
  if (name === undefined || name === null || name === '') return;
  const sources = await services.store.listSources();
  const source = sources.find((candidate) => candidate.name === name);
  const webServices = sources.filter((candidate) => candidate.kind === 'webService').map((candidate) => candidate.name);
  const listed =
    webServices.length === 0
      ? 'there is no web service source: add one with `ssod sources add NAME --web-service https://HOST/PATH`'
      : `the web service sources are: ${webServices.join(', ')}`;
  if (source === undefined) throw new Refusal(`passThroughSource: no source is named ${JSON.stringify(name)}; ${listed}`);
  if (source.kind !== 'webService')
    throw new Refusal(`passThroughSource: ${name} is a ${source.kind} source, not a web service; ${listed}`);
}

/**
 * Writes the changes (a checked text value, or null for the default) in one transaction and
 * returns each named setting's value before and after. Running servers follow within seconds.
 */
export async function changeSettings(
  services: EventContext,
  changes: Readonly<Partial<Record<SettingName, string | null>>>,
  actor: Actor = 'operator',
): Promise<SettingChange[]> {
  await checkPassThroughSource(services, changes.passThroughSource);
  const before = settingsFrom(await services.store.readSettings());
  await services.store.writeSettings(changes, services.now());
  const after = settingsFrom(await services.store.readSettings());
  const names = settingNames().filter((name) => Object.hasOwn(changes, name));
  services.log.info('settings changed by an operator', { settings: names.join(','), actor });
  const changed = names.map((name) => ({ name, from: before[name], to: after[name] }));
  await publishSettingChanges(
    services,
    changed.map((c) => ({ name: c.name, from: formatOptionValue(c.from), to: formatOptionValue(c.to) })),
    actor,
  );
  return changed;
}
