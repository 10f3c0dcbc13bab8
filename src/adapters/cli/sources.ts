// `ssod sources`: the delegated sources that check the passwords of users with single sign-on
// (docs/FEDERATION.md): add (or replace) one, list them, show one, test one against a login, remove
// one that no user has. The settings are kept in the store, so every node follows a change within a
// few seconds; a CA file is read here and its certificates are stored with the settings. The LDAP
// service account's password comes from a file or the terminal, never from argv.
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { printable } from '../../core/identifiers.js';
import {
  addSource,
  findSource,
  listSourcesWithUsers,
  removeSource,
  sourceDetails,
  sourceSettingsOf,
  testSource,
  type SourceFieldNames,
} from '../../core/operator/sources.js';
import { Refusal } from '../../core/refusal.js';
import type { SourceAnswer } from '../../core/ports/delegated.js';
import { SOURCE_TIMEOUTS, shownSettings } from '../../core/sourceSettings.js';
import type { LastTestRecord, StoredSource } from '../../core/store/index.js';
import { openSource } from '../../infra/sources/index.js';
import { CliError, UsageError, action, addWideFlag, fields, isoTime, print, storeCommand, table, type StoreFlags } from './common.js';
import { withServices, type InstallationAccess } from './installation.js';
import { askHidden, onTerminal, secretFromFile, secretFromStdin } from './passwords.js';

/** The flags of `ssod sources add`. */
interface AddFlags extends StoreFlags {
  readonly webService?: string;
  readonly ldap?: string;
  readonly startTls?: boolean;
  readonly bindDn?: string;
  readonly bindPasswordFile?: string;
  readonly searchBase?: string;
  readonly searchFilter?: string;
  readonly bindDnTemplate?: string;
  readonly caFile?: string;
  readonly pin?: string;
  readonly connectTimeout?: string;
  readonly timeout?: string;
  readonly replace?: boolean;
}

/** The options of `ssod sources add` by the names of the fields they give, for the refusals to name them. */
const FLAG_NAMES: SourceFieldNames = {
  connectTimeout: '--connect-timeout',
  timeout: '--timeout',
  caPem: '--ca-file',
  pin: '--pin',
  startTls: '--start-tls',
  bindDn: '--bind-dn',
  bindPassword: '--bind-password-file',
  searchBase: '--search-base',
  searchFilter: '--search-filter',
  bindDnTemplate: '--bind-dn-template',
};

async function caPemOf(file: string | undefined): Promise<string | undefined> {
  if (file === undefined) return undefined;
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new CliError(
      `cannot read the CA file (${(error as NodeJS.ErrnoException).code ?? String(error)}); check the --ca-file path and that this user may read it`,
    );
  }
}

/** The service account's password: from --bind-password-file, else asked on the terminal. */
async function bindPasswordOf(flags: AddFlags): Promise<string | undefined> {
  if (flags.bindDn === undefined) {
    if (flags.bindPasswordFile !== undefined)
      throw new UsageError('--bind-password-file without --bind-dn; give --bind-dn too, the service account it is the password of');
    return undefined;
  }
  if (flags.bindPasswordFile !== undefined) return secretFromFile(flags.bindPasswordFile, 'the bind password', '--bind-password-file');
  if (!onTerminal())
    throw new CliError(
      `no password for the service account ${flags.bindDn}; give it with --bind-password-file FILE, or run the command on a terminal to be asked for it`,
    );
  return askHidden(`Password of ${flags.bindDn}: `);
}

/** The settings the flags give (checked by the core when added); a field's own rule broken is a usage error. */
async function settingsOf(flags: AddFlags): Promise<Record<string, unknown>> {
  if ((flags.webService === undefined) === (flags.ldap === undefined))
    throw new UsageError('give exactly one of --web-service URL and --ldap URL; `ssod sources add --help` shows both');
  const ldap = flags.ldap !== undefined;
  const fields = {
    kind: ldap ? ('ldap' as const) : ('webService' as const),
    url: flags.ldap ?? flags.webService ?? '',
    connectTimeout: flags.connectTimeout,
    timeout: flags.timeout,
    caPem: await caPemOf(flags.caFile),
    pin: flags.pin,
    startTls: flags.startTls,
    bindDn: flags.bindDn,
    // Asked only of an LDAP source: a web service with --bind-dn is refused before the terminal asks.
    bindPassword: ldap ? await bindPasswordOf(flags) : flags.bindPasswordFile,
    searchBase: flags.searchBase,
    searchFilter: flags.searchFilter,
    bindDnTemplate: flags.bindDnTemplate,
  };
  try {
    return sourceSettingsOf(fields, FLAG_NAMES);
  } catch (error) {
    if (error instanceof Refusal) throw new UsageError(error.message);
    throw error;
  }
}

const KIND_WORDS: Readonly<Record<string, string>> = { webService: 'web service', ldap: 'LDAP' };

async function add(access: InstallationAccess, flags: AddFlags, name: string): Promise<void> {
  await withServices(access, flags, async (services) => {
    const { settings, replaced } = await addSource(services, {
      name,
      settings: await settingsOf(flags),
      replace: flags.replace === true,
    });
    print(flags, { name, kind: settings.kind, url: settings.url, replaced }, () =>
      [
        `${replaced ? 'Replaced the settings of' : 'Added'} source ${printable(name)} (${KIND_WORDS[settings.kind] ?? settings.kind}, ${printable(settings.url)}); running servers use it within a few seconds.`,
        `Test it: ssod sources test ${name} --login LOGIN`,
        `Then let a user sign in through it: ssod users sso on USER --source ${name}`,
      ].join('\n'),
    );
  });
}

/** A stored source as shown: the settings without the bind password, or why they cannot be used. */
function sourceView(source: StoredSource) {
  return {
    name: source.name,
    kind: source.kind,
    settings: source.settings === null ? null : shownSettings(source.settings),
    problem: source.settings === null ? source.problem : null,
    createdAt: isoTime(source.createdAt),
    updatedAt: isoTime(source.updatedAt),
  };
}

async function list(access: InstallationAccess, flags: StoreFlags): Promise<void> {
  await withServices(access, flags, async (services) => {
    const rows = (await listSourcesWithUsers(services)).map(({ source, users }) => ({ ...sourceView(source), users }));
    print(flags, rows, () =>
      table(
        ['NAME', 'KIND', 'URL', 'USERS', 'UPDATED'],
        rows.map((row) => [
          row.name,
          KIND_WORDS[row.kind] ?? row.kind,
          row.settings === null ? `unusable: ${row.problem ?? ''}` : String(row.settings.url),
          String(row.users),
          row.updatedAt ?? '-',
        ]),
        { fit: flags.wide !== true },
      ),
    );
  });
}

/** The lines of `show` for the settings (the bind password only said to be set). */
function settingLines(settings: Readonly<Record<string, string | number | boolean>>): [string, string][] {
  return Object.entries(settings)
    .filter(([key]) => key !== 'kind' && key !== 'url' && key !== 'caPem')
    .map(([key, value]) => [key, String(value)]);
}

async function show(access: InstallationAccess, flags: StoreFlags, name: string): Promise<void> {
  await withServices(access, flags, async (services) => {
    const details = await sourceDetails(services, name);
    const view = {
      ...sourceView(details.source),
      users: details.users,
      someUsers: details.someUsers.map((user) => user.login),
      lastTest: lastTestView(details.lastTest),
    };
    const caCertificates = details.source.settings?.caPem?.match(/-----BEGIN CERTIFICATE-----/g)?.length ?? 0;
    print(flags, view, () =>
      fields([
        ['name', view.name],
        ['kind', KIND_WORDS[view.kind] ?? view.kind],
        ...(view.settings === null
          ? [['state', `UNUSABLE: ${view.problem ?? ''}; add it again with --replace`] as const]
          : [
              ['url', String(view.settings.url)] as const,
              ...settingLines(view.settings),
              ['trusted CA', caCertificates === 0 ? "the system's" : `${caCertificates} certificate(s) from the CA file`] as const,
            ]),
        ['users', view.users],
        ...(view.someUsers.length > 0
          ? [['some users', view.someUsers.join(', ') + (view.users > view.someUsers.length ? ', …' : '')] as const]
          : []),
        ['created', view.createdAt],
        ['updated', view.updatedAt],
        ['last test', lastTestLine(details.lastTest)],
        ['health', 'a running server reports its circuit in /healthz (and in /metrics); `ssod sources test` asks it now'],
      ]),
    );
  });
}

interface TestFlags extends StoreFlags {
  readonly login: string;
}

/** What the source answered, as `ssod sources test` prints it. */
function answerWords(answer: SourceAnswer): string {
  if (answer.ok) return 'authenticated';
  const cause = answer.cause === 'malformed' ? 'malformed reply' : answer.cause;
  return `${cause}: ${answer.detail}`;
}

/** The kept last test as `show --json` gives it. */
function lastTestView(lastTest: LastTestRecord | null) {
  return lastTest === null
    ? null
    : { at: isoTime(lastTest.testedAt), actor: lastTest.actor, outcome: lastTest.outcome, detail: lastTest.detail };
}

/** The kept last test in one line of `show`: when, who, what it answered. */
function lastTestLine(lastTest: LastTestRecord | null): string {
  if (lastTest === null) return 'none yet; `ssod sources test` asks it';
  return `${lastTest.outcome} (${lastTest.detail}) at ${isoTime(lastTest.testedAt) ?? '-'} by ${lastTest.actor}`;
}

/** The password to test: asked on the terminal, else standard input. */
async function testPassword(login: string): Promise<string> {
  const password = onTerminal() ? await askHidden(`Password of ${login}: `) : await secretFromStdin('the password');
  if (password === '')
    throw new CliError(
      `no password was given; type the password of ${login} when asked, or give it on standard input (printf '%s' "$PASSWORD" | ssod sources test …)`,
    );
  return password;
}

async function test(access: InstallationAccess, flags: TestFlags, name: string): Promise<void> {
  await withServices(access, flags, async (services) => {
    await findSource(services, name); // before asking for the password: an unknown name is said at once
    const password = await testPassword(flags.login);
    const answer = await testSource(services, (settings) => openSource(settings, { log: services.log }), {
      name,
      login: flags.login,
      password,
    });
    print(
      flags,
      { source: name, login: flags.login, answer: answer.ok ? 'authenticated' : answer.cause, detail: answer.ok ? null : answer.detail },
      () => `${printable(name)} answered for ${printable(flags.login)}: ${answerWords(answer)}`,
    );
    if (!answer.ok) process.exitCode = 1;
  });
}

async function remove(access: InstallationAccess, flags: StoreFlags, name: string): Promise<void> {
  await withServices(access, flags, async (services) => {
    await removeSource(services, name);
    print(flags, { removed: name }, () => `Removed source ${printable(name)}; running servers drop it within a few seconds.`);
  });
}

function addCommand(access: InstallationAccess): Command {
  return storeCommand(
    'add',
    'Add a delegated source (an LJAuthenticate web service or an LDAP directory), or replace its settings with --replace.',
  )
    .argument('<name>', 'the name users are given the source by (letters, digits, ".", "_", "-")')
    .option('--web-service <URL>', 'an LJAuthenticate web service at this https:// URL')
    .option('--ldap <URL>', 'an LDAP directory at ldaps://HOST[:PORT], or ldap://HOST[:PORT] with --start-tls')
    .option('--start-tls', 'upgrade an ldap:// connection with StartTLS (required for ldap://)')
    .option('--bind-dn <DN>', 'the service account that searches for the user (search-then-bind)')
    .option('--bind-password-file <FILE>', "the service account's password, from FILE (else asked on the terminal)")
    .option('--search-base <DN>', 'where the users are searched')
    .option('--search-filter <FILTER>', 'the search, with {login} where the login goes (default (uid={login}))')
    .option('--bind-dn-template <DN>', 'bind as the user directly, with {login} where the login goes (no search)')
    .option('--ca-file <FILE>', "PEM certificates to trust for the source instead of the system's (stored with the settings)")
    .option('--pin <SHA256>', "base64 SHA-256 of the source's public key (SubjectPublicKeyInfo); any other key is refused")
    .option('--connect-timeout <MS>', `milliseconds to connect (default ${SOURCE_TIMEOUTS.connectDefault})`)
    .option('--timeout <MS>', `milliseconds for the whole call (default ${SOURCE_TIMEOUTS.wholeDefault})`)
    .option('--replace', 'replace the settings of the source of that name (its users keep it)')
    .addHelpText(
      'after',
      '\nTLS is required (https://, ldaps://, or ldap:// with --start-tls) and the certificate is verified. A refused setting is\n' +
        'said with what to give instead. Then test the source with `ssod sources test NAME --login LOGIN`.\n' +
        '\nExamples:\n' +
        '  ssod sources add corp-ws --web-service https://auth.example.com/LJAuthenticate --ca-file /etc/ssod/corp-ca.pem\n' +
        '  ssod sources add corp-ldap --ldap ldaps://ldap.example.com --search-base ou=people,dc=example,dc=com \\\n' +
        '      --bind-dn cn=ssod,ou=services,dc=example,dc=com --bind-password-file /etc/ssod/ldap.pw\n' +
        '  ssod sources add corp-ldap --ldap ldap://ldap.example.com --start-tls --bind-dn-template uid={login},ou=people,dc=example,dc=com\n',
    )
    .action(action((flags: AddFlags, name: string) => add(access, flags, name)));
}

export function sourcesCommand(access: InstallationAccess): Command {
  const listCommand = (name: string): Command =>
    addWideFlag(storeCommand(name, 'List the delegated sources with how many users sign in through each.'))
      .addHelpText('after', '\nExample:\n  ssod sources list --json\n')
      .action(action((flags) => list(access, flags)));
  const command = listCommand('sources').description(
    'The delegated sources that check the passwords of users with single sign-on: list, show, add, test, remove.',
  );
  command.addCommand(listCommand('list'));
  command.addCommand(
    storeCommand('show', 'Show a source: its settings (never the bind password) and its users.')
      .argument('<name>', 'the source')
      .addHelpText('after', '\nExample:\n  ssod sources show corp-ldap\n')
      .action(action((flags, name: string) => show(access, flags, name))),
  );
  command.addCommand(addCommand(access));
  command.addCommand(
    storeCommand(
      'test',
      "Ask the source once whether a password is a login's, and print its answer; exit status 0 only when authenticated.",
    )
      .argument('<name>', 'the source')
      .requiredOption('--login <LOGIN>', 'the login to check, as the users sign in with it')
      .addHelpText(
        'after',
        '\nThe password is asked on the terminal (without echo), or read from standard input. The source is asked directly,\n' +
          "outside a running server's circuit breaker. The answer is: authenticated, rejected, unavailable or malformed reply.\n" +
          '\nExample:\n  ssod sources test corp-ldap --login alice\n',
      )
      .action(action((flags: TestFlags, name: string) => test(access, flags, name))),
  );
  command.addCommand(
    storeCommand('remove', 'Remove a source; refused while users sign in through it (turn their single sign-on off first).')
      .argument('<name>', 'the source')
      .addHelpText('after', '\nExample:\n  ssod sources remove corp-ldap\n')
      .action(action((flags, name: string) => remove(access, flags, name))),
  );
  return command;
}
