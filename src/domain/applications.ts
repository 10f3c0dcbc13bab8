// Applications and their client certificates (003 §4.2, §5.1–5.5), independent of SOAP.
import { randomUUID } from 'node:crypto';
import { ProtocolFault } from '../faults.js';
import type { ApplicationChanges, ApplicationRecord, CertificateRecord } from '../store/types.js';
import type { IssuedCertificate } from './ca.js';
import type { Services } from './services.js';

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

/** registerApplication: the new id and the key+certificate string of 003 §5.1. */
export async function registerApplication(services: Services, fields: ApplicationFields): Promise<{ id: string; pem: string }> {
  const id = randomUUID();
  const issued = await services.ca.issueClientCertificate(id, services.options.certValidityDays);
  await services.store.insertApplication({ id, createdAt: services.now(), ...fields }, certificateRecord(id, issued));
  services.log.info('application registered', { applicationId: id, name: fields.name, fingerprint: issued.fingerprint });
  return { id, pem: issued.pem };
}

export async function findApplication(services: Services, applicationId: string): Promise<ApplicationRecord> {
  const app = await services.store.getApplication(applicationId);
  if (app === null) throw new ProtocolFault('noSuchApplication');
  return app;
}

/** 003 §5.2, §5.5: an application may only update or unregister itself. */
export async function requireSelf(services: Services, applicationId: string, callerId: string): Promise<void> {
  await findApplication(services, applicationId);
  if (applicationId !== callerId) throw new ProtocolFault('permissionDenied', 'An application may only change itself.');
}

/** updateApplication: changes the given fields; with `newCertificate`, issues one (003 §4.2 rotation). */
export async function updateApplication(
  services: Services,
  applicationId: string,
  changes: ApplicationChanges,
  newCertificate: boolean,
): Promise<string | null> {
  if (Object.keys(changes).length > 0 && !(await services.store.updateApplication(applicationId, changes))) {
    throw new ProtocolFault('noSuchApplication');
  }
  if (!newCertificate) return null;
  const issued = await services.ca.issueClientCertificate(applicationId, services.options.certValidityDays);
  await services.store.addCertificate(certificateRecord(applicationId, issued));
  services.log.info('certificate issued', { applicationId, fingerprint: issued.fingerprint });
  return issued.pem;
}

export async function unregisterApplication(services: Services, applicationId: string): Promise<void> {
  if (!(await services.store.deleteApplication(applicationId))) throw new ProtocolFault('noSuchApplication');
  services.log.info('application unregistered', { applicationId });
}

/**
 * The caller behind a client certificate (DESIGN.md "Certificates"): its registered, unretired
 * certificate; the first use of a newly issued one retires the others (003 §4.2). Null when the
 * certificate is not a current certificate of a registered application.
 */
export async function applicationOfCertificate(services: Services, fingerprint: string): Promise<string | null> {
  const cert = await services.store.findCertificate(fingerprint);
  const now = services.now();
  if (cert === null || cert.retiredAt !== null || cert.notAfter <= now) return null;
  if (cert.firstUsedAt === null) {
    if (!(await services.store.activateCertificate(fingerprint, now))) return null;
    services.log.info('certificate activated', { applicationId: cert.applicationId, fingerprint });
  }
  return cert.applicationId;
}
