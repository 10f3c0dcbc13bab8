// The administrators of the admin console and their console sessions (core/store/admins.ts): the
// statements, once for every engine, and the store's part.
import { step, type Executor } from '../executor.js';
import { sql } from '../sql/statement.js';
import type { AdminRecord, AdminSessionRecord, AdminStore, AdminSummary } from '../../../core/store/index.js';

const ADMIN_COLUMNS = `name, password_hash AS "passwordHash", totp_sealed AS "totpSealed", totp_last_step AS "totpLastStep",
  created_at AS "createdAt", last_sign_in_at AS "lastSignInAt"`;
const SESSION_COLUMNS = 'id_hash AS "idHash", admin_name AS "adminName", created_at AS "createdAt", last_seen_at AS "lastSeenAt"';

type Name = { readonly name: string };
type Code = { readonly name: string; readonly codeHash: string };
type IdHash = { readonly idHash: string };

const insertAdmin = sql<AdminRecord>(
  'insert_admin',
  () => `INSERT INTO admins (name, password_hash, totp_sealed, totp_last_step, created_at, last_sign_in_at)
  VALUES (@name, @passwordHash, @totpSealed, @totpLastStep, @createdAt, @lastSignInAt) ON CONFLICT (name) DO NOTHING`,
);
const insertRecoveryCode = sql<Code>(
  'insert_admin_recovery_code',
  () => 'INSERT INTO admin_recovery_codes (admin_name, code_hash) VALUES (@name, @codeHash)',
);
const getAdmin = sql<Name, AdminRecord>('get_admin', () => `SELECT ${ADMIN_COLUMNS} FROM admins WHERE name = @name`);
const listAdmins = sql<object, AdminSummary>(
  'list_admins',
  () => `SELECT ${ADMIN_COLUMNS},
  (SELECT COUNT(*) FROM admin_recovery_codes c WHERE c.admin_name = admins.name) AS "recoveryCodesLeft"
  FROM admins ORDER BY name`,
);
const countSessionsOf = sql<Name, { count: number }>(
  'count_admin_sessions_of',
  () => 'SELECT COUNT(*) AS count FROM admin_sessions WHERE admin_name = @name',
);
const deleteSessionsOf = sql<Name>('delete_admin_sessions_of', () => 'DELETE FROM admin_sessions WHERE admin_name = @name');
const deleteAdmin = sql<Name>('delete_admin', () => 'DELETE FROM admins WHERE name = @name');
const setPasswordHash = sql<Name & { passwordHash: string }>(
  'set_admin_password_hash',
  () => 'UPDATE admins SET password_hash = @passwordHash WHERE name = @name',
);
const setTotp = sql<Name & { totpSealed: string }>(
  'set_admin_totp',
  () => 'UPDATE admins SET totp_sealed = @totpSealed, totp_last_step = 0 WHERE name = @name',
);
const deleteRecoveryCodesOf = sql<Name>(
  'delete_admin_recovery_codes_of',
  () => 'DELETE FROM admin_recovery_codes WHERE admin_name = @name',
);
const adminExists = sql<Name, { found: number }>('admin_exists', () => 'SELECT 1 AS found FROM admins WHERE name = @name');
// The compare-and-set of a code's time step: of two nodes accepting the same code, one changes the row.
const acceptTotpStep = sql<Name & { step: number }>(
  'accept_admin_totp_step',
  () => 'UPDATE admins SET totp_last_step = @step::bigint WHERE name = @name AND totp_last_step < @step::bigint',
);
const useRecoveryCode = sql<Code>(
  'use_admin_recovery_code',
  () => 'DELETE FROM admin_recovery_codes WHERE admin_name = @name AND code_hash = @codeHash',
);
const listRecoveryCodeHashes = sql<Name, { codeHash: string }>(
  'list_admin_recovery_code_hashes',
  () => 'SELECT code_hash AS "codeHash" FROM admin_recovery_codes WHERE admin_name = @name',
);
const recordSignIn = sql<Name & { at: number }>('record_admin_sign_in', () => 'UPDATE admins SET last_sign_in_at = @at WHERE name = @name');
const insertSession = sql<AdminSessionRecord>(
  'insert_admin_session',
  () => `INSERT INTO admin_sessions (id_hash, admin_name, created_at, last_seen_at) VALUES (@idHash, @adminName, @createdAt, @lastSeenAt)`,
);
const getSession = sql<IdHash, AdminSessionRecord>(
  'get_admin_session',
  () => `SELECT ${SESSION_COLUMNS} FROM admin_sessions WHERE id_hash = @idHash`,
);
const touchSession = sql<IdHash & { at: number }>(
  'touch_admin_session',
  () => 'UPDATE admin_sessions SET last_seen_at = @at WHERE id_hash = @idHash AND last_seen_at < @at',
);
const deleteSession = sql<IdHash>('delete_admin_session', () => 'DELETE FROM admin_sessions WHERE id_hash = @idHash');
const purgeSessions = sql<{ idleBefore: number; createdBefore: number }>(
  'purge_admin_sessions',
  () => 'DELETE FROM admin_sessions WHERE last_seen_at < @idleBefore OR created_at < @createdBefore',
);

export function adminPart(x: Executor): AdminStore {
  /** Runs `steps` after counting and deleting the administrator's sessions, in one transaction; null when `required` changed no row. */
  const endingSessions = async (name: string, steps: ReturnType<typeof step>[]): Promise<number | null> => {
    const results = await x.batch([
      step(adminExists, { name }),
      step(countSessionsOf, { name }),
      step(deleteSessionsOf, { name }),
      ...steps,
    ]);
    if (results === null || results[0]?.rows.length === 0) return null;
    return (results[1]?.rows[0] as { count: number } | undefined)?.count ?? 0;
  };
  return {
    addAdmin: async (record, recoveryCodeHashes) =>
      (await x.batch([
        step(insertAdmin, record, true),
        ...recoveryCodeHashes.map((codeHash) => step(insertRecoveryCode, { name: record.name, codeHash })),
      ])) !== null,
    getAdmin: (name) => x.one(getAdmin, { name }),
    listAdmins: () => x.all(listAdmins, {}),
    removeAdmin: (name) => endingSessions(name, [step(deleteAdmin, { name }, true)]),
    resetAdmin: (name, reset) =>
      endingSessions(name, [
        ...(reset.passwordHash !== undefined ? [step(setPasswordHash, { name, passwordHash: reset.passwordHash }, true)] : []),
        ...(reset.totp !== undefined
          ? [
              step(setTotp, { name, totpSealed: reset.totp.sealed }, true),
              step(deleteRecoveryCodesOf, { name }),
              ...reset.totp.recoveryCodeHashes.map((codeHash) => step(insertRecoveryCode, { name, codeHash })),
            ]
          : []),
      ]),
    acceptTotpStep: async (name, totpStep) => (await x.run(acceptTotpStep, { name, step: totpStep })) > 0,
    useRecoveryCode: async (name, codeHash) => (await x.run(useRecoveryCode, { name, codeHash })) > 0,
    listRecoveryCodeHashes: async (name) => (await x.all(listRecoveryCodeHashes, { name })).map((row) => row.codeHash),
    recordAdminSignIn: async (name, at) => {
      await x.run(recordSignIn, { name, at });
    },
    createAdminSession: async (session) => {
      await x.run(insertSession, session);
    },
    getAdminSession: (idHash) => x.one(getSession, { idHash }),
    touchAdminSession: async (idHash, at) => {
      await x.run(touchSession, { idHash, at });
    },
    deleteAdminSession: async (idHash) => (await x.run(deleteSession, { idHash })) > 0,
    purgeAdminSessions: (idleBefore, createdBefore) => x.run(purgeSessions, { idleBefore, createdBefore }),
  };
}
