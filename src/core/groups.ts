// The sets of applications (docs/groups.md "Groups"): an application's set is its group, or the
// default set of ungrouped applications (null). A user's set is its owner's; a global session's is
// the one it was started in (GlobalSessionRecord.groupName). The rules that keep users and sessions
// within their set call these; the operator's commands on groups are core/operator/groups.ts.
import { SsoError } from './errors.js';
import type { Services } from './services.js';
import type { UserRecord } from './store/index.js';

/** The set of an application: its group's name, or null for the default set (also for a guest, null). */
export async function setOfApplication(services: Pick<Services, 'store'>, applicationId: string | null): Promise<string | null> {
  if (applicationId === null) return null;
  return (await services.store.groupOfApplication(applicationId))?.groupName ?? null;
}

/**
 * The set of the application behind a url that ssod's pages return to (the sign-in page,
 * pass-through, SAML): the group of an application registered with that url, else the default set.
 */
export function setOfUrl(services: Pick<Services, 'store'>, url: string): Promise<string | null> {
  return services.store.groupOfApplicationUrl(url);
}

/** Whether the user belongs to the set (its owner's set is it). */
export async function isUserInSet(services: Pick<Services, 'store'>, user: UserRecord, set: string | null): Promise<boolean> {
  return (await setOfApplication(services, user.ownerId)) === set;
}

/** The user when it belongs to the set; null otherwise, as if there were no such user (docs/groups.md "The rules"). */
export async function userOfSet(
  services: Pick<Services, 'store'>,
  user: UserRecord | null,
  set: string | null,
): Promise<UserRecord | null> {
  return user !== null && (await isUserInSet(services, user, set)) ? user : null;
}

/** The user as the caller (null: a guest, the default set) may see it: noSuchUser outside the caller's set. */
export async function requireUserOfCallerSet(
  services: Pick<Services, 'store'>,
  user: UserRecord,
  callerId: string | null,
  message?: string,
): Promise<UserRecord> {
  if (await isUserInSet(services, user, await setOfApplication(services, callerId))) return user;
  throw new SsoError('noSuchUser', message);
}

/** A subscriber of a group owns no users: its group's provider creates them (permissionDenied). */
export async function requireMayOwnUsers(services: Pick<Services, 'store'>, applicationId: string): Promise<void> {
  const membership = await services.store.groupOfApplication(applicationId);
  if (membership?.role === 'subscriber')
    throw new SsoError('permissionDenied', `A subscriber of group ${membership.groupName} owns no users; its provider creates them.`);
}

/**
 * transferOwnership by an application: the receiver may own users, and a user passes into a group
 * only from its provider (only the provider creates users in a group).
 */
export async function requireMayTransferTo(services: Pick<Services, 'store'>, targetId: string, callerId: string): Promise<void> {
  await requireMayOwnUsers(services, targetId);
  const target = await services.store.groupOfApplication(targetId);
  if (target !== null && target.providerId !== callerId)
    throw new SsoError('permissionDenied', `Only the provider of group ${target.groupName} gives users to it.`);
}
