// What an operator sees of the live global sessions (docs/DECISIONS.md "Sessions and the relay").
// Ending them is the core's own (core/sessions.ts endSession, endUserSessions, endApplicationSessions).
import type { OperatorServices } from '../services.js';
import { isOver, sessionCutoff } from '../sessions.js';
import type { SessionSummary } from '../store/index.js';
import { MOST_USER_SESSIONS } from './users.js';

export interface SessionListQuery {
  readonly userId?: string | undefined;
  /** Only the sessions that reached the application of this base URL. */
  readonly baseUrl?: string | undefined;
  readonly limit: number;
}

export interface LiveSession extends SessionSummary {
  /** The login of its user; '?' when the user is gone. */
  readonly login: string;
}

export interface SessionList {
  /** Newest first, at most the limit. */
  readonly sessions: readonly LiveSession[];
  /** How many live sessions match, without the limit. */
  readonly total: number;
}

/** The live sessions that match, with the logins of their users, and how many match in all. */
export async function listLiveSessions(
  services: Pick<OperatorServices, 'store' | 'settings' | 'now'>,
  query: SessionListQuery,
): Promise<SessionList> {
  const now = services.now();
  const cutoff = sessionCutoff(services, now);
  const match = {
    ...(query.userId !== undefined ? { userId: query.userId } : {}),
    ...(query.baseUrl !== undefined ? { baseUrl: query.baseUrl } : {}),
  };
  const found = await services.store.listSessions({ ...match, limit: query.limit });
  const total = await services.store.countSessions({ ...match, ...cutoff });
  const logins = new Map<string, string>();
  for (const session of found) {
    if (!logins.has(session.global.userId))
      logins.set(session.global.userId, (await services.store.getUser(session.global.userId))?.login ?? '?');
  }
  // An over session may linger until the purge (every minute) removes it.
  const sessions = found
    .filter((session) => !isOver(session.global, cutoff))
    .map((session) => ({ ...session, login: logins.get(session.global.userId) ?? '?' }));
  return { sessions, total };
}

/** How many sessions are live now, in the whole service. */
export function countLiveSessions(services: Pick<OperatorServices, 'store' | 'settings'>, now: number): Promise<number> {
  return services.store.countSessions(sessionCutoff(services, now));
}

/** One live session by its id, with its applications and its user's login; null when none is live. */
export async function findLiveSession(
  services: Pick<OperatorServices, 'store' | 'settings' | 'now'>,
  globalId: string,
): Promise<LiveSession | null> {
  const global = await services.store.getGlobalSession(globalId);
  if (global === null || isOver(global, sessionCutoff(services, services.now()))) return null;
  // The store lists a session's applications only in a listing: the user's is short.
  const { sessions } = await listLiveSessions(services, { userId: global.userId, limit: MOST_USER_SESSIONS });
  return sessions.find((session) => session.global.id === globalId) ?? null;
}
