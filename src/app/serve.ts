// `ssod serve`: starts the server; its flags come from the option table.
import cluster from 'node:cluster';
import { accessSync, closeSync, constants, existsSync, mkdirSync, openSync, readlinkSync, statSync, unlinkSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { optionNames, resolveOptions, type Options } from '../config/options.js';
import { CA_FILES } from '../infra/dataFiles.js';
import { createLogger, type Logger } from '../infra/log.js';
import { storeLocation } from '../infra/store/location.js';
import { CliError, addOptionFlags } from '../adapters/cli/common.js';
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
      log.warn(
        `the data directory ${dir} is readable by ${whoOf(mode, 0o050, 0o005)} (${shown}): ssod's files in it are owner-only, but anything else put there is exposed; ${fix}`,
      );
    }
  }
}

function whoOf(mode: number, groupBits: number, otherBits: number): string {
  const who = [...((mode & groupBits) !== 0 ? ['its group'] : []), ...((mode & otherBits) !== 0 ? ['others'] : [])];
  return who.join(' and ');
}

const WHO = os.userInfo().username;

/** The error code of a failed file system call, or the error again when it is not one. */
function codeOf(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === undefined) throw error;
  return code;
}

/**
 * Makes the directory, owner-only, when it does not exist yet. Its parent must exist: a mistyped
 * --data-dir (/var/lib/sssod/data) is refused rather than made into a new installation.
 */
function ensureDirectory(dir: string): void {
  let code: string;
  try {
    if (statSync(dir).isDirectory()) return;
    code = 'EEXIST';
  } catch (error) {
    code = codeOf(error);
  }
  if (code === 'EEXIST')
    throw new CliError(`${dir} is a file, where the data directory should be; give --data-dir a directory, or move the file away`);
  if (code === 'ENOTDIR') throw new CliError(`a part of ${dir} is a file, not a directory; check --data-dir (and --store)`);
  if (code !== 'ENOENT')
    throw new CliError(
      `cannot reach the data directory ${dir} (${code}); let ${WHO}, the user that runs ssod, enter every directory on its path`,
    );
  let target: string | null = null;
  try {
    target = readlinkSync(dir);
  } catch {
    // not a link: it does not exist at all
  }
  if (target !== null)
    throw new CliError(
      `the data directory ${dir} is a symbolic link to ${target}, which does not exist; create the directory it points to (\`install -d -m 700 -o ${WHO} ${path.resolve(path.dirname(dir), target)}\`), or give --data-dir another directory`,
    );
  const parent = path.dirname(dir);
  if (!existsSync(parent))
    throw new CliError(
      `the data directory ${dir} does not exist, nor does its parent ${parent}; check --data-dir for a typo, or create the parent first (\`mkdir -p ${parent}\`)`,
    );
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (error) {
    throw new CliError(
      `cannot create the data directory ${dir} (${codeOf(error)}); create it for the user that runs ssod (\`install -d -m 700 -o ${WHO} ${dir}\`), or give another --data-dir`,
    );
  }
}

/** Writes and removes a file in the directory: a store there must be writable, or every request that writes would fail. */
function requireWritable(dir: string): void {
  const probe = path.join(dir, `.ssod-write-check-${process.pid}`);
  try {
    const fd = openSync(probe, 'wx', 0o600);
    try {
      writeSync(fd, 'ssod');
    } finally {
      closeSync(fd);
      unlinkSync(probe);
    }
  } catch (error) {
    const code = codeOf(error);
    const fix =
      code === 'ENOSPC'
        ? 'free space on its disk'
        : `let ${WHO}, the user that runs ssod, write it (\`chown -R ${WHO} ${dir} && chmod 700 ${dir}\`), or give another --data-dir`;
    throw new CliError(`cannot write in the data directory ${dir} (${code}), where ssod keeps its store and certificate authority; ${fix}`);
  }
}

/**
 * Before anything is opened: the directories of the SQLite store and the CA exist (made when their
 * parent does) and can be written, and so can the store's files, with the path and the fix when
 * not; then the check of their modes (checkDataDirectories). A start that finds no CA
 * makes a new installation, and says so once, with its path: a mistyped --data-dir shows in the log.
 */
export function prepareDataDirectories(options: Options, log: Logger): void {
  const location = storeLocation(options.store, options.dataDir);
  if (location.engine !== 'sqlite') return;
  const dataDir = path.resolve(options.dataDir);
  const storeFile = path.resolve(location.path);
  for (const dir of new Set([dataDir, path.dirname(storeFile)])) {
    ensureDirectory(dir);
    requireWritable(dir);
  }
  if (existsSync(storeFile) && statSync(storeFile).isDirectory())
    throw new CliError(`${storeFile} is a directory, where the store file should be; move it away, or give --store another file`);
  for (const file of ['', '-wal', '-shm'].map((suffix) => storeFile + suffix).filter((file) => existsSync(file))) {
    try {
      accessSync(file, constants.R_OK | constants.W_OK);
    } catch (error) {
      throw new CliError(
        `cannot read and write the store file ${file} (${codeOf(error)}); let ${WHO}, the user that runs ssod, own it (\`chown ${WHO} ${file} && chmod 600 ${file}\`)`,
      );
    }
  }
  checkDataDirectories(options, log);
  if (CA_FILES.every((file) => !existsSync(path.join(dataDir, file)))) {
    log.warn(
      'new installation: no certificate authority in the data directory, so a new one is made (if you meant an existing installation, stop and check --data-dir)',
      {
        dataDir,
        store: path.resolve(location.path),
      },
    );
  }
}

export function serveCommand(): Command {
  const command = new Command('serve')
    .description('Start the SSO server: the SOAP API over HTTPS with client certificates, and the SSO Relay.')
    .option(
      '--config <FILE>',
      'JSON config file whose keys are the option names below, without the dashes ("data-dir") or in camelCase ("dataDir") (also SSOD_CONFIG)',
    );
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
    if (cluster.isPrimary) {
      const log = createLogger(options.logLevel);
      prepareDataDirectories(options, log);
      if (startedByNpm()) {
        watchParent(() => {
          log.info('the npm process that started ssod is gone; stopping as on SIGTERM');
          process.kill(process.pid, 'SIGTERM');
        });
      }
    }
    // Loaded here, so that the operator commands start without the server's modules.
    const { isClusterPrimary, runClusterPrimary } = await import('./cluster.js');
    if (isClusterPrimary(options)) return runClusterPrimary(options);
    if (options.workers > 1) (await import('../infra/hashing/pool.js')).shareHashingAmong(options.workers);
    const { startServer } = await import('./server.js');
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
