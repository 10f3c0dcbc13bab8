// Global and local sessions, relay tokens and the relay cookie (docs/DECISIONS.md "Sessions and the relay").
//
// Three pieces: a global session started for a user, either bound to a browser at once
// (startBrowserSession: any adapter that signs a person in) or with a relay token for an application
// (startSession: authenticate with a baseUrl); the relay token, exchanged once for a cookie
// (redeemRelayToken); and the cookie binding (bindCookie, sessionOfCookie, localSessionForCookie).
//
// The store keeps only SHA-256 of every secret, yet the relay must hand an application the same
// local session id on every visit. So each global session has a random derivation secret G, and a
// local session id is `<base url>` + HMAC(G, base url). G itself is never stored in the clear: it
// is sealed (AES-256-GCM) under the relay token and, after the exchange, under the cookie value,
// so only a holder of the token or the cookie can re-derive local session ids.
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from 'node:crypto';
import { SsoError } from './errors.js';
import type { AuditActor } from './audit.js';
import { publish, type Actor } from './events.js';
import { endRefusedSession, prepareSessionStart, runReachCallbacks, runStartCallbacks, startingApplication } from './sessionStart.js';
import type { OperatorServices, Services } from './services.js';
import type { GlobalSessionRecord, SessionCutoff, SessionView } from './store/index.js';

const SECRET_BYTES = 32;
const OPAQUE_BYTES = 16; // 128 bits in every session id, token and cookie (docs/DECISIONS.md)

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

function sealKey(under: string): Buffer {
  return createHash('sha256').update('ssod seal\0', 'utf8').update(under, 'utf8').digest();
}

/** Seals the derivation secret under a token or cookie value: base64url(iv | ciphertext | tag). Exported for bench/ seeding. */
export function seal(under: string, secret: Buffer): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', sealKey(under), iv);
  const body = Buffer.concat([cipher.update(secret), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url');
}

function unseal(under: string, sealed: string): Buffer | null {
  const raw = Buffer.from(sealed, 'base64url');
  if (raw.length !== 12 + SECRET_BYTES + 16) return null;
  try {
    const decipher = createDecipheriv('aes-256-gcm', sealKey(under), raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12 + SECRET_BYTES));
    return Buffer.concat([decipher.update(raw.subarray(12, 12 + SECRET_BYTES)), decipher.final()]);
  } catch {
    return null;
  }
}

/** protocol §5.17: `<base url><opaque>`, e.g. `https://plesk.example.com:8443/FE00000001A734BB`. Exported for bench/ seeding. */
export function localSessionId(secret: Buffer, baseUrl: string): string {
  const opaque = createHmac('sha256', secret).update(baseUrl, 'utf8').digest().subarray(0, OPAQUE_BYTES);
  return baseUrl + opaque.toString('hex').toUpperCase();
}

/**
 * When sessions are over at `now`: past their absolute lifetime (expiry instant at or before now), or
 * idle for the whole timeout (last seen at or before now − timeout). The store purges and counts by
 * the same cutoff (purgeExpiredSessions, countSessions), so a session is over in one way everywhere.
 */
export function sessionCutoff(services: Pick<Services, 'settings'>, now: number): SessionCutoff {
  return { now, idleBefore: now - services.settings.current().sessionTimeout * 1000 };
}

/** Whether the session is over at the cutoff (sessionCutoff). */
export function isOver(session: Pick<GlobalSessionRecord, 'expiresAt' | 'lastSeenAt'>, cutoff: SessionCutoff): boolean {
  return session.expiresAt <= cutoff.now || session.lastSeenAt <= cutoff.idleBefore;
}

/** Whether the global session is past its absolute lifetime or its idle timeout. */
function isExpired(services: Services, session: GlobalSessionRecord, now: number): boolean {
  return isOver(session, sessionCutoff(services, now));
}

/**
 * The idle timer is renewed only when this much of it has passed, so that verifySession does not
 * write on every call; a session may therefore end up to this much earlier than the full timeout.
 */
export function renewalIntervalMs(sessionTimeoutSeconds: number): number {
  return Math.min(60_000, sessionTimeoutSeconds * 10);
}

export interface NewSession {
  readonly sessionId: string;
  readonly relayToken: string;
}

/** A global session for the user, not yet stored, with its derivation secret. */
function newGlobalSession(services: Services, userId: string, groupName: string | null): { record: GlobalSessionRecord; secret: Buffer } {
  const now = services.now();
  const record = {
    id: randomBytes(OPAQUE_BYTES).toString('hex'),
    userId,
    createdAt: now,
    expiresAt: now + services.settings.current().sessionLifetime * 1000,
    lastSeenAt: now,
    cookieHash: null,
    cookieSealedSecret: null,
    groupName,
  };
  return { record, secret: randomBytes(SECRET_BYTES) };
}

/**
 * Disabling a user ends its sessions in one transaction; a disabling that came between the
 * password check and the insert of the session is seen here, and one that comes later ends it.
 */
async function requireEnabled(services: Services, session: GlobalSessionRecord): Promise<void> {
  const user = await services.store.getUser(session.userId);
  if (user === null || user.disabledAt !== null) {
    await services.store.deleteGlobalSession(session.id);
    throw new SsoError('invalidCredentials');
  }
}

/**
 * The On Session Start callbacks of a new session (core/sessionStart.ts): the provider's and the
 * starting application's, before the sign-in completes. A failure under the policy fail ends the
 * session and fails the sign-in with permissionDenied.
 */
async function callStartCallbacks(services: Services, plan: Awaited<ReturnType<typeof prepareSessionStart>>, actor: Actor): Promise<void> {
  if (plan === null || (await runStartCallbacks(services, plan))) return;
  await endRefusedSession(services, plan, actor);
  throw new SsoError('permissionDenied', 'An application refused the start of the session.');
}

/**
 * authenticate with a baseUrl (protocol §5.17): a global session, its local session for baseUrl, a
 * relay token. `groupName`: the set it starts in, the calling application's (docs/groups.md).
 * `callerId`: the application that called, which the session is started for (On Session Start
 * callbacks) when it is registered at baseUrl.
 */
export async function startSession(
  services: Services,
  userId: string,
  baseUrl: string,
  actor: Actor,
  groupName: string | null,
  callerId: string | null = null,
): Promise<NewSession> {
  const now = services.now();
  const { record, secret } = newGlobalSession(services, userId, groupName);
  const relayToken = randomBytes(OPAQUE_BYTES).toString('hex');
  const sessionId = localSessionId(secret, baseUrl);
  await services.store.createSession(
    record,
    { idHash: sha256Hex(sessionId), globalId: record.id, baseUrl, createdAt: now },
    {
      tokenHash: sha256Hex(relayToken),
      globalId: record.id,
      expiresAt: now + services.settings.current().relayTokenLifetime * 1000,
      sealedSecret: seal(relayToken, secret),
    },
  );
  await requireEnabled(services, record);
  const plan = await prepareSessionStart(services, { globalId: record.id, userId }, await startingApplication(services, baseUrl, callerId));
  // Its first application has joined with it: no session.joined for baseUrl.
  await publish(services, { type: 'session.started', actor, userId, globalId: record.id, via: 'relayToken', baseUrl });
  await callStartCallbacks(services, plan, actor);
  return { sessionId, relayToken };
}

/**
 * Starts a global session for a user whom an adapter has signed in (a sign-in page, a SAML
 * assertion, a pass-through sign-in), bound at once to this browser: the cookie to set, which
 * localSessionForCookie then turns into each application's local session. No relay token.
 * `groupName`: the set it starts in, that of the application behind the return url (docs/groups.md).
 * `startedFor`: the base URL of the application behind the page the browser returns to, whose On
 * Session Start callback (and its provider's) is called before the sign-in completes; a refusal
 * under the policy fail is permissionDenied and no session.
 */
export async function startBrowserSession(
  services: Services,
  userId: string,
  actor: Actor,
  groupName: string | null,
  startedFor: string | null = null,
): Promise<SessionCookie> {
  const { record, secret } = newGlobalSession(services, userId, groupName);
  const cookie = cookieValue(secret);
  await services.store.insertGlobalSession({ ...record, cookieHash: cookie.hash, cookieSealedSecret: cookie.sealed });
  await requireEnabled(services, record);
  const plan = await prepareSessionStart(services, { globalId: record.id, userId }, await startingApplication(services, startedFor));
  await publish(services, { type: 'session.started', actor, userId, globalId: record.id, via: 'browser', baseUrl: null });
  await callStartCallbacks(services, plan, actor);
  return { value: cookie.value, maxAgeSeconds: maxAgeOf(services, record) };
}

/** The local session that a session id names (protocol §5.17), or null. */
export function findLocalSession(services: Pick<Services, 'store'>, sessionId: string): Promise<SessionView | null> {
  return services.store.findSessionByLocalId(sha256Hex(sessionId));
}

/**
 * The local session as an application that presents its certificate may see it: only when it was
 * minted for that application's own registered url; otherwise as if there were none. Anyone may
 * register an application (Open Fusion SSO protocol, section 4.2) and receive through the relay the
 * local session id of every visitor it sends there; an application that accepted such an id as
 * its own would sign the attacker in as the visitor (docs/SECURITY.md, case F37). Nor does it see a
 * session of another set than its own (docs/groups.md "The rules"): `applicationGroup`, null when ungrouped.
 */
export function sessionOfApplication(
  view: SessionView | null,
  applicationUrl: string | null,
  applicationGroup: string | null,
): SessionView | null {
  return view !== null && view.local.baseUrl === applicationUrl && view.global.groupName === applicationGroup ? view : null;
}

/**
 * verifySession (protocol §5.18) of a local session as the caller may see it (callers.ts reads it):
 * the userId of a live session, renewing its idle timer; null when none.
 */
export async function verifySession(services: Services, view: SessionView | null): Promise<string | null> {
  if (view === null) return null;
  const now = services.now();
  if (isExpired(services, view.global, now)) {
    await services.store.deleteGlobalSession(view.global.id);
    return null;
  }
  if (now - view.global.lastSeenAt >= renewalIntervalMs(services.settings.current().sessionTimeout)) {
    await services.store.touchSession(view.global.id, now);
  }
  return view.global.userId;
}

/**
 * closeSession (protocol §5.19) of a local session as the caller may see it (callers.ts reads it):
 * ends the whole global session (single logout); false, and nothing happens, when there is none.
 */
export async function closeSession(services: Services, view: SessionView | null, actor: AuditActor): Promise<boolean> {
  if (view === null) return false;
  await services.store.deleteGlobalSession(view.global.id);
  await publish(services, {
    type: 'session.ended',
    actor,
    userId: view.global.userId,
    globalId: view.global.id,
    baseUrl: view.local.baseUrl,
    reason: 'closeSession',
  });
  return true;
}

/** What binds a browser to its global session: the cookie value to set, and for how long. */
export interface SessionCookie {
  readonly value: string;
  readonly maxAgeSeconds: number;
}

/** A fresh cookie value, with what the store keeps of it: its hash, and the secret sealed under it. */
function cookieValue(secret: Buffer): { value: string; hash: string; sealed: string } {
  const value = randomBytes(SECRET_BYTES).toString('base64url');
  return { value, hash: sha256Hex(value), sealed: seal(value, secret) };
}

/** A cookie lives as long as the session's absolute lifetime (docs/DECISIONS.md "Sessions and the relay"). */
function maxAgeOf(services: Services, session: GlobalSessionRecord): number {
  return Math.max(1, Math.ceil((session.expiresAt - services.now()) / 1000));
}

/** A live global session with its derivation secret, as a relay token or a cookie value unseals it. */
export interface UnsealedSession {
  readonly session: GlobalSessionRecord;
  readonly secret: Buffer;
}

/**
 * Consumes a relay token (Open Fusion SSO protocol, section 2.2.1): its live global session and secret, or null for an unknown,
 * used or expired token, or a session that has ended meanwhile.
 */
export async function redeemRelayToken(services: Services, token: string): Promise<UnsealedSession | null> {
  const now = services.now();
  const record = await services.store.consumeRelayToken(sha256Hex(token), now);
  if (record === null) return null;
  const secret = unseal(token, record.sealedSecret);
  const session = await services.store.getGlobalSession(record.globalId);
  if (secret === null || session === null || isExpired(services, session, now)) return null;
  return { session, secret };
}

/**
 * Binds a fresh cookie value to the session: the value that was bound before (a cookie, or a
 * pending confirmation of the relay) stops working.
 */
export async function bindCookie(services: Services, { session, secret }: UnsealedSession): Promise<SessionCookie> {
  const cookie = cookieValue(secret);
  await services.store.setSessionCookie(session.id, cookie.hash, cookie.sealed);
  return { value: cookie.value, maxAgeSeconds: maxAgeOf(services, session) };
}

/** The live global session that a cookie value is bound to, with its secret; null when none. An expired one is deleted. */
export async function sessionOfCookie(services: Services, cookie: string): Promise<UnsealedSession | null> {
  const session = await services.store.findSessionByCookie(sha256Hex(cookie));
  if (session === null || session.cookieSealedSecret === null) return null;
  if (isExpired(services, session, services.now())) {
    await services.store.deleteGlobalSession(session.id);
    return null;
  }
  const secret = unseal(cookie, session.cookieSealedSecret);
  return secret === null ? null : { session, secret };
}

/**
 * Get global session (Open Fusion SSO protocol, section 2.2.2): the local session id of `baseUrl` for the global session that the
 * cookie belongs to, created on first use and the same on every later call; null when none is live,
 * when no application of the session's set has that url (docs/groups.md: `ssosid=none`), or when
 * an On Session Start callback of the application refused it under the policy fail (the member is
 * kept out: its local session is deleted again, at this and every later visit).
 */
export async function localSessionForCookie(services: Services, cookie: string, baseUrl: string): Promise<string | null> {
  const found = await sessionOfCookie(services, cookie);
  if (found === null) return null;
  const { session, secret } = found;
  if (!(await services.store.hasApplicationUrlInSet(baseUrl, session.groupName))) return null;
  const now = services.now();
  const sessionId = localSessionId(secret, baseUrl);
  if (await services.store.ensureLocalSession({ idHash: sha256Hex(sessionId), globalId: session.id, baseUrl, createdAt: now })) {
    await publish(services, { type: 'session.joined', actor: 'guest', userId: session.userId, globalId: session.id, baseUrl });
  }
  // Also when another request (another node) created it: its callback's outcome must be known first.
  if (!(await runReachCallbacks(services, { globalId: session.id, userId: session.userId }, baseUrl))) return null;
  // A visit through the relay is activity of the user: renew the idle timer like verifySession does.
  if (now - session.lastSeenAt >= renewalIntervalMs(services.settings.current().sessionTimeout)) {
    await services.store.touchSession(session.id, now);
  }
  return sessionId;
}

/** The person at the relay declined the session a relay token started (docs/SECURITY.md, case F48): it ends. */
export async function declineSession(services: Services, session: GlobalSessionRecord): Promise<void> {
  await services.store.deleteGlobalSession(session.id);
  await publish(services, {
    type: 'session.ended',
    actor: 'guest',
    userId: session.userId,
    globalId: session.id,
    reason: 'declinedAtRelay',
  });
}

/** The operator ends one global session, named by its id as `ssod sessions list` shows it. False when there is none. */
export async function endSession(services: OperatorServices, globalId: string, actor: AuditActor): Promise<boolean> {
  const session = await services.store.getGlobalSession(globalId);
  if (session === null) return false;
  await services.store.deleteGlobalSession(globalId);
  await publish(services, { type: 'session.ended', actor, userId: session.userId, globalId, reason: 'endSession' });
  return true;
}

/** Ends every session of the user (an operator's command, or a password change). Returns how many. */
export async function endUserSessions(
  services: OperatorServices,
  userId: string,
  actor: AuditActor,
  reason: 'endUserSessions' | 'passwordChanged' = 'endUserSessions',
): Promise<number> {
  const ended = await services.store.deleteUserSessions(userId);
  if (ended > 0) await publish(services, { type: 'session.ended', actor, userId, reason, sessions: ended });
  return ended;
}

/** How many sessions endApplicationSessions lists and ends at a time. */
const ENDING_BATCH = 500;

/**
 * Ends every session that reached the application of `baseUrl` (only the user's with `userId`),
 * each recorded as its own session.ended so that ticket receivers log each one out. The store has
 * no single delete by base URL: the listing is read and ended a batch at a time until none is left,
 * so a session that joins meanwhile is ended too. Returns how many.
 */
export async function endApplicationSessions(
  services: OperatorServices,
  match: { readonly baseUrl: string; readonly userId?: string | undefined },
  actor: AuditActor,
): Promise<number> {
  let ended = 0;
  for (;;) {
    const batch = await services.store.listSessions({
      baseUrl: match.baseUrl,
      ...(match.userId !== undefined ? { userId: match.userId } : {}),
      limit: ENDING_BATCH,
    });
    for (const { global } of batch) {
      await services.store.deleteGlobalSession(global.id);
      await publish(services, {
        type: 'session.ended',
        actor,
        userId: global.userId,
        globalId: global.id,
        baseUrl: match.baseUrl,
        reason: 'endApplicationSessions',
      });
    }
    ended += batch.length;
    if (batch.length < ENDING_BATCH) return ended;
  }
}
