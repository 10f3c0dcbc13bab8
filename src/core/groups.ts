// The sets of applications (docs/groups.md "Groups"): an application's set is its group, or the
// default set of ungrouped applications (null). A user's set is its owner's; a global session's is
// the one it was started in (GlobalSessionRecord.groupName). The rules that keep users and sessions
// within their set call these; the operator's commands on groups are core/operator/groups.ts.
import type { Services } from './services.js';

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
