// Users (protocol §3.2, §5.6–5.16): the statements, once for every engine, and the store's part.
import { USER_COLUMNS } from '../columns.js';
import { step, type BatchStep, type Executor } from '../executor.js';
import { sql } from '../sql/statement.js';
import type { UserRecord, UserStore, UserWrite } from '../../../core/store/index.js';

type Id = { readonly id: string };
/** The group of a user's owner application (NULL: ungrouped, the default set; docs/groups.md). */
const SET_OF_OWNER = '(SELECT m.group_name FROM group_members m WHERE m.application_id = users.owner_id)';

const insertUser = sql<UserRecord>(
  'insert_user',
  () => `INSERT INTO users (id, login, login_key, owner_id, password_hash, created_at, disabled_at, source_name)
  VALUES (@id, @login, @loginKey, @ownerId, @passwordHash, @createdAt, @disabledAt, @sourceName)`,
);
const getUser = sql<Id, UserRecord>('get_user', () => `SELECT ${USER_COLUMNS} FROM users WHERE id = @id`);
const findUserByLoginKey = sql<{ loginKey: string }, UserRecord>(
  'find_user_by_login_key',
  () => `SELECT ${USER_COLUMNS} FROM users WHERE login_key = @loginKey`,
);
const listUserIds = sql<{ ownerId: string }, Id>(
  'list_user_ids',
  (d) => `SELECT id FROM users WHERE owner_id = @ownerId ORDER BY created_at, ${d.bytewise('id')}`,
);
const changeLogin = sql<{ id: string; login: string; loginKey: string }>(
  'change_login',
  () => 'UPDATE users SET login = @login, login_key = @loginKey WHERE id = @id',
);
const setPasswordHash = sql<{ id: string; passwordHash: string }>(
  'set_password_hash',
  () => 'UPDATE users SET password_hash = @passwordHash WHERE id = @id',
);
const replacePasswordHash = sql<{ id: string; passwordHash: string; expected: string }>(
  'replace_password_hash',
  () => 'UPDATE users SET password_hash = @passwordHash WHERE id = @id AND password_hash = @expected',
);
const setOwner = sql<{ id: string; ownerId: string }>('set_owner', () => 'UPDATE users SET owner_id = @ownerId WHERE id = @id');
const deleteUser = sql<Id>('delete_user', () => 'DELETE FROM users WHERE id = @id');
/** Optional filters are bound as NULL, which the statement reads as "no filter". */
const listUsers = sql<
  { ownerId: string | null; bySet: number; groupName: string | null; contains: string | null; after: string | null; limit: number },
  UserRecord
>(
  'list_users',
  (d) => `SELECT ${USER_COLUMNS} FROM users
  WHERE (@ownerId::text IS NULL OR owner_id = @ownerId)
    AND (@bySet::integer = 0 OR ${SET_OF_OWNER} = @groupName::text OR (${SET_OF_OWNER} IS NULL AND @groupName::text IS NULL)) AND (@contains::text IS NULL OR ${d.contains('login_key', '@contains')})
    AND (@after::text IS NULL OR ${d.bytewise('login_key')} > @after)
  ORDER BY ${d.bytewise('login_key')} LIMIT @limit`,
);
const transferUsers = sql<{ fromOwnerId: string; toOwnerId: string }>(
  'transfer_users',
  () => 'UPDATE users SET owner_id = @toOwnerId WHERE owner_id = @fromOwnerId',
);
const setUserDisabled = sql<{ id: string; disabledAt: number | null }>(
  'set_user_disabled',
  () => 'UPDATE users SET disabled_at = @disabledAt::bigint WHERE id = @id',
);

/** The statement of a user write of a unit of work. */
export function userSteps(write: UserWrite, required: boolean): BatchStep[] {
  if (write.write === 'transferUsers')
    return [step(transferUsers, { fromOwnerId: write.fromOwnerId, toOwnerId: write.toOwnerId }, required)];
  return [step(setUserDisabled, { id: write.userId, disabledAt: write.disabledAt }, required)];
}

export function userPart(x: Executor): UserStore {
  return {
    async insertUser(user) {
      await x.run(insertUser, user);
    },
    getUser: (id) => x.one(getUser, { id }),
    findUserByLoginKey: (loginKey) => x.one(findUserByLoginKey, { loginKey }),
    listUserIds: async (ownerId) => (await x.all(listUserIds, { ownerId })).map((row) => row.id),
    changeLogin: async (id, login, loginKey) => (await x.run(changeLogin, { id, login, loginKey })) > 0,
    setPasswordHash: async (id, passwordHash, expected) =>
      (expected === undefined
        ? await x.run(setPasswordHash, { id, passwordHash })
        : await x.run(replacePasswordHash, { id, passwordHash, expected })) > 0,
    setOwner: async (id, ownerId) => (await x.run(setOwner, { id, ownerId })) > 0,
    // One statement: the foreign keys cascade to the user's sessions.
    deleteUser: async (id) => (await x.run(deleteUser, { id })) > 0,
    listUsers: (query) =>
      x.all(listUsers, {
        ownerId: query.ownerId ?? null,
        bySet: query.set === undefined ? 0 : 1,
        groupName: query.set?.groupName ?? null,
        contains: query.loginKeyContains ?? null,
        after: query.afterLoginKey ?? null,
        limit: query.limit,
      }),
  };
}
