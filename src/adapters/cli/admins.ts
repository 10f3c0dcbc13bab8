// `ssod admins`: the administrators of the admin console (docs/admin-console.md): add one, list
// them, remove one, reset a password or a second factor. A password is asked twice on the terminal,
// or read as one line from standard input (--password-stdin), never from argv. The TOTP secret, its
// otpauth:// URI and the recovery codes are printed once, when made.
import type { Command } from 'commander';
import { addAdmin, listAdmins, removeAdmin, resetAdmin, type SecondFactor } from '../../core/operator/admins.js';
import {
  CliError,
  TABLE_WIDTH,
  action,
  addWideFlag,
  fields,
  isoTime,
  print,
  storeCommand,
  table,
  tableTime,
  type StoreFlags,
} from './common.js';
import { withServices, type InstallationAccess } from './installation.js';
import { askNewPassword, onTerminal, secretFromStdin } from './passwords.js';

interface PasswordStdinFlags extends StoreFlags {
  readonly passwordStdin?: boolean;
}

interface ResetFlags extends PasswordStdinFlags {
  readonly password?: boolean;
  readonly totp?: boolean;
}

/** The new password: one line of standard input with --password-stdin, else asked twice on the terminal. */
async function newPassword(flags: PasswordStdinFlags, name: string): Promise<string> {
  if (flags.passwordStdin === true) return secretFromStdin('the password');
  if (!onTerminal())
    throw new CliError('no terminal to ask the password on; pipe it in with --password-stdin (one line), or run the command on a terminal');
  return askNewPassword(`Password of administrator ${name}`);
}

/** What is shown once of a new second factor. */
function factorText(name: string, factor: SecondFactor): string {
  return (
    fields([
      ['administrator', name],
      ['TOTP secret', factor.secret],
      ['otpauth URI', factor.uri],
    ]) +
    '\nRecovery codes (each works once, instead of a code from the app):\n' +
    factor.recoveryCodes.map((code) => `  ${code}\n`).join('') +
    '\nThey are shown only now: give them to the administrator over a safe channel. Add the URI (or the secret)\n' +
    'to an authenticator app; `qrencode -t ansiutf8 URI` shows it as a QR code.\n'
  );
}

interface AdminRow {
  readonly name: string;
  readonly createdAt: string | null;
  readonly lastSignInAt: string | null;
  readonly recoveryCodesLeft: number;
}

/**
 * Every column, at full width with --wide; otherwise times to the second, and without ADDED when a
 * long name would make the table wider than TABLE_WIDTH (the name, the next command's argument, is never wrapped).
 */
function adminsTable(rows: readonly AdminRow[], wide: boolean): string {
  const time = (iso: string | null): string => (wide ? (iso ?? '-') : tableTime(iso));
  const full = table(
    ['NAME', 'ADDED', 'LAST SIGN-IN', 'RECOVERY CODES LEFT'],
    rows.map((row) => [row.name, time(row.createdAt), time(row.lastSignInAt), String(row.recoveryCodesLeft)]),
  );
  if (wide || Math.max(...full.split('\n').map((line) => line.length)) <= TABLE_WIDTH) return full;
  return table(
    ['NAME', 'LAST SIGN-IN', 'CODES LEFT'],
    rows.map((row) => [row.name, time(row.lastSignInAt), String(row.recoveryCodesLeft)]),
    { fit: true, keep: [0] },
  );
}

/** The administrators, with when each was added and last signed in, and its recovery codes left. */
async function list(access: InstallationAccess, flags: StoreFlags): Promise<void> {
  await withServices(access, flags, async (services) => {
    const rows = (await listAdmins(services)).map((admin) => ({
      name: admin.name,
      createdAt: isoTime(admin.createdAt),
      lastSignInAt: isoTime(admin.lastSignInAt),
      recoveryCodesLeft: admin.recoveryCodesLeft,
    }));
    print(flags, rows, () =>
      rows.length === 0 ? 'No administrators; add one with `ssod admins add NAME`.\n' : adminsTable(rows, flags.wide === true),
    );
  });
}

export function adminsCommand(access: InstallationAccess): Command {
  const command = addWideFlag(
    storeCommand('admins', 'List the administrators of the admin console (docs/admin-console.md); add, remove or reset one.'),
  )
    .addHelpText(
      'after',
      '\nExamples:\n  ssod admins --data-dir /var/lib/ssod\n  ssod admins add alice\n  ssod admins reset alice --totp\n  ssod admins remove alice\n',
    )
    .action(action((flags: StoreFlags) => list(access, flags)));

  command.addCommand(
    addWideFlag(storeCommand('list', 'List the administrators (as `ssod admins` alone does).'))
      .addHelpText('after', '\nExamples:\n  ssod admins list --data-dir /var/lib/ssod\n  ssod admins list --json\n')
      .action(action((flags: StoreFlags) => list(access, flags))),
  );

  command.addCommand(
    storeCommand('add', 'Add an administrator: asks its password, and prints its TOTP secret and recovery codes once.')
      .argument('<name>', '1 to 64 lower-case letters, digits, ".", "_" or "-"')
      .option('--password-stdin', 'read the password as one line from standard input instead of asking on the terminal')
      .addHelpText(
        'after',
        '\nExamples:\n  ssod admins add alice\n  printf \'%s\\n\' "$PASSWORD" | ssod admins add alice --password-stdin\n',
      )
      .action(
        action(async (flags: PasswordStdinFlags, name: string) => {
          const password = await newPassword(flags, name);
          await withServices(access, flags, async (services, options) => {
            const factor = await addAdmin(services, await access.openAdminKit(options, services), { name, password }, 'operator');
            print(flags, { name, ...factor }, () => `Added administrator ${name}.\n\n${factorText(name, factor)}`);
          });
        }),
      ),
  );

  command.addCommand(
    storeCommand('remove', 'Remove an administrator; its console sessions end at once.')
      .argument('<name>', 'the administrator')
      .addHelpText('after', '\nExamples:\n  ssod admins remove alice --data-dir /var/lib/ssod\n')
      .action(
        action(async (flags: StoreFlags, name: string) => {
          await withServices(access, flags, async (services) => {
            const sessions = await removeAdmin(services, name, 'operator');
            print(
              flags,
              { name, removed: true, sessionsEnded: sessions },
              () => `Removed administrator ${name}; ${sessions} console session(s) ended.\n`,
            );
          });
        }),
      ),
  );

  command.addCommand(
    storeCommand(
      'reset',
      "Replace an administrator's password (--password), its TOTP secret and recovery codes (--totp), or both; its console sessions end.",
    )
      .argument('<name>', 'the administrator')
      .option('--password', 'a new password (asked on the terminal, or --password-stdin)')
      .option('--password-stdin', 'read the new password as one line from standard input')
      .option('--totp', 'a new TOTP secret and 10 new recovery codes, printed once')
      .addHelpText('after', '\nExamples:\n  ssod admins reset alice --totp\n  ssod admins reset alice --password\n')
      .action(
        action(async (flags: ResetFlags, name: string) => {
          const wantsPassword = flags.password === true || flags.passwordStdin === true;
          if (!wantsPassword && flags.totp !== true)
            throw new CliError('nothing to reset; give --password (or --password-stdin), --totp, or both');
          const password = wantsPassword ? await newPassword(flags, name) : undefined;
          await withServices(access, flags, async (services, options) => {
            const kit = await access.openAdminKit(options, services);
            const { factor, sessions } = await resetAdmin(
              services,
              kit,
              { name, ...(password !== undefined ? { password } : {}), totp: flags.totp === true },
              'operator',
            );
            print(flags, { name, passwordReset: password !== undefined, ...(factor ?? {}), sessionsEnded: sessions }, () =>
              [
                `Reset administrator ${name}: ${[password !== undefined ? 'new password' : '', factor !== null ? 'new TOTP secret and recovery codes' : ''].filter((part) => part !== '').join(', ')}; ${sessions} console session(s) ended.\n`,
                factor === null ? '' : `\n${factorText(name, factor)}`,
              ].join(''),
            );
          });
        }),
      ),
  );
  return command;
}
