// Application groups (docs/groups.md): the statements, once for every engine, and the store's part.
import { step, type BatchStep, type Executor } from '../executor.js';
import { sql } from '../sql/statement.js';
import type { GroupMemberRecord, GroupRecord, GroupRole, GroupStore, GroupSummary, GroupWrite } from '../../../core/store/index.js';

const GROUP_COLUMNS = 'name, provider_id AS "providerId", created_at AS "createdAt"';
const MEMBER_COLUMNS = 'application_id AS "applicationId", group_name AS "groupName", role, joined_at AS "joinedAt"';
/** The provider first, then by application id. */
const MEMBER_ORDER = "CASE WHEN role = 'provider' THEN 0 ELSE 1 END";

type Name = { readonly name: string };

const groupOfApplication = sql<{ applicationId: string }, { groupName: string; providerId: string; role: GroupRole }>(
  'group_of_application',
  () => `SELECT m.group_name AS "groupName", g.provider_id AS "providerId", m.role
  FROM group_members m JOIN application_groups g ON g.name = m.group_name WHERE m.application_id = @applicationId`,
);
const listGroupMembers = sql<Name, { applicationId: string; role: GroupRole }>(
  'list_group_members',
  (d) => `SELECT application_id AS "applicationId", role FROM group_members WHERE group_name = @name
  ORDER BY ${MEMBER_ORDER}, ${d.bytewise('application_id')}`,
);
const getGroup = sql<Name, GroupRecord>('get_group', () => `SELECT ${GROUP_COLUMNS} FROM application_groups WHERE name = @name`);
const listGroups = sql<object, GroupSummary>(
  'list_groups',
  (d) => `SELECT ${GROUP_COLUMNS}, (SELECT COUNT(*) FROM group_members m WHERE m.group_name = g.name) AS members
  FROM application_groups g ORDER BY ${d.bytewise('name')}`,
);
const listGroupMemberships = sql<object, GroupMemberRecord>(
  'list_group_memberships',
  (d) =>
    `SELECT ${MEMBER_COLUMNS} FROM group_members ORDER BY ${d.bytewise('group_name')}, ${MEMBER_ORDER}, ${d.bytewise('application_id')}`,
);
const hasApplicationUrlInSet = sql<{ url: string; groupName: string | null }, { found: number }>(
  'has_application_url_in_set',
  () => `SELECT CASE WHEN EXISTS (SELECT 1 FROM applications a LEFT JOIN group_members m ON m.application_id = a.id
    WHERE a.url = @url AND (m.group_name = @groupName::text OR (m.group_name IS NULL AND @groupName::text IS NULL))) THEN 1 ELSE 0 END AS found`,
);
const groupOfApplicationUrl = sql<{ url: string }, { groupName: string }>(
  'group_of_application_url',
  (d) => `SELECT m.group_name AS "groupName" FROM applications a JOIN group_members m ON m.application_id = a.id
  WHERE a.url = @url ORDER BY ${d.bytewise('m.group_name')} LIMIT 1`,
);
// ON CONFLICT DO NOTHING: a taken name or a provider in a group already changes no row (the unit's required step).
const insertGroup = sql<GroupRecord>(
  'insert_group',
  () => `INSERT INTO application_groups (name, provider_id, created_at)
  SELECT @name::text, @providerId::text, @createdAt::bigint WHERE NOT EXISTS (SELECT 1 FROM group_members WHERE application_id = @providerId::text)
  ON CONFLICT DO NOTHING`,
);
const insertMember = sql<GroupMemberRecord>(
  'insert_group_member',
  () => `INSERT INTO group_members (application_id, group_name, role, joined_at)
  VALUES (@applicationId, @groupName, @role, @joinedAt) ON CONFLICT (application_id) DO NOTHING`,
);
const deleteSubscriber = sql<{ groupName: string; applicationId: string }>(
  'delete_group_subscriber',
  () => "DELETE FROM group_members WHERE application_id = @applicationId AND group_name = @groupName AND role = 'subscriber'",
);
const deleteMembers = sql<Name>('delete_group_members', () => 'DELETE FROM group_members WHERE group_name = @name');
const deleteGroup = sql<Name>('delete_group', () => 'DELETE FROM application_groups WHERE name = @name');

/** The statements of a group write of a unit of work. */
export function groupSteps(write: GroupWrite, required: boolean): BatchStep[] {
  switch (write.write) {
    case 'insertGroup':
      return [
        step(insertGroup, write.group, required),
        step(
          insertMember,
          { applicationId: write.group.providerId, groupName: write.group.name, role: 'provider', joinedAt: write.group.createdAt },
          required,
        ),
      ];
    case 'insertGroupMember':
      return [step(insertMember, write.member, required)];
    case 'deleteGroupMember':
      return [step(deleteSubscriber, { groupName: write.groupName, applicationId: write.applicationId }, required)];
    case 'deleteGroup':
      return [step(deleteMembers, { name: write.name }), step(deleteGroup, { name: write.name }, required)];
  }
}

export function groupPart(x: Executor): GroupStore {
  return {
    groupOfApplication: (applicationId) => x.one(groupOfApplication, { applicationId }),
    listGroupMembers: (name) => x.all(listGroupMembers, { name }),
    getGroup: (name) => x.one(getGroup, { name }),
    listGroups: () => x.all(listGroups, {}),
    listGroupMemberships: () => x.all(listGroupMemberships, {}),
    groupOfApplicationUrl: async (url) => (await x.one(groupOfApplicationUrl, { url }))?.groupName ?? null,
    hasApplicationUrlInSet: async (url, groupName) => (await x.one(hasApplicationUrlInSet, { url, groupName }))?.found === 1,
  };
}
