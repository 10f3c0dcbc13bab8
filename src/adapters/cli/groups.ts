// `ssod groups`: application groups (docs/groups.md): one user provider and its subscribers sharing
// users and sessions. Create one, add and remove subscribers, show, list, delete. Each change ends
// the sessions that would otherwise span two sets; the core says which (core/operator/groups.ts).
import type { Command } from 'commander';
import { printable } from '../../core/identifiers.js';
import { addGroupMember, createGroup, deleteGroup, groupDetails, listGroups, removeGroupMember } from '../../core/operator/groups.js';
import { applicationReference } from './applications.js';
import { CliError, action, addWideFlag, fields, isoTime, print, storeCommand, table, tableTime, type StoreFlags } from './common.js';
import { withServices, type InstallationAccess } from './installation.js';

interface CreateFlags extends StoreFlags {
  readonly provider: string;
}

async function create(access: InstallationAccess, flags: CreateFlags, name: string): Promise<void> {
  await withServices(access, flags, async (services) => {
    const provider = await applicationReference(services, flags.provider);
    const group = await createGroup(services, name, provider);
    print(
      flags,
      { name: group.name, providerId: provider.id, createdAt: isoTime(group.createdAt) },
      () =>
        `Created group ${printable(name)} with provider ${printable(provider.name)} (${provider.id}); its local sessions ended, ` +
        'its users sign in to it again in the group.',
    );
  });
}

async function add(access: InstallationAccess, flags: StoreFlags, name: string, reference: string): Promise<void> {
  await withServices(access, flags, async (services) => {
    const app = await applicationReference(services, reference);
    const users = await addGroupMember(services, name, app);
    print(
      flags,
      { group: name, added: app.id, usersTransferred: users },
      () =>
        `Added ${printable(app.name)} (${app.id}) to group ${printable(name)} as a subscriber; ` +
        `${users} user(s) it owned now belong to the provider; its local sessions ended.`,
    );
  });
}

async function remove(access: InstallationAccess, flags: StoreFlags, name: string, reference: string): Promise<void> {
  await withServices(access, flags, async (services) => {
    const app = await applicationReference(services, reference);
    await removeGroupMember(services, name, app);
    print(
      flags,
      { group: name, removed: app.id },
      () => `Removed ${printable(app.name)} (${app.id}) from group ${printable(name)}; its local sessions in the group ended.`,
    );
  });
}

async function show(access: InstallationAccess, flags: StoreFlags, name: string): Promise<void> {
  await withServices(access, flags, async (services) => {
    const details = await groupDetails(services, name);
    const members = details.members.map((member) => ({ id: member.application.id, name: member.application.name, role: member.role }));
    print(
      flags,
      { name: details.group.name, createdAt: isoTime(details.group.createdAt), users: details.users, sessions: details.sessions, members },
      (shown) =>
        fields([
          ['name', shown.name],
          ['created', shown.createdAt],
          ['users', shown.users],
          ['sessions', shown.sessions],
        ]) +
        '\nMembers:\n' +
        table(
          ['ID', 'NAME', 'ROLE'],
          members.map((member) => [member.id, member.name, member.role]),
          { fit: flags.wide !== true, keep: [0] },
        ),
    );
  });
}

async function list(access: InstallationAccess, flags: StoreFlags): Promise<void> {
  await withServices(access, flags, async (services) => {
    const providers = new Map((await services.store.listApplications()).map((app) => [app.id, app.name]));
    const rows = (await listGroups(services)).map((group) => ({
      name: group.name,
      providerId: group.providerId,
      provider: providers.get(group.providerId) ?? group.providerId,
      members: group.members,
      createdAt: isoTime(group.createdAt),
    }));
    // Fits 100 columns unless --wide: the time to the second, the provider's name wrapped, never the group's.
    const wide = flags.wide === true;
    print(flags, rows, () =>
      table(
        ['NAME', 'PROVIDER', 'MEMBERS', 'CREATED'],
        rows.map((row) => [row.name, row.provider, String(row.members), wide ? (row.createdAt ?? '-') : tableTime(row.createdAt)]),
        { fit: !wide, keep: [0] },
      ),
    );
  });
}

interface DeleteFlags extends StoreFlags {
  readonly force?: boolean;
}

async function deleteNamed(access: InstallationAccess, flags: DeleteFlags, name: string): Promise<void> {
  await withServices(access, flags, async (services) => {
    const done = await deleteGroup(services, name, flags.force === true);
    if (!done.deleted)
      throw new CliError(
        `group ${name} has ${done.subscribers} subscriber(s); deleting it ends every session of the group and ungroups them: --force to go ahead`,
      );
    print(
      flags,
      { deleted: name, sessionsEnded: done.sessions, members: done.members },
      () => `Deleted group ${printable(name)}; ${done.sessions} session(s) ended, ${done.members} application(s) ungrouped.`,
    );
  });
}

export function groupsCommand(access: InstallationAccess): Command {
  const listCommand = (commandName: string): Command =>
    addWideFlag(storeCommand(commandName, 'List the application groups with their provider and member count.'))
      .addHelpText('after', '\nExamples:\n  ssod groups list --wide\n  ssod groups list --json\n')
      .action(action((flags) => list(access, flags)));
  const command = listCommand('groups').description(
    'Application groups (docs/groups.md): a user provider and its subscribers sharing users and sessions: list, show, create, add, remove, delete.',
  );
  command.addCommand(listCommand('list'));
  command.addCommand(
    addWideFlag(storeCommand('show', 'Show a group: its members with their role, its users and sessions.'))
      .argument('<name>', 'the group')
      .addHelpText('after', '\nExample:\n  ssod groups show shop\n')
      .action(action((flags, name: string) => show(access, flags, name))),
  );
  command.addCommand(
    storeCommand('create', "Create a group around a user provider; the provider's local sessions end.")
      .argument('<name>', 'the group: 1–64 letters, digits, ".", "_" or "-"')
      .requiredOption('--provider <APP>', 'the application (id or name) whose users the group shares')
      .addHelpText('after', '\nExample:\n  ssod groups create shop --provider accounts\n')
      .action(action((flags: CreateFlags, name: string) => create(access, flags, name))),
  );
  command.addCommand(
    storeCommand('add', 'Add a subscriber: its users pass to the provider and its local sessions end.')
      .argument('<name>', 'the group')
      .argument('<app>', 'the application, by id or name')
      .addHelpText('after', '\nExample:\n  ssod groups add shop billing\n')
      .action(action((flags, name: string, app: string) => add(access, flags, name, app))),
  );
  command.addCommand(
    storeCommand('remove', 'Remove a subscriber (never the provider); its local sessions in the group end.')
      .argument('<name>', 'the group')
      .argument('<app>', 'the application, by id or name')
      .addHelpText('after', '\nExample:\n  ssod groups remove shop billing\n')
      .action(action((flags, name: string, app: string) => remove(access, flags, name, app))),
  );
  command.addCommand(
    storeCommand('delete', 'Delete a group: every session of it ends, its members become ungrouped.')
      .argument('<name>', 'the group')
      .option('--force', 'go ahead although the group has subscribers')
      .addHelpText('after', '\nExample:\n  ssod groups delete shop --force\n')
      .action(action((flags: DeleteFlags, name: string) => deleteNamed(access, flags, name))),
  );
  return command;
}
