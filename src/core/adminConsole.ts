// Signing an administrator in to the admin console, and its console sessions (docs/admin-console.md):
// a password and a one-time code (TOTP, or a recovery code instead), under the brute-force
// protection of user sign-ins (core/authentication.ts guardedCheck: counted under `admin:NAME` and
// the source address before anything is checked, no check while locked), with one answer and the
// same work for every failure. A session is 32 random bytes in the browser's cookie; the store keeps
// its SHA-256, so every node accepts it. Its CSRF token is derived from the secret, never stored.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { guardedCheck } from './authentication.js';
import { observeOnly, type AuditActor } from './audit.js';
import { publish } from './events.js';
import { normalizeRecoveryCode, recoveryCodeHash, totpSealName, type AdminKit } from './operator/admins.js';
import { HashingQueueFull } from './ports/passwords.js';
import { TOTP_DIGITS } from './ports/oneTimeCodes.js';
import type { Services } from './services.js';
import type { AdminRecord } from './store/index.js';
import { addressSourceKey, sourceAddress } from './throttle.js';

/** A console session ends after this long without a request. */
export const ADMIN_IDLE_MS = 15 * 60_000;
/** And after this long whatever happens. */
export const ADMIN_LIFETIME_MS = 8 * 3_600_000;
/** A session's last use is written at most this often (each request would otherwise be a write). */
const TOUCH_EVERY_MS = 10_000;
/** What a TOTP code is checked against when the name is unknown: the same work as for a known one. */
const DUMMY_SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
const SESSION_SECRET_BYTES = 32;

/** An attempt to sign in, as the sign-in form gave it. */
export interface AdminSignIn {
  readonly name: string;
  readonly password: string;
  /** A 6-digit TOTP code, or a recovery code; '' when none was typed. */
  readonly code: string;
  /** The client address. */
  readonly address: string;
  /** Whether a code is required (--admin-totp). */
  readonly requireCode: boolean;
}

/** A console session as the browser holds it (the secret goes in the cookie) and as a page needs it. */
export interface AdminSession {
  readonly adminName: string;
  /** The hidden form field's value; compare with csrfMatches. */
  readonly csrf: string;
  readonly idHash: string;
}

/** A sign-in's outcome: a new session and its secret, or a refusal that says nothing of why. */
export type AdminSignInResult = { readonly ok: true; readonly secret: string; readonly session: AdminSession } | { readonly ok: false };

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function csrfOf(secret: string): string {
  return createHmac('sha256', secret).update('ssod admin console csrf').digest('base64url');
}

/** Whether a form's csrf field is the session's token, compared in constant time. */
export function csrfMatches(session: AdminSession, given: string): boolean {
  const expected = Buffer.from(session.csrf);
  const actual = Buffer.from(given);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

type CodeCheck =
  | { readonly kind: 'totp'; readonly step: number }
  | { readonly kind: 'recoveryCode'; readonly hash: string }
  | { readonly kind: 'none' }
  | { readonly kind: 'wrong' };

/** The code checked against the administrator's secret and recovery codes, in memory: nothing is written yet. */
function checkCode(kit: AdminKit, admin: AdminRecord | null, recoveryHashes: readonly string[], code: string, now: number): CodeCheck {
  const typed = code.trim();
  if (typed === '') return { kind: 'none' };
  if (new RegExp(`^\\d{${TOTP_DIGITS}}$`).test(typed)) {
    const secret = admin === null ? DUMMY_SECRET : kit.sealer.unseal(admin.totpSealed, totpSealName(admin.name));
    const step = kit.codes.matchStep(secret, typed, now);
    return step === null || admin === null ? { kind: 'wrong' } : { kind: 'totp', step };
  }
  const hash = recoveryCodeHash(normalizeRecoveryCode(typed));
  return recoveryHashes.includes(hash) ? { kind: 'recoveryCode', hash } : { kind: 'wrong' };
}

/** The password checked against the administrator's hash, or a dummy hash for an unknown name: the same work either way. */
async function passwordRight(
  services: Services,
  admin: AdminRecord | null,
  password: string,
  sources: readonly string[],
): Promise<boolean> {
  try {
    if (admin === null) {
      await services.passwords.verifyDummy(password, sources);
      return false;
    }
    return (await services.passwords.verify(admin.passwordHash, password, sources)).ok;
  } catch (error) {
    if (!(error instanceof HashingQueueFull)) throw error;
    if (error.worthLogging)
      services.log.warn('console sign-ins refused: too many password checks waiting for one source', { source: error.source });
    return false;
  }
}

/** Starts a console session for `name`. */
async function startSession(services: Services, name: string): Promise<{ secret: string; session: AdminSession }> {
  const secret = randomBytes(SESSION_SECRET_BYTES).toString('base64url');
  const now = services.now();
  const idHash = sha256(secret);
  await services.store.createAdminSession({ idHash, adminName: name, createdAt: now, lastSeenAt: now });
  return { secret, session: { adminName: name, csrf: csrfOf(secret), idHash } };
}

/**
 * Signs an administrator in. Every failure (unknown name, wrong password, wrong or replayed code, a
 * lock) is the same `{ ok: false }` after the same password check; each but a lock is an audit
 * record, and a success is one too.
 */
export async function signInAdmin(services: Services, kit: AdminKit, attempt: AdminSignIn): Promise<AdminSignInResult> {
  const name = attempt.name.trim().toLowerCase();
  const address = sourceAddress(attempt.address);
  const actor: AuditActor = 'guest';
  const keys = { login: `admin:${name}`, sources: [addressSourceKey(attempt.address)] };
  let outcome = 'wrongPassword';
  let factor: 'totp' | 'recoveryCode' | 'none' = 'none';
  let recoveryCodesLeft = 0;
  const failure = await guardedCheck(
    services,
    { keys, actor, password: attempt.password },
    async () => {
      const admin = name.length > 64 ? null : await services.store.getAdmin(name);
      const recoveryHashes = await services.store.listRecoveryCodeHashes(name);
      const right = await passwordRight(services, admin, attempt.password, keys.sources);
      const code = checkCode(kit, admin, recoveryHashes, attempt.code, services.now());
      const fail = (reason: string) => {
        outcome = reason;
        return { failure: 'wrongPassword', hashed: true } as const;
      };
      if (admin === null) return fail('unknownAdmin');
      if (!right) return fail('wrongPassword');
      if (code.kind === 'wrong' || (code.kind === 'none' && attempt.requireCode)) return fail('wrongCode');
      // Only now is anything written: a step after the last accepted one, or a recovery code not yet used (on any node).
      const used =
        code.kind === 'totp'
          ? await services.store.acceptTotpStep(name, code.step)
          : code.kind === 'recoveryCode'
            ? await services.store.useRecoveryCode(name, code.hash)
            : true;
      if (!used) return fail('replayedCode');
      factor = code.kind;
      recoveryCodesLeft = recoveryHashes.length - (code.kind === 'recoveryCode' ? 1 : 0);
      return { failure: null, hashed: true };
    },
    () => publish(services, { type: 'admin.signInFailed', actor, name, address, outcome }),
  );
  if (failure === 'locked') observeOnly({ type: 'admin.signInFailed', actor, target: `admin:${name}`, outcome: 'locked' });
  if (failure !== null) return { ok: false };
  await services.store.recordAdminSignIn(name, services.now());
  await publish(services, { type: 'admin.signedIn', actor: `admin:${name}`, name, address, factor, recoveryCodesLeft });
  return { ok: true, ...(await startSession(services, name)) };
}

/** The live session of a cookie's secret, or null (none, unknown, idle too long or too old: then it is deleted). */
export async function adminSessionOf(services: Pick<Services, 'store' | 'now'>, secret: string | null): Promise<AdminSession | null> {
  if (secret === null || secret === '') return null;
  const idHash = sha256(secret);
  const stored = await services.store.getAdminSession(idHash);
  if (stored === null) return null;
  const now = services.now();
  if (stored.lastSeenAt <= now - ADMIN_IDLE_MS || stored.createdAt <= now - ADMIN_LIFETIME_MS) {
    await services.store.deleteAdminSession(idHash);
    return null;
  }
  if (now - stored.lastSeenAt >= TOUCH_EVERY_MS) await services.store.touchAdminSession(idHash, now);
  return { adminName: stored.adminName, csrf: csrfOf(secret), idHash };
}

/** Ends the session in the store: its cookie is worthless from then on, on every node. */
export async function signOutAdmin(
  services: Pick<Services, 'store' | 'now' | 'log' | 'eventPublished'>,
  session: AdminSession,
): Promise<void> {
  if (await services.store.deleteAdminSession(session.idHash)) {
    await publish(services, { type: 'admin.signedOut', actor: `admin:${session.adminName}`, name: session.adminName });
  }
}

/** Deletes the console sessions past their idle timeout or lifetime; the server calls it periodically. */
export function purgeAdminSessions(services: Pick<Services, 'store' | 'now'>): Promise<number> {
  const now = services.now();
  return services.store.purgeAdminSessions(now - ADMIN_IDLE_MS, now - ADMIN_LIFETIME_MS);
}
