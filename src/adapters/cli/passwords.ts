// Passwords and other secrets that an operator command takes: from a file, from standard input, or
// asked on the terminal without echo; never from argv, where every user of the machine could read
// them (ps, /proc/PID/cmdline).
import { readFile } from 'node:fs/promises';
import { CliError, UsageError, readStdin, utf8Text } from './common.js';

export interface PasswordFlags {
  readonly passwordFile?: string;
  readonly passwordStdin?: boolean;
}

/** Bytes as a password: UTF-8, without the one line ending that `echo` or an editor adds. */
function passwordText(bytes: Buffer, what: string): string {
  return utf8Text(bytes, what).replace(/\r?\n$/, '');
}

/** The secret in `file`, or a refusal that says what to check. */
export async function secretFromFile(file: string, what: string, flag: string): Promise<string> {
  try {
    return passwordText(await readFile(file), what);
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(
      `cannot read ${what} (${(error as NodeJS.ErrnoException).code ?? String(error)}); check the ${flag} path and that this user may read it`,
    );
  }
}

/** Standard input, read to its end, as a secret. */
export async function secretFromStdin(what: string): Promise<string> {
  return passwordText(await readStdin(), what);
}

/** The password from --password-file or --password-stdin (exactly one of them). */
export async function readPassword(flags: PasswordFlags): Promise<string> {
  if ((flags.passwordFile === undefined) === (flags.passwordStdin !== true)) {
    throw new UsageError(
      'no password given, or two; give it with either --password-file FILE or --password-stdin (never on the command line)',
    );
  }
  return flags.passwordFile !== undefined
    ? secretFromFile(flags.passwordFile, 'the password', '--password-file')
    : secretFromStdin('the password');
}

/** Whether a person can be asked: standard input and standard error are a terminal. */
export function onTerminal(): boolean {
  return process.stdin.isTTY && process.stderr.isTTY;
}

const ENTER = new Set(['\r', '\n']);
const CTRL_C = '\u0003';
const CTRL_D = '\u0004';
const ERASE = new Set(['\u007f', '\b']);

/** Asks on the terminal, without echo; the answer ends at Enter. Ctrl-C or Ctrl-D before any text gives up. */
export function askHidden(question: string): Promise<string> {
  const input = process.stdin;
  process.stderr.write(question);
  input.setRawMode(true);
  input.setEncoding('utf8');
  input.resume();
  let typed: string[] = [];
  return new Promise((resolve, reject) => {
    const finish = (error: Error | null): void => {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
      process.stderr.write('\n');
      if (error === null) resolve(typed.join(''));
      else reject(error);
    };
    const onData = (chunk: string): void => {
      for (const char of chunk) {
        if (ENTER.has(char) || (char === CTRL_D && typed.length > 0)) {
          finish(null);
          return;
        }
        if (char === CTRL_C || char === CTRL_D) {
          finish(new CliError('nothing was entered; the command did nothing'));
          return;
        }
        if (ERASE.has(char)) typed = typed.slice(0, -1);
        else typed.push(char);
      }
    };
    input.on('data', onData);
  });
}

/** A new password asked twice on the terminal; refused when the two differ. */
export async function askNewPassword(what: string): Promise<string> {
  const first = await askHidden(`${what}: `);
  const again = await askHidden(`${what} again: `);
  if (first !== again) throw new CliError('the two passwords differ; run the command again');
  return first;
}
