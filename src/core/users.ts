// Users and their passwords (protocol §3.2, §5.6–5.17), independent of SOAP.
import { randomUUID } from 'node:crypto';
import { SsoError } from './errors.js';
import { DuplicateLoginError, type UnitStep, type UserRecord } from './store/index.js';
import type { AuditActor } from './audit.js';
import { publish } from './events.js';
import { isLegacyDigest, isLegacyHashType } from './ports/passwords.js';
import { findApplication } from './applications.js';
import { preparedLogin } from './identifiers.js';
import type { OperatorServices } from './services.js';
import { requireMayOwnUsers } from './groups.js';

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
 * Records that every stored login key has the current form, for a store filled by a tool that wrote
 * them so (the bench's seeder, with loginKeyOf): upgradeLoginKeys then has nothing to look at, where
 * it would otherwise read every user once at the next start.
 */
export async function markLoginKeysCurrent(store: Pick<OperatorServices['store'], 'writeSettings'>, now: number): Promise<void> {
  await store.writeSettings({ [LOGIN_KEY_FORM_SETTING]: LOGIN_KEY_FORM }, now);
}

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
  for (let after: string | undefined; ;) {
    const page = await store.listUsers({ limit: USER_PAGE, ...(after !== undefined ? { afterLoginKey: after } : {}) });
    users += page.length;
    for (const user of page) {
      try {
        const key = preparedLogin(user.login);
        if (key !== user.loginKey) changes.push({ user, key });
      } catch (error) {
        if (!(error instanceof SsoError)) throw error;
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
      log.warn("stored login looks like another user's login; its user is found by id only", { userId: user.id });
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
    if (input.password.length === 0) throw new SsoError('invalidParameter', 'The password must not be empty.');
    if (Buffer.byteLength(input.password, 'utf8') > services.options.maxPasswordBytes) {
      throw new SsoError('invalidParameter', `The password is longer than ${services.options.maxPasswordBytes} bytes.`);
    }
    return services.passwords.hash(input.password);
  }
  if (!isLegacyHashType(input.hashType) || !services.settings.current().passwordHashTypes.includes(input.hashType)) {
    throw new SsoError('invalidParameter', 'Unsupported password hash type; getSettings lists the supported ones.');
  }
  if (!isLegacyDigest(input.hashType, input.password)) {
    throw new SsoError('invalidParameter', `The password is not a hex ${input.hashType} digest.`);
  }
  return services.passwords.hashLegacyDigest(input.hashType, input.password);
}

export async function findUser(services: OperatorServices, userId: string): Promise<UserRecord> {
  const user = await services.store.getUser(userId);
  if (user === null) throw new SsoError('noSuchUser');
  return user;
}

/** protocol §3.2: only the owner may delete, change, duplicate or transfer a user. */
export function requireOwner(user: UserRecord, applicationId: string): void {
  if (user.ownerId !== applicationId) throw new SsoError('permissionDenied', 'The user is owned by another application.');
}

export async function createUser(
  services: OperatorServices,
  ownerId: string,
  login: string,
  passwordHash: string,
  actor: AuditActor,
  origin: { readonly duplicateOf?: string } = {},
  sourceName: string | null = null,
): Promise<string> {
  await requireMayOwnUsers(services, ownerId);
  const id = randomUUID();
  try {
    await services.store.insertUser({
      id,
      login,
      loginKey: loginKeyOf(login),
      ownerId,
      passwordHash,
      createdAt: services.now(),
      disabledAt: null,
      sourceName,
    });
  } catch (error) {
    if (error instanceof DuplicateLoginError) throw new SsoError('duplicateLogin');
    throw error;
  }
  await publish(services, { type: 'user.created', actor, userId: id, login, ownerId, ...origin });
  return id;
}

export async function changeLogin(services: OperatorServices, user: UserRecord, login: string, actor: AuditActor): Promise<void> {
  try {
    if (!(await services.store.changeLogin(user.id, login, loginKeyOf(login)))) throw new SsoError('noSuchUser');
  } catch (error) {
    if (error instanceof DuplicateLoginError) throw new SsoError('duplicateLogin');
    throw error;
  }
  await publish(services, { type: 'user.loginChanged', actor, userId: user.id, from: user.login, to: login });
}

export async function deleteUser(services: OperatorServices, user: UserRecord, actor: AuditActor): Promise<void> {
  if (!(await services.store.deleteUser(user.id))) throw new SsoError('noSuchUser');
  await publish(services, { type: 'user.deleted', actor, userId: user.id, login: user.login });
}

/**
 * Replaces the user's password hash. With `expected`, only while the stored hash still equals it
 * (compare-and-set); false when it did not.
 */
export async function setPasswordHash(
  services: OperatorServices,
  user: UserRecord,
  passwordHash: string,
  actor: AuditActor,
  expected?: string,
): Promise<boolean> {
  if (!(await services.store.setPasswordHash(user.id, passwordHash, expected))) return false;
  await publish(services, { type: 'user.passwordChanged', actor, userId: user.id, login: user.login });
  return true;
}

/** protocol §5.16 transferOwnership, and the operator's change of owner: the receiving application must exist. */
export async function transferOwnership(services: OperatorServices, user: UserRecord, ownerId: string, actor: AuditActor): Promise<void> {
  const target = await findApplication(services, ownerId);
  await requireMayOwnUsers(services, target.id);
  if (!(await services.store.setOwner(user.id, target.id))) throw new SsoError('noSuchUser');
  await publish(services, { type: 'user.ownershipTransferred', actor, userId: user.id, from: user.ownerId, to: target.id });
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
  if (!(await services.store.apply(userDisabling(user.id, services.now())))) throw new SsoError('noSuchUser');
  await publish(services, { type: 'user.disabled', actor, userId: user.id, login: user.login });
  return true;
}

/** Enables a disabled user again. False when it was enabled already. */
export async function enableUser(services: OperatorServices, user: UserRecord, actor: AuditActor): Promise<boolean> {
  if (user.disabledAt === null) return false;
  if (!(await services.store.apply(userEnabling(user.id)))) throw new SsoError('noSuchUser');
  await publish(services, { type: 'user.enabled', actor, userId: user.id, login: user.login });
  return true;
}

/** protocol §5.15, §5.17: a user named by login or by userId, never both, never neither; null when there is none. */
export async function userByLoginOrId(
  services: OperatorServices,
  login: string | undefined,
  userId: string | undefined,
): Promise<UserRecord | null> {
  if (login !== undefined && userId === undefined) return services.store.findUserByLoginKey(loginKeyOf(login));
  if (login === undefined && userId !== undefined) return services.store.getUser(userId);
  throw new SsoError('invalidParameter', 'Give exactly one of login and userId.');
}

/** The user with a login (protocol §5.9). */
export async function findUserByLogin(services: OperatorServices, login: string): Promise<UserRecord> {
  const user = await services.store.findUserByLoginKey(loginKeyOf(login));
  if (user === null) throw new SsoError('noSuchUser', 'The submitted user login name is not registered.');
  return user;
}

/**
 * listUsers (protocol §5.10): the ids of the users the calling application owns; for a subscriber of
 * a group, which owns none, the users of its group: those its provider owns (docs/groups.md).
 */
export async function listUserIds(services: OperatorServices, callerId: string): Promise<string[]> {
  const membership = await services.store.groupOfApplication(callerId);
  if (membership?.role === 'subscriber') {
    const group = await services.store.getGroup(membership.groupName);
    if (group !== null) return services.store.listUserIds(group.providerId);
  }
  return services.store.listUserIds(callerId);
}

/**
 * protocol §5.14–5.15: the owner's password form URL with '$uid' replaced by the user id; null when the
 * owner registered none, and for a user with single sign-on, whose password the owner's form cannot
 * change or restore (docs/FEDERATION.md; the protocol allows no URL).
 */
export async function passwordFormUrl(
  services: OperatorServices,
  user: UserRecord,
  form: 'changePasswordUrl' | 'restorePasswordUrl',
): Promise<string | null> {
  if (user.sourceName !== null) return null;
  const template = (await services.store.getApplication(user.ownerId))?.[form] ?? null;
  return template === null ? null : template.replaceAll('$uid', user.id);
}

/** userByLoginOrId, when the user must exist (protocol §5.15). */
export async function findUserByLoginOrId(
  services: OperatorServices,
  login: string | undefined,
  userId: string | undefined,
): Promise<UserRecord> {
  const user = await userByLoginOrId(services, login, userId);
  if (user === null) throw new SsoError('noSuchUser', 'The user with the submitted login name or userId does not exist.');
  return user;
}
