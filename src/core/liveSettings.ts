// The service settings (options of scope 'service' in options.ts): one value for the whole SSO
// service, kept in the store so that every node and every operator command sees the same one.
// A node reads them at start and again every few seconds, so a change made with `ssod settings`
// reaches running servers without a restart. A setting absent from the store has its default.
import { publishSettingChanges } from './events.js';
import type { Logger } from './ports/logger.js';
import type { Store } from './store/index.js';
import { OPTION_SPECS, OptionError, coerce, formatOptionValue, settingNames, type Options, type SettingName } from '../config/options.js';
import { didYouMean } from '../config/suggest.js';

export type ServiceSettings = Readonly<Pick<Options, SettingName>>;

/** How often a running node re-reads the settings: a change takes effect within this time. */
export const SETTINGS_REFRESH_MS = 2000;

/** The stored settings over the defaults. A stored value this code cannot read is skipped with a warning. */
export function settingsFrom(stored: Readonly<Record<string, string>>, log?: Logger): ServiceSettings {
  const values: Record<string, unknown> = {};
  for (const name of settingNames()) {
    values[name] = coerce(name, OPTION_SPECS[name].default, 'default');
    const text = stored[name];
    if (text === undefined) continue;
    try {
      values[name] = coerce(name, text, 'the store');
    } catch (error) {
      log?.warn('stored setting ignored', { setting: name, reason: (error as Error).message });
    }
  }
  return Object.freeze(values) as ServiceSettings;
}

/** Checks and normalizes values typed by an operator (`source`: where they were typed); throws OptionError naming the first bad one. */
export function parseSettingChanges(
  changes: Readonly<Record<string, string | null>>,
  source = 'the command line',
): Record<SettingName, string | null> {
  const parsed: Partial<Record<SettingName, string | null>> = {};
  for (const [name, text] of Object.entries(changes)) {
    if (!(settingNames() as readonly string[]).includes(name)) {
      throw new OptionError(`unknown setting "${name}"${didYouMean(name, settingNames())}; the settings are: ${settingNames().join(', ')}`);
    }
    const setting = name as SettingName;
    parsed[setting] = text === null ? null : formatOptionValue(coerce(setting, text, source));
  }
  return parsed as Record<SettingName, string | null>;
}

export type SettingsListener = (next: ServiceSettings, previous: ServiceSettings) => void;

/** The current settings of a running node, refreshed from the store. */
export class LiveSettings {
  readonly #store: Store;
  readonly #log: Logger;
  readonly #listeners: SettingsListener[] = [];
  #current: ServiceSettings;

  private constructor(store: Store, log: Logger, current: ServiceSettings) {
    this.#store = store;
    this.#log = log;
    this.#current = current;
  }

  /**
   * Reads the settings of the store. Settings given to this node explicitly (flag, environment or
   * config file) are an operator's word like `ssod settings set`: they are written to the store first.
   */
  static async open(store: Store, options: Options, log: Logger, now: number): Promise<LiveSettings> {
    const given = settingNames().filter((name) => options.given.includes(name));
    if (given.length > 0) {
      const before = settingsFrom(await store.readSettings(), log);
      await store.writeSettings(Object.fromEntries(given.map((name) => [name, formatOptionValue(options[name])])), now);
      log.info('settings written from the command line', { settings: given.join(',') });
      const changes = given.map((name) => ({ name, from: formatOptionValue(before[name]), to: formatOptionValue(options[name]) }));
      await publishSettingChanges({ store, log, now: () => now }, changes);
    }
    return new LiveSettings(store, log, settingsFrom(await store.readSettings(), log));
  }

  current(): ServiceSettings {
    return this.#current;
  }

  /** Called with the new and the old settings whenever a refresh finds a change. */
  onChange(listener: SettingsListener): void {
    this.#listeners.push(listener);
  }

  /** Re-reads the store; true when something changed. */
  async refresh(): Promise<boolean> {
    const next = settingsFrom(await this.#store.readSettings(), this.#log);
    const previous = this.#current;
    const changed = settingNames().filter((name) => formatOptionValue(next[name]) !== formatOptionValue(previous[name]));
    if (changed.length === 0) return false;
    this.#current = next;
    this.#log.info('settings changed', { settings: changed.join(',') });
    for (const listener of this.#listeners) {
      try {
        listener(next, previous);
      } catch (error) {
        this.#log.error('settings listener failed', { error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
      }
    }
    return true;
  }
}
