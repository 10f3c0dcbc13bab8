// `ssod export` and `ssod import`: applications and users as JSON, to move them between
// installations (core/transfer.ts). The file holds password hashes (and an LDAP source's service
// account password): it is written owner-only.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { printableJson } from '../../core/identifiers.js';
import { storeLocation } from '../../infra/store/location.js';
import { Refusal } from '../../core/refusal.js';
import { exportInstallation, importInstallation, readExport, type Export } from '../../core/transfer.js';
import {
  CliError,
  action,
  installationOptions,
  openOwnerOnly,
  print,
  readStdin,
  storeCommand,
  utf8Text,
  type StoreFlags,
} from './common.js';
import { withServices, type InstallationAccess } from './installation.js';

interface ExportFlags extends StoreFlags {
  readonly out?: string;
  readonly force?: boolean;
}

async function exportCommandAction(access: InstallationAccess, flags: ExportFlags): Promise<void> {
  await withServices(access, flags, async (services) => {
    const data = await exportInstallation(services);
    // The same JSON either way; controls in strings escaped, since it may go to a terminal.
    const text = printableJson(data) + '\n';
    if (flags.out === undefined) {
      process.stdout.write(text);
      return;
    }
    const file = await openOwnerOnly(flags.out, flags.force === true);
    try {
      await file.writeFile(text, 'utf8');
      await file.sync();
    } finally {
      await file.close();
    }
    const summary = { file: flags.out, applications: data.applications.length, sources: data.sources.length, users: data.users.length };
    print(
      flags,
      summary,
      () =>
        `Exported ${summary.applications} application(s) and ${summary.users} user(s)` +
        (summary.sources > 0 ? ` with ${summary.sources} delegated source(s)` : '') +
        ` to ${flags.out} (owner-only: it holds password hashes${summary.sources > 0 ? " and the sources' settings" : ''}).`,
    );
  });
}

interface ImportFlags extends StoreFlags {
  readonly skipExisting?: boolean;
  readonly create?: boolean;
}

/**
 * With --create, a new SQLite installation (store, CA, server certificate) in --data-dir when
 * none is there, made as `ssod serve` makes it; the directory, when returned, is announced.
 * Only when asked: a mistyped --data-dir must not quietly become an empty installation.
 */
async function createIfAsked(access: InstallationAccess, flags: ImportFlags): Promise<string | null> {
  if (flags.create !== true) return null;
  const options = installationOptions(flags);
  const location = storeLocation(options.store, options.dataDir);
  if (location.engine !== 'sqlite')
    throw new CliError(
      '--create makes an embedded SQLite installation; a PostgreSQL store is made by starting a node on it once with `ssod serve`',
    );
  if (existsSync(location.path)) return null;
  await access.create(options);
  return options.dataDir;
}

async function readInput(file: string): Promise<unknown> {
  let bytes: Buffer;
  try {
    bytes = file === '-' ? await readStdin() : await readFile(file);
  } catch (error) {
    throw new CliError(
      `cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? String(error)}); check the path and that this user may read it`,
    );
  }
  const text = utf8Text(bytes, file);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CliError(`${file} is not JSON (${(error as Error).message}); give a file that \`ssod export\` wrote`);
  }
}

/** The export in the file, every field checked; the first bad one is named, with what to do. */
function exportIn(file: string, value: unknown): Export {
  try {
    return readExport(value);
  } catch (error) {
    if (!(error instanceof Refusal)) throw error;
    throw new CliError(`${file}: ${error.message}; correct it there, or give a file in the format that \`ssod export\` writes`);
  }
}

async function importCommandAction(access: InstallationAccess, flags: ImportFlags, file: string): Promise<void> {
  const data = exportIn(file, await readInput(file));
  const created = await createIfAsked(access, flags);
  await withServices(access, flags, async (services) => {
    const result = { ...(await importInstallation(services, data, { skipExisting: flags.skipExisting === true })), created };
    print(flags, result, () =>
      [
        ...(created === null
          ? []
          : [
              `Created a new installation in ${created} (store and certificate authority); start it with: ssod serve --data-dir ${created}`,
            ]),
        `Imported ${result.applicationsAdded} application(s) and ${result.usersAdded} user(s).`,
        ...(result.sourcesAdded > 0
          ? [`Imported ${result.sourcesAdded} delegated source(s); \`ssod sources test NAME --login LOGIN\` checks each from here.`]
          : []),
        ...(result.identityProvidersAdded + result.federatedLinksAdded > 0
          ? [
              `Imported ${result.identityProvidersAdded} identity provider(s) and ${result.federatedLinksAdded} federated id link(s); \`ssod idps test NAME\` checks each from here.`,
            ]
          : []),
        ...(result.groupsAdded > 0 ? [`Imported ${result.groupsAdded} application group(s); \`ssod groups\` lists them.`] : []),
        ...(result.groupsSkipped.length > 0
          ? [`Left out ${result.groupsSkipped.length} group(s) whose name is taken or whose applications were left out.`]
          : []),
        ...(result.applicationsSkipped.length +
          result.sourcesSkipped.length +
          result.usersSkipped.length +
          result.identityProvidersSkipped.length +
          result.federatedLinksSkipped >
        0
          ? [
              `Left out, as present already: ${result.applicationsSkipped.length} application(s), ${result.sourcesSkipped.length} source(s), ${result.usersSkipped.length} user(s), ${result.identityProvidersSkipped.length} identity provider(s), ${result.federatedLinksSkipped} federated id link(s).`,
            ]
          : []),
        'Applications whose certificates another CA issued need a new one here: ssod applications reissue-cert ID --out FILE.',
      ].join('\n'),
    );
  });
}

export function exportCommand(access: InstallationAccess): Command {
  return storeCommand(
    'export',
    'Write the applications (with certificate fingerprints), the delegated sources and the users (with password hashes) as JSON.',
  )
    .option('--out <FILE>', 'write to FILE (mode 0600) instead of standard output')
    .option('--force', 'overwrite FILE if it exists')
    .addHelpText('after', '\nExample:\n  ssod export --data-dir /var/lib/ssod --out ssod-export.json\n')
    .action(action((flags: ExportFlags) => exportCommandAction(access, flags)));
}

export function importCommand(access: InstallationAccess): Command {
  return storeCommand('import', 'Add the applications and users of an `ssod export` file to this installation.')
    .argument('<file>', 'the export file, or - for standard input')
    .option('--skip-existing', 'leave out applications and users this installation has already, instead of refusing')
    .option('--create', 'create a new installation (store and certificate authority) in --data-dir when there is none')
    .addHelpText(
      'after',
      '\nExamples:\n  ssod import ssod-export.json --data-dir /var/lib/ssod\n  ssod import ssod-export.json --data-dir /var/lib/ssod-new --create   # a new installation\n',
    )
    .action(action((flags: ImportFlags, file: string) => importCommandAction(access, flags, file)));
}
