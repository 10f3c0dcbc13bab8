// Users and their passwords (003 §3.2, §5.6–5.17), independent of SOAP.
import { randomUUID } from 'node:crypto';
import { ProtocolFault } from '../faults.js';
import { DuplicateLoginError, type UserRecord } from '../store/types.js';
import { isLegacyDigest, isLegacyHashType } from './passwords.js';
import type { Services } from './services.js';

/** Logins compare without regard to case or Unicode normalization (DESIGN.md "Logins"). */
export function loginKeyOf(login: string): string {
  return login.normalize('NFC').toLowerCase();
}

/** A password as an operation receives it: plaintext, or a legacy digest with its type (003 §5.6). */
export interface PasswordInput {
  readonly password: string;
  readonly hashType: string | undefined;
}

/** Hashes a new password, refusing what may not be stored (DESIGN.md "Passwords", ATTACKS #27, #28). */
export async function hashNewPassword(services: Services, input: PasswordInput): Promise<string> {
  if (input.hashType === undefined) {
    if (input.password.length === 0) throw new ProtocolFault('invalidParameter', 'The password must not be empty.');
    if (Buffer.byteLength(input.password, 'utf8') > services.options.maxPasswordBytes) {
      throw new ProtocolFault('invalidParameter', `The password is longer than ${services.options.maxPasswordBytes} bytes.`);
    }
    return services.passwords.hash(input.password);
  }
  if (!isLegacyHashType(input.hashType)) {
    throw new ProtocolFault('invalidParameter', 'Unsupported password hash type; getSettings lists the supported ones.');
  }
  if (!isLegacyDigest(input.hashType, input.password)) {
    throw new ProtocolFault('invalidParameter', `The password is not a hex ${input.hashType} digest.`);
  }
  return services.passwords.hashLegacyDigest(input.hashType, input.password);
}

export async function findUser(services: Services, userId: string): Promise<UserRecord> {
  const user = await services.store.getUser(userId);
  if (user === null) throw new ProtocolFault('noSuchUser');
  return user;
}

/** 003 §3.2: only the owner may delete, change, duplicate or transfer a user. */
export function requireOwner(user: UserRecord, applicationId: string): void {
  if (user.ownerId !== applicationId) throw new ProtocolFault('permissionDenied', 'The user is owned by another application.');
}

export async function createUser(services: Services, ownerId: string, login: string, passwordHash: string): Promise<string> {
  const id = randomUUID();
  try {
    await services.store.insertUser({ id, login, loginKey: loginKeyOf(login), ownerId, passwordHash, createdAt: services.now() });
  } catch (error) {
    if (error instanceof DuplicateLoginError) throw new ProtocolFault('duplicateLogin');
    throw error;
  }
  return id;
}

export async function changeLogin(services: Services, userId: string, login: string): Promise<void> {
  try {
    if (!(await services.store.changeLogin(userId, login, loginKeyOf(login)))) throw new ProtocolFault('noSuchUser');
  } catch (error) {
    if (error instanceof DuplicateLoginError) throw new ProtocolFault('duplicateLogin');
    throw error;
  }
}

/**
 * Checks a plaintext password against a user's stored hash. A successful check of a weaker stored
 * form re-hashes it in the background (DESIGN.md hash upgrade); the caller does not wait for that.
 */
export async function checkPassword(
  services: Services,
  user: UserRecord,
  password: string,
  { upgrade = true }: { upgrade?: boolean } = {},
): Promise<boolean> {
  if (password.length === 0 || Buffer.byteLength(password, 'utf8') > services.options.maxPasswordBytes) return false;
  const result = await services.passwords.verify(user.passwordHash, password);
  if (upgrade && result.ok && result.needsUpgrade) {
    services.passwords
      .hash(password)
      .then((upgraded) => services.store.setPasswordHash(user.id, upgraded, user.passwordHash))
      .catch((error: unknown) => services.log.error('password hash upgrade failed', { userId: user.id, error: String(error) }));
  }
  return result.ok;
}
