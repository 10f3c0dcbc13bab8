// What an operator looks at and does with the registered applications and their client
// certificates (protocol §4.2, §5.1–5.5). Issuing and unregistering are the core's own (core/applications.ts).
import { unregisterApplication } from '../applications.js';
import type { AuditActor } from '../audit.js';
import { Refusal } from '../refusal.js';
import type { OperatorServices } from '../services.js';
import { sessionCutoff } from '../sessions.js';
import type { ApplicationRecord, CertificateRecord } from '../store/index.js';

export type CertificateState = 'in use' | 'pending' | 'retired' | 'expired';

/** protocol §4.2: a new certificate is pending until its first use, which retires the one in use. */
export function certificateState(cert: CertificateRecord, now: number): CertificateState {
  if (cert.retiredAt !== null) return 'retired';
  if (cert.notAfter <= now) return 'expired';
  return cert.firstUsedAt === null ? 'pending' : 'in use';
}

/** The certificate that identifies the application now: the one in use, else the newest valid pending one. */
function currentCertificate(certs: readonly CertificateRecord[], now: number): CertificateRecord | undefined {
  const valid = certs.filter((cert) => certificateState(cert, now) === 'in use' || certificateState(cert, now) === 'pending');
  return valid.find((cert) => cert.firstUsedAt !== null) ?? valid.at(-1);
}

/** What an application id looks like (a lower-case UUID): anything else names no application. */
const APPLICATION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The application with this id; null when none is registered (or the text is no id: the store never sees it). */
export async function findApplicationById(services: Pick<OperatorServices, 'store'>, id: string): Promise<ApplicationRecord | null> {
  if (!APPLICATION_ID.test(id)) return null;
  return services.store.getApplication(id);
}

/** How many users the application owns. */
export async function countOwnedUsers(services: Pick<OperatorServices, 'store'>, applicationId: string): Promise<number> {
  return (await services.store.listUserIds(applicationId)).length;
}

export interface ApplicationSummary {
  readonly application: ApplicationRecord;
  readonly users: number;
  /** The certificate that identifies it now; null when it has no valid one. */
  readonly current: CertificateRecord | null;
}

/** Every registered application with the users it owns and its current certificate. */
export async function listApplications(services: Pick<OperatorServices, 'store' | 'now'>): Promise<ApplicationSummary[]> {
  const now = services.now();
  const summaries: ApplicationSummary[] = [];
  for (const application of await services.store.listApplications()) {
    const current = currentCertificate(await services.store.listCertificates(application.id), now);
    summaries.push({ application, users: await countOwnedUsers(services, application.id), current: current ?? null });
  }
  return summaries;
}

export interface ApplicationDetails {
  readonly application: ApplicationRecord;
  readonly users: number;
  /** In order of issue, each with its state now. */
  readonly certificates: readonly (CertificateRecord & { readonly state: CertificateState })[];
}

/** An application with its certificates and the users it owns. */
export async function applicationDetails(
  services: Pick<OperatorServices, 'store' | 'now'>,
  application: ApplicationRecord,
): Promise<ApplicationDetails> {
  const now = services.now();
  const certificates = (await services.store.listCertificates(application.id)).map((cert) => ({
    ...cert,
    state: certificateState(cert, now),
  }));
  return { application, users: await countOwnedUsers(services, application.id), certificates };
}

/** What unregistering did, or that it was not done because the application owns users and `force` was not given. */
export type Unregistering =
  { readonly unregistered: true; readonly usersDeleted: number } | { readonly unregistered: false; readonly ownedUsers: number };

/** A Refusal when the application may not be unregistered now: it provides the users of a group (docs/groups.md). */
export async function requireUnregistrable(services: Pick<OperatorServices, 'store'>, application: ApplicationRecord): Promise<void> {
  const membership = await services.store.groupOfApplication(application.id);
  if (membership?.role === 'provider')
    throw new Refusal(
      `application ${application.name} provides the users of group ${membership.groupName}; delete the group first (ssod groups delete ${membership.groupName})`,
    );
}

/** What unregistering would take with it, for a confirmation: the users it owns and their live sessions, and the live sessions that reached it. */
export interface UnregisterFigures {
  readonly users: number;
  /** Live sessions of the users it owns: they end with their users. */
  readonly userSessions: number;
  /** Live sessions that reached its address (of any user): they lose their local session with it. */
  readonly reachedSessions: number;
}

export async function unregisterFigures(
  services: Pick<OperatorServices, 'store' | 'settings' | 'now'>,
  application: ApplicationRecord,
): Promise<UnregisterFigures> {
  const cutoff = sessionCutoff(services, services.now());
  const userIds = await services.store.listUserIds(application.id);
  let userSessions = 0;
  for (const userId of userIds) userSessions += await services.store.countSessions({ userId, ...cutoff });
  const reachedSessions = application.url === null ? 0 : await services.store.countSessions({ baseUrl: application.url, ...cutoff });
  return { users: userIds.length, userSessions, reachedSessions };
}

/** Unregisters the application with its certificates, users and their sessions; one that owns users only with `force`. */
export async function unregisterApplicationAsOperator(
  services: OperatorServices,
  application: ApplicationRecord,
  force: boolean,
  actor: AuditActor = 'operator',
): Promise<Unregistering> {
  await requireUnregistrable(services, application);
  const users = await countOwnedUsers(services, application.id);
  if (users > 0 && !force) return { unregistered: false, ownedUsers: users };
  await unregisterApplication(services, application.id, actor);
  return { unregistered: true, usersDeleted: users };
}
