// What an operator does with application groups (docs/groups.md "Groups"): form one around a user
// provider, add and remove subscribers, look at them, delete one. A session never spans two sets, so
// each membership change ends the sessions that would: every change is one unit of work (the
// membership, the users that move, the sessions that end) followed by its events.
import type { AuditActor } from '../audit.js';
import { publish } from '../events.js';
import { Refusal } from '../refusal.js';
import type { OperatorServices } from '../services.js';
import type { ApplicationRecord, GroupRecord, GroupRole, GroupSummary, UnitStep } from '../store/index.js';

/** docs/groups.md: 1–64 characters, letters, digits, `.`, `_`, `-`. */
const GROUP_NAME = /^[A-Za-z0-9._-]{1,64}$/;

/** The group name as given, or a Refusal saying what a name may hold. */
export function checkGroupName(name: string): string {
  if (!GROUP_NAME.test(name)) throw new Refusal(`${JSON.stringify(name)} is not a group name; use 1–64 letters, digits, ".", "_" or "-"`);
  return name;
}

/** The group named so; null when there is none (or the text is no group name: the store never sees it). */
export async function findGroup(services: Pick<OperatorServices, 'store'>, name: string): Promise<GroupRecord | null> {
  return GROUP_NAME.test(name) ? services.store.getGroup(name) : null;
}

/** The group named so, or a Refusal that says how to see the groups there are. */
async function existingGroup(services: Pick<OperatorServices, 'store'>, name: string): Promise<GroupRecord> {
  const group = await services.store.getGroup(checkGroupName(name));
  if (group === null) throw new Refusal(`no group named ${name}; see ssod groups list`);
  return group;
}

/** A Refusal when the application is a member of a group already (an application belongs to at most one). */
async function requireUngrouped(services: Pick<OperatorServices, 'store'>, application: ApplicationRecord): Promise<void> {
  const membership = await services.store.groupOfApplication(application.id);
  if (membership !== null)
    throw new Refusal(
      `application ${application.name} is the ${membership.role} of group ${membership.groupName}; an application belongs to at most one group`,
    );
}

/** The unit's step that ends the application's local sessions in the sessions of a set (none without a url: it has none). */
function leaveSessionsOfSet(application: ApplicationRecord, groupName: string | null): UnitStep[] {
  return application.url === null ? [] : [{ write: 'deleteLocalSessionsOfSet', baseUrl: application.url, groupName }];
}

/**
 * Forms a group with the application as its user provider. Its local sessions (of the default set)
 * end; the users it owns move into the group's set with it.
 */
export async function createGroup(
  services: OperatorServices,
  name: string,
  provider: ApplicationRecord,
  actor: AuditActor = 'operator',
): Promise<GroupRecord> {
  checkGroupName(name);
  if ((await services.store.getGroup(name)) !== null) throw new Refusal(`a group named ${name} exists; see ssod groups show ${name}`);
  await requireUngrouped(services, provider);
  const group: GroupRecord = { name, providerId: provider.id, createdAt: services.now() };
  const unit: UnitStep[] = [{ write: 'insertGroup', group, required: true }, ...leaveSessionsOfSet(provider, null)];
  if (!(await services.store.apply(unit))) throw new Refusal(`group ${name} or application ${provider.name} changed meanwhile; try again`);
  await publish(services, { type: 'group.created', actor, name, providerId: provider.id });
  return group;
}

/**
 * The application joins the group as a subscriber: its local sessions (of the default set) end, and
 * the users it owns pass to the provider (subscribers own no users). Returns how many users passed.
 */
export async function addGroupMember(
  services: OperatorServices,
  name: string,
  application: ApplicationRecord,
  actor: AuditActor = 'operator',
): Promise<number> {
  const group = await existingGroup(services, name);
  await requireUngrouped(services, application);
  const users = (await services.store.listUserIds(application.id)).length;
  const member = { applicationId: application.id, groupName: group.name, role: 'subscriber' as const, joinedAt: services.now() };
  const unit: UnitStep[] = [
    { write: 'insertGroupMember', member, required: true },
    { write: 'transferUsers', fromOwnerId: application.id, toOwnerId: group.providerId },
    ...leaveSessionsOfSet(application, null),
  ];
  if (!(await services.store.apply(unit)))
    throw new Refusal(`application ${application.name} joined a group meanwhile; see ssod groups list`);
  await publish(services, {
    type: 'group.memberAdded',
    actor,
    name: group.name,
    applicationId: application.id,
    usersTransferred: users,
  });
  return users;
}

/** A subscriber leaves the group: its local sessions in the group's sessions end; the users stay with the provider. */
export async function removeGroupMember(
  services: OperatorServices,
  name: string,
  application: ApplicationRecord,
  actor: AuditActor = 'operator',
): Promise<void> {
  const group = await existingGroup(services, name);
  const membership = await services.store.groupOfApplication(application.id);
  if (membership?.groupName !== group.name)
    throw new Refusal(`application ${application.name} is not a member of group ${group.name}; see ssod groups show ${group.name}`);
  if (membership.role === 'provider')
    throw new Refusal(
      `application ${application.name} is the provider of group ${group.name} and cannot leave it; delete the group instead`,
    );
  const unit: UnitStep[] = [
    { write: 'deleteGroupMember', groupName: group.name, applicationId: application.id, required: true },
    ...leaveSessionsOfSet(application, group.name),
  ];
  if (!(await services.store.apply(unit))) throw new Refusal(`application ${application.name} left group ${group.name} meanwhile`);
  await publish(services, { type: 'group.memberRemoved', actor, name: group.name, applicationId: application.id });
}

/** The operator's word for the core's rule that a subscriber owns no users (ssod users create, set-owner). */
export async function requireMayOwnUsersAsOperator(
  services: Pick<OperatorServices, 'store'>,
  application: ApplicationRecord,
): Promise<void> {
  const membership = await services.store.groupOfApplication(application.id);
  if (membership?.role === 'subscriber')
    throw new Refusal(
      `application ${application.name} is a subscriber of group ${membership.groupName} and owns no users; give its provider instead (ssod groups show ${membership.groupName})`,
    );
}

/** What deleting did, or that it was not done because the group has subscribers and `force` was not given. */
export type GroupDeletion =
  | { readonly deleted: true; readonly sessions: number; readonly members: number }
  | { readonly deleted: false; readonly subscribers: number };

/**
 * Deletes the group: every session of it ends (each published as ended, so that ticket receivers get
 * their logout), then the members become ungrouped, and the provider's users with them. Refused while
 * it has subscribers unless `force`.
 */
export async function deleteGroup(
  services: OperatorServices,
  name: string,
  force: boolean,
  actor: AuditActor = 'operator',
): Promise<GroupDeletion> {
  const group = await existingGroup(services, name);
  const members = await services.store.listGroupMembers(group.name);
  const subscribers = members.filter((member) => member.role === 'subscriber').length;
  if (subscribers > 0 && !force) return { deleted: false, subscribers };
  const sessions = await services.store.listGroupSessions(group.name);
  const unit: UnitStep[] = [
    { write: 'deleteGroupSessions', groupName: group.name },
    { write: 'deleteGroup', name: group.name, required: true },
  ];
  if (!(await services.store.apply(unit))) throw new Refusal(`group ${group.name} was deleted meanwhile`);
  for (const session of sessions)
    await publish(services, {
      type: 'session.ended',
      actor,
      userId: session.userId,
      globalId: session.id,
      reason: 'groupDeleted',
    });
  await publish(services, {
    type: 'group.deleted',
    actor,
    name: group.name,
    sessions: sessions.length,
    members: members.length,
  });
  return { deleted: true, sessions: sessions.length, members: members.length };
}

export interface GroupMemberDetails {
  readonly application: ApplicationRecord;
  readonly role: GroupRole;
}

export interface GroupDetails {
  readonly group: GroupRecord;
  /** The provider first. */
  readonly members: readonly GroupMemberDetails[];
  /** The users of the group's set (owned by the provider). */
  readonly users: number;
  /** Its global sessions, live or not yet purged. */
  readonly sessions: number;
}

/** A group with its members, users and sessions. */
export async function groupDetails(services: Pick<OperatorServices, 'store'>, name: string): Promise<GroupDetails> {
  const group = await existingGroup(services, name);
  const members: GroupMemberDetails[] = [];
  for (const member of await services.store.listGroupMembers(group.name)) {
    const application = await services.store.getApplication(member.applicationId);
    if (application !== null) members.push({ application, role: member.role });
  }
  return {
    group,
    members,
    users: (await services.store.listUserIds(group.providerId)).length,
    sessions: (await services.store.listGroupSessions(group.name)).length,
  };
}

/** Every group with its member count, by name. */
export function listGroups(services: Pick<OperatorServices, 'store'>): Promise<GroupSummary[]> {
  return services.store.listGroups();
}

/** The group of each grouped application, by application id: what `ssod applications` shows. */
export async function groupsOfApplications(
  services: Pick<OperatorServices, 'store'>,
): Promise<Map<string, { readonly groupName: string; readonly role: GroupRole }>> {
  return new Map((await services.store.listGroupMemberships()).map((m) => [m.applicationId, { groupName: m.groupName, role: m.role }]));
}

/** The applications in no group, by name: those that may found a group or join one. */
export async function ungroupedApplications(services: Pick<OperatorServices, 'store'>): Promise<ApplicationRecord[]> {
  const grouped = await groupsOfApplications(services);
  return (await services.store.listApplications())
    .filter((application) => !grouped.has(application.id))
    .sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
}
