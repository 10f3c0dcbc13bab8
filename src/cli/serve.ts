// `ssod serve`: starts the server; its flags come from the option table.
import cluster from 'node:cluster';
import { statSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { optionNames, resolveOptions, type Options } from '../config/options.js';
import { createLogger, type Logger } from '../log.js';
import { storeLocation } from '../store/location.js';
import { CliError, addOptionFlags } from './common.js';
import { startedByNpm, watchParent } from './npmWrapper.js';

/**
 * The start check of the directories that hold the SQLite store and the CA (docs/SECURITY.md, case
 * F41). One that group or others may write is refused (unless --allow-open-data-dir on): another
 * user could rename the store or the CA key away and put their own in its place. One that they may
 * only read or list gets a warning: every file ssod keeps there is owner-only whatever the umask,
 * so they see names and the public certificates, but anything else put there is exposed. systemd
 * makes a StateDirectory 0755 unless told otherwise, so refusing that would stop most upgrades.
 */
export function checkDataDirectories(options: Options, log: Logger): void {
  const location = storeLocation(options.store, options.dataDir);
  if (location.engine !== 'sqlite') return; // the CA and the keys live sealed in PostgreSQL
  for (const dir of new Set([options.dataDir, path.dirname(location.path)].map((d) => path.resolve(d)))) {
    let mode: number;
    try {
      mode = statSync(dir).mode & 0o777;
    } catch {
      continue; // made owner-only (0700) at start
    }
    const fix = `make it owner-only: \`chmod 700 ${dir}\` (under systemd: StateDirectoryMode=0700)`;
    const shown = `mode 0${mode.toString(8)}`;
    if ((mode & 0o022) !== 0) {
      const message = `the data directory ${dir} is writable by ${whoOf(mode, 0o020, 0o002)} (${shown}): another user could replace its store or CA key; ${fix}`;
      if (options.allowOpenDataDir !== 'on') throw new CliError(`${message}, or start with --allow-open-data-dir on to go ahead anyway`);
      log.warn(message);
    } else if ((mode & 0o055) !== 0 && options.allowOpenDataDir !== 'on') {
      log.warn(`the data directory ${dir} is readable by ${whoOf(mode, 0o050, 0o005)} (${shown}): ssod's files in it are owner-only, but anything else put there is exposed; ${fix}`);
    }
  }
}

function whoOf(mode: number, groupBits: number, otherBits: number): string {
  const who = [...((mode & groupBits) !== 0 ? ['its group'] : []), ...((mode & otherBits) !== 0 ? ['others'] : [])];
  return who.join(' and ');
}

export function serveCommand(): Command {
  const command = new Command('serve')
    .description('Start the SSO server: the SOAP API over HTTPS with client certificates, and the SSO Relay.')
    .option('--config <FILE>', 'JSON config file whose keys are the option names below (also SSOD_CONFIG)');
  addOptionFlags(command, optionNames());
  command.addHelpText(
    'after',
    '\nExamples:\n  ssod serve --data-dir /var/lib/ssod\n  ssod hostname sso.example.com && ssod mode multiple-panels && ssod serve --data-dir /var/lib/ssod --bind 0.0.0.0\n' +
      '  ssod serve --store postgres://ssod@db.example.com/ssod --master-key-file /etc/ssod/master.key --bind 0.0.0.0\n',
  );
  command.action(async (flags: Record<string, string | undefined>) => {
    const { config, ...rest } = flags;
    const options = resolveOptions({ flags: rest, env: process.env, configFile: config ?? process.env.SSOD_CONFIG });
    // Once, in the process that opens the installation first (not again in every worker).
    if (cluster.isPrimary) checkDataDirectories(options, createLogger(options.logLevel));
    if (cluster.isPrimary && startedByNpm()) {
      watchParent(() => {
        createLogger(options.logLevel).info('the npm process that started ssod is gone; stopping as on SIGTERM');
        process.kill(process.pid, 'SIGTERM');
      });
    }
    // Loaded here, so that the operator commands start without the server's modules.
    const { isClusterPrimary, runClusterPrimary } = await import('../server/cluster.js');
    if (isClusterPrimary(options)) return runClusterPrimary(options);
    if (options.workers > 1) (await import('../domain/hashing.js')).shareHashingAmong(options.workers);
    const { startServer } = await import('../server/index.js');
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
