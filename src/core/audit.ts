// The audit trail (Secrets and audit): one record per security event, kept in the store
// with its time, actor, target and outcome. Events are recorded by the domain functions, so a SOAP
// operation and an operator command that do the same thing leave the same record.
//
// A record never holds a secret: no password, digest, token, session id, cookie value or key. The
// detail names only what is safe to show an operator (a login, a base URL, a fingerprint).
import type { Services } from './services.js';

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
  'authentication.succeeded',
  /** Outcome: the reason (wrongPassword, unknownUser, locked, disabled, passwordTooLong, permissionDenied). */
  'authentication.failed',
  'session.ended',
  'lock.set',
  'lock.cleared',
  'settings.changed',
] as const;

export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];

/** Who did it: an application by its id, a caller without a certificate, or an operator command. */
export type AuditActor = 'guest' | 'operator' | `application:${string}`;

export type AuditDetail = Readonly<Record<string, string | number | boolean | null>>;

export interface AuditEntry {
  readonly type: AuditEventType;
  readonly actor: AuditActor;
  /** What it was done to: `user:<id>`, `application:<id>`, `login:<login key>`, `source:<…>`, `setting:<name>`. */
  readonly target: string;
  /** `ok` (the default) or the reason it failed. */
  readonly outcome?: string;
  readonly detail?: AuditDetail;
}

/** What recording needs: an operator command has a store and a clock but no running server. */
export type AuditContext = Pick<Services, 'store' | 'now' | 'log'>;

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

/**
 * Records one event. Never throws: the change it describes has already happened, so a failing
 * store (a full disk) must not turn it into an error for the caller; the failure is logged instead.
 */
export async function recordAudit(context: AuditContext, entry: AuditEntry): Promise<void> {
  observer?.(entry);
  const detail: Record<string, string | number | boolean | null> = {};
  for (const [name, value] of Object.entries(entry.detail ?? {})) {
    if (SECRET_FIELD.test(name)) context.log.error('audit detail field dropped: its name says it holds a secret', { type: entry.type, field: name });
    else detail[name] = value;
  }
  try {
    await context.store.appendAudit({ at: context.now(), type: entry.type, actor: entry.actor, target: entry.target, outcome: entry.outcome ?? 'ok', detail });
  } catch (error) {
    context.log.error('audit event not recorded', { type: entry.type, target: entry.target, error: error instanceof Error ? error.message : String(error) });
  }
}

/** Records `settings.changed` for each setting whose value changed (an operator's word, however given). */
export async function recordSettingChanges(context: AuditContext, changes: readonly { name: string; from: string; to: string }[]): Promise<void> {
  for (const change of changes) {
    if (change.from !== change.to) await recordAudit(context, { type: 'settings.changed', actor: 'operator', target: `setting:${change.name}`, detail: { from: change.from, to: change.to } });
  }
}

/** Deletes the events older than the retention setting; the server calls it periodically. */
export async function trimAudit(services: Pick<Services, 'store' | 'now' | 'settings'>): Promise<number> {
  return services.store.trimAudit(services.now() - services.settings.current().auditRetentionDays * 86_400_000);
}
