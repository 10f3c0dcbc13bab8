// Global and local sessions, relay tokens and cookies (protocol §2, §5.17–5.19): the statements,
// once for every engine, and the store's part. findCertificateAndSession and touchSession are the
// hot path (verifySession, on every page load of every application): one statement each.
import {
  GLOBAL_SESSION_COLUMNS,
  RELAY_TOKEN_COLUMNS,
  SESSION_VIEW_FROM,
  certificateAndSessionOfValues,
  sessionViewOf,
  type SessionViewRow,
} from '../columns.js';
import { step, type BatchStep, type Executor } from '../executor.js';
import { sql } from '../sql/statement.js';
import type { GlobalSessionRecord, LocalSessionRecord, RelayTokenRecord, SessionStore, SessionWrite } from '../../../core/store/index.js';

type Id = { readonly id: string };
type Filters = { readonly userId: string | null; readonly baseUrl: string | null };
/** Only sessions with a local session for @baseUrl, unless it is NULL. */
const BASE_URL_FILTER =
  '(@baseUrl::text IS NULL OR EXISTS (SELECT 1 FROM local_sessions l WHERE l.global_id = g.id AND l.base_url = @baseUrl))';

const insertGlobalSession = sql<GlobalSessionRecord>(
  'insert_global_session',
  () => `INSERT INTO global_sessions
  (id, user_id, created_at, expires_at, last_seen_at, cookie_hash, cookie_sealed_secret, group_name)
  VALUES (@id, @userId, @createdAt, @expiresAt, @lastSeenAt, @cookieHash, @cookieSealedSecret, @groupName)`,
);
const insertLocalSession = sql<LocalSessionRecord>(
  'insert_local_session',
  () => `INSERT INTO local_sessions (id_hash, global_id, base_url, created_at)
  VALUES (@idHash, @globalId, @baseUrl, @createdAt)`,
);
// Only the (global, base url) pair may already exist; a clash of id hashes is still an error.
const ensureLocalSession = sql<LocalSessionRecord>(
  'ensure_local_session',
  () => `INSERT INTO local_sessions (id_hash, global_id, base_url, created_at)
  VALUES (@idHash, @globalId, @baseUrl, @createdAt) ON CONFLICT (global_id, base_url) DO NOTHING`,
);
const insertRelayToken = sql<RelayTokenRecord>(
  'insert_relay_token',
  () => `INSERT INTO relay_tokens (token_hash, global_id, expires_at, sealed_secret)
  VALUES (@tokenHash, @globalId, @expiresAt, @sealedSecret)`,
);
const findSessionByLocalId = sql<{ idHash: string }, SessionViewRow>(
  'find_session_by_local_id',
  () => `${SESSION_VIEW_FROM} WHERE l.id_hash = @idHash`,
);
/**
 * The columns of findCertificateAndSession, in the order certificateAndSessionOfValues reads them:
 * the certificate's, the session view's, the url and the group of the certificate's application.
 */
export const CERTIFICATE_AND_SESSION_COLUMNS = `
  c.fingerprint AS "certFingerprint", c.application_id AS "certApplicationId", c.serial AS "certSerial",
  c.issued_at AS "certIssuedAt", c.not_after AS "certNotAfter", c.first_used_at AS "certFirstUsedAt", c.retired_at AS "certRetiredAt",
  l.id_hash AS "localIdHash", l.base_url AS "localBaseUrl", l.created_at AS "localCreatedAt",
  g.id, g.user_id AS "userId", g.created_at AS "createdAt", g.expires_at AS "expiresAt", g.last_seen_at AS "lastSeenAt",
  g.cookie_hash AS "cookieHash", g.cookie_sealed_secret AS "cookieSealedSecret", g.group_name AS "groupName",
  a.url AS "applicationUrl", m.group_name AS "applicationGroup"`;
/**
 * One row whatever is found, NULL where absent: the certificate `c` of @fingerprint, its application
 * `a` and its membership `m`, the local session `l` of @localIdHash and its global session `g`.
 */
export const CERTIFICATE_AND_SESSION_FROM = `
  FROM (SELECT 1 AS one) AS anchor
  LEFT JOIN certificates c ON c.fingerprint = @fingerprint
  LEFT JOIN applications a ON a.id = c.application_id
  LEFT JOIN group_members m ON m.application_id = c.application_id
  LEFT JOIN local_sessions l ON l.id_hash = @localIdHash
  LEFT JOIN global_sessions g ON g.id = l.global_id`;
const findCertificateAndSession = sql<{ fingerprint: string; localIdHash: string }, unknown[]>(
  'find_certificate_and_session',
  () => `SELECT${CERTIFICATE_AND_SESSION_COLUMNS}${CERTIFICATE_AND_SESSION_FROM}`,
  { arrayRows: true },
);
const findSessionByCookie = sql<{ cookieHash: string }, GlobalSessionRecord>(
  'find_session_by_cookie',
  () => `SELECT ${GLOBAL_SESSION_COLUMNS} FROM global_sessions WHERE cookie_hash = @cookieHash`,
);
const getGlobalSession = sql<Id, GlobalSessionRecord>(
  'get_global_session',
  () => `SELECT ${GLOBAL_SESSION_COLUMNS} FROM global_sessions WHERE id = @id`,
);
const touchSession = sql<{ globalId: string; now: number }>(
  'touch_session',
  (d) => `UPDATE global_sessions SET last_seen_at = ${d.greatest('last_seen_at', '@now')} WHERE id = @globalId`,
);
// Deleting and reading in one statement: whoever deletes the row is the one that gets it (of two
// PostgreSQL nodes racing, the second waits for the first's row lock, then finds the row gone).
const consumeRelayToken = sql<{ tokenHash: string; now: number }, RelayTokenRecord>(
  'consume_relay_token',
  () => `DELETE FROM relay_tokens WHERE token_hash = @tokenHash AND expires_at > @now RETURNING ${RELAY_TOKEN_COLUMNS}`,
);
const setSessionCookie = sql<{ id: string; cookieHash: string; cookieSealedSecret: string }>(
  'set_session_cookie',
  () => 'UPDATE global_sessions SET cookie_hash = @cookieHash, cookie_sealed_secret = @cookieSealedSecret WHERE id = @id',
);
const deleteGlobalSession = sql<Id>('delete_global_session', () => 'DELETE FROM global_sessions WHERE id = @id');
// The cutoff's predicate (core/sessions.ts isOver), set-wise: over at the expiry instant, or idle since idleBefore or earlier.
const purgeSessions = sql<{ now: number; idleBefore: number }>(
  'purge_sessions',
  () => 'DELETE FROM global_sessions WHERE expires_at <= @now OR last_seen_at <= @idleBefore',
);
const purgeRelayTokens = sql<{ now: number }>('purge_relay_tokens', () => 'DELETE FROM relay_tokens WHERE expires_at <= @now');
// One statement, so the sessions and their base URLs are one snapshot.
const listSessions = sql<Filters & { limit: number }, GlobalSessionRecord & { baseUrls: string }>(
  'list_sessions',
  (d) => `SELECT ${GLOBAL_SESSION_COLUMNS},
    (SELECT ${d.jsonTextArray('l.base_url', 'l.base_url')} FROM local_sessions l WHERE l.global_id = g.id) AS "baseUrls"
  FROM global_sessions g
  WHERE (@userId::text IS NULL OR g.user_id = @userId) AND ${BASE_URL_FILTER}
  ORDER BY g.created_at DESC, ${d.bytewise('g.id')} LIMIT @limit`,
);
// The complement of purgeSessions.
const countSessions = sql<Filters & { now: number; idleBefore: number }, { count: number }>(
  'count_sessions',
  () => `SELECT COUNT(*) AS count FROM global_sessions g
  WHERE g.expires_at > @now::bigint AND g.last_seen_at > @idleBefore::bigint AND (@userId::text IS NULL OR g.user_id = @userId) AND ${BASE_URL_FILTER}`,
);
const deleteUserSessions = sql<{ userId: string }>('delete_user_sessions', () => 'DELETE FROM global_sessions WHERE user_id = @userId');
const deleteLocalSessionsOfSet = sql<{ baseUrl: string; groupName: string | null }>(
  'delete_local_sessions_of_set',
  () => `DELETE FROM local_sessions WHERE base_url = @baseUrl AND global_id IN (SELECT id FROM global_sessions
  WHERE group_name = @groupName::text OR (group_name IS NULL AND @groupName::text IS NULL))`,
);
const deleteGroupSessions = sql<{ groupName: string }>(
  'delete_group_sessions',
  () => 'DELETE FROM global_sessions WHERE group_name = @groupName',
);
const listGroupSessions = sql<{ groupName: string }, { id: string; userId: string }>(
  'list_group_sessions',
  (d) => `SELECT id, user_id AS "userId" FROM global_sessions WHERE group_name = @groupName ORDER BY ${d.bytewise('id')}`,
);

/** The statement of a session write of a unit of work. */
export function sessionSteps(write: SessionWrite, required: boolean): BatchStep[] {
  switch (write.write) {
    case 'deleteUserSessions':
      return [step(deleteUserSessions, { userId: write.userId }, required)];
    case 'deleteLocalSessionsOfSet':
      return [step(deleteLocalSessionsOfSet, { baseUrl: write.baseUrl, groupName: write.groupName }, required)];
    case 'deleteGroupSessions':
      return [step(deleteGroupSessions, { groupName: write.groupName }, required)];
  }
}

export function sessionPart(x: Executor): SessionStore {
  return {
    async createSession(global, local, token) {
      await x.batch([step(insertGlobalSession, global), step(insertLocalSession, local), step(insertRelayToken, token)]);
    },
    findSessionByLocalId: async (idHash) => {
      const row = await x.one(findSessionByLocalId, { idHash });
      return row === null ? null : sessionViewOf(row);
    },
    findCertificateAndSession: (fingerprint, localIdHash) =>
      x.first(findCertificateAndSession, { fingerprint, localIdHash }, (values) => {
        if (values === undefined) throw new Error('findCertificateAndSession returned no row');
        return certificateAndSessionOfValues(values);
      }),
    findSessionByCookie: (cookieHash) => x.one(findSessionByCookie, { cookieHash }),
    getGlobalSession: (id) => x.one(getGlobalSession, { id }),
    // The relay calls this on every visit; only the first visit per application inserts.
    ensureLocalSession: async (local) => (await x.run(ensureLocalSession, local)) > 0,
    async insertGlobalSession(global) {
      await x.run(insertGlobalSession, global);
    },
    // Resolves to the rows changed, which the contract's Promise<void> ignores: no promise more on the hot path.
    touchSession: (globalId, now) => x.run(touchSession, { globalId, now }) as Promise<unknown> as Promise<void>,
    consumeRelayToken: async (tokenHash, now) =>
      ((await x.batch([step(consumeRelayToken, { tokenHash, now })]))?.[0]?.rows[0] as RelayTokenRecord | undefined) ?? null,
    async setSessionCookie(id, cookieHash, cookieSealedSecret) {
      await x.run(setSessionCookie, { id, cookieHash, cookieSealedSecret });
    },
    // One statement: the foreign keys cascade to its local sessions and tokens.
    async deleteGlobalSession(id) {
      await x.run(deleteGlobalSession, { id });
    },
    purgeExpiredSessions: async ({ now, idleBefore }) =>
      (await x.batch([step(purgeSessions, { now, idleBefore }), step(purgeRelayTokens, { now })]))?.[0]?.changes ?? 0,
    listSessions: async (query) => {
      const rows = await x.all(listSessions, { userId: query.userId ?? null, baseUrl: query.baseUrl ?? null, limit: query.limit });
      return rows.map(({ baseUrls, ...global }) => ({ global, baseUrls: JSON.parse(baseUrls) as string[] }));
    },
    countSessions: async (query) =>
      (
        await x.one(countSessions, {
          userId: query.userId ?? null,
          baseUrl: query.baseUrl ?? null,
          now: query.now,
          idleBefore: query.idleBefore,
        })
      )?.count ?? 0,
    // One statement: the foreign keys cascade to their local sessions and tokens.
    deleteUserSessions: (userId) => x.run(deleteUserSessions, { userId }),
    listGroupSessions: (groupName) => x.all(listGroupSessions, { groupName }),
  };
}
