// What every operator command shares: the installation's options from the same flags, environment
// and config file as `ssod serve` (installation.ts opens its services with them), one-line errors
// that say what to do, and output as a table for people or as JSON for scripts (`--json`).
import { open, type FileHandle } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { OPTION_SPECS, defaultText, envOf, flagOf, resolveOptions, type OptionName, type Options } from '../../config/options.js';
import { printable, printableJson } from '../../core/identifiers.js';
import type { Refusal, RefusalOverride } from '../../core/refusal.js';
import { storeLocation } from '../../infra/store/location.js';

/** A refusal or failure of a command: printed as `ssod: <message>`, exit status 1. */
export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}

/** A command given a value it cannot take (a bad --limit, an unknown mode): printed as `ssod: <message>`, exit status 2. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Adds the flags of these options, with their docs, defaults and environment variables, from the option table. */
export function addOptionFlags(command: Command, names: readonly OptionName[]): Command {
  for (const name of names) {
    const spec = OPTION_SPECS[name];
    command.addOption(new Option(`${flagOf(name)} <${spec.arg}>`, `${spec.doc} (default ${defaultText(name)}; env ${envOf(name)})`));
  }
  return command;
}

/** The flag with which an operator acknowledges what a refusal names. */
const OVERRIDE_FLAGS: Readonly<Record<RefusalOverride, string>> = { disruption: '--force', unresolvedHostname: '--skip-dns-check' };

/** What the operator acknowledged with the flags given (the reverse of OVERRIDE_FLAGS). */
export function acknowledgedBy(flags: { readonly force?: boolean; readonly skipDnsCheck?: boolean }): RefusalOverride[] {
  return [
    ...(flags.force === true ? (['disruption'] as const) : []),
    ...(flags.skipDnsCheck === true ? (['unresolvedHostname'] as const) : []),
  ];
}

/** A refusal of the domain as one line, with the flag that overrides it. */
export function refusalMessage(refusal: Refusal): string {
  return refusal.override === null ? refusal.message : `${refusal.message} (${OVERRIDE_FLAGS[refusal.override]} to go ahead anyway)`;
}

/** The options that locate an installation's store; every operator command takes them. */
export const STORE_OPTION_NAMES: readonly OptionName[] = ['dataDir', 'store', 'masterKeyFile'];

/** A command that works on an installation's store: the store flags, `--config` and `--json`. */
export function storeCommand(name: string, description: string): Command {
  // Positional: a flag after a subcommand (`ssod settings set x 1 --data-dir D`) belongs to the subcommand.
  const command = new Command(name)
    .description(description)
    .enablePositionalOptions()
    .option('--config <FILE>', 'JSON config file of the installation (also SSOD_CONFIG)')
    .option('--json', 'print the result as JSON, for scripts');
  return addOptionFlags(command, STORE_OPTION_NAMES);
}

/** `--wide` for a command whose table may be wider than TABLE_WIDTH. */
export function addWideFlag(command: Command): Command {
  return command.option('--wide', `show every column at full width (otherwise the table is wrapped to ${TABLE_WIDTH} columns)`);
}

/** The flags every store command has, beside its own. */
export interface StoreFlags {
  readonly config?: string;
  readonly json?: boolean;
  readonly dataDir?: string;
  /** `--wide`, for the commands that print a wide table. */
  readonly wide?: boolean;
}

/**
 * An action that receives the flags of its command merged with those of its parents, so that a
 * flag works before or after the subcommand (`ssod settings --json set …`, `ssod settings set … --json`).
 */
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- inferred from each command's callback, F and A say what commander passes untyped
export function action<F extends StoreFlags, A extends string[]>(
  work: (flags: F, ...args: A) => Promise<void>,
): (...received: unknown[]) => Promise<void> {
  return async (...received) => {
    const command = received[received.length - 1] as Command;
    await work(command.optsWithGlobals<F>(), ...(received.slice(0, -2) as A));
  };
}

/** The installation's options, from the same sources as `ssod serve` (flags, SSOD_* environment, config file). */
export function installationOptions(flags: StoreFlags): Options {
  const ours = Object.fromEntries(Object.entries(flags).filter(([key]) => (STORE_OPTION_NAMES as readonly string[]).includes(key)));
  return resolveOptions({ flags: ours, env: process.env, configFile: flags.config ?? process.env.SSOD_CONFIG });
}

/** What backup and restore say for a store that is not the embedded SQLite file. */
export const POSTGRES_BACKUP_ADVICE =
  'this installation keeps its store in PostgreSQL, and ssod backup and restore are for the embedded SQLite store; back it up with pg_dump and restore it with pg_restore';

/**
 * The embedded SQLite file of the installation, for the commands that are SQLite-specific by nature
 * (backup, restore); a PostgreSQL store is refused with POSTGRES_BACKUP_ADVICE.
 */
export function embeddedStoreFile(options: Options): string {
  const location = storeLocation(options.store, options.dataDir);
  if (location.engine !== 'sqlite') throw new CliError(POSTGRES_BACKUP_ADVICE);
  return location.path;
}

/** `--limit`: a whole number from 1. */
export function parseLimit(text: string | undefined): number {
  if (text === undefined || !/^\d{1,6}$/.test(text) || Number(text) < 1)
    throw new UsageError(`--limit must be a whole number from 1 to 999999, got "${text ?? ''}"; for example --limit 500`);
  return Number(text);
}

/**
 * Prints `value` as JSON with `--json`, otherwise the text that `human` makes of it. Values come from
 * the store, where an older installation or an attacker's failed sign-in may have put control
 * characters: table() and fields() escape them in every cell, and a sentence escapes what it
 * quotes with printable(); the lines of the text are escaped once more here, so that no value can
 * move the terminal's cursor, turn text around or end a line.
 */
export function print<T>(flags: StoreFlags, value: T, human: (value: T) => string): void {
  const text = flags.json === true ? printableJson(value) : human(value).split('\n').map(printable).join('\n');
  process.stdout.write(text.endsWith('\n') ? text : text + '\n');
}

/** How wide a table may be unless `--wide`: a terminal of 100 columns. */
export const TABLE_WIDTH = 100;

/**
 * --help laid out for a terminal of its own width, at most TABLE_WIDTH columns (TABLE_WIDTH when the
 * output is not a terminal): the description of a long flag (`ssod serve --admin-totp`) wraps in its
 * column, however narrow, rather than running on for hundreds of columns. Commander's Help does not
 * pass to commands added with addCommand, so this walks them all.
 */
export function withHelpLayout(command: Command, columns = process.stdout.columns as number | undefined): Command {
  const width = Math.min(columns ?? TABLE_WIDTH, TABLE_WIDTH);
  command.configureHelp({ helpWidth: width, minWidthToWrap: 20 });
  command.configureOutput({ writeOut: (text) => process.stdout.write(reflowProse(text, width)) });
  for (const sub of command.commands) withHelpLayout(sub, columns);
  return command;
}

/**
 * The prose of a --help (paragraphs of lines that start in the first column) wrapped again to
 * `width` where one of its lines is wider; indented lines (options, example commands) stay as they are.
 */
export function reflowProse(text: string, width: number): string {
  const out: string[] = [];
  let paragraph: string[] = [];
  const flush = (): void => {
    if (paragraph.some((line) => line.length > width)) out.push(...wrapCell(paragraph.join(' '), width));
    else out.push(...paragraph);
    paragraph = [];
  };
  for (const line of text.split('\n')) {
    if (line !== '' && !line.startsWith(' ')) {
      paragraph.push(line);
      continue;
    }
    flush();
    out.push(line);
  }
  flush();
  return out.join('\n');
}

export interface TableLayout {
  /** Wrap the cells so that the table fits TABLE_WIDTH (unless `--wide` was given); otherwise every column has its full width. */
  readonly fit?: boolean;
  /** Columns (by index) never wrapped: ids and keys that an operator copies into the next command. */
  readonly keep?: readonly number[];
}

/** A time in a table that fits TABLE_WIDTH: ISO 8601 to the second (`--wide` and `--json` keep the milliseconds). */
export function tableTime(iso: string | null): string {
  return iso === null ? '-' : iso.replace(/\.\d{3}Z$/, 'Z');
}

/** Single words up to this length (an ISO time, an event type) are not cut while the table can fit otherwise. */
const WORD_KEPT = 25;

/** The text in lines of at most `width` characters, broken at spaces, and inside a word longer than a line. */
function wrapCell(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = '';
    }
    let rest = word;
    // Only at the start of a line: a word that fits on no line is cut, after a separator when there is one.
    while (rest.length > width) {
      const separator = Math.max(...[':', '-', '=', ',', '/', '@'].map((mark) => rest.lastIndexOf(mark, width - 1)));
      const cut = separator >= width / 2 ? separator + 1 : width;
      lines.push(rest.slice(0, cut));
      rest = rest.slice(cut);
    }
    line = line === '' ? rest : `${line} ${rest}`;
  }
  lines.push(line);
  return lines;
}

/** Running text (a list in a --help) broken at spaces into lines of at most TABLE_WIDTH columns. */
export function wrapText(text: string): string {
  return wrapCell(text, TABLE_WIDTH).join('\n');
}

/** Column widths that fit TABLE_WIDTH: the widest column gives up a character until the table fits (down to its header). */
function fittedWidths(widths: readonly number[], minimums: readonly number[]): number[] {
  const fitted = [...widths];
  const gaps = 2 * (fitted.length - 1);
  for (;;) {
    const total = fitted.reduce((sum, width) => sum + width, gaps);
    let widest = -1;
    fitted.forEach((width, i) => {
      if (width > (minimums[i] ?? 0) && (widest < 0 || width > (fitted[widest] ?? 0))) widest = i;
    });
    if (total <= TABLE_WIDTH || widest < 0) return fitted;
    fitted[widest] = (fitted[widest] ?? 1) - 1;
  }
}

/**
 * A plain text table: a header row and aligned columns, every cell escaped; `(none)` when there are
 * no rows. With `fit`, it fits TABLE_WIDTH columns by wrapping its widest cells onto more lines.
 */
export function table(columns: readonly string[], cells: readonly (readonly string[])[], layout: TableLayout = {}): string {
  if (cells.length === 0) return '(none)\n';
  const rows = cells.map((row) => row.map(printable));
  const natural = columns.map((column, i) => Math.max(column.length, ...rows.map((row) => (row[i] ?? '').length)));
  // A column of short single words (a time, a type, an outcome) keeps its width while the others can give.
  const atomic = natural.map((width, i) => width <= WORD_KEPT && rows.every((row) => !(row[i] ?? '').includes(' ')));
  const least = columns.map((column, i) => (layout.keep?.includes(i) === true ? (natural[i] ?? 0) : Math.max(column.length, 8)));
  const widths =
    layout.fit !== true
      ? natural
      : fittedWidths(
          fittedWidths(
            natural,
            least.map((width, i) => (atomic[i] === true ? (natural[i] ?? width) : width)),
          ),
          least,
        );
  const lines = (row: readonly string[]): string[] => {
    const wrapped = row.map((cell, i) => wrapCell(cell, widths[i] ?? cell.length));
    const height = Math.max(...wrapped.map((cellLines) => cellLines.length));
    return Array.from({ length: height }, (_, at) =>
      wrapped
        .map((cellLines, i) => (i === wrapped.length - 1 ? (cellLines[at] ?? '') : (cellLines[at] ?? '').padEnd(widths[i] ?? 0)))
        .join('  ')
        .trimEnd(),
    );
  };
  return [columns, ...rows].flatMap(lines).join('\n') + '\n';
}

/** A time as operators read it and scripts parse it: ISO 8601 in UTC; null stays null. */
export function isoTime(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

/** `key: value` lines, aligned, for a single record; each value escaped to one line. */
export function fields(entries: readonly (readonly [string, string | number | null])[]): string {
  const width = Math.max(...entries.map(([key]) => key.length));
  return entries.map(([key, value]) => `${(key + ':').padEnd(width + 2)}${printable(String(value ?? '-'))}`).join('\n') + '\n';
}

/**
 * Opens a file for a secret (a private key, password hashes): created owner-only (0600), and an
 * existing one refused unless `force`, which also takes a looser mode away from it.
 */
export async function openOwnerOnly(file: string, force: boolean): Promise<FileHandle> {
  let handle: FileHandle;
  try {
    handle = await open(file, force ? 'w' : 'wx', 0o600);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new CliError(`${file} exists; choose another --out, or --force to overwrite it`);
    throw new CliError(`cannot write ${file} (${code ?? String(error)}); choose an --out in a directory that this user may write`);
  }
  await handle.chmod(0o600);
  return handle;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Bytes as UTF-8 text, refused when they are not valid UTF-8: decoded with replacement characters,
 * two different byte strings would become one password (docs/SECURITY.md, case F43).
 */
export function utf8Text(bytes: Uint8Array, what: string): string {
  try {
    return UTF8.decode(bytes);
  } catch {
    throw new CliError(`${what} is not valid UTF-8; save it as UTF-8 and try again`);
  }
}

/** All of standard input, as bytes. */
export async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
