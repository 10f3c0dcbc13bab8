// The column lists that every SQL engine reads records with, written once. Columns are aliased to
// the record fields, so a row is the record itself (SQL NULL reads as null). The aliases are
// quoted: PostgreSQL folds unquoted names to lower case, SQLite accepts the quotes as they are.
import type { ApplicationChanges, AuditRecord, CertificateAndSession, CertificateRecord, CountedAttempt, GlobalSessionRecord, SessionView, ThrottleRecord } from '../../core/store.js';

export const APPLICATION_COLUMNS = `id, name, display_name AS "displayName", version, capabilities, url,
  restore_password_url AS "restorePasswordUrl", change_password_url AS "changePasswordUrl", created_at AS "createdAt"`;
export const CERTIFICATE_COLUMNS = `fingerprint, application_id AS "applicationId", serial, issued_at AS "issuedAt",
  not_after AS "notAfter", first_used_at AS "firstUsedAt", retired_at AS "retiredAt"`;
export const USER_COLUMNS = `id, login, login_key AS "loginKey", owner_id AS "ownerId", password_hash AS "passwordHash", created_at AS "createdAt",
  disabled_at AS "disabledAt"`;
export const GLOBAL_SESSION_COLUMNS = `id, user_id AS "userId", created_at AS "createdAt", expires_at AS "expiresAt",
  last_seen_at AS "lastSeenAt", cookie_hash AS "cookieHash", cookie_sealed_secret AS "cookieSealedSecret"`;
export const RELAY_TOKEN_COLUMNS = 'token_hash AS "tokenHash", global_id AS "globalId", expires_at AS "expiresAt", sealed_secret AS "sealedSecret"';
export const THROTTLE_COLUMNS = 'key, failures, first_failure_at AS "firstFailureAt", last_failure_at AS "lastFailureAt", locked_until AS "lockedUntil"';
/** The parameters of countAttemptSql, each named once and written as the engine writes a placeholder. */
export type CountAttemptParameter = 'attemptId' | 'key' | 'now' | 'resetBefore' | 'windowBefore' | 'threshold' | 'incrementMs' | 'maxMs';

/**
 * countAttempt for one key, as one upsert: the row lock orders concurrent attempts (also from
 * several nodes), and each sees the count and the lock that the previous one left. The key locks
 * when its new count reaches the threshold while no lock runs; `locked_by` names the attempt that
 * set the lock, so the attempt can tell its own lock from one it ran into. The SET expressions read
 * the old row. `greatest`/`least`: MAX/MIN on SQLite, GREATEST/LEAST on PostgreSQL.
 */
export function countAttemptSql(p: (name: CountAttemptParameter) => string, greatest: string, least: string): string {
  const t = 'login_throttle';
  const reset = `(${t}.last_failure_at < ${p('resetBefore')} OR (${p('windowBefore')} IS NOT NULL AND ${t}.first_failure_at < ${p('windowBefore')}))`;
  const failures = `(CASE WHEN ${reset} THEN 1 ELSE ${t}.failures + 1 END)`;
  const locks = (count: string, running: string): string => `(${running} AND ${p('threshold')} > 0 AND ${count} >= ${p('threshold')})`;
  const until = (count: string): string => `${p('now')} + ${least}(${p('maxMs')}, ${p('incrementMs')} * (${count} - ${p('threshold')} + 1))`;
  const free = `NOT (${t}.locked_until IS NOT NULL AND ${t}.locked_until > ${p('now')})`;
  return `INSERT INTO ${t} (key, failures, first_failure_at, last_failure_at, locked_until, locked_by)
    VALUES (${p('key')}, 1, ${p('now')}, ${p('now')},
      CASE WHEN ${locks('1', 'TRUE')} THEN ${until('1')} ELSE NULL END,
      CASE WHEN ${locks('1', 'TRUE')} THEN ${p('attemptId')} ELSE NULL END)
    ON CONFLICT (key) DO UPDATE SET
      failures = ${failures},
      first_failure_at = CASE WHEN ${reset} THEN ${p('now')} ELSE ${t}.first_failure_at END,
      last_failure_at = ${greatest}(${t}.last_failure_at, ${p('now')}),
      locked_until = CASE WHEN ${locks(failures, free)} THEN ${until(failures)} ELSE ${t}.locked_until END,
      locked_by = CASE WHEN ${locks(failures, free)} THEN ${p('attemptId')} ELSE ${t}.locked_by END
    RETURNING ${THROTTLE_COLUMNS}, locked_by AS "lockedBy"`;
}

/** A row of countAttemptSql: the record and the attempt that set its lock. */
export interface CountedRow extends ThrottleRecord {
  readonly lockedBy: string | null;
}

export function countedAttemptOf({ lockedBy, ...record }: CountedRow, attemptId: string, now: number): CountedAttempt {
  const locked = record.lockedUntil !== null && record.lockedUntil > now;
  return { record, lockedBefore: locked && lockedBy !== attemptId, setLock: locked && lockedBy === attemptId };
}

/** settleSuccess for a source: its count loses this attempt, and the lock loses its owner's claim. */
export function refundAttemptSql(attemptId: string, key: string, greatest: string): string {
  return `UPDATE login_throttle SET failures = ${greatest}(failures - 1, 0),
    locked_until = CASE WHEN locked_by = ${attemptId} THEN NULL ELSE locked_until END,
    locked_by = CASE WHEN locked_by = ${attemptId} THEN NULL ELSE locked_by END
    WHERE key = ${key}`;
}

export const AUDIT_COLUMNS = 'id, at, type, actor, target, outcome, detail';
export const KEY_MATERIAL_COLUMNS = 'name, certificate_pem AS "certificatePem", sealed_key AS "sealedKey", updated_at AS "updatedAt"';

/** A local session joined with its global session (`l` and `g`): what findSessionByLocalId reads. */
export const SESSION_VIEW_FROM = `SELECT l.id_hash AS "localIdHash", l.base_url AS "localBaseUrl", l.created_at AS "localCreatedAt",
  g.id, g.user_id AS "userId", g.created_at AS "createdAt", g.expires_at AS "expiresAt", g.last_seen_at AS "lastSeenAt",
  g.cookie_hash AS "cookieHash", g.cookie_sealed_secret AS "cookieSealedSecret"
  FROM local_sessions l JOIN global_sessions g ON g.id = l.global_id`;

export interface SessionViewRow extends GlobalSessionRecord {
  readonly localIdHash: string;
  readonly localBaseUrl: string;
  readonly localCreatedAt: number;
}

export function sessionViewOf(row: SessionViewRow): SessionView {
  const { localIdHash, localBaseUrl, localCreatedAt, ...global } = row;
  return { local: { idHash: localIdHash, globalId: global.id, baseUrl: localBaseUrl, createdAt: localCreatedAt }, global };
}

/**
 * findCertificateAndSession: one row whatever is found, the certificate's columns, the session
 * view's and the url of the certificate's application, NULL where absent. `fingerprint` and
 * `localIdHash` are the engine's placeholders.
 */
export function certificateAndSessionSql(fingerprint: string, localIdHash: string): string {
  return `SELECT c.fingerprint AS "certFingerprint", c.application_id AS "certApplicationId", c.serial AS "certSerial",
  c.issued_at AS "certIssuedAt", c.not_after AS "certNotAfter", c.first_used_at AS "certFirstUsedAt", c.retired_at AS "certRetiredAt",
  l.id_hash AS "localIdHash", l.base_url AS "localBaseUrl", l.created_at AS "localCreatedAt",
  g.id, g.user_id AS "userId", g.created_at AS "createdAt", g.expires_at AS "expiresAt", g.last_seen_at AS "lastSeenAt",
  g.cookie_hash AS "cookieHash", g.cookie_sealed_secret AS "cookieSealedSecret", a.url AS "applicationUrl"
  FROM (SELECT 1 AS one) AS anchor
  LEFT JOIN certificates c ON c.fingerprint = ${fingerprint}
  LEFT JOIN applications a ON a.id = c.application_id
  LEFT JOIN local_sessions l ON l.id_hash = ${localIdHash}
  LEFT JOIN global_sessions g ON g.id = l.global_id`;
}

/**
 * A row of certificateAndSessionSql as an array, in its column order, as both engines read it
 * (better-sqlite3's raw mode, node-postgres' rowMode 'array'): the hot path skips making a row
 * object with eighteen named properties only to take it apart again.
 */
export function certificateAndSessionOfValues(values: readonly unknown[]): CertificateAndSession {
  const [fingerprint, applicationId, serial, issuedAt, notAfter, firstUsedAt, retiredAt, localIdHash, baseUrl, localCreatedAt, id, userId, createdAt, expiresAt, lastSeenAt, cookieHash, cookieSealedSecret, url] =
    values as readonly (string | number | null)[];
  const applicationUrl = fingerprint === null || fingerprint === undefined ? null : ((url ?? null) as string | null);
  const certificate: CertificateRecord | null =
    fingerprint === null || fingerprint === undefined
      ? null
      : {
          fingerprint: fingerprint as string,
          applicationId: applicationId as string,
          serial: serial as string,
          issuedAt: issuedAt as number,
          notAfter: notAfter as number,
          firstUsedAt: (firstUsedAt ?? null) as number | null,
          retiredAt: (retiredAt ?? null) as number | null,
        };
  if (localIdHash === null || localIdHash === undefined || id === null || id === undefined) return { certificate, applicationUrl, session: null };
  return {
    certificate,
    applicationUrl,
    session: {
      local: { idHash: localIdHash as string, globalId: id as string, baseUrl: baseUrl as string, createdAt: localCreatedAt as number },
      global: {
        id: id as string,
        userId: userId as string,
        createdAt: createdAt as number,
        expiresAt: expiresAt as number,
        lastSeenAt: lastSeenAt as number,
        cookieHash: (cookieHash ?? null) as string | null,
        cookieSealedSecret: (cookieSealedSecret ?? null) as string | null,
      },
    },
  };
}

/** The fields that updateApplication may change, with their columns: a fixed list, never input. */
export const UPDATABLE_APPLICATION_COLUMNS = [
  ['name', 'name'],
  ['displayName', 'display_name'],
  ['version', 'version'],
  ['capabilities', 'capabilities'],
  ['url', 'url'],
  ['restorePasswordUrl', 'restore_password_url'],
  ['changePasswordUrl', 'change_password_url'],
] as const satisfies readonly (readonly [keyof ApplicationChanges, string])[];

/** An audit event as stored: its detail is JSON text. */
export interface AuditRow extends Omit<AuditRecord, 'detail'> {
  readonly detail: string;
}

export function auditRecordOf(row: AuditRow): AuditRecord {
  return { ...row, detail: JSON.parse(row.detail) as AuditRecord['detail'] };
}
