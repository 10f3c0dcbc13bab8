// What a ticket receiver remembers (docs/tickets.md checks 6 and 7, and "Logout"): the ticket ids it
// accepted, until they expire, and the sessions and users that were logged out, for 24 hours (the
// longest ticket lifetime). In memory for one process, or in a SQLite file that survives restarts
// and that several processes of one host may share. Every time here is in seconds since the epoch,
// as the tickets' own claims are.
import { closeSync, openSync } from 'node:fs';

/** How long a logout is remembered: the longest a ticket issued before it can live. */
export const LOGOUT_MEMORY_SECONDS = 24 * 60 * 60;

export interface ReceiverState {
  /** Records a ticket id, kept until `keepUntil`; false when it was recorded before (a replay). */
  acceptOnce(ticketId: string, keepUntil: number): Promise<boolean>;
  /** One global session ended: its tickets and cookies are refused from now on. */
  logOutSession(sessionHandle: string): Promise<void>;
  /** Every session of the user ended at `cutoff`: tickets issued before it are refused. */
  logOutUser(userId: string, cutoff: number): Promise<void>;
  /** Whether a ticket of this session and user, issued at `issuedAt`, was logged out. */
  isLoggedOut(sessionHandle: string, userId: string, issuedAt: number): Promise<boolean>;
  close(): Promise<void>;
}

export interface ReceiverStateOptions {
  /** The clock, in milliseconds since the epoch (default Date.now). */
  readonly now?: () => number;
}

const SWEEP_EVERY = 256;

function secondsOf(now: () => number): number {
  return Math.floor(now() / 1000);
}

/** The state of one process, gone at its end: for an application whose tickets need not outlive a restart. */
export function memoryReceiverState(options: ReceiverStateOptions = {}): ReceiverState {
  const now = options.now ?? Date.now;
  const accepted = new Map<string, number>();
  const sessions = new Map<string, number>();
  const users = new Map<string, { cutoff: number; until: number }>();
  let writes = 0;
  const live = (until: number | undefined): boolean => until !== undefined && until >= secondsOf(now);
  const written = (): void => {
    if (++writes % SWEEP_EVERY !== 0) return;
    for (const map of [accepted, sessions]) for (const [key, until] of map) if (!live(until)) map.delete(key);
    for (const [key, entry] of users) if (!live(entry.until)) users.delete(key);
  };
  return {
    acceptOnce(ticketId, keepUntil) {
      if (live(accepted.get(ticketId))) return Promise.resolve(false);
      accepted.set(ticketId, keepUntil);
      written();
      return Promise.resolve(true);
    },
    logOutSession(sessionHandle) {
      sessions.set(sessionHandle, secondsOf(now) + LOGOUT_MEMORY_SECONDS);
      written();
      return Promise.resolve();
    },
    logOutUser(userId, cutoff) {
      const before = users.get(userId);
      const kept = before !== undefined && live(before.until) ? before.cutoff : cutoff;
      users.set(userId, { cutoff: Math.max(kept, cutoff), until: secondsOf(now) + LOGOUT_MEMORY_SECONDS });
      written();
      return Promise.resolve();
    },
    isLoggedOut(sessionHandle, userId, issuedAt) {
      const user = users.get(userId);
      return Promise.resolve(live(sessions.get(sessionHandle)) || (user !== undefined && live(user.until) && user.cutoff > issuedAt));
    },
    close() {
      return Promise.resolve();
    },
  };
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS accepted_tickets (ticket_id TEXT PRIMARY KEY, keep_until INTEGER NOT NULL) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS ended_sessions (session_handle TEXT PRIMARY KEY, keep_until INTEGER NOT NULL) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS ended_users (user_id TEXT PRIMARY KEY, cutoff INTEGER NOT NULL, keep_until INTEGER NOT NULL) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS accepted_tickets_until ON accepted_tickets (keep_until);
  CREATE INDEX IF NOT EXISTS ended_sessions_until ON ended_sessions (keep_until);
  CREATE INDEX IF NOT EXISTS ended_users_until ON ended_users (keep_until);
`;

/** Makes the file owner-only before SQLite opens it (SQLite gives its journal files the same mode). */
function createOwnerOnly(file: string): void {
  try {
    closeSync(openSync(file, 'wx', 0o600));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}

/**
 * The state in a SQLite file (better-sqlite3, loaded only when asked for): kept across restarts, as
 * a logout must be. Expired rows are purged on every write.
 */
export async function sqliteReceiverState(file: string, options: ReceiverStateOptions = {}): Promise<ReceiverState> {
  const { default: Database } = await import('better-sqlite3');
  const now = options.now ?? Date.now;
  createOwnerOnly(file);
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  db.exec(SCHEMA);
  const purge = [
    db.prepare('DELETE FROM accepted_tickets WHERE keep_until < ?'),
    db.prepare('DELETE FROM ended_sessions WHERE keep_until < ?'),
    db.prepare('DELETE FROM ended_users WHERE keep_until < ?'),
  ];
  const accept = db.prepare('INSERT OR IGNORE INTO accepted_tickets (ticket_id, keep_until) VALUES (?, ?)');
  const endSession = db.prepare(
    'INSERT INTO ended_sessions (session_handle, keep_until) VALUES (?, ?) ON CONFLICT (session_handle) DO UPDATE SET keep_until = excluded.keep_until',
  );
  const endUser = db.prepare(
    `INSERT INTO ended_users (user_id, cutoff, keep_until) VALUES (?, ?, ?)
     ON CONFLICT (user_id) DO UPDATE SET cutoff = max(cutoff, excluded.cutoff), keep_until = excluded.keep_until`,
  );
  const sessionEnded = db.prepare('SELECT 1 FROM ended_sessions WHERE session_handle = ? AND keep_until >= ?').pluck();
  const userEnded = db.prepare('SELECT 1 FROM ended_users WHERE user_id = ? AND keep_until >= ? AND cutoff > ?').pluck();
  const write = <T>(change: (at: number) => T): T =>
    db.transaction(() => {
      const at = secondsOf(now);
      for (const statement of purge) statement.run(at);
      return change(at);
    })();
  return {
    acceptOnce(ticketId, keepUntil) {
      return Promise.resolve(write(() => accept.run(ticketId, keepUntil).changes === 1));
    },
    logOutSession(sessionHandle) {
      write((at) => endSession.run(sessionHandle, at + LOGOUT_MEMORY_SECONDS));
      return Promise.resolve();
    },
    logOutUser(userId, cutoff) {
      write((at) => endUser.run(userId, cutoff, at + LOGOUT_MEMORY_SECONDS));
      return Promise.resolve();
    },
    isLoggedOut(sessionHandle, userId, issuedAt) {
      const at = secondsOf(now);
      return Promise.resolve(sessionEnded.get(sessionHandle, at) !== undefined || userEnded.get(userId, at, issuedAt) !== undefined);
    },
    close() {
      db.close();
      return Promise.resolve();
    },
  };
}
