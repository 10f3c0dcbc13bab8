// `ssod users`: the users of the service (protocol §3.2): list, show, create, set a password, disable and
// enable, change the owner, delete. A password comes from a file or stdin, never from argv, where
// every user of the machine could read it (ps, /proc/PID/cmdline).
import { Command } from 'commander';
import {
  checkNewUser,
  createUserAsOperator,
  findUserByReference,
  hashOperatorPassword,
  listUsers,
  setUserDisabled,
  turnSingleSignOnOff,
  turnSingleSignOnOn,
  userDetails,
} from '../../core/operator/users.js';
import { federatedLinksOf } from '../../core/operator/identityProviders.js';
import type { OperatorServices } from '../../core/services.js';
import { deleteUser, setPasswordHash, transferOwnership } from '../../core/users.js';
import type { FederatedLink, UserRecord } from '../../core/store/index.js';
import { applicationArgument } from './applications.js';
import {
  CliError,
  UsageError,
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
import { askNewPassword, onTerminal, readPassword, type PasswordFlags as GivenPasswordFlags } from './passwords.js';
import { printable } from '../../core/identifiers.js';
import { withServices, type InstallationAccess } from './installation.js';
import { requireMayOwnUsersAsOperator } from '../../core/operator/groups.js';

const DEFAULT_PAGE = 50;
const MAX_PAGE = 1000;

export function userView(user: UserRecord) {
  return {
    id: user.id,
    login: user.login,
    ownerId: user.ownerId,
    createdAt: isoTime(user.createdAt),
    disabledAt: isoTime(user.disabledAt),
    /** The delegated source that checks its password (single sign-on); null: ssod's own password. */
    source: user.sourceName,
  };
}

/** A federated id link as shown (docs/federation/saml.md, "Federated ids"). */
export function linkView(link: FederatedLink) {
  return { idp: link.idpName, federatedId: link.federatedId, createdAt: isoTime(link.createdAt) };
}

/** The lines of `ssod users show` for the user's links. */
export function linkLines(links: readonly FederatedLink[]): [string, string][] {
  return links.length === 0
    ? [['federated ids', 'none']]
    : links.map((link) => [`federated id (${link.idpName})`, link.federatedId] as [string, string]);
}

/** How a listing says where a user's password is checked. */
function sourceWords(sourceName: string | null): string {
  return sourceName ?? 'local';
}

/** The user named on the command line by id or by login, or a refusal that says how to find it. */
export async function userArgument(services: OperatorServices, reference: string): Promise<UserRecord> {
  const user = await findUserByReference(services, reference);
  if (user === null)
    throw new CliError(`no user with id or login ${JSON.stringify(reference)}; \`ssod users list --login TEXT\` finds users`);
  return user;
}

/** A positive whole number from a flag, at most `max`. */
export function countFlag(name: string, text: string | undefined, fallback: number, max: number): number {
  if (text === undefined) return fallback;
  if (!/^\d{1,7}$/.test(text) || Number(text) < 1 || Number(text) > max)
    throw new UsageError(`${name} must be a whole number from 1 to ${max}, got ${JSON.stringify(text)}; for example ${name} 50`);
  return Number(text);
}

interface ListFlags extends StoreFlags {
  readonly login?: string;
  readonly owner?: string;
  readonly limit?: string;
  readonly after?: string;
}

async function list(access: InstallationAccess, flags: ListFlags): Promise<void> {
  const limit = countFlag('--limit', flags.limit, DEFAULT_PAGE, MAX_PAGE);
  await withServices(access, flags, async (services) => {
    if (flags.owner !== undefined) await applicationArgument(services, flags.owner);
    const page = await listUsers(services, { ownerId: flags.owner, login: flags.login, after: flags.after, limit });
    const users = page.users.map(userView);
    const next = page.next;
    print(
      flags,
      { users, next },
      () =>
        (flags.wide === true
          ? table(
              ['ID', 'LOGIN', 'OWNER', 'STATE', 'SOURCE', 'CREATED'],
              users.map((user) => [
                user.id,
                user.login,
                user.ownerId,
                user.disabledAt === null ? 'enabled' : 'disabled',
                sourceWords(user.source),
                user.createdAt ?? '-',
              ]),
            )
          : // Fits 100 columns: no OWNER (--wide, --json or `ssod users show`), the id never wrapped, long logins wrapped.
            table(
              ['ID', 'LOGIN', 'STATE', 'SOURCE', 'CREATED'],
              users.map((user) => [
                user.id,
                user.login,
                user.disabledAt === null ? 'enabled' : 'disabled',
                sourceWords(user.source),
                tableTime(user.createdAt),
              ]),
              { fit: true, keep: [0] },
            )) + (next === null ? '' : `More: --after ${JSON.stringify(next)}\n`),
    );
  });
}

async function show(access: InstallationAccess, flags: StoreFlags, reference: string): Promise<void> {
  await withServices(access, flags, async (services) => {
    const { user, owner, sessions } = await userDetails(services, await userArgument(services, reference));
    const links = await federatedLinksOf(services, user);
    const shown = { ...userView(user), ownerName: owner?.name ?? null, sessions, federatedIds: links.map(linkView) };
    print(flags, shown, () =>
      fields([
        ['id', shown.id],
        ['login', shown.login],
        ['owner', `${shown.ownerName ?? '?'} (${shown.ownerId})`],
        ['created', shown.createdAt],
        ['state', shown.disabledAt === null ? 'enabled' : `disabled since ${shown.disabledAt}`],
        ['password', shown.source === null ? "ssod's own (local)" : `checked by source ${shown.source} (single sign-on)`],
        ['sessions', sessions],
        ...linkLines(links),
      ]),
    );
  });
}

interface PasswordFlags extends StoreFlags, GivenPasswordFlags {}

/** The new password's hash, refused as the SOAP API refuses it (empty, too long). */
async function newPasswordHash(services: OperatorServices, flags: PasswordFlags): Promise<string> {
  return hashOperatorPassword(services, await readPassword(flags));
}

interface CreateFlags extends PasswordFlags {
  readonly owner: string;
}

async function create(access: InstallationAccess, flags: CreateFlags, login: string): Promise<void> {
  await withServices(access, flags, async (services) => {
    if (login.length === 0) throw new UsageError('the login must not be empty; give the login to create');
    const owner = await applicationArgument(services, flags.owner);
    // Checked before the password is asked: a login that is taken asks for nothing.
    await checkNewUser(services, owner, login);
    const id = await createUserAsOperator(services, { owner, login, password: await readPassword(flags) });
    print(flags, { id, login, ownerId: owner.id }, () => `Created ${printable(login)} (${id}), owned by ${printable(owner.name)}.`);
  });
}

async function changePassword(access: InstallationAccess, flags: PasswordFlags, reference: string): Promise<void> {
  await withServices(access, flags, async (services) => {
    const user = await userArgument(services, reference);
    if (user.sourceName !== null)
      throw new CliError(
        `${printable(user.login)} signs in through source ${user.sourceName}: its password is the directory's; to give it a local password instead, \`ssod users sso off ${reference}\``,
      );
    if (!(await setPasswordHash(services, user, await newPasswordHash(services, flags), 'operator')))
      throw new CliError(`no user ${JSON.stringify(reference)}; \`ssod users list\` shows them`);
    print(
      flags,
      { id: user.id, login: user.login, passwordChanged: true },
      () => `Password of ${printable(user.login)} changed; its sessions go on.`,
    );
  });
}

async function setDisabled(access: InstallationAccess, flags: StoreFlags, reference: string, disabled: boolean): Promise<void> {
  await withServices(access, flags, async (services) => {
    const user = await userArgument(services, reference);
    const { changed, sessionsEnded } = await setUserDisabled(services, user, disabled);
    const state = disabled ? 'disabled' : 'enabled';
    print(flags, { id: user.id, login: user.login, state, changed, sessionsEnded }, () =>
      changed
        ? `${printable(user.login)} is ${state}` +
          (disabled ? `: it cannot sign in, and its ${sessionsEnded} session(s) ended.` : ': it can sign in again.')
        : `${printable(user.login)} was ${state} already; nothing changed.`,
    );
  });
}

async function setOwner(access: InstallationAccess, flags: StoreFlags, reference: string, ownerId: string): Promise<void> {
  await withServices(access, flags, async (services) => {
    const user = await userArgument(services, reference);
    const owner = await applicationArgument(services, ownerId);
    await requireMayOwnUsersAsOperator(services, owner);
    await transferOwnership(services, user, owner.id, 'operator');
    print(
      flags,
      { id: user.id, login: user.login, ownerId: owner.id },
      () => `${printable(user.login)} is now owned by ${printable(owner.name)} (${owner.id}).`,
    );
  });
}

async function remove(access: InstallationAccess, flags: StoreFlags, reference: string): Promise<void> {
  await withServices(access, flags, async (services) => {
    const user = await userArgument(services, reference);
    await deleteUser(services, user, 'operator');
    print(flags, { deleted: user.id, login: user.login }, () => `Deleted ${printable(user.login)} (${user.id}) and its sessions.`);
  });
}

interface SsoOnFlags extends StoreFlags {
  readonly source: string;
}

/** Single sign-on on: the user's password is checked by the source from now on (docs/FEDERATION.md). */
async function singleSignOnOn(access: InstallationAccess, flags: SsoOnFlags, reference: string): Promise<void> {
  await withServices(access, flags, async (services) => {
    const { changed, user, warning } = await turnSingleSignOnOn(services, await userArgument(services, reference), flags.source);
    if (warning !== null) process.stderr.write(`ssod: warning: ${warning}\n`);
    print(flags, { id: user.id, login: user.login, source: user.sourceName, changed }, () =>
      changed
        ? `${printable(user.login)} signs in through source ${flags.source} now; its local password is gone.`
        : `${printable(user.login)} signs in through source ${flags.source} already; nothing changed.`,
    );
  });
}

/** The new local password of a user whose single sign-on goes off: from the flags, else asked on the terminal. */
async function newLocalPassword(flags: PasswordFlags): Promise<string> {
  if (flags.passwordFile !== undefined || flags.passwordStdin === true) return readPassword(flags);
  if (!onTerminal())
    throw new CliError(
      'turning single sign-on off needs a new local password for the user; give it with --password-file FILE or --password-stdin, or run the command on a terminal to be asked for it',
    );
  return askNewPassword('New local password');
}

/** Single sign-on off: the user signs in with a new local password, hashed as any. */
async function singleSignOnOff(access: InstallationAccess, flags: PasswordFlags, reference: string): Promise<void> {
  await withServices(access, flags, async (services) => {
    const user = await userArgument(services, reference);
    if (user.sourceName === null) {
      print(
        flags,
        { id: user.id, login: user.login, source: null, changed: false },
        () =>
          `${printable(user.login)} signs in with its local password already; nothing changed (\`ssod users set-password\` changes it).`,
      );
      return;
    }
    const passwordHash = await hashOperatorPassword(services, await newLocalPassword(flags));
    const { changed } = await turnSingleSignOnOff(services, user, passwordHash);
    print(
      flags,
      { id: user.id, login: user.login, source: null, changed },
      () => `${printable(user.login)} signs in with its new local password now, no longer through source ${user.sourceName ?? '?'}.`,
    );
  });
}

function singleSignOnCommand(access: InstallationAccess): Command {
  const command = new Command('sso')
    .description("Single sign-on of a user: its password checked by a delegated source (on), or by ssod's own hash (off).")
    .enablePositionalOptions()
    .addHelpText(
      'after',
      '\nExamples:\n  ssod users sso on alice@example.com --source corp-ldap\n  ssod users sso off alice@example.com\n',
    );
  command.addCommand(
    storeCommand('on', "Check the user's password by a delegated source from now on; its local password is dropped.")
      .argument('<user>', 'the user id or login')
      .requiredOption('--source <NAME>', 'the delegated source (`ssod sources list` shows them)')
      .addHelpText(
        'after',
        '\nThe source must be configured first: `ssod sources add NAME --web-service URL` or `--ldap URL` (see `ssod sources add --help`).\n' +
          "While the organization's directory cannot be reached the user cannot sign in: keep administrators local.\n" +
          '\nExample:\n  ssod users sso on alice@example.com --source corp-ldap\n',
      )
      .action(action((flags: SsoOnFlags, user: string) => singleSignOnOn(access, flags, user))),
  );
  command.addCommand(
    passwordOptions(
      storeCommand('off', 'Let the user sign in with a new local password again; asked on the terminal, or from a file or stdin.').argument(
        '<user>',
        'the user id or login',
      ),
    )
      .addHelpText(
        'after',
        '\nWithout --password-file or --password-stdin the new password is asked on the terminal (twice, without echo).\n' +
          '\nExamples:\n  ssod users sso off alice@example.com\n  printf \'%s\' "$PASSWORD" | ssod users sso off alice@example.com --password-stdin\n',
      )
      .action(action((flags: PasswordFlags, user: string) => singleSignOnOff(access, flags, user))),
  );
  return command;
}

function passwordOptions(command: Command): Command {
  return command
    .option('--password-file <FILE>', 'read the password from FILE (one trailing line ending is dropped)')
    .option('--password-stdin', 'read the password from standard input');
}

export function usersCommand(access: InstallationAccess): Command {
  const listCommand = (name: string): Command =>
    addWideFlag(storeCommand(name, 'List users by login key, a page at a time.'))
      .option('--login <TEXT>', 'only logins that contain TEXT (compared without case)')
      .option('--owner <APP_ID>', 'only users owned by this application')
      .option('--limit <N>', `at most N users (default ${DEFAULT_PAGE}, at most ${MAX_PAGE})`)
      .option('--after <LOGIN>', 'the page after this login (as the previous page ends)')
      .addHelpText('after', '\nExample:\n  ssod users list --login example.com --limit 20\n')
      .action(action((flags: ListFlags) => list(access, flags)));
  const command = listCommand('users').description(
    'The users: list, show, create, set-password, disable, enable, set-owner, sso, link, unlink, links, delete.',
  );
  command.addCommand(listCommand('list'));
  command.addCommand(
    storeCommand('show', 'Show a user, by id or by login.')
      .argument('<user>', 'the user id or login')
      .addHelpText('after', '\nExample:\n  ssod users show alice@example.com\n')
      .action(action((flags, user: string) => show(access, flags, user))),
  );
  command.addCommand(
    passwordOptions(
      storeCommand('create', 'Create a user owned by an application; the password comes from a file or stdin.')
        .argument('<login>', 'the new login')
        .requiredOption('--owner <APP_ID>', 'the application that owns the user (protocol §3.2)'),
    )
      .addHelpText(
        'after',
        '\nExample:\n  printf \'%s\' "$PASSWORD" | ssod users create alice@example.com --owner 6f1c1a52-7d0e-4c43-9a55-3c2f5d1f0b11 --password-stdin\n',
      )
      .action(action((flags: CreateFlags, login: string) => create(access, flags, login))),
  );
  command.addCommand(
    passwordOptions(
      storeCommand('set-password', "Set a user's password; it comes from a file or stdin.").argument('<user>', 'the user id or login'),
    )
      .addHelpText('after', '\nExample:\n  ssod users set-password alice@example.com --password-file /root/alice.pw\n')
      .action(action((flags: PasswordFlags, user: string) => changePassword(access, flags, user))),
  );
  command.addCommand(
    storeCommand('disable', 'Disable a user: it cannot sign in (the answer is that of a wrong password), and its sessions end.')
      .argument('<user>', 'the user id or login')
      .addHelpText('after', '\nExample:\n  ssod users disable alice@example.com\n')
      .action(action(async (flags, user: string) => setDisabled(access, flags, user, true))),
  );
  command.addCommand(
    storeCommand('enable', 'Enable a disabled user again.')
      .argument('<user>', 'the user id or login')
      .addHelpText('after', '\nExample:\n  ssod users enable alice@example.com\n')
      .action(action(async (flags, user: string) => setDisabled(access, flags, user, false))),
  );
  command.addCommand(
    storeCommand('set-owner', 'Give a user to another application (as transferOwnership, protocol §5.16).')
      .argument('<user>', 'the user id or login')
      .argument('<app-id>', 'the new owner application')
      .addHelpText('after', '\nExample:\n  ssod users set-owner alice@example.com 6f1c1a52-7d0e-4c43-9a55-3c2f5d1f0b11\n')
      .action(action((flags, user: string, owner: string) => setOwner(access, flags, user, owner))),
  );
  command.addCommand(singleSignOnCommand(access));
  command.addCommand(
    storeCommand('delete', 'Delete a user and its sessions.')
      .argument('<user>', 'the user id or login')
      .addHelpText('after', '\nExample:\n  ssod users delete alice@example.com\n')
      .action(action((flags, user: string) => remove(access, flags, user))),
  );
  return command;
}
