// What an operator sees of the live global sessions (docs/DECISIONS.md "Sessions and the relay").
// Ending them is the core's own (core/sessions.ts endSession, endUserSessions).
import type { OperatorServices } from '../services.js';
import type { SessionSummary } from '../store.js';

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

/** Before the end of its lifetime and of its idle timeout; the purge (every minute) removes the others, which may linger until then. */
function isLive(session: SessionSummary, now: number, timeoutMs: number): boolean {
  return now < session.global.expiresAt && now < session.global.lastSeenAt + timeoutMs;
}

/** The live sessions that match, with the logins of their users, and how many match in all. */
export async function listLiveSessions(services: Pick<OperatorServices, 'store' | 'settings' | 'now'>, query: SessionListQuery): Promise<SessionList> {
  const now = services.now();
  const timeoutMs = services.settings.current().sessionTimeout * 1000;
  const match = { ...(query.userId !== undefined ? { userId: query.userId } : {}), ...(query.baseUrl !== undefined ? { baseUrl: query.baseUrl } : {}) };
  const found = await services.store.listSessions({ ...match, limit: query.limit });
  const total = await services.store.countSessions({ ...match, now, idleBefore: now - timeoutMs });
  const logins = new Map<string, string>();
  for (const session of found) {
    if (!logins.has(session.global.userId)) logins.set(session.global.userId, (await services.store.getUser(session.global.userId))?.login ?? '?');
  }
  const sessions = found.filter((session) => isLive(session, now, timeoutMs)).map((session) => ({ ...session, login: logins.get(session.global.userId) ?? '?' }));
  return { sessions, total };
}

/** How many sessions are live now, in the whole service. */
export function countLiveSessions(services: Pick<OperatorServices, 'store' | 'settings'>, now: number): Promise<number> {
  return services.store.countSessions({ now, idleBefore: now - services.settings.current().sessionTimeout * 1000 });
}
