// `ssod integration`: the command line of Plesk Business Manager's `integration` utility ,
// for operators who follow its documentation. Each command does what `ssod mode` or `ssod hostname` does.
import { SSO_MODES, eitherOf } from '../../config/options.js';
import { Option, type Command } from 'commander';
import { UsageError, acknowledgedBy, action, storeCommand, type StoreFlags } from './common.js';
import { setHostname } from './hostname.js';
import type { InstallationAccess } from './installation.js';
import { changeMode } from './mode.js';

interface IntegrationFlags extends StoreFlags {
  readonly command?: string;
  readonly ssoMode?: string;
  readonly hostname?: string;
  readonly skipDnsCheck?: boolean;
  readonly force?: boolean;
}

export function integrationCommand(access: InstallationAccess): Command {
  return storeCommand('integration', "Plesk Business Manager's integration utility: switch the SSO mode or update the host name .")
    .addOption(new Option('--command <COMMAND>', 'what to do').choices(['switch-sso-mode', 'update']).makeOptionMandatory())
    .option('--sso-mode <MODE>', `with switch-sso-mode: ${eitherOf(SSO_MODES)}`)
    .option('--hostname <NAME>', "with update: the service's new host name")
    .option('--skip-dns-check', 'do not check that the host name resolves')
    .option('--force', 'switch to single-panel although applications on other hosts are registered')
    .addHelpText(
      'after',
      `
Examples:
  ssod integration --command=switch-sso-mode --sso-mode=multiple-panels
  ssod integration --command=switch-sso-mode --sso-mode=single-panel
  ssod integration --command=update --hostname=sso.example.com
`,
    )
    .action(
      action(async (flags: IntegrationFlags) => {
        if (flags.command === 'switch-sso-mode') {
          if (flags.ssoMode === undefined)
            throw new UsageError('--command=switch-sso-mode needs the mode; add --sso-mode=single-panel or --sso-mode=multiple-panels');
          return changeMode(access, flags, flags.ssoMode, { acknowledged: acknowledgedBy(flags) });
        }
        if (flags.hostname === undefined) throw new UsageError('--command=update needs the host name; add --hostname=NAME');
        return setHostname(access, flags, flags.hostname, { acknowledged: acknowledgedBy(flags) });
      }),
    );
}
