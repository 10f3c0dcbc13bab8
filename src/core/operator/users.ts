// What an operator does with users (protocol §3.2): find one by id or login, list them a page at a
// time, look at one, create one, disable or enable it, turn single sign-on on or off
// (docs/FEDERATION.md), end its sessions, and what deleting it takes along. Creating, changing and
// deleting are the core's own (core/users.ts), shared with the SOAP API; the operator's rules around
// them are here, one set for `ssod users` and the admin console.
import type { AuditActor } from '../audit.js';
import { SsoError } from '../errors.js';
import { publish } from '../events.js';
import { NO_PASSWORD } from '../localAuthenticator.js';
import { Refusal } from '../refusal.js';
import type { OperatorServices } from '../services.js';
import { endSession } from '../sessions.js';
import { DIRECTORY_DOWN_WARNING, isDelegated, sourceForSingleSignOn } from '../sources.js';
import type { ApplicationRecord, UserRecord } from '../store/index.js';
import { createUser, disableUser, enableUser, hashNewPassword, loginKeyOf } from '../users.js';
import { requireMayOwnUsersAsOperator } from './groups.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A user's sessions are counted up to this many. */
export const MOST_USER_SESSIONS = 1000;

/** The user that an operator names by id or by login; null when none. */
export async function findUserByReference(services: Pick<OperatorServices, 'store'>, reference: string): Promise<UserRecord | null> {
  return (
    (UUID.test(reference) ? await services.store.getUser(reference.toLowerCase()) : null) ??
    (await services.store.findUserByLoginKey(loginKeyOf(reference)))
  );
}

/** The user holding this login (compared as logins are, without case); null when it is free. */
export function findUserByLogin(services: Pick<OperatorServices, 'store'>, login: string): Promise<UserRecord | null> {
  return services.store.findUserByLoginKey(loginKeyOf(login));
}

export interface UserListQuery {
  readonly ownerId?: string | undefined;
  /** Only logins that contain this text (compared as logins are). */
  readonly login?: string | undefined;
  /** The page after this login. */
  readonly after?: string | undefined;
  readonly limit: number;
}

export interface UserPage {
  readonly users: readonly UserRecord[];
  /** The login key the next page starts after; null on the last page. */
  readonly next: string | null;
}

/** A page of users by login key. */
export async function listUsers(services: Pick<OperatorServices, 'store'>, query: UserListQuery): Promise<UserPage> {
  const found = await services.store.listUsers({
    ...(query.ownerId !== undefined ? { ownerId: query.ownerId } : {}),
    ...(query.login !== undefined ? { loginKeyContains: loginKeyOf(query.login) } : {}),
    ...(query.after !== undefined ? { afterLoginKey: loginKeyOf(query.after) } : {}),
    limit: query.limit + 1, // one more, to know whether there is a next page
  });
  return { users: found.slice(0, query.limit), next: found.length > query.limit ? (found[query.limit - 1]?.loginKey ?? null) : null };
}

/** How many sessions the user has (up to MOST_USER_SESSIONS). */
export async function countUserSessions(services: Pick<OperatorServices, 'store'>, userId: string): Promise<number> {
  return (await services.store.listSessions({ userId, limit: MOST_USER_SESSIONS })).length;
}

export interface UserDetails {
  readonly user: UserRecord;
  readonly owner: ApplicationRecord | null;
  readonly sessions: number;
}

/** A user with its owner and how many sessions it has. */
export async function userDetails(services: Pick<OperatorServices, 'store'>, user: UserRecord): Promise<UserDetails> {
  return { user, owner: await services.store.getApplication(user.ownerId), sessions: await countUserSessions(services, user.id) };
}

export interface DisabledChange {
  /** False when the user was in that state already. */
  readonly changed: boolean;
  /** The sessions that disabling ended. */
  readonly sessionsEnded: number;
}

/** Disables (its sessions end) or enables the user. */
export async function setUserDisabled(
  services: OperatorServices,
  user: UserRecord,
  disabled: boolean,
  actor: AuditActor = 'operator',
): Promise<DisabledChange> {
  const before = await countUserSessions(services, user.id);
  const changed = disabled ? await disableUser(services, user, actor) : await enableUser(services, user, actor);
  return { changed, sessionsEnded: disabled && changed ? before : 0 };
}

export interface SingleSignOnChange {
  /** False when the user had that source already (nothing was written). */
  readonly changed: boolean;
  readonly user: UserRecord;
  /** What the operator must be told about the change (the command prints it on stderr), if anything. */
  readonly warning: string | null;
}

/** The audit event of a change of the user's source (null: ssod's own hash). */
function recordSourceChange(services: OperatorServices, user: UserRecord, to: string | null, actor: AuditActor): Promise<void> {
  return publish(services, {
    type: 'user.singleSignOnChanged',
    actor,
    userId: user.id,
    login: user.login,
    from: user.sourceName,
    to,
  });
}

/**
 * Turns single sign-on on (docs/FEDERATION.md): the user's password is checked by the source
 * `sourceName` from now on, and its local hash is dropped in the same write: a delegated user has no
 * password here. Refused without any source, or with a name that is none of them.
 */
export async function turnSingleSignOnOn(
  services: OperatorServices,
  user: UserRecord,
  sourceName: string,
  actor: AuditActor = 'operator',
): Promise<SingleSignOnChange> {
  sourceForSingleSignOn(await services.store.listSources(), sourceName);
  if (user.sourceName === sourceName) return { changed: false, user, warning: null };
  if (!(await services.store.setUserSource(user.id, sourceName, NO_PASSWORD)))
    throw new Refusal(
      `user ${user.login} or source ${sourceName} was removed meanwhile; \`ssod users show\` and \`ssod sources list\` show what is there`,
    );
  await recordSourceChange(services, user, sourceName, actor);
  return { changed: true, user: { ...user, sourceName, passwordHash: NO_PASSWORD }, warning: DIRECTORY_DOWN_WARNING };
}

/**
 * Turns single sign-on off: the user signs in with ssod's own hash again, `passwordHash` (of a new
 * local password, hashed as any), set in the same write as the source.
 */
export async function turnSingleSignOnOff(
  services: OperatorServices,
  user: UserRecord,
  passwordHash: string,
  actor: AuditActor = 'operator',
): Promise<SingleSignOnChange> {
  if (!isDelegated(user)) return { changed: false, user, warning: null };
  if (passwordHash === NO_PASSWORD) throw new Refusal('turning single sign-on off needs a new local password for the user');
  if (!(await services.store.setUserSource(user.id, null, passwordHash)))
    throw new Refusal(`user ${user.login} was removed meanwhile; \`ssod users list\` shows the users`);
  await recordSourceChange(services, user, null, actor);
  return { changed: true, user: { ...user, sourceName: null, passwordHash }, warning: null };
}

/** The longest login, as the SOAP API's createUser takes it. */
export const MOST_LOGIN_CHARACTERS = 255;

/**
 * Refuses a new login the service would not take, or one that is taken, and an owner that may not
 * own users (a subscriber of a group); checked before a password is asked or hashed.
 */
export async function checkNewUser(services: Pick<OperatorServices, 'store'>, owner: ApplicationRecord, login: string): Promise<void> {
  await requireMayOwnUsersAsOperator(services, owner);
  if (login.length === 0) throw new Refusal('the login must not be empty; give the login to create');
  if (Array.from(login).length > MOST_LOGIN_CHARACTERS) throw new Refusal(`the login is longer than ${MOST_LOGIN_CHARACTERS} characters`);
  try {
    loginKeyOf(login);
  } catch (error) {
    if (!(error instanceof SsoError)) throw error;
    throw new Refusal(error.message);
  }
  if ((await findUserByLogin(services, login)) !== null)
    throw new Refusal(`the login ${JSON.stringify(login)} is taken; choose another, or see it with \`ssod users show LOGIN\``);
}

/** The hash of a new local password, refused as the SOAP API refuses it (empty, too long). */
export async function hashOperatorPassword(services: OperatorServices, password: string): Promise<string> {
  try {
    return await hashNewPassword(services, { password, hashType: undefined });
  } catch (error) {
    if (!(error instanceof SsoError)) throw error;
    throw new Refusal(`password refused: ${error.message}; choose another`);
  }
}

/** A user as an operator creates it: with a local password, or with single sign-on through a source. */
export type NewUser = {
  readonly owner: ApplicationRecord;
  readonly login: string;
} & ({ readonly password: string } | { readonly sourceName: string });

/** Creates a user under the operator's rules (checkNewUser, the password's, the source's); its id. */
export async function createUserAsOperator(services: OperatorServices, user: NewUser, actor: AuditActor = 'operator'): Promise<string> {
  await checkNewUser(services, user.owner, user.login);
  const sourceName = 'sourceName' in user ? sourceForSingleSignOn(await services.store.listSources(), user.sourceName).name : null;
  const hash = 'password' in user ? await hashOperatorPassword(services, user.password) : NO_PASSWORD;
  try {
    return await createUser(services, user.owner.id, user.login, hash, actor, {}, sourceName);
  } catch (error) {
    // Taken meanwhile, or an owner that was unregistered meanwhile.
    if (!(error instanceof SsoError)) throw error;
    throw new Refusal(`user ${user.login} was not created: ${error.message}`);
  }
}

/** What the forms about users offer to choose from: the applications, the sources and the identity providers, by name. */
export interface UserChoices {
  readonly applications: readonly Pick<ApplicationRecord, 'id' | 'name'>[];
  readonly sources: readonly string[];
  readonly identityProviders: readonly string[];
}

export async function userChoices(services: Pick<OperatorServices, 'store'>): Promise<UserChoices> {
  const { store } = services;
  return {
    applications: (await store.listApplications()).map(({ id, name }) => ({ id, name })),
    sources: (await store.listSources()).map((source) => source.name),
    identityProviders: (await store.listIdentityProviders()).map((idp) => idp.name),
  };
}

/** What deleting the user takes with it: its sessions and its federated id links. */
export interface UserDeletionFigures {
  readonly sessions: number;
  readonly links: number;
}

export async function userDeletionFigures(services: Pick<OperatorServices, 'store'>, user: UserRecord): Promise<UserDeletionFigures> {
  return {
    sessions: await countUserSessions(services, user.id),
    links: (await services.store.listFederatedLinksOfUser(user.id)).length,
  };
}

/** Ends one session of the user (a session of another user is refused, as one that is gone). */
export async function endSessionOfUser(
  services: OperatorServices,
  user: UserRecord,
  globalId: string,
  actor: AuditActor = 'operator',
): Promise<void> {
  const session = await services.store.getGlobalSession(globalId);
  if (session?.userId !== user.id || !(await endSession(services, globalId, actor)))
    throw new Refusal(`user ${user.login} has no session ${JSON.stringify(globalId)} (it ended meanwhile)`);
}
