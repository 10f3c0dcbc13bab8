// One error style for the whole command line: `ssod: <what went wrong>; <what to do>` on stderr,
// and one exit status per kind of error: 2 for a command used wrongly (an unknown command, option,
// setting or config key, a missing argument, a bad value), 1 for a command that could not do its
// work, 0 for success. Commander's own messages are said in the same style.
import { CommanderError, type Command } from 'commander';
import { OptionError } from '../../config/options.js';
import { didYouMean } from '../../config/suggest.js';
import { printable } from '../../core/identifiers.js';
import { Refusal } from '../../core/refusal.js';
import { CliError, UsageError, refusalMessage } from './common.js';

export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

function pathOf(command: Command): string {
  const names: string[] = [];
  for (let at: Command | null = command; at !== null; at = at.parent) names.unshift(at.name());
  return names.join(' ');
}

function visibleSubcommands(command: Command): string[] {
  return command
    .createHelp()
    .visibleCommands(command)
    .map((sub) => sub.name())
    .filter((name) => name !== 'help');
}

/**
 * Commander's message (`error: unknown option '--jsn'\n(Did you mean --json?)`) as one line in
 * ssod's style, with what to do: the subcommands when one was unknown, otherwise where the usage is.
 */
function commanderMessage(command: Command, text: string): string {
  const what = text
    .replace(/^error: /, '')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => line.replace(/^\(Did you mean (.*)\)$/, '(did you mean $1)'))
    .join(' ')
    .replace(/\.$/, '');
  const unknownCommand = /^unknown command /.test(what);
  // A single dash and a long word is no option of ssod's: most likely an argument that begins with
  // `-` (a ticket key id is base64url, so one in 64 does), which goes after `--`.
  const dashedArgument = /^unknown option '(-[^-'][^']{2,})'/.exec(what)?.[1];
  const todo = unknownCommand
    ? `the commands of \`${pathOf(command)}\` are: ${visibleSubcommands(command).join(', ')}`
    : dashedArgument !== undefined && command.registeredArguments.length > 0
      ? `an argument that begins with "-" goes after \`--\`: \`${pathOf(command)} -- ${dashedArgument}\``
      : `run \`${pathOf(command)} --help\` for its usage`;
  return `ssod: ${printable(unknownCommand ? what.replace(/^unknown command '[^']*'/, (name) => `${name} for \`${pathOf(command)}\``) : what)}; ${todo}\n`;
}

/**
 * A command that has both an action of its own (`ssod users` lists users) and subcommands takes
 * no arguments: a word after it is a mistyped subcommand, and is said so instead of commander's
 * "too many arguments".
 */
function refuseUnknownSubcommand(command: Command): void {
  if (command.commands.length === 0 || command.registeredArguments.length > 0) return;
  command.allowExcessArguments(true);
  command.hook('preAction', (self, actionCommand) => {
    const word = self.args[0];
    if (actionCommand !== self || word === undefined) return;
    self.error(`error: unknown command '${word}'${didYouMean(word, visibleSubcommands(self))}`, {
      code: 'commander.unknownCommand',
      exitCode: EXIT_USAGE,
    });
  });
}

/** Applies the error style to a command and all its subcommands; commander's exits come back as errors. */
export function withErrorStyle(command: Command): Command {
  command.exitOverride();
  command.configureOutput({ outputError: (text, write) => write(commanderMessage(command, text)) });
  refuseUnknownSubcommand(command);
  for (const sub of command.commands) withErrorStyle(sub);
  return command;
}

/** Why a listener could not be opened, and what to do, from the error of listen(). */
function listenMessage(error: NodeJS.ErrnoException & { address?: string; port?: number }): string | null {
  if (error.syscall !== 'listen') return null;
  const where = error.port === undefined ? (error.address ?? 'its address') : `${error.address ?? ''}:${error.port}`;
  if (error.code === 'EADDRINUSE') {
    return `cannot listen on ${where}: the port is in use, perhaps by another ssod still running; stop what holds it (\`ss -ltnp 'sport = :${error.port ?? ''}'\` shows it) or choose another port (--soap-port, --relay-port)`;
  }
  if (error.code === 'EADDRNOTAVAIL') {
    return `cannot listen on ${where}: ${error.address ?? 'the address'} is not an address of this machine; give --bind one of its addresses (\`ip -brief address\` lists them), or 0.0.0.0 for all`;
  }
  if (error.code === 'EACCES') {
    return `cannot listen on ${where}: a port below 1024 needs privileges; choose a port from 1024 up (--soap-port, --relay-port), or allow it (systemd: AmbientCapabilities=CAP_NET_BIND_SERVICE)`;
  }
  return null;
}

/** The line and exit status for an error that ended a command. */
export function errorReport(error: unknown): { readonly line: string; readonly status: number } {
  if (error instanceof CommanderError) return { line: '', status: error.exitCode === 0 ? 0 : EXIT_USAGE };
  if (error instanceof OptionError)
    return {
      line: error.message.includes('; ') ? error.message : `${error.message}; \`ssod serve --help\` lists every option and its values`,
      status: EXIT_USAGE,
    };
  if (error instanceof UsageError) return { line: error.message, status: EXIT_USAGE };
  if (error instanceof CliError) return { line: error.message, status: EXIT_FAILURE };
  if (error instanceof Refusal) return { line: refusalMessage(error), status: EXIT_FAILURE };
  const listen = listenMessage(error as NodeJS.ErrnoException);
  if (listen !== null) return { line: listen, status: EXIT_FAILURE };
  return { line: error instanceof Error ? error.message : String(error), status: EXIT_FAILURE };
}

/** Ends the process for an error, in the one style (commander has already said its own). */
export function exitFor(error: unknown): never {
  const { line, status } = errorReport(error);
  if (line !== '') process.stderr.write(`ssod: ${printable(line)}\n`);
  process.exit(status);
}
