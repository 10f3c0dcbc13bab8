// Applications and their certificates (protocol §4.2, §5.1–5.5): the statements, once for every
// engine, and the store's part on top of them.
import { APPLICATION_COLUMNS, CERTIFICATE_COLUMNS, UPDATABLE_APPLICATION_COLUMNS } from '../columns.js';
import { step, type BatchStep, type Executor } from '../executor.js';
import { sql } from '../sql/statement.js';
import type {
  ApplicationChanges,
  ApplicationRecord,
  ApplicationStore,
  CertificateRecord,
  CertificateWrite,
} from '../../../core/store/index.js';

type Id = { readonly id: string };
type Flags = Record<string, string | number | null>;

export const insertApplication = sql<ApplicationRecord>(
  'insert_application',
  () => `INSERT INTO applications
  (id, name, display_name, version, capabilities, url, restore_password_url, change_password_url, created_at)
  VALUES (@id, @name, @displayName, @version, @capabilities, @url, @restorePasswordUrl, @changePasswordUrl, @createdAt)`,
);
const getApplication = sql<Id, ApplicationRecord>(
  'get_application',
  () => `SELECT ${APPLICATION_COLUMNS} FROM applications WHERE id = @id`,
);
const listApplicationIds = sql<object, Id>(
  'list_application_ids',
  (d) => `SELECT id FROM applications ORDER BY created_at, ${d.bytewise('id')}`,
);
const listApplications = sql<object, ApplicationRecord>(
  'list_applications',
  (d) => `SELECT ${APPLICATION_COLUMNS} FROM applications ORDER BY created_at, ${d.bytewise('id')}`,
);
/** One statement for every partial change: a column keeps its value unless its `has_` flag is 1. */
const updateApplication = sql<Flags>(
  'update_application',
  () =>
    `UPDATE applications SET ${UPDATABLE_APPLICATION_COLUMNS.map(
      ([field, column]) => `${column} = CASE WHEN @has_${field}::integer = 1 THEN @${field}::text ELSE ${column} END`,
    ).join(', ')} WHERE id = @id`,
);
const deleteApplication = sql<Id>('delete_application', () => 'DELETE FROM applications WHERE id = @id');
const hasApplicationUrl = sql<{ url: string }, { found: number }>(
  'has_application_url',
  () => 'SELECT CASE WHEN EXISTS (SELECT 1 FROM applications WHERE url = @url) THEN 1 ELSE 0 END AS found',
);
/** Orders the certificate changes of one application across nodes (a no-op read on SQLite, whose writers run one at a time). */
export const lockApplication = sql<Id>('lock_application', (d) => `SELECT 1 AS locked FROM applications WHERE id = @id${d.forUpdate}`);

export const insertCertificate = sql<CertificateRecord>(
  'insert_certificate',
  () => `INSERT INTO certificates
  (fingerprint, application_id, serial, issued_at, not_after, first_used_at, retired_at)
  VALUES (@fingerprint, @applicationId, @serial, @issuedAt, @notAfter, @firstUsedAt, @retiredAt)`,
);
const findCertificate = sql<{ fingerprint: string }, CertificateRecord>(
  'find_certificate',
  () => `SELECT ${CERTIFICATE_COLUMNS} FROM certificates WHERE fingerprint = @fingerprint`,
);
const listCertificates = sql<{ applicationId: string }, CertificateRecord>(
  'list_certificates',
  (d) =>
    `SELECT ${CERTIFICATE_COLUMNS} FROM certificates WHERE application_id = @applicationId ORDER BY issued_at, ${d.bytewise('fingerprint')}`,
);
const retireNeverUsedCertificates = sql<{ applicationId: string; at: number }>(
  'retire_never_used_certificates',
  () => 'UPDATE certificates SET retired_at = @at WHERE application_id = @applicationId AND first_used_at IS NULL AND retired_at IS NULL',
);
const retireOtherCertificates = sql<{ applicationId: string; at: number; except: string }>(
  'retire_other_certificates',
  () => 'UPDATE certificates SET retired_at = @at WHERE application_id = @applicationId AND fingerprint <> @except AND retired_at IS NULL',
);
const useCertificate = sql<{ fingerprint: string; at: number }>(
  'use_certificate',
  () => 'UPDATE certificates SET first_used_at = COALESCE(first_used_at, @at) WHERE fingerprint = @fingerprint AND retired_at IS NULL',
);

function updateApplicationParams(id: string, changes: ApplicationChanges): Flags {
  const params: Flags = { id };
  for (const [field] of UPDATABLE_APPLICATION_COLUMNS) {
    const value = changes[field];
    params[`has_${field}`] = value === undefined ? 0 : 1;
    params[field] = value ?? null;
  }
  return params;
}

/** The statements of a certificate write of a unit of work, after the lock on its application. */
export function certificateSteps(write: CertificateWrite, required: boolean): BatchStep[] {
  switch (write.write) {
    case 'insertCertificate':
      return [step(lockApplication, { id: write.certificate.applicationId }), step(insertCertificate, write.certificate, required)];
    case 'retireCertificates': {
      const { applicationId, at, which } = write;
      const retire =
        'except' in which
          ? step(retireOtherCertificates, { applicationId, at, except: which.except }, required)
          : step(retireNeverUsedCertificates, { applicationId, at }, required);
      return [step(lockApplication, { id: applicationId }), retire];
    }
    case 'useCertificate':
      return [
        step(lockApplication, { id: write.applicationId }),
        step(useCertificate, { fingerprint: write.fingerprint, at: write.at }, required),
      ];
  }
}

export function applicationPart(x: Executor): ApplicationStore {
  return {
    async insertApplication(app, cert) {
      await x.batch([step(insertApplication, app), step(insertCertificate, cert)]);
    },
    getApplication: (id) => x.one(getApplication, { id }),
    listApplicationIds: async () => (await x.all(listApplicationIds, {})).map((row) => row.id),
    listApplications: () => x.all(listApplications, {}),
    updateApplication: async (id, changes) => (await x.run(updateApplication, updateApplicationParams(id, changes))) > 0,
    // One statement: the foreign keys cascade to certificates, users and their sessions.
    deleteApplication: async (id) => (await x.run(deleteApplication, { id })) > 0,
    hasApplicationUrl: async (url) => (await x.one(hasApplicationUrl, { url }))?.found === 1,
    findCertificate: (fingerprint) => x.one(findCertificate, { fingerprint }),
    listCertificates: (applicationId) => x.all(listCertificates, { applicationId }),
  };
}
