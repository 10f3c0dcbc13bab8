// Users and their passwords (protocol §3.2, §5.6–5.17), independent of SOAP.
import { randomUUID } from 'node:crypto';
import { ProtocolFault } from '../adapters/soap/faults.js';
import { DuplicateLoginError, type UnitStep, type UserRecord } from './store/index.js';
import { recordAudit, type AuditActor, type AuditDetail } from './audit.js';
import type { HashingSources } from '../infra/hashing/pool.js';
import { isLegacyDigest, isLegacyHashType } from '../infra/hashing/passwords.js';
import { findApplication } from './applications.js';
import { preparedLogin } from './identifiers.js';
import type { OperatorServices } from './services.js';

/**
 * The key a login is compared and kept unique by: its PRECIS UsernameCaseMapped form, so that case,
 * width and normalization variants are one login (docs/DECISIONS.md "Logins"). A login the profile
 * refuses is invalidParameter.
 */
export function loginKeyOf(login: string): string {
  return preparedLogin(login);
}

/** The setting that records which form the stored login keys have. */
const LOGIN_KEY_FORM_SETTING = 'loginKeyForm';
const LOGIN_KEY_FORM = 'precis-usernamecasemapped';
const USER_PAGE = 1000;

/**
 * Gives every stored login key its PRECIS form, once per store that has users. Keys stored before were NFC and lower
 * case, which is the same for every login but those with fullwidth or halfwidth forms (now folded).
 * A stored login that the profile refuses (a control or invisible character), or whose PRECIS form
 * another user holds (a look-alike made before), keeps its old key: its user is still found by id,
 * and the log names it so that its owner can change the login.
 */
export async function upgradeLoginKeys(services: Pick<OperatorServices, 'store' | 'log' | 'now'>): Promise<void> {
  const { store, log } = services;
  if ((await store.readSettings())[LOGIN_KEY_FORM_SETTING] === LOGIN_KEY_FORM) return;
  const changes: { user: UserRecord; key: string }[] = [];
  let users = 0;
  for (let after: string | undefined; ; ) {
    const page = await store.listUsers({ limit: USER_PAGE, ...(after !== undefined ? { afterLoginKey: after } : {}) });
    users += page.length;
    for (const user of page) {
      try {
        const key = preparedLogin(user.login);
        if (key !== user.loginKey) changes.push({ user, key });
      } catch (error) {
        if (!(error instanceof ProtocolFault)) throw error;
        log.warn('stored login refused by the login rules; its user is found by id only', { userId: user.id, reason: error.message });
      }
    }
    if (page.length < USER_PAGE) break;
    after = page[page.length - 1]?.loginKey;
  }
  for (const { user, key } of changes) {
    try {
      await store.changeLogin(user.id, user.login, key);
    } catch (error) {
      if (!(error instanceof DuplicateLoginError)) throw error;
      log.warn('stored login looks like another user\'s login; its user is found by id only', { userId: user.id });
    }
  }
  // A store without users has nothing to upgrade, and looking again costs one query.
  if (users > 0) await store.writeSettings({ [LOGIN_KEY_FORM_SETTING]: LOGIN_KEY_FORM }, services.now());
}

/** A password as an operation receives it: plaintext, or a legacy digest with its type (protocol §5.6). */
export interface PasswordInput {
  readonly password: string;
  readonly hashType: string | undefined;
}

/** Hashes a new password, refusing what may not be stored (docs/DECISIONS.md "Passwords", D27, D28). */
export async function hashNewPassword(services: OperatorServices, input: PasswordInput): Promise<string> {
  if (input.hashType === undefined) {
    if (input.password.length === 0) throw new ProtocolFault('invalidParameter', 'The password must not be empty.');
    if (Buffer.byteLength(input.password, 'utf8') > services.options.maxPasswordBytes) {
      throw new ProtocolFault('invalidParameter', `The password is longer than ${services.options.maxPasswordBytes} bytes.`);
    }
    return services.passwords.hash(input.password);
  }
  if (!isLegacyHashType(input.hashType) || !services.settings.current().passwordHashTypes.includes(input.hashType)) {
    throw new ProtocolFault('invalidParameter', 'Unsupported password hash type; getSettings lists the supported ones.');
  }
  if (!isLegacyDigest(input.hashType, input.password)) {
    throw new ProtocolFault('invalidParameter', `The password is not a hex ${input.hashType} digest.`);
  }
  return services.passwords.hashLegacyDigest(input.hashType, input.password);
}

export async function findUser(services: OperatorServices, userId: string): Promise<UserRecord> {
  const user = await services.store.getUser(userId);
  if (user === null) throw new ProtocolFault('noSuchUser');
  return user;
}

/** protocol §3.2: only the owner may delete, change, duplicate or transfer a user. */
export function requireOwner(user: UserRecord, applicationId: string): void {
  if (user.ownerId !== applicationId) throw new ProtocolFault('permissionDenied', 'The user is owned by another application.');
}

export async function createUser(
  services: OperatorServices,
  ownerId: string,
  login: string,
  passwordHash: string,
  actor: AuditActor,
  detail: AuditDetail = {},
): Promise<string> {
  const id = randomUUID();
  try {
    await services.store.insertUser({ id, login, loginKey: loginKeyOf(login), ownerId, passwordHash, createdAt: services.now(), disabledAt: null });
  } catch (error) {
    if (error instanceof DuplicateLoginError) throw new ProtocolFault('duplicateLogin');
    throw error;
  }
  await recordAudit(services, { type: 'user.created', actor, target: `user:${id}`, detail: { login, ownerId, ...detail } });
  return id;
}

export async function changeLogin(services: OperatorServices, user: UserRecord, login: string, actor: AuditActor): Promise<void> {
  try {
    if (!(await services.store.changeLogin(user.id, login, loginKeyOf(login)))) throw new ProtocolFault('noSuchUser');
  } catch (error) {
    if (error instanceof DuplicateLoginError) throw new ProtocolFault('duplicateLogin');
    throw error;
  }
  await recordAudit(services, { type: 'user.loginChanged', actor, target: `user:${user.id}`, detail: { from: user.login, to: login } });
}

export async function deleteUser(services: OperatorServices, user: UserRecord, actor: AuditActor): Promise<void> {
  if (!(await services.store.deleteUser(user.id))) throw new ProtocolFault('noSuchUser');
  await recordAudit(services, { type: 'user.deleted', actor, target: `user:${user.id}`, detail: { login: user.login } });
}

/**
 * Replaces the user's password hash. With `expected`, only while the stored hash still equals it
 * (compare-and-set); false when it did not.
 */
export async function setPasswordHash(services: OperatorServices, user: UserRecord, passwordHash: string, actor: AuditActor, expected?: string): Promise<boolean> {
  if (!(await services.store.setPasswordHash(user.id, passwordHash, expected))) return false;
  await recordAudit(services, { type: 'user.passwordChanged', actor, target: `user:${user.id}`, detail: { login: user.login } });
  return true;
}

/** protocol §5.16 transferOwnership, and the operator's change of owner: the receiving application must exist. */
export async function transferOwnership(services: OperatorServices, user: UserRecord, ownerId: string, actor: AuditActor): Promise<void> {
  const target = await findApplication(services, ownerId);
  if (!(await services.store.setOwner(user.id, target.id))) throw new ProtocolFault('noSuchUser');
  await recordAudit(services, { type: 'user.ownershipTransferred', actor, target: `user:${user.id}`, detail: { from: user.ownerId, to: target.id } });
}

/** Disabling a user ends its sessions, in the same unit: no session of a disabled user outlives the disabling. */
export function userDisabling(userId: string, at: number): UnitStep[] {
  return [
    { write: 'setUserDisabled', userId, disabledAt: at, required: true },
    { write: 'deleteUserSessions', userId },
  ];
}

/** Enabling a user changes nothing else: its sessions ended when it was disabled. */
export function userEnabling(userId: string): UnitStep[] {
  return [{ write: 'setUserDisabled', userId, disabledAt: null, required: true }];
}

/**
 * Disables the user: it can no longer authenticate, and its sessions end in the same transaction.
 * False when it was disabled already (its disabling time is kept).
 */
export async function disableUser(services: OperatorServices, user: UserRecord, actor: AuditActor): Promise<boolean> {
  if (user.disabledAt !== null) return false;
  if (!(await services.store.apply(userDisabling(user.id, services.now())))) throw new ProtocolFault('noSuchUser');
  await recordAudit(services, { type: 'user.disabled', actor, target: `user:${user.id}`, detail: { login: user.login } });
  return true;
}

/** Enables a disabled user again. False when it was enabled already. */
export async function enableUser(services: OperatorServices, user: UserRecord, actor: AuditActor): Promise<boolean> {
  if (user.disabledAt === null) return false;
  if (!(await services.store.apply(userEnabling(user.id)))) throw new ProtocolFault('noSuchUser');
  await recordAudit(services, { type: 'user.enabled', actor, target: `user:${user.id}`, detail: { login: user.login } });
  return true;
}

/**
 * Checks a plaintext password against a user's stored hash. A successful check of a weaker stored
 * form re-hashes it in the background (docs/DECISIONS.md hash upgrade); the caller does not wait for that.
 */
export async function checkPassword(
  services: OperatorServices,
  user: UserRecord,
  password: string,
  { upgrade = true, sources = [] }: { upgrade?: boolean; sources?: HashingSources } = {},
): Promise<boolean> {
  if (password.length === 0 || Buffer.byteLength(password, 'utf8') > services.options.maxPasswordBytes) return false;
  const result = await services.passwords.verify(user.passwordHash, password, sources);
  if (upgrade && result.ok && result.needsUpgrade) {
    services.passwords
      .hash(password)
      .then((upgraded) => services.store.setPasswordHash(user.id, upgraded, user.passwordHash))
      .catch((error: unknown) => services.log.error('password hash upgrade failed', { userId: user.id, error: String(error) }));
  }
  return result.ok;
}
