#!/usr/bin/env node
// The ssod command line: `ssod serve` and the operator commands, one module each. The commands get
// the installation's services from the composition root (compose.ts), which they never import.
import { Command } from 'commander';
import { packageVersion } from '../infra/version.js';
import { adminsCommand } from '../adapters/cli/admins.js';
import { applicationsCommand } from '../adapters/cli/applications.js';
import { auditCommand } from '../adapters/cli/audit.js';
import { backupCommand, restoreCommand } from '../adapters/cli/backup.js';
import { caCommand } from '../adapters/cli/ca.js';
import { exitFor, withErrorStyle } from '../adapters/cli/errors.js';
import { withHelpLayout } from '../adapters/cli/common.js';
import type { InstallationAccess } from '../adapters/cli/installation.js';
import { hostnameCommand } from '../adapters/cli/hostname.js';
import { integrationCommand } from '../adapters/cli/integration.js';
import { locksCommand } from '../adapters/cli/locks.js';
import { masterKeyCommand } from '../adapters/cli/masterKey.js';
import { migrateStoreCommand } from '../adapters/cli/migrateStore.js';
import { modeCommand } from '../adapters/cli/mode.js';
import { serveCommand } from './serve.js';
import { receiverCommand } from '../receiver/command.js';
import { sessionsCommand } from '../adapters/cli/sessions.js';
import { settingsCommand } from '../adapters/cli/settings.js';
import { sourcesCommand } from '../adapters/cli/sources.js';
import { groupsCommand } from '../adapters/cli/groups.js';
import { receiversCommand } from '../adapters/cli/receivers.js';
import { ticketsCommand } from '../adapters/cli/tickets.js';
import { idpsCommand } from '../adapters/cli/idps.js';
import { withFederatedLinkCommands } from '../adapters/cli/federatedLinks.js';
import { statusCommand } from '../adapters/cli/status.js';
import { exportCommand, importCommand } from '../adapters/cli/transfer.js';
import { usersCommand } from '../adapters/cli/users.js';
import { installationAccess } from './compose.js';

export function program(access: InstallationAccess = installationAccess): Command {
  return new Command('ssod')
    .description('ssod: single sign-on server for the Open Fusion SSO protocol.')
    .version(packageVersion())
    .enablePositionalOptions()
    .addHelpText(
      'after',
      '\nExamples:\n  ssod serve --data-dir /var/lib/ssod\n  ssod users --data-dir /var/lib/ssod\n  ssod users create --help\n\nExit status: 0 success, 1 the command failed, 2 the command was used wrongly.\n',
    )
    .addCommand(serveCommand())
    .addCommand(settingsCommand(access))
    .addCommand(modeCommand(access))
    .addCommand(hostnameCommand(access))
    .addCommand(integrationCommand(access))
    .addCommand(applicationsCommand(access))
    .addCommand(groupsCommand(access))
    .addCommand(withFederatedLinkCommands(usersCommand(access), access))
    .addCommand(sourcesCommand(access))
    .addCommand(idpsCommand(access))
    .addCommand(ticketsCommand(access))
    .addCommand(receiversCommand(access))
    .addCommand(sessionsCommand(access))
    .addCommand(backupCommand())
    .addCommand(restoreCommand())
    .addCommand(exportCommand(access))
    .addCommand(importCommand(access))
    .addCommand(caCommand(access))
    .addCommand(masterKeyCommand())
    .addCommand(migrateStoreCommand())
    .addCommand(locksCommand(access))
    .addCommand(auditCommand(access))
    .addCommand(adminsCommand(access))
    .addCommand(statusCommand(access))
    .addCommand(receiverCommand())
    .showSuggestionAfterError(true);
}

async function main(): Promise<void> {
  try {
    await withHelpLayout(withErrorStyle(program())).parseAsync(process.argv);
  } catch (error) {
    exitFor(error);
  }
}

await main();
