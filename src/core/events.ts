// Domain events (docs/DECISIONS.md "Domain events and the outbox"): what happened, said once by the
// core function that made it happen, for whoever needs to know: the audit trail today; session-start
// callbacks and back-channel logout later. An event names what changed and who did it, never a
// secret (no password, digest, token, session id, cookie value or key).
//
// publish() appends the event to the outbox in the store, then delivers it to the audit trail at once,
// so that the record is there when the call that caused it returns. The outbox dispatcher
// (core/outbox.ts) delivers every event, in order and at least once, to each subscriber, the
// audit trail included, which so catches up what a crash between the two steps left.
import { auditEntryOf, auditRecordOf, countAudit, recordAudit } from './audit.js';
import type { Services } from './services.js';

/** Who did it: an application by its id, a caller without a certificate, an operator command, or an administrator in the admin console. */
export type Actor = 'guest' | 'operator' | `application:${string}` | `admin:${string}`;

/**
 * How a sign-in was checked: a password, the owner application vouching for its user (protocol §5.17),
 * the organization's authentication service vouching for its session (pass-through, docs/federation/pass-through.md),
 * or an identity provider's signed assertion (SAML, docs/federation/saml.md).
 */
export type SignInMethod = 'password' | 'owner' | 'passThrough' | 'saml';

/** Why a global session ended. */
export type SessionEndReason =
  | 'closeSession'
  | 'declinedAtRelay'
  | 'endSession'
  | 'endUserSessions'
  /** An operator ended every session that reached an application. */
  | 'endApplicationSessions'
  | 'passwordChanged'
  | 'groupDeleted'
  /** A callback of the provider or the starting application failed under the policy fail (docs/groups.md). */
  | 'startCallbackFailed';

/** What a sign-in attempt says of itself: the caller's address as counted (core/throttle.ts), the login when known. */
interface SignInFacts {
  /** `user:<id>` for a known user, else the counter it was counted under (`login:<login key>`, `user:<id>`). */
  readonly subject: string;
  readonly userId: string | null;
  readonly method: SignInMethod;
  readonly address: string;
  readonly login?: string;
  /** The base URL a session was asked for. */
  readonly baseUrl?: string;
  /** The identity provider of a SAML sign-in. */
  readonly idp?: string;
  /** The attributes of a SAML assertion, as JSON (kept in the audit record until sessions carry variables). */
  readonly attributes?: string;
}

/** Every event, by type, with what it carries besides its type and actor. */
export interface EventPayloads {
  /** A global session started: through a relay token (authenticate with a baseUrl), or bound to a browser at once. */
  'session.started': {
    readonly userId: string;
    readonly globalId: string;
    readonly via: 'relayToken' | 'browser';
    readonly baseUrl: string | null;
  };
  /** An application joined a global session: its local session for the base URL was created. */
  'session.joined': { readonly userId: string; readonly globalId: string; readonly baseUrl: string };
  /** A global session ended (several at once with `sessions`; then without globalId). */
  'session.ended': {
    readonly userId: string;
    readonly reason: SessionEndReason;
    readonly globalId?: string;
    readonly baseUrl?: string;
    readonly sessions?: number;
  };
  'user.created': {
    readonly userId: string;
    readonly login: string;
    readonly ownerId: string;
    readonly duplicateOf?: string;
    readonly imported?: true;
  };
  'user.deleted': { readonly userId: string; readonly login: string };
  'user.loginChanged': { readonly userId: string; readonly from: string; readonly to: string };
  'user.passwordChanged': { readonly userId: string; readonly login: string };
  /** changePassword refused: outcome wrongPassword, locked, passwordTooLong or changedMeanwhile. */
  'user.passwordChangeFailed': { readonly userId: string; readonly login: string; readonly address: string; readonly outcome: string };
  'user.ownershipTransferred': { readonly userId: string; readonly from: string; readonly to: string };
  'user.disabled': { readonly userId: string; readonly login: string };
  /** The user's password source changed: a delegated source's name, or null for ssod's own hash (docs/FEDERATION.md). */
  'user.singleSignOnChanged': { readonly userId: string; readonly login: string; readonly from: string | null; readonly to: string | null };
  'user.enabled': { readonly userId: string; readonly login: string };
  'application.registered': {
    readonly applicationId: string;
    readonly name: string;
    readonly url: string | null;
    readonly imported?: true;
  };
  /** `fields`: the names of the fields changed, sorted; `url` the new url when it changed. */
  'application.updated': { readonly applicationId: string; readonly fields: readonly string[]; readonly url: string | null };
  'application.unregistered': { readonly applicationId: string };
  'certificate.issued': { readonly applicationId: string; readonly fingerprint: string; readonly serial: string };
  /** The first use of a new certificate, which retires the application's others (protocol §4.2 rotation). */
  'certificate.activated': { readonly applicationId: string; readonly fingerprint: string };
  'authentication.succeeded': SignInFacts;
  /**
   * Outcome: the reason (wrongPassword, unknownUser, disabled, passwordTooLong, permissionDenied; for a
   * delegated user sourceRejected, sourceUnavailable or sourceMalformed, with the source's name and its
   * log-safe detail; for pass-through also notSingleSignOn and loginMismatch).
   */
  'authentication.failed': SignInFacts & { readonly outcome: string; readonly source?: string; readonly sourceDetail?: string };
  /** A brute-force counter (`login:…`, `user:…`, `source:…`) locked until `until` (ms). */
  'lock.set': { readonly key: string; readonly failures: number; readonly until: number };
  'lock.cleared': { readonly key: string };
  'settings.changed': { readonly name: string; readonly from: string; readonly to: string };
  /** A delegated source was configured (`replaced`: its settings were replaced); never its secrets. */
  'source.added': {
    readonly name: string;
    readonly kind: string;
    readonly url: string;
    readonly replaced?: true;
    readonly imported?: true;
  };
  'source.removed': { readonly name: string };
  /** A SAML identity provider was configured (docs/federation/saml.md); its certificates by SHA-256 fingerprint. */
  'idp.added': {
    readonly name: string;
    readonly issuer: string;
    readonly signInUrl: string;
    readonly certificates: readonly string[];
    readonly imported?: true;
  };
  /** `fields`: the names of the settings changed, sorted; `certificates` the fingerprints when they changed. */
  'idp.updated': { readonly name: string; readonly fields: readonly string[]; readonly certificates?: readonly string[] };
  /** `links`: the federated ids removed with it (with --force). */
  'idp.removed': { readonly name: string; readonly links: number };
  'user.federatedIdLinked': {
    readonly userId: string;
    readonly login: string;
    readonly idpName: string;
    readonly federatedId: string;
    readonly imported?: true;
  };
  'user.federatedIdUnlinked': { readonly userId: string; readonly login: string; readonly idpName: string; readonly federatedId: string };
  /** A ticket-signing key was made (docs/tickets.md "Rotation"): the first at start, or by `ssod tickets rotate`. */
  'ticketKey.rotated': { readonly kid: string; readonly signsFrom: number; readonly first?: true };
  /** A ticket-signing key was withdrawn by the operator. */
  'ticketKey.revoked': { readonly kid: string };
  /** A receiver of signed logon tickets was configured (docs/tickets.md "Receivers"). */
  'receiver.added': { readonly name: string; readonly domain: string; readonly url: string };
  /** An application group was formed (docs/groups.md); the provider's local sessions ended. */
  'group.created': { readonly name: string; readonly providerId: string; readonly imported?: true };
  /** A subscriber joined: `usersTransferred` passed to the provider, its local sessions ended. */
  'group.memberAdded': {
    readonly name: string;
    readonly applicationId: string;
    readonly usersTransferred: number;
    readonly imported?: true;
  };
  /** A subscriber left: its local sessions in the group's sessions ended. */
  'group.memberRemoved': { readonly name: string; readonly applicationId: string };
  /** A group was deleted: its `sessions` ended, its `members` became ungrouped. */
  'group.deleted': { readonly name: string; readonly sessions: number; readonly members: number };
  'receiver.removed': { readonly name: string };
  /** An administrator of the admin console was added (docs/admin-console.md). */
  'admin.added': { readonly name: string };
  /** An administrator was removed; its console sessions ended. */
  'admin.removed': { readonly name: string; readonly sessions: number };
  /** An administrator's password or TOTP secret (with its recovery codes) was replaced; its console sessions ended. */
  'admin.reset': { readonly name: string; readonly replaced: readonly ('password' | 'totp')[]; readonly sessions: number };
  /** An administrator signed in to the console, with its second factor. */
  'admin.signedIn': {
    readonly name: string;
    readonly address: string;
    readonly factor: 'totp' | 'recoveryCode' | 'none';
    readonly recoveryCodesLeft: number;
  };
  /** A console sign-in failed: outcome unknownAdmin, wrongPassword, wrongCode or replayedCode. */
  'admin.signInFailed': { readonly name: string; readonly address: string; readonly outcome: string };
  /** An administrator signed out of the console. */
  'admin.signedOut': { readonly name: string };
  /**
   * A receiver never took the logout token of an ended session (docs/tickets.md "Logout"): `sid` the
   * global session's handle, null when every session of the user ended; `reason` the last try's.
   */
  'receiver.logoutFailed': {
    readonly name: string;
    readonly domain: string;
    readonly userId: string;
    readonly sid: string | null;
    readonly tries: number;
    readonly reason: string;
  };
  /** An application registered (url and policy) or removed (url null) its On Session Start callback (docs/groups.md). */
  'application.sessionStartCallbackChanged': {
    readonly applicationId: string;
    readonly url: string | null;
    readonly policy: string | null;
  };
  /**
   * An On Session Start callback failed (docs/groups.md): under the policy continue the session went
   * on; under fail the session ended (provider, starting) or the member was kept out (firstVisit).
   */
  'session.startCallbackFailed': {
    readonly userId: string;
    readonly globalId: string;
    readonly applicationId: string;
    readonly order: string;
    readonly policy: string;
    readonly reason: string;
  };
}

export type EventType = keyof EventPayloads;

/** One event of type T. */
export type EventOf<T extends EventType> = { readonly type: T; readonly actor: Actor } & EventPayloads[T];

export type DomainEvent = { [T in EventType]: EventOf<T> }[EventType];

/** An event as the outbox holds it: its place in the order of events, and when it was published. */
export interface StoredEvent {
  /** Null when the outbox could not take it (the store failed): then only the inline delivery saw it. */
  readonly id: number | null;
  readonly at: number;
  readonly event: DomainEvent;
}

/** What publishing needs: an operator command has a store and a clock but no running server. */
export type EventContext = Pick<Services, 'store' | 'now' | 'log' | 'eventPublished'>;

/**
 * Publishes an event. Never throws: the change it describes has already happened, so a failing
 * store (a full disk) must not turn it into an error for the caller; the failure is logged instead.
 */
export async function publish(context: EventContext, event: DomainEvent): Promise<void> {
  const at = context.now();
  const entry = auditEntryOf(event);
  try {
    // The event and its record in the trail in one transaction: one durable write, not two.
    await context.store.appendOutboxEvent(
      { at, type: event.type, payload: JSON.stringify(event) },
      entry && auditRecordOf(context, entry, at),
    );
    if (entry !== null) countAudit(entry);
    context.eventPublished?.(event.type);
    return;
  } catch (error) {
    context.log.error('event not written to the outbox', {
      type: event.type,
      error: error instanceof Error ? error.message : String(error),
    });
  }
  // The trail keeps the record even so, as it did before there was an outbox (recordAudit never throws).
  if (entry !== null) await recordAudit(context, entry, null, at);
}

/** Publishes `settings.changed` for each setting whose value changed (an operator's word, however given). */
export async function publishSettingChanges(
  context: EventContext,
  changes: readonly { name: string; from: string; to: string }[],
  actor: Actor = 'operator',
): Promise<void> {
  for (const change of changes) {
    if (change.from !== change.to) await publish(context, { type: 'settings.changed', actor, ...change });
  }
}

/** The stored form of an event back as the event (the outbox holds only what publish wrote). */
export function eventOfPayload(payload: string): DomainEvent {
  return JSON.parse(payload) as DomainEvent;
}
