// The column lists that the statements of every engine read records with (parts/*.ts), and the row
// converters. Columns are aliased to the record fields, so a row is the record itself (SQL NULL
// reads as null). The aliases are quoted: PostgreSQL folds unquoted names to lower case, SQLite
// accepts the quotes as they are.
import type {
  ApplicationChanges,
  AuditRecord,
  CertificateAndSession,
  CertificateRecord,
  GlobalSessionRecord,
  SessionView,
} from '../../core/store/index.js';

export const APPLICATION_COLUMNS = `id, name, display_name AS "displayName", version, capabilities, url,
  restore_password_url AS "restorePasswordUrl", change_password_url AS "changePasswordUrl", created_at AS "createdAt"`;
export const CERTIFICATE_COLUMNS = `fingerprint, application_id AS "applicationId", serial, issued_at AS "issuedAt",
  not_after AS "notAfter", first_used_at AS "firstUsedAt", retired_at AS "retiredAt"`;
export const USER_COLUMNS = `id, login, login_key AS "loginKey", owner_id AS "ownerId", password_hash AS "passwordHash", created_at AS "createdAt",
  disabled_at AS "disabledAt", source_name AS "sourceName"`;
export const GLOBAL_SESSION_COLUMNS = `id, user_id AS "userId", created_at AS "createdAt", expires_at AS "expiresAt",
  last_seen_at AS "lastSeenAt", cookie_hash AS "cookieHash", cookie_sealed_secret AS "cookieSealedSecret", group_name AS "groupName"`;
export const RELAY_TOKEN_COLUMNS =
  'token_hash AS "tokenHash", global_id AS "globalId", expires_at AS "expiresAt", sealed_secret AS "sealedSecret"';
export const THROTTLE_COLUMNS =
  'key, failures, first_failure_at AS "firstFailureAt", last_failure_at AS "lastFailureAt", locked_until AS "lockedUntil"';
export const AUDIT_COLUMNS = 'id, at, type, actor, target, outcome, detail';
export const SOURCE_COLUMNS = 'name, kind, settings, created_at AS "createdAt", updated_at AS "updatedAt"';
export const IDENTITY_PROVIDER_COLUMNS =
  'name, display_name AS "displayName", settings, created_at AS "createdAt", updated_at AS "updatedAt"';
export const FEDERATED_LINK_COLUMNS =
  'idp_name AS "idpName", federated_id AS "federatedId", user_id AS "userId", created_at AS "createdAt"';
export const SAML_REQUEST_COLUMNS = 'id, idp_name AS "idpName", relay_url AS "relayUrl", expires_at AS "expiresAt"';
export const LAST_TEST_COLUMNS = 'kind, name, tested_at AS "testedAt", actor, outcome, detail';
export const KEY_MATERIAL_COLUMNS = 'name, certificate_pem AS "certificatePem", sealed_key AS "sealedKey", updated_at AS "updatedAt"';

/** A local session joined with its global session (`l` and `g`): what findSessionByLocalId reads. */
export const SESSION_VIEW_FROM = `SELECT l.id_hash AS "localIdHash", l.base_url AS "localBaseUrl", l.created_at AS "localCreatedAt",
  g.id, g.user_id AS "userId", g.created_at AS "createdAt", g.expires_at AS "expiresAt", g.last_seen_at AS "lastSeenAt",
  g.cookie_hash AS "cookieHash", g.cookie_sealed_secret AS "cookieSealedSecret", g.group_name AS "groupName"
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
 * A row of findCertificateAndSession (parts/sessions.ts) as an array, in its column order, as both engines read it
 * (better-sqlite3's raw mode, node-postgres' rowMode 'array'): the hot path skips making a row
 * object with eighteen named properties only to take it apart again.
 */
export function certificateAndSessionOfValues(values: readonly unknown[]): CertificateAndSession {
  const [
    fingerprint,
    applicationId,
    serial,
    issuedAt,
    notAfter,
    firstUsedAt,
    retiredAt,
    localIdHash,
    baseUrl,
    localCreatedAt,
    id,
    userId,
    createdAt,
    expiresAt,
    lastSeenAt,
    cookieHash,
    cookieSealedSecret,
    groupName,
    url,
    group,
  ] = values as readonly (string | number | null)[];
  const applicationUrl = fingerprint === null || fingerprint === undefined ? null : ((url ?? null) as string | null);
  const applicationGroup = fingerprint === null || fingerprint === undefined ? null : ((group ?? null) as string | null);
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
  if (localIdHash === null || localIdHash === undefined || id === null || id === undefined)
    return { certificate, applicationUrl, applicationGroup, session: null };
  return {
    certificate,
    applicationUrl,
    applicationGroup,
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
        groupName: (groupName ?? null) as string | null,
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
export const TICKET_KEY_COLUMNS = `kid, algorithm, public_jwk AS "publicJwk", sealed_key AS "sealedKey", created_at AS "createdAt",
  signs_from AS "signsFrom", revoked_at AS "revokedAt"`;
export const TICKET_RECEIVER_COLUMNS = 'name, domain, url, ca_pem AS "caPem", created_at AS "createdAt"';
export const TICKET_GRANT_COLUMNS =
  'global_id AS "globalId", receiver, user_id AS "userId", issued_at AS "issuedAt", expires_at AS "expiresAt"';
export const SESSION_START_CALLBACK_COLUMNS =
  'application_id AS "applicationId", url, policy, ca_pem AS "caPem", updated_at AS "updatedAt"';
export const SESSION_START_COLUMNS =
  'global_id AS "globalId", started_for AS "startedFor", group_name AS "groupName", created_at AS "createdAt"';
export const SESSION_START_CALL_COLUMNS = `global_id AS "globalId", application_id AS "applicationId", claimed_at AS "claimedAt",
  claimed_by AS "claimedBy", finished_at AS "finishedAt", outcome`;
