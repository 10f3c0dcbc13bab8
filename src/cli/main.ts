#!/usr/bin/env node
// The ssod command line: `ssod serve` and the operator commands, one module each.
import { Command } from 'commander';
import { packageVersion } from '../version.js';
import { applicationsCommand } from './applications.js';
import { auditCommand } from './audit.js';
import { backupCommand, restoreCommand } from './backup.js';
import { caCommand } from './ca.js';
import { exitFor, withErrorStyle } from './errors.js';
import { hostnameCommand } from './hostname.js';
import { integrationCommand } from './integration.js';
import { locksCommand } from './locks.js';
import { masterKeyCommand } from './masterKey.js';
import { migrateStoreCommand } from './migrateStore.js';
import { modeCommand } from './mode.js';
import { serveCommand } from './serve.js';
import { sessionsCommand } from './sessions.js';
import { settingsCommand } from './settings.js';
import { statusCommand } from './status.js';
import { exportCommand, importCommand } from './transfer.js';
import { usersCommand } from './users.js';

export function program(): Command {
  return new Command('ssod')
    .description('ssod: single sign-on server for the Open Fusion SSO protocol.')
    .version(packageVersion())
    .enablePositionalOptions()
    .addHelpText('after', '\nExamples:\n  ssod serve --data-dir /var/lib/ssod\n  ssod users --data-dir /var/lib/ssod\n  ssod users create --help\n\nExit status: 0 success, 1 the command failed, 2 the command was used wrongly.\n')
    .addCommand(serveCommand())
    .addCommand(settingsCommand())
    .addCommand(modeCommand())
    .addCommand(hostnameCommand())
    .addCommand(integrationCommand())
    .addCommand(applicationsCommand())
    .addCommand(usersCommand())
    .addCommand(sessionsCommand())
    .addCommand(backupCommand())
    .addCommand(restoreCommand())
    .addCommand(exportCommand())
    .addCommand(importCommand())
    .addCommand(caCommand())
    .addCommand(masterKeyCommand())
    .addCommand(migrateStoreCommand())
    .addCommand(locksCommand())
    .addCommand(auditCommand())
    .addCommand(statusCommand())
    .showSuggestionAfterError(true);
}

async function main(): Promise<void> {
  try {
    await withErrorStyle(program()).parseAsync(process.argv);
  } catch (error) {
    exitFor(error);
  }
}

await main();
