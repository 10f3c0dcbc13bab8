// `ssod serve`: starts the server; its flags come from the option table.
import { Command } from 'commander';
import { optionNames, resolveOptions } from '../config/options.js';
import { addOptionFlags } from './common.js';

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
