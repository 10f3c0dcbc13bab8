// `ssod users link`, `unlink` and `links`: the federated ids by which a user signs in at a SAML identity
// provider (docs/federation/saml.md, "Federated ids"). A federated id is linked under one identity
// provider and never finds the user under another (docs/SECURITY.md case E34).
import type { Command } from 'commander';
import { printable } from '../../core/identifiers.js';
import { federatedLinksOf, linkFederatedId, unlinkFederatedId } from '../../core/operator/identityProviders.js';
import { action, addWideFlag, fields, print, storeCommand, table, tableTime, type StoreFlags } from './common.js';
import { withServices, type InstallationAccess } from './installation.js';
import { linkView, userArgument } from './users.js';

interface LinkFlags extends StoreFlags {
  readonly idp: string;
  readonly federatedId: string;
}

async function link(access: InstallationAccess, flags: LinkFlags, reference: string): Promise<void> {
  await withServices(access, flags, async (services) => {
    const user = await userArgument(services, reference);
    const linked = await linkFederatedId(services, user, flags.idp, flags.federatedId);
    print(
      flags,
      { userId: user.id, login: user.login, ...linkView(linked) },
      () => `Linked ${printable(user.login)} to federated id ${printable(linked.federatedId)} of ${printable(linked.idpName)}.`,
    );
  });
}

async function unlink(access: InstallationAccess, flags: StoreFlags & { readonly idp: string }, reference: string): Promise<void> {
  await withServices(access, flags, async (services) => {
    const user = await userArgument(services, reference);
    const removed = await unlinkFederatedId(services, user, flags.idp);
    print(
      flags,
      { userId: user.id, login: user.login, unlinked: linkView(removed) },
      () => `Unlinked federated id ${printable(removed.federatedId)} of ${printable(removed.idpName)} from ${printable(user.login)}.`,
    );
  });
}

async function links(access: InstallationAccess, flags: StoreFlags, reference: string): Promise<void> {
  await withServices(access, flags, async (services) => {
    const user = await userArgument(services, reference);
    const rows = (await federatedLinksOf(services, user)).map(linkView);
    print(flags, rows, () =>
      rows.length === 0
        ? fields([['federated ids', `none; \`ssod users link ${user.login} --idp NAME --federated-id ID\` adds one`]])
        : flags.wide === true
          ? table(
              ['IDP', 'FEDERATED ID', 'LINKED'],
              rows.map((row) => [row.idp, row.federatedId, row.createdAt ?? '-']),
            )
          : // Fits 100 columns: the time to the second, a long federated id (a SAML NameID) wrapped.
            table(
              ['IDP', 'FEDERATED ID', 'LINKED'],
              rows.map((row) => [row.idp, row.federatedId, tableTime(row.createdAt)]),
              { fit: true },
            ),
    );
  });
}

/** `ssod users` with link, unlink and links (here, not in users.ts, which this file uses: no import cycle). */
export function withFederatedLinkCommands(users: Command, access: InstallationAccess): Command {
  users.addCommand(
    storeCommand('link', 'Link a user to its federated id at a SAML identity provider (the id the identity provider sends for it).')
      .argument('<user>', 'the user id or login')
      .requiredOption('--idp <NAME>', 'the identity provider (`ssod idps list` shows them)')
      .requiredOption('--federated-id <ID>', 'the id, exactly as the identity provider sends it (NameID or the configured attribute)')
      .addHelpText(
        'after',
        '\nA federated id is linked to one user under one identity provider, and a user has at most one under each; the same\n' +
          'id under another identity provider is another person. Refused links say what to unlink first.\n' +
          '\nExample:\n  ssod users link alice@example.com --idp corp-idp --federated-id 3f7b2c1e-alice\n',
      )
      .action(action((flags: LinkFlags, user: string) => link(access, flags, user))),
  );
  users.addCommand(
    storeCommand('unlink', "Remove a user's federated id link under an identity provider.")
      .argument('<user>', 'the user id or login')
      .requiredOption('--idp <NAME>', 'the identity provider')
      .addHelpText('after', '\nExample:\n  ssod users unlink alice@example.com --idp corp-idp\n')
      .action(action((flags: StoreFlags & { idp: string }, user: string) => unlink(access, flags, user))),
  );
  users.addCommand(
    addWideFlag(storeCommand('links', "List a user's federated ids, by identity provider."))
      .argument('<user>', 'the user id or login')
      .addHelpText('after', '\nExample:\n  ssod users links alice@example.com --json\n')
      .action(action((flags, user: string) => links(access, flags, user))),
  );
  return users;
}
