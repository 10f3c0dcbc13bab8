#!/usr/bin/env node
// The ssod command line: `ssod serve` and the operator commands, one module each.
import { Command, CommanderError } from 'commander';
import { OptionError } from '../config/options.js';
import { printable } from '../domain/identifiers.js';
import { Refusal } from '../domain/refusal.js';
import { applicationsCommand } from './applications.js';
import { auditCommand } from './audit.js';
import { backupCommand, restoreCommand } from './backup.js';
import { caCommand } from './ca.js';
import { CliError, refusalMessage } from './common.js';
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
import { packageVersion } from '../version.js';

export function program(): Command {
  return new Command('ssod')
    .description('ssod: single sign-on server for the Open Fusion SSO protocol.')
    .version(packageVersion())
    .enablePositionalOptions()
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
    .showHelpAfterError('(run with --help for usage)');
}

/** Applies exitOverride to every command, so that commander's exits come here as errors. */
function overrideExits(command: Command): Command {
  command.exitOverride();
  for (const sub of command.commands) overrideExits(sub);
  return command;
}

async function main(): Promise<void> {
  try {
    await overrideExits(program()).parseAsync(process.argv);
  } catch (error) {
    if (error instanceof CommanderError) process.exit(error.exitCode);
    if (error instanceof OptionError) {
      console.error(`ssod: ${printable(error.message)}`);
      process.exit(2);
    }
    if (error instanceof CliError) {
      console.error(`ssod: ${printable(error.message)}`);
      process.exit(1);
    }
    if (error instanceof Refusal) {
      console.error(`ssod: ${printable(refusalMessage(error))}`);
      process.exit(1);
    }
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES') {
      console.error(`ssod: cannot listen: ${(error as Error).message}. Choose another port with --soap-port / --relay-port.`);
      process.exit(1);
    }
    console.error(`ssod: ${printable(error instanceof Error ? error.message : String(error))}`);
    process.exit(1);
  }
}

await main();
