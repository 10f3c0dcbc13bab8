// `ssod idps`: the SAML identity providers people sign in at (docs/federation/saml.md, "Configuring
// identity providers"): list, show, add (from the options, or from the identity provider's metadata),
// update some settings, test, remove. The settings are kept in the store, so every node reads the
// change; certificates are read from files here and stored with the settings.
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { printable } from '../../core/identifiers.js';
import type { CertificateSummary } from '../../core/identityProviderSettings.js';
import {
  addIdentityProvider,
  changesOverMetadata,
  checksOfLastTest,
  identityProviderDetails,
  listIdentityProvidersWithLinks,
  removeIdentityProvider,
  testIdentityProvider,
  updateIdentityProvider,
  usable,
  type IdentityProviderChange,
  type IdentityProviderChanges,
} from '../../core/operator/identityProviders.js';
import type { LastTestRecord, StoredIdentityProvider } from '../../core/store/index.js';
import { probeSignInUrl, readIdentityProviderMetadata } from '../../infra/saml/metadata.js';
import { CliError, UsageError, action, addWideFlag, fields, isoTime, print, storeCommand, table, type StoreFlags } from './common.js';
import { withServices, type InstallationAccess } from './installation.js';

/** The flags of `ssod idps add` and `ssod idps update`. */
interface SettingFlags extends StoreFlags {
  readonly metadata?: string;
  readonly issuer?: string;
  readonly signInUrl?: string;
  readonly certificateFile?: string[];
  readonly displayName?: string;
  readonly userIdType?: string;
  readonly userIdLocation?: string;
  readonly userIdAttribute?: string;
  readonly allowIdpInitiated?: boolean;
  readonly createUsersOwnedBy?: string;
}

interface RemoveFlags extends StoreFlags {
  readonly force?: boolean;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

async function certificatesOf(files: readonly string[] | undefined): Promise<string[] | undefined> {
  if (files === undefined) return undefined;
  return Promise.all(
    files.map(async (file) => {
      try {
        return await readFile(file, 'utf8');
      } catch (error) {
        throw new CliError(
          `cannot read the certificate file ${file} (${(error as NodeJS.ErrnoException).code ?? String(error)}); give the identity provider's signing certificate in PEM form`,
        );
      }
    }),
  );
}

function oneOf<T extends string>(flag: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value))
    throw new UsageError(`${flag} must be ${allowed.join(' or ')}, got ${JSON.stringify(value)}; for example ${flag} ${allowed[0] ?? ''}`);
  return value as T;
}

/** The settings the flags give, with those of the metadata under them (a flag given wins over the metadata). */
async function changesOf(flags: SettingFlags): Promise<IdentityProviderChanges> {
  const metadata = flags.metadata === undefined ? undefined : await readIdentityProviderMetadata(flags.metadata);
  return changesOverMetadata(metadata, {
    issuer: flags.issuer,
    signInUrl: flags.signInUrl,
    certificates: await certificatesOf(flags.certificateFile),
    userIdType: oneOf('--user-id-type', flags.userIdType, ['userId', 'federatedId'] as const),
    userIdLocation: oneOf('--user-id-location', flags.userIdLocation, ['subject', 'attribute'] as const),
    userIdAttribute: flags.userIdAttribute,
    allowIdpInitiated: flags.allowIdpInitiated,
    createUsersOwnedBy:
      flags.createUsersOwnedBy === undefined ? undefined : flags.createUsersOwnedBy === 'none' ? null : flags.createUsersOwnedBy,
  });
}

function certificateLine(summary: CertificateSummary): string {
  const until = new Date(summary.notAfter).toISOString();
  const state = summary.expired ? 'EXPIRED' : summary.expiresSoon ? 'expires soon' : 'valid';
  return `SHA-256 ${summary.sha256} (${summary.subject}; ${state}, until ${until})`;
}

function certificateView(summary: CertificateSummary) {
  return {
    sha256: summary.sha256,
    subject: summary.subject,
    notAfter: isoTime(summary.notAfter),
    expired: summary.expired,
    expiresSoon: summary.expiresSoon,
  };
}

/** What add and update print: the certificates to compare, and the warnings on stderr. */
function printChange(flags: StoreFlags, change: IdentityProviderChange, headline: string, fromMetadata: boolean): void {
  for (const warning of change.warnings) process.stderr.write(`ssod: warning: ${warning}\n`);
  const { name } = change.record;
  print(flags, { name, settings: change.record.settings, certificates: change.certificates.map(certificateView) }, () =>
    [
      headline,
      'Compare these fingerprints with the ones the identity provider publishes' +
        (fromMetadata ? " (the metadata's own signature is not checked):" : ':'),
      ...change.certificates.map((summary) => `  ${certificateLine(summary)}`),
      `Test it: ssod idps test ${name}`,
      ...(change.record.settings.userIdType === 'federatedId' ? [`Link users: ssod users link USER --idp ${name} --federated-id ID`] : []),
    ].join('\n'),
  );
}

async function add(access: InstallationAccess, flags: SettingFlags, name: string): Promise<void> {
  if (flags.metadata === undefined && (flags.issuer === undefined || flags.signInUrl === undefined || flags.certificateFile === undefined))
    throw new UsageError(
      'give --metadata FILE|URL, or all of --issuer, --sign-in-url and --certificate-file; `ssod idps add --help` shows both',
    );
  const settings = await changesOf(flags);
  await withServices(access, flags, async (services) => {
    const change = await addIdentityProvider(services, { name, displayName: flags.displayName, settings });
    printChange(
      flags,
      change,
      `Added identity provider ${printable(name)} (issuer ${printable(change.record.settings.issuer)}).`,
      flags.metadata !== undefined,
    );
  });
}

async function update(access: InstallationAccess, flags: SettingFlags, name: string): Promise<void> {
  const settings = await changesOf(flags);
  await withServices(access, flags, async (services) => {
    const change = await updateIdentityProvider(services, name, { displayName: flags.displayName, settings });
    const headline =
      change.fields.length === 0
        ? `Identity provider ${printable(name)} has these settings already; nothing changed.`
        : `Changed ${change.fields.join(', ')} of identity provider ${printable(name)}.`;
    printChange(flags, change, headline, flags.metadata !== undefined);
  });
}

/** A stored identity provider as shown: its settings without the certificates' PEM, or why they cannot be used. */
function idpView(idp: StoredIdentityProvider) {
  const settings = idp.settings === null ? null : { ...idp.settings, certificates: idp.settings.certificates.length };
  return {
    name: idp.name,
    displayName: idp.displayName,
    settings,
    problem: idp.settings === null ? idp.problem : null,
    createdAt: isoTime(idp.createdAt),
    updatedAt: isoTime(idp.updatedAt),
  };
}

async function list(access: InstallationAccess, flags: StoreFlags): Promise<void> {
  await withServices(access, flags, async (services) => {
    const rows = (await listIdentityProvidersWithLinks(services)).map(({ idp, links }) => ({ ...idpView(idp), links }));
    print(flags, rows, () =>
      table(
        ['NAME', 'DISPLAY NAME', 'ISSUER', 'LINKS', 'UPDATED'],
        rows.map((row) => [
          row.name,
          row.displayName,
          row.settings === null ? `unusable: ${row.problem ?? ''}` : row.settings.issuer,
          String(row.links),
          row.updatedAt ?? '-',
        ]),
        { fit: flags.wide !== true },
      ),
    );
  });
}

async function show(access: InstallationAccess, flags: StoreFlags, name: string): Promise<void> {
  await withServices(access, flags, async (services) => {
    const details = await identityProviderDetails(services, name);
    const view = {
      ...idpView(details.idp),
      links: details.links,
      certificates: details.certificates.map(certificateView),
      lastTest: details.lastTest === null ? null : { ...details.lastTest, testedAt: isoTime(details.lastTest.testedAt) },
    };
    const settings = details.idp.settings;
    print(flags, view, () =>
      fields([
        ['name', view.name],
        ['display name', view.displayName],
        ...(settings === null
          ? [['state', `UNUSABLE: ${view.problem ?? ''}; fix it with \`ssod idps update ${name}\``] as const]
          : [
              ['issuer', settings.issuer] as const,
              ['sign-in URL', settings.signInUrl] as const,
              [
                'user id',
                `${settings.userIdType} from the ${settings.userIdLocation === 'subject' ? 'subject (NameID)' : `attribute ${settings.userIdAttribute ?? '?'}`}`,
              ] as const,
              ['IdP-initiated', settings.allowIdpInitiated ? 'accepted' : 'refused'] as const,
              ['creates users', settings.createUsersOwnedBy === null ? 'no' : `owned by ${settings.createUsersOwnedBy}`] as const,
              ...details.certificates.map((summary, index) => [`certificate ${index + 1}`, certificateLine(summary)] as const),
            ]),
        ['links', view.links],
        ['created', view.createdAt],
        ['updated', view.updatedAt],
        ...lastTestLines(details.lastTest),
      ]),
    );
  });
}

/** The kept last test in `show`: when, who, the outcome, then each check. */
function lastTestLines(lastTest: LastTestRecord | null): [string, string][] {
  if (lastTest === null) return [['last test', 'none yet; `ssod idps test` checks it']];
  return [
    ['last test', `${lastTest.outcome} at ${isoTime(lastTest.testedAt) ?? '-'} by ${lastTest.actor}`],
    ...checksOfLastTest(lastTest).map((check): [string, string] => [`  ${check.ok ? 'ok' : 'not ok'}`, check.text]),
  ];
}

async function test(access: InstallationAccess, flags: StoreFlags, name: string): Promise<void> {
  await withServices(access, flags, async (services) => {
    const checks = await testIdentityProvider(services, probeSignInUrl, name);
    const ok = usable(checks);
    print(flags, { name, usable: ok, checks }, () =>
      [
        ...checks.map((check) => `${check.ok ? 'ok  ' : 'FAIL'} ${check.what}: ${check.detail}`),
        ok
          ? `${printable(name)} is usable.`
          : `${printable(name)} is not usable: fix what FAIL says (\`ssod idps update ${name} --help\`).`,
      ].join('\n'),
    );
    if (!ok) process.exitCode = 1;
  });
}

async function remove(access: InstallationAccess, flags: RemoveFlags, name: string): Promise<void> {
  await withServices(access, flags, async (services) => {
    const { links } = await removeIdentityProvider(services, name, flags.force === true);
    print(
      flags,
      { removed: name, links },
      () => `Removed identity provider ${printable(name)}${links > 0 ? ` and its ${links} federated id link(s)` : ''}.`,
    );
  });
}

/** The options add and update share. */
function settingOptions(command: Command): Command {
  return command
    .option('--metadata <FILE|URL>', "the identity provider's SAML metadata (an https:// URL is fetched once, 1 MiB at most)")
    .option('--issuer <ENTITY_ID>', "the identity provider's entity id (the Issuer of its responses)")
    .option('--sign-in-url <URL>', 'its single sign-on URL for the HTTP-Redirect binding (https://)')
    .option('--certificate-file <FILE>', 'a PEM certificate whose key signs its responses; repeat during a rotation', collect)
    .option('--display-name <TEXT>', "the sign-in page's button text (default: the name)")
    .option('--user-id-type <TYPE>', 'userId: the value is the ssod user id; federatedId: linked with `ssod users link` (default)')
    .option('--user-id-location <WHERE>', "subject: the Subject's NameID (default); attribute: the attribute --user-id-attribute")
    .option('--user-id-attribute <NAME>', 'the attribute holding the user id, with --user-id-location attribute')
    .option('--allow-idp-initiated', 'accept responses that answer no request of ssod (off by default)')
    .option('--create-users-owned-by <APP_ID>', 'create a user at its first sign-in, owned by this application ("none": never)');
}

const SETTINGS_HELP =
  '\nThe sign-in URL must be https:// (http:// only on localhost, for tests). Certificates must be RSA of 2048 bits or more,\n' +
  'or EC, and valid now; a warning is printed when one expires within 30 days. Metadata gives the issuer, the sign-in URL\n' +
  'and the signing certificates; options given as well win over it. The metadata is read with a hardened XML reader (a\n' +
  "DOCTYPE is refused) and its signature is NOT checked: compare the printed fingerprints with the identity provider's.\n";

export function idpsCommand(access: InstallationAccess): Command {
  const listCommand = (name: string): Command =>
    addWideFlag(storeCommand(name, 'List the SAML identity providers with how many federated ids are linked under each.'))
      .addHelpText('after', '\nExample:\n  ssod idps list --json\n')
      .action(action((flags) => list(access, flags)));
  const command = listCommand('idps').description('The SAML identity providers people sign in at: list, show, add, update, test, remove.');
  command.addCommand(listCommand('list'));
  command.addCommand(
    storeCommand('show', 'Show an identity provider: its settings, its certificates (fingerprint, expiry) and how many links it has.')
      .argument('<name>', 'the identity provider')
      .addHelpText('after', '\nExample:\n  ssod idps show corp-idp\n')
      .action(action((flags, name: string) => show(access, flags, name))),
  );
  command.addCommand(
    settingOptions(storeCommand('add', 'Add a SAML identity provider, from its metadata or from the options.'))
      .argument('<name>', 'its short name (letters, digits, ".", "_", "-"), as `?idp=` and the sign-in page name it')
      .addHelpText(
        'after',
        SETTINGS_HELP +
          '\nExamples:\n' +
          '  ssod idps add corp-idp --metadata https://idp.example.com/simplesaml/saml2/idp/metadata.php --display-name "Example Corp"\n' +
          '  ssod idps add corp-idp --issuer https://idp.example.com/idp --sign-in-url https://idp.example.com/sso \\\n' +
          '      --certificate-file /etc/ssod/idp-signing.pem\n',
      )
      .action(action((flags: SettingFlags, name: string) => add(access, flags, name))),
  );
  command.addCommand(
    settingOptions(storeCommand('update', 'Change settings of an identity provider: only the options given change.'))
      .argument('<name>', 'the identity provider')
      .addHelpText(
        'after',
        SETTINGS_HELP +
          '\n--certificate-file replaces all the certificates: give the current and the next one during a rotation.\n' +
          '\nExamples:\n' +
          '  ssod idps update corp-idp --certificate-file current.pem --certificate-file next.pem\n' +
          '  ssod idps update corp-idp --user-id-location attribute --user-id-attribute urn:oid:0.9.2342.19200300.100.1.1\n',
      )
      .action(action((flags: SettingFlags, name: string) => update(access, flags, name))),
  );
  command.addCommand(
    storeCommand('test', "Check an identity provider's certificates and that its sign-in URL answers; exit status 0 when usable.")
      .argument('<name>', 'the identity provider')
      .addHelpText(
        'after',
        '\nThe sign-in URL is asked once (GET, verified TLS, 3 s to connect, 8 s in all).\n\nExample:\n  ssod idps test corp-idp\n',
      )
      .action(action((flags, name: string) => test(access, flags, name))),
  );
  command.addCommand(
    storeCommand('remove', 'Remove an identity provider; refused while federated ids are linked under it, unless --force.')
      .argument('<name>', 'the identity provider')
      .option('--force', 'remove the federated id links under it too (those users can no longer sign in through it)')
      .addHelpText('after', '\nExamples:\n  ssod idps remove corp-idp\n  ssod idps remove corp-idp --force\n')
      .action(action((flags: RemoveFlags, name: string) => remove(access, flags, name))),
  );
  return command;
}
