#!/usr/bin/env node
// The ssod command line. `ssod serve` starts the server; its flags come from the option table.
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { OPTION_SPECS, OptionError, envOf, flagOf, optionNames, resolveOptions } from '../config/options.js';
import { startServer } from '../server/index.js';

function serveCommand(): Command {
  const command = new Command('serve')
    .description('Start the SSO server: the SOAP API over HTTPS with client certificates, and the SSO Relay.')
    .option('--config <FILE>', 'JSON config file whose keys are the option names below (also SSOD_CONFIG)');
  for (const name of optionNames()) {
    const spec = OPTION_SPECS[name];
    command.addOption(new Option(`${flagOf(name)} <${spec.arg}>`, `${spec.doc} (default ${spec.default}; env ${envOf(name)})`));
  }
  command.addHelpText('after', '\nExample:\n  ssod serve --data-dir /var/lib/ssod --hostname sso.example.com --bind 0.0.0.0\n');
  command.action(async (flags: Record<string, string | undefined>) => {
    const { config, ...rest } = flags;
    const options = resolveOptions({ flags: rest, env: process.env, configFile: config ?? process.env.SSOD_CONFIG });
    const server = await startServer(options);
    const stop = (signal: string): void => {
      server.services.log.info('shutting down', { signal });
      server.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  return command;
}

function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string };
  return manifest.version ?? 'unknown';
}

export function program(): Command {
  return new Command('ssod')
    .description('ssod: single sign-on server for the Open Fusion SSO protocol.')
    .version(packageVersion())
    .addCommand(serveCommand())
    .showHelpAfterError('(run with --help for usage)');
}

async function main(): Promise<void> {
  try {
    await program().exitOverride().parseAsync(process.argv);
  } catch (error) {
    if (error instanceof CommanderError) process.exit(error.exitCode);
    if (error instanceof OptionError) {
      console.error(`ssod: ${error.message}`);
      process.exit(2);
    }
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES') {
      console.error(`ssod: cannot listen: ${(error as Error).message}. Choose another port with --soap-port / --relay-port.`);
      process.exit(1);
    }
    console.error(`ssod: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}

await main();
