// `ssod tickets`: the keys that sign logon tickets for other DNS domains (docs/tickets.md "The key
// set"): list them with their states, rotate (a new key that signs 10 minutes later, or at once with
// --now), revoke one. The keys are in the store, so every running node follows a change within 5 s.
import type { Command } from 'commander';
import { revokeTicketKey, rotateTicketKey, ticketKeysNow } from '../../core/operator/tickets.js';
import type { TicketKeyStatus } from '../../core/ticketKeys.js';
import { action, addWideFlag, isoTime, print, storeCommand, table, tableTime, type StoreFlags } from './common.js';
import { withTicketServices, type InstallationAccess } from './installation.js';

/** A key as `ssod tickets keys` shows it. */
function keyView(status: TicketKeyStatus) {
  return {
    kid: status.key.kid,
    algorithm: status.key.algorithm,
    state: status.state,
    createdAt: isoTime(status.key.createdAt),
    signsFrom: isoTime(status.key.signsFrom),
    publishedUntil: isoTime(status.publishedUntil),
    revokedAt: isoTime(status.key.revokedAt),
  };
}

type KeyRow = ReturnType<typeof keyView>;

function publishedUntil(row: KeyRow): string {
  if (row.publishedUntil !== null) return tableTime(row.publishedUntil);
  return row.state === 'pending' || row.state === 'signing' ? 'open' : '-';
}

/** Every column; times to the second, so that a whole kid, which an operator copies, stays on its line. */
function wideKeyTable(rows: readonly KeyRow[]): string {
  return table(
    ['KID', 'ALGORITHM', 'STATE', 'CREATED', 'SIGNS FROM', 'PUBLISHED UNTIL'],
    rows.map((row) => [row.kid, row.algorithm, row.state, tableTime(row.createdAt), tableTime(row.signsFrom), publishedUntil(row)]),
  );
}

/** Fits 100 columns: without ALGORITHM and CREATED (--wide or --json show them), the kid never wrapped. */
function narrowKeyTable(rows: readonly KeyRow[]): string {
  return table(
    ['KID', 'STATE', 'SIGNS FROM', 'PUBLISHED UNTIL'],
    rows.map((row) => [row.kid, row.state, tableTime(row.signsFrom), publishedUntil(row)]),
    { fit: true, keep: [0] },
  );
}

async function keys(access: InstallationAccess, flags: StoreFlags): Promise<void> {
  await withTicketServices(access, flags, async (services) => {
    const rows = (await ticketKeysNow(services)).map(keyView);
    print(flags, rows, () => (flags.wide === true ? wideKeyTable(rows) : narrowKeyTable(rows)));
  });
}

interface RotateFlags extends StoreFlags {
  readonly now?: boolean;
}

async function rotate(access: InstallationAccess, flags: RotateFlags): Promise<void> {
  await withTicketServices(access, flags, async (services) => {
    const key = await rotateTicketKey(services, flags.now === true);
    const when = flags.now === true ? 'signs from now on' : `signs from ${isoTime(key.signsFrom) ?? ''} (published now)`;
    print(flags, { kid: key.kid, signsFrom: isoTime(key.signsFrom) }, () =>
      [`Made ticket key ${key.kid}; it ${when}. Running servers use it within 5 s.`, 'The keys and their states: ssod tickets keys'].join(
        '\n',
      ),
    );
  });
}

async function revoke(access: InstallationAccess, flags: StoreFlags, kid: string): Promise<void> {
  await withTicketServices(access, flags, async (services) => {
    await revokeTicketKey(services, kid);
    print(flags, { revoked: kid }, () =>
      [
        `Revoked ticket key ${kid}: running servers stop publishing it within 5 s, and receivers refuse its tickets once they refresh their key set.`,
        'The keys and their states: ssod tickets keys',
      ].join('\n'),
    );
  });
}

export function ticketsCommand(access: InstallationAccess): Command {
  const keysCommand = (name: string): Command =>
    addWideFlag(storeCommand(name, 'List the ticket-signing keys with their states: pending, signing, retiring, retired, revoked.'))
      .addHelpText(
        'after',
        '\nA key is published in the key set (GET /tickets/keys) while pending, signing or retiring. A retiring key stays\n' +
          'published until every ticket it signed has expired. docs/tickets.md "Rotation" explains the states.\n' +
          '\nExample:\n  ssod tickets keys --json\n',
      )
      .action(action((flags) => keys(access, flags)));
  const command = keysCommand('tickets').description(
    'The keys that sign logon tickets for other DNS domains (docs/tickets.md): keys, rotate, revoke.',
  );
  command.addCommand(keysCommand('keys'));
  command.addCommand(
    storeCommand('rotate', 'Make a new ticket-signing key: published at once, it signs 10 minutes later (or at once with --now).')
      .option('--now', 'sign with it at once (after a compromise; receivers fetch the key set again on its unknown kid)')
      .addHelpText(
        'after',
        '\nThe delay lets receivers that cached the key set (5 minutes) have the new key before they see a ticket signed\n' +
          'with it. The key it replaces stays published until its tickets have expired.\n' +
          '\nExamples:\n  ssod tickets rotate\n  ssod tickets rotate --now\n',
      )
      .action(action((flags: RotateFlags) => rotate(access, flags))),
  );
  command.addCommand(
    storeCommand('revoke', 'Withdraw a ticket-signing key at once: its tickets are refused once receivers refresh their key set.')
      .argument('<kid>', 'the key, by its id as `ssod tickets keys` shows it')
      .addHelpText(
        'after',
        '\nThe signing key can be revoked only when another key can sign: run `ssod tickets rotate --now` first.\n' +
          '\nExample:\n  ssod tickets rotate --now\n  ssod tickets revoke 3oFZ7Fz1kY2hJ0G7aQ4M0sKZ9v8yQn5Jp1hX2c6r7Ws\n' +
          '  ssod tickets revoke -- -Xb1vQ0m4zZ3hJ0G7aQ4M0sKZ9v8yQn5Jp1hX2c6r7W   (a key id that begins with "-" goes after --)\n',
      )
      .action(action((flags, kid: string) => revoke(access, flags, kid))),
  );
  return command;
}
