// Applications and their client certificates (protocol §4.2, §5.1–5.5), independent of SOAP.
import { randomUUID } from 'node:crypto';
import { SsoError } from './errors.js';
import type { ApplicationChanges, ApplicationRecord, CertificateRecord, UnitStep } from './store/index.js';
import type { AuditActor } from './audit.js';
import { publish } from './events.js';
import type { IssuedCertificate } from './ports/certificates.js';
import { requireSingleLine } from './identifiers.js';
import type { OperatorServices, Services } from './services.js';

export type ApplicationFields = Omit<ApplicationRecord, 'id' | 'createdAt'>;

function certificateRecord(applicationId: string, issued: IssuedCertificate): CertificateRecord {
  return {
    fingerprint: issued.fingerprint,
    applicationId,
    serial: issued.serial,
    issuedAt: issued.issuedAt,
    notAfter: issued.notAfter,
    firstUsedAt: null,
    retiredAt: null,
  };
}

const TEXT_FIELDS = ['name', 'displayName', 'version', 'capabilities'] as const;

/** The application's texts, which operators read in lists and the audit trail, are single lines of printable text. */
export function requireApplicationText(fields: Partial<Pick<ApplicationRecord, (typeof TEXT_FIELDS)[number]>>): void {
  for (const field of TEXT_FIELDS) {
    const value = fields[field];
    if (value !== undefined) requireSingleLine(field, value);
  }
}

/** registerApplication: the new id and the key+certificate string of protocol §5.1. */
export async function registerApplication(
  services: Services,
  fields: ApplicationFields,
  actor: AuditActor,
): Promise<{ id: string; pem: string }> {
  requireApplicationText(fields);
  const id = randomUUID();
  const issued = await services.ca.issueClientCertificate(id, services.settings.current().certValidityDays);
  await services.store.insertApplication({ id, createdAt: services.now(), ...fields }, certificateRecord(id, issued));
  services.log.info('application registered', { applicationId: id, name: fields.name, fingerprint: issued.fingerprint });
  await publish(services, { type: 'application.registered', actor, applicationId: id, name: fields.name, url: fields.url });
  await publish(services, { type: 'certificate.issued', actor, applicationId: id, fingerprint: issued.fingerprint, serial: issued.serial });
  return { id, pem: issued.pem };
}

export async function findApplication(services: OperatorServices, applicationId: string): Promise<ApplicationRecord> {
  const app = await services.store.getApplication(applicationId);
  if (app === null) throw new SsoError('noSuchApplication');
  return app;
}

/** protocol §5.2, §5.5: an application may only update or unregister itself. */
export async function requireSelf(services: Services, applicationId: string, callerId: string): Promise<void> {
  await findApplication(services, applicationId);
  if (applicationId !== callerId) throw new SsoError('permissionDenied', 'An application may only change itself.');
}

/** updateApplication: changes the given fields; with `newCertificate`, issues one (protocol §4.2 rotation). */
export async function updateApplication(
  services: Services,
  applicationId: string,
  changes: ApplicationChanges,
  newCertificate: boolean,
  actor: AuditActor,
): Promise<string | null> {
  requireApplicationText(changes);
  if (Object.keys(changes).length > 0) {
    if (!(await services.store.updateApplication(applicationId, changes))) throw new SsoError('noSuchApplication');
    // The url decides where the relay may send a session id: a change is a security event.
    await publish(services, {
      type: 'application.updated',
      actor,
      applicationId,
      fields: Object.keys(changes).sort(),
      url: changes.url ?? null,
    });
  }
  if (!newCertificate) return null;
  return (await issueCertificate(services, applicationId, actor)).pem;
}

/**
 * A new client certificate for the application (updateApplication with an empty certificate, and
 * the operator's re-issue). protocol §4.2: the current one keeps working until the new one is first used.
 */
export async function issueCertificate(services: Services, applicationId: string, actor: AuditActor): Promise<IssuedCertificate> {
  await findApplication(services, applicationId);
  const issued = await services.ca.issueClientCertificate(applicationId, services.settings.current().certValidityDays);
  await services.store.apply(certificateAddition(certificateRecord(applicationId, issued)));
  services.log.info('certificate issued', { applicationId, fingerprint: issued.fingerprint });
  await publish(services, { type: 'certificate.issued', actor, applicationId, fingerprint: issued.fingerprint, serial: issued.serial });
  return issued;
}

/**
 * Deletes the application with its certificates, its users and their sessions. The provider of a
 * group is kept while the group exists (its users are the group's; docs/groups.md): permissionDenied.
 */
export async function unregisterApplication(services: OperatorServices, applicationId: string, actor: AuditActor): Promise<void> {
  const membership = await services.store.groupOfApplication(applicationId);
  if (membership?.role === 'provider')
    throw new SsoError(
      'permissionDenied',
      `The application provides the users of group ${membership.groupName}; the group must be deleted first.`,
    );
  if (!(await services.store.deleteApplication(applicationId))) throw new SsoError('noSuchApplication');
  services.log.info('application unregistered', { applicationId });
  await publish(services, { type: 'application.unregistered', actor, applicationId });
}

/**
 * The caller behind a client certificate (docs/DECISIONS.md "Certificates"): its registered, unretired
 * certificate; the first use of a newly issued one retires the others (protocol §4.2). Null when the
 * certificate is not a current certificate of a registered application.
 */
export async function applicationOfCertificate(services: Services, fingerprint: string): Promise<string | null> {
  return applicationOfCertificateRecord(services, await services.store.findCertificate(fingerprint));
}

/** The same judgement of a certificate record already read (null: none with that fingerprint). */
export async function applicationOfCertificateRecord(services: Services, cert: CertificateRecord | null): Promise<string | null> {
  const now = services.now();
  if (cert === null || cert.retiredAt !== null || cert.notAfter <= now) return null;
  if (cert.firstUsedAt === null) {
    if (!(await services.store.apply(certificateActivation(cert, now)))) return null;
    services.log.info('certificate activated', { applicationId: cert.applicationId, fingerprint: cert.fingerprint });
    await publish(services, {
      type: 'certificate.activated',
      actor: `application:${cert.applicationId}`,
      applicationId: cert.applicationId,
      fingerprint: cert.fingerprint,
    });
  }
  return cert.applicationId;
}

/** The ids of all registered applications (protocol §5.3). */
export function listApplicationIds(services: OperatorServices): Promise<string[]> {
  return services.store.listApplicationIds();
}

/**
 * protocol §4.2 rotation, when a certificate is added: the application's certificates that were
 * issued but never used are retired (only the newest pending one may take over); the one in use
 * stays valid until the new one is first used. One unit, so no request sees both pending.
 */
export function certificateAddition(cert: CertificateRecord): UnitStep[] {
  return [
    { write: 'retireCertificates', applicationId: cert.applicationId, at: cert.issuedAt, which: { neverUsed: true } },
    { write: 'insertCertificate', certificate: cert },
  ];
}

/**
 * protocol §4.2, the first use of a certificate: it is marked used and every other certificate of
 * its application is retired, in one unit that stands only if the certificate was not retired
 * first, so a race between old and new certificates has one outcome.
 */
export function certificateActivation(cert: CertificateRecord, now: number): UnitStep[] {
  const { applicationId, fingerprint } = cert;
  return [
    { write: 'useCertificate', applicationId, fingerprint, at: now, required: true },
    { write: 'retireCertificates', applicationId, at: now, which: { except: fingerprint } },
  ];
}
