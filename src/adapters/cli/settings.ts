// `ssod settings`: shows and changes the service settings (core/liveSettings.ts) in the store.
// Running servers pick a change up within SETTINGS_REFRESH_MS, without a restart.
import type { Command } from 'commander';
import { formatOptionValue, settingNames } from '../../config/options.js';
import { SETTINGS_REFRESH_MS } from '../../core/liveSettings.js';
import { checkSettingChanges, showSettings, type SettingEntry } from '../../core/operator/settings.js';
import { changeSettings } from '../../core/settings.js';
import { action, addWideFlag, print, storeCommand, table, wrapText, type StoreFlags } from './common.js';
import { withServices, withStore, type InstallationAccess } from './installation.js';

/** The table; the DEFAULT column only with --wide, since VALUE already says "(default)" when it is one. */
function showTable(rows: readonly SettingEntry[], wide: boolean): string {
  const value = (row: SettingEntry): string => formatOptionValue(row.value) + (row.stored ? '' : ' (default)');
  return wide
    ? table(
        ['SETTING', 'VALUE', 'DEFAULT', 'MEANING'],
        rows.map((row) => [row.name, value(row), row.default, row.doc]),
      )
    : table(
        ['SETTING', 'VALUE', 'MEANING'],
        rows.map((row) => [row.name, value(row), row.doc]),
        { fit: true },
      );
}

async function change(access: InstallationAccess, flags: StoreFlags, changes: Record<string, string | null>): Promise<void> {
  const parsed = checkSettingChanges(changes);
  await withServices(access, flags, async (services) => {
    const changed = await changeSettings(services, parsed);
    print(
      flags,
      { changed, takesEffectWithinSeconds: SETTINGS_REFRESH_MS / 1000 },
      () =>
        changed.map((c) => `${c.name}: ${formatOptionValue(c.from)} -> ${formatOptionValue(c.to)}`).join('\n') +
        `\nRunning servers use the new value within ${SETTINGS_REFRESH_MS / 1000} seconds; no restart is needed.\n`,
    );
  });
}

/** A setting as `ssod settings` lists it (sessionTimeout), also given as the flag of `ssod serve` names it (session-timeout). */
function settingName(name: string): string {
  const camel = name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
  // Anything else is left as typed, for the refusal to quote it.
  return (settingNames() as readonly string[]).includes(camel) ? camel : name;
}

export function settingsCommand(access: InstallationAccess): Command {
  const command = addWideFlag(
    storeCommand('settings', 'Show or change the settings of the whole SSO service (kept in the store; running servers follow).'),
  )
    .addHelpText(
      'after',
      `\n${wrapText(`Settings: ${settingNames().join(', ')}.`)}\nhostname and mode have commands of their own: ssod hostname, ssod mode.\n\nExamples:\n  ssod settings --data-dir /var/lib/ssod\n  ssod settings --wide\n  ssod settings set sessionTimeout 900\n  ssod settings set passwordHashTypes sha256\n  ssod settings reset sessionTimeout\n`,
    )
    .action(
      action(async (flags) => {
        await withStore(access, flags, async (services) => {
          const rows = await showSettings(services);
          print(flags, Object.fromEntries(rows.map((row) => [row.name, row.value])), () => showTable(rows, flags.wide === true));
        });
      }),
    );

  command.addCommand(
    storeCommand('set', 'Set a setting for the whole service.')
      .argument('<name>', 'the setting, as `ssod settings` lists it (sessionTimeout) or as its flag (session-timeout)')
      .argument('<value>', 'its new value')
      .addHelpText('after', '\nExamples:\n  ssod settings set sessionTimeout 900\n  ssod settings set session-timeout 900\n')
      .action(action(async (flags, name: string, value) => change(access, flags, { [settingName(name)]: value }))),
  );
  command.addCommand(
    storeCommand('reset', 'Return a setting to its default.')
      .argument('<name>', 'the setting, as `ssod settings` lists it (sessionTimeout) or as its flag (session-timeout)')
      .addHelpText('after', '\nExample:\n  ssod settings reset sessionTimeout\n')
      .action(action(async (flags, name: string) => change(access, flags, { [settingName(name)]: null }))),
  );
  return command;
}
