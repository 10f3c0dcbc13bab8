// The administrators of the admin console (docs/admin-console.md), as an operator manages them
// (`ssod admins`, and later the console): add one with a password, a new TOTP secret and recovery
// codes; list; remove; reset the password or the second factor. Each change is an audit event with
// the actor that made it, and a reset or a removal ends the administrator's console sessions.
import { createHash, randomInt } from 'node:crypto';
import { publish } from '../events.js';
import type { AuditActor } from '../audit.js';
import type { OneTimeCodes } from '../ports/oneTimeCodes.js';
import type { SecretSealer } from '../ports/secrets.js';
import { Refusal } from '../refusal.js';
import type { OperatorServices } from '../services.js';
import type { AdminSummary } from '../store/index.js';

/** What the administrators' second factor needs besides the services: the TOTP implementation and the sealing of its secrets. */
export interface AdminKit {
  readonly codes: OneTimeCodes;
  readonly sealer: SecretSealer;
}

/** What an operator use case on administrators needs. */
export type AdminServices = Pick<OperatorServices, 'store' | 'now' | 'log' | 'passwords' | 'options'>;

/** The issuer that authenticator apps show beside the administrator's name. */
export const TOTP_ISSUER = 'ssod';
export const RECOVERY_CODE_COUNT = 10;
/** The shortest password an administrator may have. */
export const MIN_ADMIN_PASSWORD_CHARS = 12;
// 32 letters and digits without the look-alikes l, o, 0 and 1: 12 of them are 60 random bits.
const RECOVERY_ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789';
const RECOVERY_CODE_CHARS = 12;
const ADMIN_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** Why `name` cannot name an administrator, or null. */
export function adminNameProblem(name: string): string | null {
  return ADMIN_NAME.test(name)
    ? null
    : `"${name.slice(0, 80)}" is not an administrator name; use 1 to 64 lower-case letters, digits, ".", "_" or "-", starting with a letter or a digit`;
}

/** The name a sealed TOTP secret is bound to: it opens for this administrator only. */
export function totpSealName(admin: string): string {
  return `admin-totp:${admin}`;
}

/** A recovery code as typed (any case, with or without dashes and spaces), as it is hashed. */
export function normalizeRecoveryCode(code: string): string {
  return code.toLowerCase().replace(/[\s-]/g, '');
}

/** SHA-256 of a recovery code, hex: what the store keeps. The codes are random enough that no slow hash is needed. */
export function recoveryCodeHash(code: string): string {
  return createHash('sha256').update(normalizeRecoveryCode(code)).digest('hex');
}

/** A new recovery code, `xxxx-xxxx-xxxx`. */
function newRecoveryCode(): string {
  const chars = Array.from({ length: RECOVERY_CODE_CHARS }, () => RECOVERY_ALPHABET[randomInt(RECOVERY_ALPHABET.length)]);
  return [0, 4, 8].map((start) => chars.slice(start, start + 4).join('')).join('-');
}

/** What an administrator is given once, when added or when its second factor is reset. */
export interface SecondFactor {
  /** The TOTP secret, base32. */
  readonly secret: string;
  /** The otpauth:// URI for an authenticator app. */
  readonly uri: string;
  readonly recoveryCodes: readonly string[];
}

function newSecondFactor(kit: AdminKit, name: string): SecondFactor & { readonly sealed: string; readonly hashes: readonly string[] } {
  const secret = kit.codes.newSecret();
  const recoveryCodes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
  return {
    secret,
    uri: kit.codes.uri(secret, TOTP_ISSUER, name),
    recoveryCodes,
    sealed: kit.sealer.seal(secret, totpSealName(name)),
    hashes: recoveryCodes.map(recoveryCodeHash),
  };
}

/** Why `password` cannot be an administrator's, or null. */
export function adminPasswordProblem(services: Pick<AdminServices, 'options'>, password: string): string | null {
  if (Array.from(password).length < MIN_ADMIN_PASSWORD_CHARS)
    return `an administrator's password has at least ${MIN_ADMIN_PASSWORD_CHARS} characters`;
  if (Buffer.byteLength(password, 'utf8') > services.options.maxPasswordBytes)
    return `an administrator's password has at most ${services.options.maxPasswordBytes} bytes (--max-password-bytes)`;
  return null;
}

function requirePassword(services: AdminServices, password: string): void {
  const problem = adminPasswordProblem(services, password);
  if (problem !== null) throw new Refusal(`${problem}; choose another`);
}

function requireName(name: string): void {
  const problem = adminNameProblem(name);
  if (problem !== null) throw new Refusal(problem);
}

/** Adds an administrator; returns its second factor, to be shown once. Refused when the name is taken. */
export async function addAdmin(
  services: AdminServices,
  kit: AdminKit,
  request: { readonly name: string; readonly password: string },
  actor: AuditActor,
): Promise<SecondFactor> {
  requireName(request.name);
  requirePassword(services, request.password);
  const factor = newSecondFactor(kit, request.name);
  const record = {
    name: request.name,
    passwordHash: await services.passwords.hash(request.password),
    totpSealed: factor.sealed,
    totpLastStep: 0,
    createdAt: services.now(),
    lastSignInAt: null,
  };
  if (!(await services.store.addAdmin(record, factor.hashes))) {
    throw new Refusal(
      `there is already an administrator named ${request.name}; choose another name, or reset it with \`ssod admins reset ${request.name}\``,
    );
  }
  await publish(services, { type: 'admin.added', actor, name: request.name });
  return { secret: factor.secret, uri: factor.uri, recoveryCodes: factor.recoveryCodes };
}

/** Every administrator, by name. */
export function listAdmins(services: Pick<AdminServices, 'store'>): Promise<AdminSummary[]> {
  return services.store.listAdmins();
}

function noSuchAdmin(name: string): Refusal {
  return new Refusal(`no administrator named ${name}; \`ssod admins list\` shows who there is`);
}

/** Removes an administrator and ends its console sessions; returns how many ended. */
export async function removeAdmin(services: AdminServices, name: string, actor: AuditActor): Promise<number> {
  const sessions = await services.store.removeAdmin(name);
  if (sessions === null) throw noSuchAdmin(name);
  await publish(services, { type: 'admin.removed', actor, name, sessions });
  return sessions;
}

/**
 * Replaces an administrator's password, its second factor (a new TOTP secret and new recovery
 * codes), or both, and ends its console sessions. Returns the new second factor when one was made.
 */
export async function resetAdmin(
  services: AdminServices,
  kit: AdminKit,
  request: { readonly name: string; readonly password?: string; readonly totp: boolean },
  actor: AuditActor,
): Promise<{ readonly factor: SecondFactor | null; readonly sessions: number }> {
  if (request.password === undefined && !request.totp) throw new Refusal('nothing to reset; give --password, --totp or both');
  if (request.password !== undefined) requirePassword(services, request.password);
  const factor = request.totp ? newSecondFactor(kit, request.name) : null;
  const sessions = await services.store.resetAdmin(request.name, {
    ...(request.password !== undefined ? { passwordHash: await services.passwords.hash(request.password) } : {}),
    ...(factor !== null ? { totp: { sealed: factor.sealed, recoveryCodeHashes: factor.hashes } } : {}),
  });
  if (sessions === null) throw noSuchAdmin(request.name);
  const replaced = [...(request.password !== undefined ? (['password'] as const) : []), ...(request.totp ? (['totp'] as const) : [])];
  await publish(services, { type: 'admin.reset', actor, name: request.name, replaced, sessions });
  return { factor: factor === null ? null : { secret: factor.secret, uri: factor.uri, recoveryCodes: factor.recoveryCodes }, sessions };
}
