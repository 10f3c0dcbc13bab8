// Global and local sessions, relay tokens and the relay cookie (docs/DECISIONS.md "Sessions and the relay").
//
// The store keeps only SHA-256 of every secret, yet the relay must hand an application the same
// local session id on every visit. So each global session has a random derivation secret G, and a
// local session id is `<base url>` + HMAC(G, base url). G itself is never stored in the clear: it
// is sealed (AES-256-GCM) under the relay token and, after the exchange, under the cookie value,
// so only a holder of the token or the cookie can re-derive local session ids.
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from 'node:crypto';
import { ProtocolFault } from '../adapters/soap/faults.js';
import { recordAudit, type AuditActor } from './audit.js';
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

/** authenticate with a baseUrl (protocol §5.17): a global session, its local session for baseUrl, a relay token. */
export async function startSession(services: Services, userId: string, baseUrl: string): Promise<NewSession> {
  const now = services.now();
  const settings = services.settings.current();
  const secret = randomBytes(SECRET_BYTES);
  const relayToken = randomBytes(OPAQUE_BYTES).toString('hex');
  const sessionId = localSessionId(secret, baseUrl);
  const globalId = randomBytes(OPAQUE_BYTES).toString('hex');
  await services.store.createSession(
    {
      id: globalId,
      userId,
      createdAt: now,
      expiresAt: now + settings.sessionLifetime * 1000,
      lastSeenAt: now,
      cookieHash: null,
      cookieSealedSecret: null,
    },
    { idHash: sha256Hex(sessionId), globalId, baseUrl, createdAt: now },
    {
      tokenHash: sha256Hex(relayToken),
      globalId,
      expiresAt: now + settings.relayTokenLifetime * 1000,
      sealedSecret: seal(relayToken, secret),
    },
  );
  // Disabling a user ends its sessions in one transaction; a disabling that came between the
  // password check and the insert above is seen here, and one that comes later ends this session.
  const user = await services.store.getUser(userId);
  if (user === null || user.disabledAt !== null) {
    await services.store.deleteGlobalSession(globalId);
    throw new ProtocolFault('invalidCredentials');
  }
  return { sessionId, relayToken };
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
 * its own would sign the attacker in as the visitor (docs/SECURITY.md, case F37).
 */
export function sessionOfApplication(view: SessionView | null, applicationUrl: string | null): SessionView | null {
  return view !== null && view.local.baseUrl === applicationUrl ? view : null;
}

/** verifySession (protocol §5.18): the userId of a live session, renewing its idle timer; null when none. */
export async function verifySession(services: Services, sessionId: string, known?: SessionView | null): Promise<string | null> {
  const view = known === undefined ? await findLocalSession(services, sessionId) : known;
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

/** closeSession (protocol §5.19): ends the whole global session (single logout); unknown ids are ignored. */
export async function closeSession(services: Services, sessionId: string, actor: AuditActor, known?: SessionView | null): Promise<boolean> {
  const view = known === undefined ? await findLocalSession(services, sessionId) : known;
  if (view === null) return false;
  await services.store.deleteGlobalSession(view.global.id);
  await recordAudit(services, { type: 'session.ended', actor, target: `user:${view.global.userId}`, detail: { baseUrl: view.local.baseUrl, reason: 'closeSession' } });
  return true;
}

export interface RelayCookie {
  readonly value: string;
  readonly maxAgeSeconds: number;
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
export async function bindCookie(services: Services, { session, secret }: UnsealedSession): Promise<RelayCookie> {
  const value = randomBytes(SECRET_BYTES).toString('base64url');
  await services.store.setSessionCookie(session.id, sha256Hex(value), seal(value, secret));
  return { value, maxAgeSeconds: Math.max(1, Math.ceil((session.expiresAt - services.now()) / 1000)) };
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
 * cookie belongs to, created on first use and the same on every later call; null when none is live.
 */
export async function localSessionForCookie(services: Services, cookie: string, baseUrl: string): Promise<string | null> {
  const found = await sessionOfCookie(services, cookie);
  if (found === null) return null;
  const { session, secret } = found;
  const now = services.now();
  const sessionId = localSessionId(secret, baseUrl);
  await services.store.ensureLocalSession({ idHash: sha256Hex(sessionId), globalId: session.id, baseUrl, createdAt: now });
  // A visit through the relay is activity of the user: renew the idle timer like verifySession does.
  if (now - session.lastSeenAt >= renewalIntervalMs(services.settings.current().sessionTimeout)) {
    await services.store.touchSession(session.id, now);
  }
  return sessionId;
}

/** The person at the relay declined the session a relay token started (docs/SECURITY.md, case F48): it ends. */
export async function declineSession(services: Services, session: GlobalSessionRecord): Promise<void> {
  await services.store.deleteGlobalSession(session.id);
  await recordAudit(services, { type: 'session.ended', actor: 'guest', target: `user:${session.userId}`, detail: { reason: 'declinedAtRelay' } });
}

/** The operator ends one global session, named by its id as `ssod sessions list` shows it. False when there is none. */
export async function endSession(services: OperatorServices, globalId: string, actor: AuditActor): Promise<boolean> {
  const session = await services.store.getGlobalSession(globalId);
  if (session === null) return false;
  await services.store.deleteGlobalSession(globalId);
  await recordAudit(services, { type: 'session.ended', actor, target: `user:${session.userId}`, detail: { reason: 'endSession' } });
  return true;
}

/** Ends every session of the user (an operator's command, or a password change). Returns how many. */
export async function endUserSessions(services: OperatorServices, userId: string, actor: AuditActor, reason = 'endUserSessions'): Promise<number> {
  const ended = await services.store.deleteUserSessions(userId);
  if (ended > 0) await recordAudit(services, { type: 'session.ended', actor, target: `user:${userId}`, detail: { reason, sessions: ended } });
  return ended;
}
