// `ssod receivers`: the receivers of signed logon tickets, one per DNS domain (docs/tickets.md
// "Receivers"): add one, list them, show one, remove one. They are kept in the store, so every
// running node follows a change within 5 s. A CA file is read here and stored with the receiver.
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { printable } from '../../core/identifiers.js';
import { addReceiver, findReceiver, listReceivers, receiverCaCount, removeReceiver } from '../../core/operator/tickets.js';
import type { TicketReceiverRecord } from '../../core/store/index.js';
import { CliError, action, addWideFlag, fields, isoTime, print, storeCommand, table, type StoreFlags } from './common.js';
import { withServices, type InstallationAccess } from './installation.js';

interface AddFlags extends StoreFlags {
  readonly domain: string;
  readonly url: string;
  readonly caFile?: string;
}

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

/** A receiver as shown: the CA as a count of certificates. */
function receiverView(receiver: TicketReceiverRecord) {
  return {
    name: receiver.name,
    domain: receiver.domain,
    url: receiver.url,
    caCertificates: receiverCaCount(receiver),
    createdAt: isoTime(receiver.createdAt),
  };
}

async function add(access: InstallationAccess, flags: AddFlags, name: string): Promise<void> {
  const caPem = await caPemOf(flags.caFile);
  await withServices(access, flags, async (services) => {
    const receiver = await addReceiver(services, { name, domain: flags.domain, url: flags.url, ...(caPem === undefined ? {} : { caPem }) });
    print(flags, receiverView(receiver), () =>
      [
        `Added receiver ${printable(name)} for ${printable(receiver.domain)} at ${printable(receiver.url)}; running servers use it within 5 s.`,
        `After a sign-in the browser now passes through ${printable(receiver.url)}ticket; its logout endpoint is ${printable(receiver.url)}logout.`,
      ].join('\n'),
    );
  });
}

async function list(access: InstallationAccess, flags: StoreFlags): Promise<void> {
  await withServices(access, flags, async (services) => {
    const rows = (await listReceivers(services)).map(receiverView);
    print(flags, rows, () =>
      table(
        ['NAME', 'DOMAIN', 'URL', 'CREATED'],
        rows.map((row) => [row.name, row.domain, row.url, row.createdAt ?? '-']),
        { fit: flags.wide !== true },
      ),
    );
  });
}

async function show(access: InstallationAccess, flags: StoreFlags, name: string): Promise<void> {
  await withServices(access, flags, async (services) => {
    const view = receiverView(await findReceiver(services, name));
    print(flags, view, () =>
      fields([
        ['name', view.name],
        ['domain', view.domain],
        ['url', view.url],
        ['ticket endpoint', `${view.url}ticket`],
        ['logout endpoint', `${view.url}logout`],
        ['trusted CA', view.caCertificates === 0 ? "the system's" : `${view.caCertificates} certificate(s) from the CA file`],
        ['created', view.createdAt],
      ]),
    );
  });
}

async function remove(access: InstallationAccess, flags: StoreFlags, name: string): Promise<void> {
  await withServices(access, flags, async (services) => {
    await removeReceiver(services, name);
    print(flags, { removed: name }, () => `Removed receiver ${printable(name)}; running servers stop sending browsers there within 5 s.`);
  });
}

function addCommand(access: InstallationAccess): Command {
  return storeCommand('add', 'Add a receiver of signed logon tickets for a DNS domain.')
    .argument('<name>', 'its name: lower-case letters, digits and "-", up to 63 characters; browsers pass through receivers in name order')
    .requiredOption('--domain <DOMAIN>', 'the DNS domain it serves (at least two labels, not an IP address), for example example.de')
    .requiredOption('--url <URL>', 'its base URL: https, a host in the domain, ending with "/", no query or fragment')
    .option('--ca-file <FILE>', "PEM certificates to trust for the receiver's logout endpoint instead of the system's")
    .addHelpText(
      'after',
      '\nIts endpoints are <url>ticket and <url>logout (docs/tickets.md "Receivers").\n' +
        '\nExamples:\n' +
        '  ssod receivers add billing-de --domain example.de --url https://apps.example.de/.ssod/\n' +
        '  ssod receivers add shop-at --domain example.at --url https://example.at/.ssod/ --ca-file /etc/ssod/shop-ca.pem\n',
    )
    .action(action((flags: AddFlags, name: string) => add(access, flags, name)));
}

export function receiversCommand(access: InstallationAccess): Command {
  const listCommand = (name: string): Command =>
    addWideFlag(storeCommand(name, 'List the receivers of signed logon tickets, by name.'))
      .addHelpText('after', '\nExample:\n  ssod receivers list --json\n')
      .action(action((flags) => list(access, flags)));
  const command = listCommand('receivers').description(
    'The receivers of signed logon tickets, one per DNS domain (docs/tickets.md): list, show, add, remove.',
  );
  command.addCommand(listCommand('list'));
  command.addCommand(
    storeCommand('show', 'Show a receiver: its domain, URL, endpoints and trusted CA.')
      .argument('<name>', 'the receiver')
      .addHelpText('after', '\nExample:\n  ssod receivers show billing-de\n')
      .action(action((flags, name: string) => show(access, flags, name))),
  );
  command.addCommand(addCommand(access));
  command.addCommand(
    storeCommand('remove', 'Remove a receiver: browsers no longer pass through it, and it is no longer told of logouts.')
      .argument('<name>', 'the receiver')
      .addHelpText('after', '\nExample:\n  ssod receivers remove billing-de\n')
      .action(action((flags, name: string) => remove(access, flags, name))),
  );
  return command;
}
