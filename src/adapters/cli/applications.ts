// `ssod applications`: the registered applications and their client certificates (protocol §4.2, §5.1–5.5).
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { issueCertificate } from '../../core/applications.js';
import {
  applicationDetails,
  findApplicationById,
  listApplications,
  unregisterApplicationAsOperator,
  type CertificateState,
} from '../../core/operator/applications.js';
import { groupsOfApplications } from '../../core/operator/groups.js';
import type { OperatorServices } from '../../core/services.js';
import type { ApplicationRecord, CertificateRecord } from '../../core/store/index.js';
import { CliError, action, addWideFlag, fields, isoTime, openOwnerOnly, print, storeCommand, table, type StoreFlags } from './common.js';
import { printable } from '../../core/identifiers.js';
import { setSessionStartCallback } from '../../core/sessionStart.js';
import { withCaServices, withServices, type InstallationAccess } from './installation.js';

function certificateView(cert: CertificateRecord & { readonly state: CertificateState }) {
  return {
    fingerprint: cert.fingerprint,
    serial: cert.serial,
    state: cert.state,
    issuedAt: isoTime(cert.issuedAt),
    notAfter: isoTime(cert.notAfter),
    firstUsedAt: isoTime(cert.firstUsedAt),
    retiredAt: isoTime(cert.retiredAt),
  };
}

/** An ISO time to the day, for a table that fits 100 columns (certificates last years). */
function dayOf(iso: string | null): string {
  return iso === null ? '-' : iso.slice(0, 10);
}

function applicationView(app: ApplicationRecord) {
  return { ...app, createdAt: isoTime(app.createdAt) };
}

/** The GROUP column: the group's name, `name (provider)` for its provider; `-` when ungrouped. */
function groupLabel(row: { readonly group: string | null; readonly groupRole: string | null }): string {
  if (row.group === null) return '-';
  return row.groupRole === 'provider' ? `${row.group} (provider)` : row.group;
}

async function list(access: InstallationAccess, flags: StoreFlags): Promise<void> {
  await withServices(access, flags, async (services) => {
    const groups = await groupsOfApplications(services);
    const rows = (await listApplications(services)).map((summary) => {
      const membership = groups.get(summary.application.id);
      return {
        ...applicationView(summary.application),
        group: membership?.groupName ?? null,
        groupRole: membership?.role ?? null,
        users: summary.users,
        certificateNotAfter: isoTime(summary.current?.notAfter ?? null),
      };
    });
    // Fits 100 columns unless --wide: the expiry to the day, the id never wrapped, names and URLs wrapped.
    const wide = flags.wide === true;
    print(flags, rows, () =>
      table(
        ['ID', 'NAME', 'URL', 'GROUP', 'USERS', wide ? 'CERTIFICATE EXPIRES' : 'CERT EXPIRES'],
        rows.map((row) => [
          row.id,
          row.name,
          row.url ?? '-',
          groupLabel(row),
          String(row.users),
          row.certificateNotAfter === null ? 'no valid certificate' : wide ? row.certificateNotAfter : dayOf(row.certificateNotAfter),
        ]),
        { fit: !wide, keep: [0] },
      ),
    );
  });
}

/** The application named on the command line, or a refusal that says how to find its id. */
export async function applicationArgument(services: Pick<OperatorServices, 'store'>, id: string): Promise<ApplicationRecord> {
  const app = await findApplicationById(services, id);
  if (app === null) throw new CliError(`no application with id ${JSON.stringify(id)}; \`ssod applications list\` shows the ids`);
  return app;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The application named on the command line by id or by name, or a refusal that says how to find it. */
export async function applicationReference(services: Pick<OperatorServices, 'store'>, reference: string): Promise<ApplicationRecord> {
  if (UUID.test(reference)) {
    const byId = await findApplicationById(services, reference.toLowerCase());
    if (byId !== null) return byId;
  }
  const named = (await services.store.listApplications()).filter((app) => app.name === reference);
  const [only] = named;
  if (named.length === 1 && only !== undefined) return only;
  if (named.length > 1)
    throw new CliError(`${named.length} applications are named ${JSON.stringify(reference)}; give the id, as ssod applications shows it`);
  throw new CliError(`no application with id or name ${JSON.stringify(reference)}; \`ssod applications\` shows them`);
}

async function show(access: InstallationAccess, flags: StoreFlags, id: string): Promise<void> {
  await withServices(access, flags, async (services) => {
    const details = await applicationDetails(services, await applicationArgument(services, id));
    const certificates = details.certificates.map(certificateView);
    const callback = await services.store.getSessionStartCallback(details.application.id);
    const sessionStartCallback = callback === null ? null : { url: callback.url, policy: callback.policy, ownCa: callback.caPem !== null };
    print(
      flags,
      { ...applicationView(details.application), users: details.users, sessionStartCallback, certificates },
      (shown) =>
        fields([
          ['id', shown.id],
          ['name', shown.name],
          ['display name', shown.displayName],
          ['version', shown.version],
          ['capabilities', shown.capabilities],
          ['url', shown.url],
          ['restore password url', shown.restorePasswordUrl],
          ['change password url', shown.changePasswordUrl],
          ['registered', shown.createdAt],
          ['users owned', shown.users],
          [
            'session start callback',
            shown.sessionStartCallback === null
              ? null
              : `${shown.sessionStartCallback.url} (policy ${shown.sessionStartCallback.policy}${shown.sessionStartCallback.ownCa ? ', own CA' : ''})`,
          ],
        ]) +
        '\nCertificates:\n' +
        (flags.wide === true
          ? table(
              ['FINGERPRINT (SHA-256)', 'SERIAL', 'STATE', 'ISSUED', 'EXPIRES'],
              certificates.map((cert) => [cert.fingerprint, cert.serial, cert.state, cert.issuedAt ?? '-', cert.notAfter ?? '-']),
            )
          : // Fits 100 columns: no SERIAL (--wide or --json), dates without the time, the fingerprint whole.
            table(
              ['FINGERPRINT (SHA-256)', 'STATE', 'ISSUED', 'EXPIRES'],
              certificates.map((cert) => [cert.fingerprint, cert.state, dayOf(cert.issuedAt), dayOf(cert.notAfter)]),
              { fit: true, keep: [0] },
            )),
    );
  });
}

interface ReissueFlags extends StoreFlags {
  readonly out: string;
  readonly force?: boolean;
}

async function reissue(access: InstallationAccess, flags: ReissueFlags, id: string): Promise<void> {
  await withCaServices(access, flags, async (services) => {
    await applicationArgument(services, id);
    // Opened before the certificate is issued, so that a refusal leaves nothing behind. Owner-only:
    // the file holds the application's private key (docs/DECISIONS.md "Certificates").
    const file = await openOwnerOnly(flags.out, flags.force === true);
    try {
      const issued = await issueCertificate(services, id, 'operator');
      await file.writeFile(issued.pem + '\n', 'utf8');
      await file.sync();
      const shown = {
        applicationId: id,
        file: flags.out,
        fingerprint: issued.fingerprint,
        serial: issued.serial,
        notAfter: isoTime(issued.notAfter),
      };
      print(
        flags,
        shown,
        () =>
          fields([
            ['key and certificate', flags.out],
            ['fingerprint', issued.fingerprint],
            ['serial', issued.serial],
            ['expires', shown.notAfter],
          ]) + 'Install it in the application. Its current certificate keeps working until the new one is first used (protocol §4.2).\n',
      );
    } finally {
      await file.close();
    }
  });
}

interface CallbackFlags extends StoreFlags {
  readonly url: string;
  readonly policy?: string;
  readonly caFile?: string;
}

async function caPemOf(file: string | undefined): Promise<string | null> {
  if (file === undefined) return null;
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new CliError(
      `cannot read the CA file (${(error as NodeJS.ErrnoException).code ?? String(error)}); check the --ca-file path and that this user may read it`,
    );
  }
}

/** `ssod applications callback APP --url URL [--policy continue|fail] [--ca-file FILE]` (docs/groups.md); an empty url removes it. */
async function callback(access: InstallationAccess, flags: CallbackFlags, reference: string): Promise<void> {
  const caPem = await caPemOf(flags.caFile);
  await withServices(access, flags, async (services) => {
    const app = await applicationReference(services, reference);
    const set = await setSessionStartCallback(services, app.id, { url: flags.url, policy: flags.policy ?? '', caPem }, 'operator');
    print(flags, { applicationId: app.id, sessionStartCallback: set === null ? null : { url: set.url, policy: set.policy } }, () =>
      set === null
        ? `${printable(app.name)} (${app.id}) has no On Session Start callback now.`
        : `The On Session Start callback of ${printable(app.name)} (${app.id}) is ${printable(set.url)}, policy ${set.policy}; running servers call it within 5 s.`,
    );
  });
}

interface UnregisterFlags extends StoreFlags {
  readonly force?: boolean;
}

async function unregister(access: InstallationAccess, flags: UnregisterFlags, id: string): Promise<void> {
  await withServices(access, flags, async (services) => {
    const app = await applicationArgument(services, id);
    const done = await unregisterApplicationAsOperator(services, app, flags.force === true);
    if (!done.unregistered) {
      throw new CliError(
        `${app.name} (${app.id}) owns ${done.ownedUsers} user(s); unregistering deletes them and their sessions: --force to go ahead`,
      );
    }
    const users = done.usersDeleted;
    print(
      flags,
      { unregistered: app.id, usersDeleted: users },
      () => `Unregistered ${printable(app.name)} (${app.id}); ${users} user(s) deleted with it.`,
    );
  });
}

export function applicationsCommand(access: InstallationAccess): Command {
  const command = addWideFlag(
    storeCommand('applications', 'The registered applications: list, show with certificates, re-issue a certificate, unregister.'),
  )
    .addHelpText(
      'after',
      '\nExamples:\n  ssod applications --data-dir /var/lib/ssod\n  ssod applications show 6f1c1a52-7d0e-4c43-9a55-3c2f5d1f0b11\n',
    )
    .action(action((flags) => list(access, flags)));
  command.addCommand(
    addWideFlag(storeCommand('list', 'List the registered applications.'))
      .addHelpText('after', '\nExample:\n  ssod applications list --json\n')
      .action(action((flags) => list(access, flags))),
  );
  command.addCommand(
    addWideFlag(storeCommand('show', 'Show an application with its certificates: SHA-256 fingerprint, serial, state and expiry.'))
      .argument('<id>', 'the application id')
      .addHelpText('after', '\nExample:\n  ssod applications show 6f1c1a52-7d0e-4c43-9a55-3c2f5d1f0b11\n')
      .action(action((flags, id: string) => show(access, flags, id))),
  );
  command.addCommand(
    storeCommand('reissue-cert', 'Issue a new client certificate and write the key and certificate to a file only the owner can read.')
      .argument('<id>', 'the application id')
      .requiredOption('--out <FILE>', 'where to write the PEM key and certificate (mode 0600)')
      .option('--force', 'overwrite FILE if it exists')
      .addHelpText('after', '\nExample:\n  ssod applications reissue-cert 6f1c1a52-7d0e-4c43-9a55-3c2f5d1f0b11 --out panel.pem\n')
      .action(action((flags: ReissueFlags, id: string) => reissue(access, flags, id))),
  );
  command.addCommand(
    storeCommand(
      'callback',
      "Set or remove an application's On Session Start callback (docs/groups.md): an https URL, called when a session starts.",
    )
      .argument('<app>', 'the application, by id or name')
      .requiredOption('--url <URL>', 'the https URL to call; an empty value ("") removes the callback')
      .option('--policy <POLICY>', 'continue (the default: a failure is logged, the session goes on) or fail (a failure fails the sign-in)')
      .option('--ca-file <FILE>', "PEM certificates to trust for the callback's endpoint instead of the system's")
      .addHelpText(
        'after',
        '\nExamples:\n  ssod applications callback panel --url https://panel.example.com/ssod/session-start --policy fail\n  ssod applications callback 6f1c1a52-7d0e-4c43-9a55-3c2f5d1f0b11 --url ""\n',
      )
      .action(action((flags: CallbackFlags, reference: string) => callback(access, flags, reference))),
  );
  command.addCommand(
    storeCommand('unregister', 'Unregister an application: its certificates, the users it owns and their sessions are deleted.')
      .argument('<id>', 'the application id')
      .option('--force', 'go ahead although the application owns users')
      .addHelpText('after', '\nExample:\n  ssod applications unregister 6f1c1a52-7d0e-4c43-9a55-3c2f5d1f0b11\n')
      .action(action((flags: UnregisterFlags, id: string) => unregister(access, flags, id))),
  );
  return command;
}
