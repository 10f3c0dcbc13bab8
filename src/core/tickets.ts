// Signed logon tickets for other DNS domains (docs/tickets.md): the receivers as every node follows
// them, issuing a ticket of a live global session for a receiver (and recording the grant that its
// logout needs), the key set, logout tokens, the receivers to notify when sessions end, and the
// online check of ssox:verifyTicket. Signing and verifying are the keyring's (core/ports/tickets.ts);
// which key signs and which are published is decided here from the stored times (core/ticketKeys.ts).
import { randomBytes } from 'node:crypto';
import { SsoError } from './errors.js';
import { TicketRefusedError, type TicketClaims } from './ports/tickets.js';
import type { Services } from './services.js';
import { isOver, sessionCutoff } from './sessions.js';
import type { GlobalSessionRecord, Store, TicketGrant, TicketKeyRecord, TicketReceiverRecord } from './store/index.js';
import { isPublished, signerAt, ticketKeyStates } from './ticketKeys.js';
import { relayEndpointUrl } from './urls.js';

export type { TicketGrant } from './store/index.js';

/** A receiver as the operator configured it (docs/tickets.md "Receivers"). */
export type TicketReceiver = TicketReceiverRecord;

/** What the functions here need of the services. */
export type TicketServices = Pick<Services, 'options' | 'settings' | 'store' | 'tickets' | 'now'>;

/** How long a node keeps the receivers it read (docs/tickets.md: a change is followed within 5 s). */
export const RECEIVERS_MAX_AGE_MS = 5000;
/** A logout token lives this long (docs/tickets.md "Logout"). */
export const LOGOUT_TOKEN_LIFETIME_S = 120;
const JTI_BYTES = 16;

interface CachedReceivers {
  readonly readAt: number;
  readonly receivers: Promise<readonly TicketReceiver[]>;
}
const receiverCache = new WeakMap<Store, CachedReceivers>();

/** Every receiver, by name, read from the store at most RECEIVERS_MAX_AGE_MS ago (at once after a change made here). */
export async function receiversInOrder(services: Pick<Services, 'store' | 'now'>): Promise<readonly TicketReceiver[]> {
  const now = services.now();
  const cached = receiverCache.get(services.store);
  if (cached !== undefined && now - cached.readAt < RECEIVERS_MAX_AGE_MS && now >= cached.readAt) return cached.receivers;
  const receivers = services.store.listTicketReceivers();
  receiverCache.set(services.store, { readAt: now, receivers });
  receivers.catch(() => receiverCache.delete(services.store));
  return receivers;
}

/** Forgets the receivers read, after a change made through this store: the next read sees it. */
export function receiversChanged(store: Store): void {
  receiverCache.delete(store);
}

/** The receiver of that name, or null. */
export async function receiverNamed(services: Pick<Services, 'store' | 'now'>, name: string): Promise<TicketReceiver | null> {
  return (await receiversInOrder(services)).find((receiver) => receiver.name === name) ?? null;
}

/** `iss` of every ticket and logout token: the relay URL as getSettings reports it (Open Fusion SSO protocol, section 5.20). */
export function ticketIssuer(services: Pick<Services, 'options' | 'settings'>): string {
  return relayEndpointUrl(services.settings.current().hostname, services.options.relayPort, services.options.relayTls === 'on');
}

function ticketLifetimeMs(services: Pick<Services, 'settings'>): number {
  return services.settings.current().ticketLifetime * 1000;
}

/** No ticket-signing key can sign now (every key revoked or pending): the operator must make one. */
export class NoSigningKeyError extends Error {
  constructor() {
    super('no ticket-signing key can sign now: make one that signs at once with `ssod tickets rotate --now`');
    this.name = 'NoSigningKeyError';
  }
}

/** The key that signs now; NoSigningKeyError, which says what to do, when none can. */
async function signingKey(services: TicketServices): Promise<TicketKeyRecord> {
  const signer = signerAt(await services.tickets.keys(), services.now());
  if (signer === null) throw new NoSigningKeyError();
  return signer;
}

/** The keys in the key set now (pending, signing, retiring). */
async function publishedKeys(services: TicketServices): Promise<TicketKeyRecord[]> {
  const states = ticketKeyStates(await services.tickets.keys(), services.now(), ticketLifetimeMs(services));
  return states.filter((status) => isPublished(status.state)).map((status) => status.key);
}

const seconds = (ms: number): number => Math.floor(ms / 1000);

/**
 * Signs a ticket of this live global session for the receiver's domain and records the grant (for
 * logout): both at once, the ticket returned only once the grant is durable, so that no ticket
 * leaves without its grant (a failed write discards the signed ticket). Its `exp` is iat +
 * ticketLifetime, never after the session's absolute lifetime. noSuchSession when the session or
 * its user is gone.
 */
export async function issueTicket(services: TicketServices, session: GlobalSessionRecord, receiver: TicketReceiver): Promise<string> {
  const now = services.now();
  const user = await services.store.getUser(session.userId);
  if (user === null || user.disabledAt !== null || isOver(session, sessionCutoff(services, now))) throw new SsoError('noSuchSession');
  const iat = seconds(now);
  const exp = Math.min(iat + services.settings.current().ticketLifetime, seconds(session.expiresAt));
  if (exp <= iat) throw new SsoError('noSuchSession');
  const key = await signingKey(services);
  const granted = services.store.recordTicketGrant({
    globalId: session.id,
    receiver: receiver.name,
    userId: session.userId,
    issuedAt: now,
    expiresAt: exp * 1000,
  });
  const signed = services.tickets.sign(key, 'ssod-ticket+jwt', {
    iss: ticketIssuer(services),
    sub: session.userId,
    login: user.login,
    domain: receiver.domain,
    aud: receiver.domain,
    iat,
    exp,
    jti: randomBytes(JTI_BYTES).toString('base64url'),
    sid: session.id,
  });
  // The signature costs a thread-pool job, the grant a commit and its fsync: neither waits for the other.
  const [ticket] = await Promise.all([signed, granted]);
  return ticket;
}

/** A key of the key set as published: the public JWK with kid, alg and use; never a private member. */
export function publishedJwk(key: TicketKeyRecord): Readonly<Record<string, string>> {
  const { kty, crv, x, y } = JSON.parse(key.publicJwk) as Record<string, string | undefined>;
  const members = { kty, crv, x, y, kid: key.kid, alg: key.algorithm, use: 'sig' };
  return Object.fromEntries(Object.entries(members).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}

/** The JWK Set document of the published keys (docs/tickets.md "The key set"). */
export async function ticketKeySet(services: TicketServices): Promise<{ keys: object[] }> {
  return { keys: (await publishedKeys(services)).map(publishedJwk) };
}

/**
 * A signed logout token for the receiver (docs/tickets.md "Logout"): with `sid` for one ended
 * session, without for every session of the user that started before its `iat`.
 */
export async function signLogoutToken(
  services: TicketServices,
  receiver: TicketReceiver,
  ended: { readonly userId: string; readonly sid: string | null },
): Promise<string> {
  const iat = seconds(services.now());
  const key = await signingKey(services);
  return services.tickets.sign(key, 'ssod-logout+jwt', {
    iss: ticketIssuer(services),
    aud: receiver.domain,
    domain: receiver.domain,
    iat,
    exp: iat + LOGOUT_TOKEN_LIFETIME_S,
    jti: randomBytes(JTI_BYTES).toString('base64url'),
    sub: ended.userId,
    ...(ended.sid === null ? {} : { sid: ended.sid }),
  });
}

/**
 * The grants of the ended session (globalId), or of every session of the user (globalId null),
 * whose tickets may still be live: the receivers to send a logout token to.
 */
export async function grantsToNotify(
  services: Pick<Services, 'store' | 'now'>,
  ended: { readonly userId: string; readonly globalId: string | null },
): Promise<readonly TicketGrant[]> {
  const now = services.now();
  return (await services.store.listTicketGrants(ended)).filter((grant) => grant.expiresAt > now);
}

/** Forgets grants once their receivers were notified (a ticket issued after them keeps its grant). */
export async function forgetGrants(services: Pick<Services, 'store'>, grants: readonly TicketGrant[]): Promise<void> {
  await services.store.deleteTicketGrants(grants);
}

/** The claim `name` as a non-empty string, or a refusal. */
function stringClaim(claims: TicketClaims, name: string): string {
  const value = claims[name];
  if (typeof value !== 'string' || value === '') throw new TicketRefusedError(`claim ${name} is missing or not a string`);
  return value;
}

/** The claims every ticket has, checked: sub, login, domain equal to aud, sid, jti. */
function ticketClaimsOf(claims: TicketClaims): { userId: string; domain: string; sid: string; exp: number } {
  const domain = stringClaim(claims, 'domain');
  if (claims.aud !== domain) throw new TicketRefusedError('aud is not the domain');
  stringClaim(claims, 'login');
  stringClaim(claims, 'jti');
  return { userId: stringClaim(claims, 'sub'), domain, sid: stringClaim(claims, 'sid'), exp: claims.exp as number };
}

/**
 * ssox:verifyTicket: the ticket's user while its global session lives. invalidParameter for a ticket
 * that is not valid (format, key, signature, issuer, times, claims); noSuchSession for a valid
 * ticket whose session has ended.
 */
export async function verifyTicketOnline(
  services: TicketServices,
  ticket: string,
): Promise<{ userId: string; login: string; domain: string; expiresAt: number }> {
  const now = services.now();
  let claims: ReturnType<typeof ticketClaimsOf>;
  try {
    const verified = await services.tickets.verify(ticket, await publishedKeys(services), {
      typ: 'ssod-ticket+jwt',
      issuer: ticketIssuer(services),
      now,
    });
    claims = ticketClaimsOf(verified);
  } catch (error) {
    if (error instanceof TicketRefusedError) throw new SsoError('invalidParameter', `The ticket is not valid: ${error.reason}.`);
    throw error;
  }
  const session = await services.store.getGlobalSession(claims.sid);
  if (session === null || session.userId !== claims.userId || isOver(session, sessionCutoff(services, now)))
    throw new SsoError('noSuchSession');
  const user = await services.store.getUser(claims.userId);
  if (user === null || user.disabledAt !== null) throw new SsoError('noSuchSession');
  return { userId: user.id, login: user.login, domain: claims.domain, expiresAt: claims.exp * 1000 };
}
