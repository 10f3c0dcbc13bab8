// The audit trail (Secrets and audit): one record per security event, kept in the store
// with its time, actor, target and outcome. It is the first subscriber of the domain events
// (core/events.ts): a core function publishes what happened, and the trail records the events it
// keeps, so a SOAP operation and an operator command that do the same thing leave the same record.
//
// A record never holds a secret: no password, digest, token, session id, cookie value or key. The
// detail names only what is safe to show an operator (a login, a base URL, a fingerprint).
import type { Actor, DomainEvent, EventContext, EventOf, EventType, StoredEvent } from './events.js';
import type { Services } from './services.js';
import type { AuditEvent } from './store/index.js';

/** Every kind of event the trail records. */
export const AUDIT_EVENT_TYPES = [
  'application.registered',
  'application.updated',
  'application.unregistered',
  'certificate.issued',
  /** The first use of a new certificate, which retires the application's others (protocol §4.2 rotation). */
  'certificate.activated',
  'user.created',
  'user.deleted',
  'user.loginChanged',
  'user.passwordChanged',
  /** changePassword refused: outcome wrongPassword, locked, passwordTooLong or changedMeanwhile. */
  'user.passwordChangeFailed',
  'user.ownershipTransferred',
  'user.disabled',
  'user.enabled',
  /** A user's password source changed (single sign-on on or off). */
  'user.singleSignOnChanged',
  'authentication.succeeded',
  /** Outcome: the reason (wrongPassword, unknownUser, locked, disabled, passwordTooLong, permissionDenied, sourceRejected, sourceUnavailable, sourceMalformed). */
  'authentication.failed',
  'session.ended',
  'lock.set',
  'lock.cleared',
  'settings.changed',
  'source.added',
  'source.removed',
  'idp.added',
  'idp.updated',
  'idp.removed',
  'user.federatedIdLinked',
  'user.federatedIdUnlinked',
  'ticketKey.rotated',
  'ticketKey.revoked',
  'receiver.added',
  'receiver.removed',
  'group.created',
  'group.memberAdded',
  'group.memberRemoved',
  'group.deleted',
  /** A receiver of logon tickets never took a logout token (docs/tickets.md "Logout"). */
  'receiver.logoutFailed',
  /** An application registered or removed its On Session Start callback (docs/groups.md). */
  'application.sessionStartCallbackChanged',
  /** An On Session Start callback failed: outcome `failed` (policy continue) or `refused` (policy fail). */
  'session.startCallbackFailed',
  /** The admin console's administrators (docs/admin-console.md): added, removed, reset, signed in and out, failed sign-ins. */
  'admin.added',
  'admin.removed',
  'admin.reset',
  'admin.signedIn',
  'admin.signInFailed',
  'admin.signedOut',
] as const;

export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];

/** Who did it (core/events.ts Actor). */
export type AuditActor = Actor;

export type AuditDetail = Readonly<Record<string, string | number | boolean | null>>;

export interface AuditEntry {
  readonly type: AuditEventType;
  readonly actor: AuditActor;
  /** What it was done to: `user:<id>`, `application:<id>`, `login:<login key>`, `source:<…>`, `setting:<name>`, `delegatedSource:<name>`, `identityProvider:<name>`, `ticketKey:<kid>`, `receiver:<name>`. */
  readonly target: string;
  /** `ok` (the default) or the reason it failed. */
  readonly outcome?: string;
  readonly detail?: AuditDetail;
}

/** What recording needs: an operator command has a store and a clock but no running server. */
export type AuditContext = EventContext;

// Defence in depth: a detail field whose name says it holds a secret is dropped, never stored.
const SECRET_FIELD = /pass(word)?|digest|token|secret|cookie|session_?id|private|pem/i;

export function isAuditEventType(value: string): value is AuditEventType {
  return (AUDIT_EVENT_TYPES as readonly string[]).includes(value);
}

/** The actor of a SOAP caller: its application, or `guest` without a certificate. */
export function actorOf(applicationId: string | null | undefined): AuditActor {
  return applicationId === null || applicationId === undefined ? 'guest' : `application:${applicationId}`;
}

let observer: ((entry: AuditEntry) => void) | null = null;

/** Lets the server count events as they happen (adapters/http/metrics.ts: sign-ins, locks); one observer per process. */
export function observeAudit(listener: ((entry: AuditEntry) => void) | null): void {
  observer = listener;
}

/** An event that is counted (the metrics) but not kept in the trail: a refusal while locked, which the lock counts. */
export function observeOnly(entry: AuditEntry): void {
  observer?.(entry);
}

/** What the trail keeps of an event of type T: its target, outcome (`ok` when absent) and detail. */
type Kept<T extends EventType> = (event: EventOf<T>) => {
  readonly target: string;
  readonly outcome?: string;
  readonly detail?: AuditDetail;
};

const user = (event: { readonly userId: string }): string => `user:${event.userId}`;
const application = (event: { readonly applicationId: string }): string => `application:${event.applicationId}`;
const signIn = (event: EventOf<'authentication.succeeded'>): AuditDetail => ({
  method: event.method,
  address: event.address,
  ...(event.login !== undefined ? { login: event.login } : {}),
  ...(event.baseUrl !== undefined ? { baseUrl: event.baseUrl } : {}),
  ...(event.idp !== undefined ? { idp: event.idp } : {}),
  ...(event.attributes !== undefined ? { attributes: event.attributes } : {}),
});

/**
 * The events the trail keeps, each as its record. A session's start and an application joining it
 * are not kept: the sign-in that started it is (authentication.succeeded with its baseUrl).
 */
const KEPT: { readonly [T in AuditEventType]: Kept<T> } = {
  'application.registered': (e) => ({
    target: application(e),
    detail: { name: e.name, url: e.url, ...(e.imported ? { imported: true } : {}) },
  }),
  'application.updated': (e) => ({ target: application(e), detail: { fields: e.fields.join(','), url: e.url } }),
  'application.unregistered': (e) => ({ target: application(e) }),
  'certificate.issued': (e) => ({ target: application(e), detail: { fingerprint: e.fingerprint, serial: e.serial } }),
  'certificate.activated': (e) => ({ target: application(e), detail: { fingerprint: e.fingerprint } }),
  'user.created': (e) => ({
    target: user(e),
    detail: {
      login: e.login,
      ownerId: e.ownerId,
      ...(e.duplicateOf !== undefined ? { duplicateOf: e.duplicateOf } : {}),
      ...(e.imported ? { imported: true } : {}),
    },
  }),
  'user.deleted': (e) => ({ target: user(e), detail: { login: e.login } }),
  'user.loginChanged': (e) => ({ target: user(e), detail: { from: e.from, to: e.to } }),
  'user.passwordChanged': (e) => ({ target: user(e), detail: { login: e.login } }),
  'user.passwordChangeFailed': (e) => ({ target: user(e), outcome: e.outcome, detail: { login: e.login, address: e.address } }),
  'user.ownershipTransferred': (e) => ({ target: user(e), detail: { from: e.from, to: e.to } }),
  'user.disabled': (e) => ({ target: user(e), detail: { login: e.login } }),
  'user.enabled': (e) => ({ target: user(e), detail: { login: e.login } }),
  'user.singleSignOnChanged': (e) => ({ target: user(e), detail: { login: e.login, from: e.from ?? 'local', to: e.to ?? 'local' } }),
  'authentication.succeeded': (e) => ({ target: e.subject, detail: signIn(e) }),
  'authentication.failed': (e) => ({
    target: e.subject,
    outcome: e.outcome,
    detail: {
      ...signIn({ ...e, type: 'authentication.succeeded' }),
      ...(e.source !== undefined ? { source: e.source } : {}),
      ...(e.sourceDetail !== undefined ? { sourceDetail: e.sourceDetail } : {}),
    },
  }),
  'session.ended': (e) => ({
    target: user(e),
    detail: {
      ...(e.baseUrl !== undefined ? { baseUrl: e.baseUrl } : {}),
      reason: e.reason,
      ...(e.sessions !== undefined ? { sessions: e.sessions } : {}),
    },
  }),
  'lock.set': (e) => ({ target: e.key, detail: { failures: e.failures, until: new Date(e.until).toISOString() } }),
  'lock.cleared': (e) => ({ target: e.key }),
  'settings.changed': (e) => ({ target: `setting:${e.name}`, detail: { from: e.from, to: e.to } }),
  'source.added': (e) => ({
    target: `delegatedSource:${e.name}`,
    detail: { kind: e.kind, url: e.url, ...(e.replaced ? { replaced: true } : {}), ...(e.imported ? { imported: true } : {}) },
  }),
  'source.removed': (e) => ({ target: `delegatedSource:${e.name}` }),
  'idp.added': (e) => ({
    target: `identityProvider:${e.name}`,
    detail: { issuer: e.issuer, signInUrl: e.signInUrl, certificates: e.certificates.join(','), ...(e.imported ? { imported: true } : {}) },
  }),
  'idp.updated': (e) => ({
    target: `identityProvider:${e.name}`,
    detail: { fields: e.fields.join(','), ...(e.certificates !== undefined ? { certificates: e.certificates.join(',') } : {}) },
  }),
  'idp.removed': (e) => ({ target: `identityProvider:${e.name}`, detail: { links: e.links } }),
  'user.federatedIdLinked': (e) => ({
    target: user(e),
    detail: { login: e.login, idp: e.idpName, federatedId: e.federatedId, ...(e.imported ? { imported: true } : {}) },
  }),
  'user.federatedIdUnlinked': (e) => ({ target: user(e), detail: { login: e.login, idp: e.idpName, federatedId: e.federatedId } }),
  'ticketKey.rotated': (e) => ({
    target: `ticketKey:${e.kid}`,
    detail: { signsFrom: new Date(e.signsFrom).toISOString(), ...(e.first ? { first: true } : {}) },
  }),
  'ticketKey.revoked': (e) => ({ target: `ticketKey:${e.kid}` }),
  'receiver.added': (e) => ({ target: `receiver:${e.name}`, detail: { domain: e.domain, url: e.url } }),
  'receiver.removed': (e) => ({ target: `receiver:${e.name}` }),
  'group.created': (e) => ({
    target: `group:${e.name}`,
    detail: { providerId: e.providerId, ...(e.imported ? { imported: true } : {}) },
  }),
  'group.memberAdded': (e) => ({
    target: `group:${e.name}`,
    detail: {
      applicationId: e.applicationId,
      usersTransferred: e.usersTransferred,
      ...(e.imported ? { imported: true } : {}),
    },
  }),
  'group.memberRemoved': (e) => ({ target: `group:${e.name}`, detail: { applicationId: e.applicationId } }),
  'group.deleted': (e) => ({ target: `group:${e.name}`, detail: { sessions: e.sessions, members: e.members } }),
  'receiver.logoutFailed': (e) => ({
    target: `receiver:${e.name}`,
    outcome: 'notDelivered',
    detail: { domain: e.domain, userId: e.userId, sid: e.sid, tries: e.tries, reason: e.reason },
  }),
  'application.sessionStartCallbackChanged': (e) => ({ target: application(e), detail: { url: e.url, policy: e.policy } }),
  'session.startCallbackFailed': (e) => ({
    target: application(e),
    outcome: e.policy === 'fail' ? 'refused' : 'failed',
    detail: { userId: e.userId, sid: e.globalId, order: e.order, policy: e.policy, reason: e.reason },
  }),
  'admin.added': (e) => ({ target: `admin:${e.name}` }),
  'admin.removed': (e) => ({ target: `admin:${e.name}`, detail: { sessions: e.sessions } }),
  'admin.reset': (e) => ({ target: `admin:${e.name}`, detail: { replaced: e.replaced.join(','), sessions: e.sessions } }),
  'admin.signedIn': (e) => ({
    target: `admin:${e.name}`,
    detail: { address: e.address, factor: e.factor, recoveryCodesLeft: e.recoveryCodesLeft },
  }),
  'admin.signInFailed': (e) => ({ target: `admin:${e.name}`, outcome: e.outcome, detail: { address: e.address } }),
  'admin.signedOut': (e) => ({ target: `admin:${e.name}` }),
};

/** The trail's record of an event, or null for an event the trail does not keep. */
export function auditEntryOf(event: DomainEvent): AuditEntry | null {
  if (!isAuditEventType(event.type)) return null;
  const keep = KEPT[event.type] as Kept<AuditEventType>;
  const kept = keep(event as EventOf<AuditEventType>);
  return {
    type: event.type,
    actor: event.actor,
    target: kept.target,
    ...(kept.outcome !== undefined ? { outcome: kept.outcome } : {}),
    ...(kept.detail !== undefined ? { detail: kept.detail } : {}),
  };
}

/** The record the trail keeps of an entry at `at`, without a detail field whose name says it holds a secret. */
export function auditRecordOf(context: Pick<AuditContext, 'log'>, entry: AuditEntry, at: number): AuditEvent {
  const detail: Record<string, string | number | boolean | null> = {};
  for (const [name, value] of Object.entries(entry.detail ?? {})) {
    if (SECRET_FIELD.test(name))
      context.log.error('audit detail field dropped: its name says it holds a secret', { type: entry.type, field: name });
    else detail[name] = value;
  }
  return { at, type: entry.type, actor: entry.actor, target: entry.target, outcome: entry.outcome ?? 'ok', detail };
}

/** Counts an entry that reached the trail for the metrics (publish writes it together with its event). */
export function countAudit(entry: AuditEntry): void {
  observer?.(entry);
}

/** Appends the record; once per outbox event. */
async function append(context: AuditContext, entry: AuditEntry, eventId: number | null, at: number): Promise<void> {
  const record = auditRecordOf(context, entry, at);
  if (eventId === null) await context.store.appendAudit(record);
  else await context.store.appendAuditOfEvent(eventId, record);
}

/**
 * Writes one record of the trail (of the outbox event `eventId`, when it has one), counted by the
 * observer. Never throws: the change it describes has already happened, so a failing store (a full
 * disk) must not turn it into an error for the caller; the failure is logged instead.
 */
export async function recordAudit(
  context: AuditContext,
  entry: AuditEntry,
  eventId: number | null = null,
  at = context.now(),
): Promise<void> {
  observer?.(entry);
  try {
    await append(context, entry, eventId, at);
  } catch (error) {
    context.log.error('audit event not recorded', {
      type: entry.type,
      target: entry.target,
      error: error instanceof Error ? error.message : String(error),
    });
  }
}

/** The dispatcher's delivery to the trail: catches up a record that publish could not write with its event. */
export async function deliverToTrail(context: AuditContext, stored: StoredEvent): Promise<void> {
  const entry = auditEntryOf(stored.event);
  if (entry !== null) await append(context, entry, stored.id, stored.at);
}

/** The trail as a subscriber of the outbox (core/outbox.ts): it catches up every event from the oldest kept. */
export const auditTrail = {
  name: 'audit',
  startAtEnd: false,
  deliver: (context: AuditContext, stored: StoredEvent): Promise<void> => deliverToTrail(context, stored),
} as const;

/** Deletes the events older than the retention setting; the server calls it periodically. */
export async function trimAudit(services: Pick<Services, 'store' | 'now' | 'settings'>): Promise<number> {
  return services.store.trimAudit(services.now() - services.settings.current().auditRetentionDays * 86_400_000);
}
