// `ssod mode`: shows the SSO mode  and switches it, after the checks of core/mode.ts.
import type { Command } from 'commander';
import { SETTINGS_REFRESH_MS } from '../../core/liveSettings.js';
import {
  LOOPBACK_ADDRESS,
  SSO_MODES,
  isLoopbackHost,
  isSsoMode,
  soapBindAddress,
  switchMode,
  type ModeSwitchOptions,
} from '../../core/mode.js';
import { modeStatus } from '../../core/operator/mode.js';
import { UsageError, acknowledgedBy, action, fields, print, storeCommand, type StoreFlags } from './common.js';
import { printable } from '../../core/identifiers.js';
import { withServices, type InstallationAccess } from './installation.js';

export interface ModeFlags extends StoreFlags {
  readonly force?: boolean;
  readonly skipDnsCheck?: boolean;
}

const RESTART_REASON = 'a running server keeps its SOAP listener where it started; it does not move a listening socket while serving';

async function show(access: InstallationAccess, flags: StoreFlags): Promise<void> {
  await withServices(access, flags, async (services, options) => {
    const shown = await modeStatus(services, options.bind);
    const { mode, hostname, soapListensOn: soap, remoteApplications: remote } = shown;
    print(flags, shown, () =>
      fields([
        ['mode', mode],
        ['host name', hostname],
        [
          'SOAP API',
          mode === 'single-panel'
            ? `listens on ${LOOPBACK_ADDRESS} only, for applications on this machine`
            : `listens on ${soap} (--bind) as ${hostname}`,
        ],
        ['relay', `named by the host name ${hostname}, on the --bind address`],
        ['apps on other hosts', remote.length === 0 ? 'none' : remote.map((app) => `${app.name} (${app.url})`).join(', ')],
      ]),
    );
  });
}

/** Switches the mode; shared with `ssod integration --command=switch-sso-mode`. */
export async function changeMode(access: InstallationAccess, flags: StoreFlags, mode: string, options: ModeSwitchOptions): Promise<void> {
  if (!isSsoMode(mode)) throw new UsageError(`unknown mode "${mode}"; the modes are ${SSO_MODES.join(' and ')}`);
  await withServices(access, flags, async (services, installation) => {
    const result = await switchMode(services, mode, options);
    const listenNext = soapBindAddress(mode, installation.bind);
    const restartNeeded = result.change !== null;
    const advice: string[] = [];
    if (result.change === null) advice.push(`The mode is ${mode} already; nothing changed.`);
    else {
      advice.push(
        `Restart ssod serve: the SOAP API listens on ${mode === 'single-panel' ? `${LOOPBACK_ADDRESS} only` : 'the --bind address'} from its next start; ${RESTART_REASON}.`,
      );
      advice.push(`Running servers name the SOAP endpoint by the new mode within ${SETTINGS_REFRESH_MS / 1000} seconds.`);
    }
    if (result.resolution?.resolved === true) {
      advice.push(
        `The host name ${services.settings.current().hostname} resolves here to ${result.resolution.addresses.join(', ')}; check that the other hosts resolve it too (nslookup).`,
      );
    }
    if (mode === 'multiple-panels' && isLoopbackHost(listenNext)) {
      advice.push(
        `This installation's --bind is ${listenNext}: start ssod serve with --bind 0.0.0.0 (or this server's address) so that other hosts can connect.`,
      );
    }
    for (const app of result.remoteApplications) {
      advice.push(
        `Warning: ${printable(app.name)} (${app.url}) is on another host; its users will no longer switch to it without signing in again.`,
      );
    }
    const changed = result.change === null ? [] : [result.change];
    print(
      flags,
      { changed, restartNeeded, restartReason: restartNeeded ? RESTART_REASON : null, remoteApplications: result.remoteApplications },
      () => [...changed.map((c) => `mode: ${c.from} -> ${c.to}`), ...advice].join('\n'),
    );
  });
}

export function modeCommand(access: InstallationAccess): Command {
  return storeCommand(
    'mode',
    'Show the SSO mode, or switch it: single-panel (applications on this machine) or multiple-panels (applications on other hosts).',
  )
    .argument('[mode]', `the new mode: ${SSO_MODES.join(' or ')}`)
    .option('--skip-dns-check', 'switch to multiple-panels without checking that the host name resolves')
    .option('--force', 'switch to single-panel although applications on other hosts are registered')
    .addHelpText(
      'after',
      `
single-panel (the default): the SOAP API listens on ${LOOPBACK_ADDRESS} only and the service names it so.
multiple-panels: the SOAP API listens on --bind and the service names it by its host name (ssod hostname).
Switching to multiple-panels checks that the host name resolves; switching back refuses while
applications on other hosts are registered. The SOAP listener moves when ssod serve restarts.

Examples:
  ssod mode --data-dir /var/lib/ssod
  ssod hostname sso.example.com && ssod mode multiple-panels
  ssod mode single-panel --force
`,
    )
    .action(
      action(async (flags: ModeFlags, mode?: string) => {
        if (mode === undefined) return show(access, flags);
        return changeMode(access, flags, mode, { acknowledged: acknowledgedBy(flags) });
      }),
    );
}
