// The store engines the harness can run ssod on (`--store`), and how each is seeded quickly:
// straight into the database in large transactions, never through the API.
//
// `--store sqlite` (the default) puts a fresh SQLite file in each population's data directory,
// where `ssod serve` finds it by default. A PostgreSQL engine goes beside it (docs/PERFORMANCE.md).
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { seal, sha256Hex } from '../src/domain/sessions.js';
import { loginKeyOf } from '../src/domain/users.js';
import { openSqliteStore } from '../src/store/sqlite.js';
import type { ApplicationRecord, CertificateRecord } from '../src/store/types.js';
import { BENCH_BASE_URL, cookieFor, loginFor, sessionIdFor, sessionSecretFor } from './protocol.js';

export interface SeedPlan {
  readonly app: ApplicationRecord;
  readonly certificate: CertificateRecord;
  /** Users 0..population-1, each with one live global session that has a relay cookie and a local session for the bench application. */
  readonly population: number;
  readonly salt: string;
  /** The one argon2id hash every seeded user shares. */
  readonly passwordHash: string;
  /** created_at and last_seen_at of every seeded row. */
  readonly now: number;
  /** Absolute lifetime of the seeded sessions, ms. */
  readonly lifetimeMs: number;
}

export interface BenchEngine {
  readonly name: 'sqlite' | 'postgres';
  /** The `ssod serve` flags that select this store for a data directory (none: the default SQLite file there). */
  serveFlags(dataDir: string): string[];
  seed(dataDir: string, plan: SeedPlan): Promise<void>;
  /** Sets every session's last activity to `stamp`, as if each had just been renewed. */
  stampSessions(dataDir: string, stamp: number): Promise<void>;
  /** How many seeded global sessions had their idle timer renewed (written) since `stamp`. */
  renewedSince(dataDir: string, stamp: number): Promise<number>;
}

const BATCH = 20_000;

/**
 * Ids that sort with their index (a UUID for users, 32 hex digits for global sessions), so that
 * the seeder appends to each primary-key B-tree instead of splitting pages at random.
 */
function orderedIds(salt: string): { user(index: number): string; session(index: number): string } {
  const prefix = createHash('sha256').update(salt).digest('hex').slice(0, 8);
  const serial = (index: number): string => index.toString(16).padStart(12, '0');
  return { user: (index) => `${prefix}-0000-4000-8000-${serial(index)}`, session: (index) => `${prefix}000000000000${serial(index)}` };
}

const sqlite: BenchEngine = {
  name: 'sqlite',
  serveFlags: () => [],
  async seed(dataDir, plan) {
    const file = path.join(dataDir, 'ssod.db');
    // The schema and the application through the Store itself, so they are exactly ssod's.
    const store = await openSqliteStore(file);
    await store.insertApplication(plan.app, plan.certificate);
    await store.close();
    const db = new Database(file);
    try {
      // Seeding only: no fsync per commit, a large page cache for the random-key indexes.
      db.pragma('synchronous = OFF');
      db.pragma('cache_size = -1048576');
      // ssod's own secondary indexes are dropped while the rows go in and then re-created from
      // their own SQL: building an index from sorted rows is many times faster than growing it
      // one random key at a time.
      const indexes = db
        .prepare<[], { name: string; sql: string }>(
          "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ('users', 'global_sessions', 'local_sessions')",
        )
        .all();
      for (const index of indexes) db.exec(`DROP INDEX ${index.name}`);
      const insertUser = db.prepare('INSERT INTO users (id, login, login_key, owner_id, password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)');
      const insertGlobal = db.prepare(`INSERT INTO global_sessions (id, user_id, created_at, expires_at, last_seen_at, cookie_hash, cookie_sealed_secret)
        VALUES (?, ?, ?, ?, ?, ?, ?)`);
      const insertLocal = db.prepare('INSERT INTO local_sessions (id_hash, global_id, base_url, created_at) VALUES (?, ?, ?, ?)');
      // local_sessions' primary key is a hash: its rows go in last, sorted by it.
      const locals: [string, string][] = [];
      const ids = orderedIds(plan.salt);
      const batch = db.transaction((from: number, to: number) => {
        for (let index = from; index < to; index += 1) {
          const userId = ids.user(index);
          const login = loginFor(plan.salt, index);
          insertUser.run(userId, login, loginKeyOf(login), plan.app.id, plan.passwordHash, plan.now);
          const globalId = ids.session(index);
          const cookie = cookieFor(plan.salt, index);
          const sealed = seal(cookie, sessionSecretFor(plan.salt, index));
          insertGlobal.run(globalId, userId, plan.now, plan.now + plan.lifetimeMs, plan.now, sha256Hex(cookie), sealed);
          locals.push([sha256Hex(sessionIdFor(plan.salt, index)), globalId]);
        }
      });
      for (let from = 0; from < plan.population; from += BATCH) batch(from, Math.min(plan.population, from + BATCH));
      locals.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      const insertLocals = db.transaction((from: number, to: number) => {
        for (let i = from; i < to; i += 1) insertLocal.run(locals[i]![0], locals[i]![1], BENCH_BASE_URL, plan.now);
      });
      for (let from = 0; from < locals.length; from += BATCH) insertLocals(from, Math.min(locals.length, from + BATCH));
      for (const index of indexes) db.exec(index.sql);
      db.pragma('wal_checkpoint(TRUNCATE)');
    } finally {
      db.close();
    }
  },
  stampSessions(dataDir, stamp) {
    const db = new Database(path.join(dataDir, 'ssod.db'));
    try {
      db.pragma('busy_timeout = 10000');
      db.prepare('UPDATE global_sessions SET last_seen_at = ?').run(stamp);
      // The update rewrote most pages of a large table into the WAL: fold it back into the
      // database now, or ssod's next reads would search a huge WAL and its next commit would
      // checkpoint it on the event loop, both artefacts of the bench, not of ssod.
      db.pragma('wal_checkpoint(TRUNCATE)');
      return Promise.resolve();
    } finally {
      db.close();
    }
  },
  renewedSince(dataDir, stamp) {
    const db = new Database(path.join(dataDir, 'ssod.db'), { readonly: true });
    try {
      return Promise.resolve(db.prepare<[number], number>('SELECT count(*) FROM global_sessions WHERE last_seen_at > ?').pluck().get(stamp) ?? 0);
    } finally {
      db.close();
    }
  },
};

/** The engine for a `--store` value. */
export function benchEngineFor(store: string): BenchEngine {
  if (store === 'sqlite' || store === 'sqlite:') return sqlite;
  if (store.startsWith('sqlite:')) {
    throw new Error('--store sqlite: the bench seeds a fresh database in each population\'s data directory; a path is not taken');
  }
  if (store.startsWith('postgres://') || store.startsWith('postgresql://')) {
    throw new Error('--store postgres://…: the bench has no PostgreSQL engine yet (docs/PERFORMANCE.md says what it needs); run with --store sqlite');
  }
  throw new Error(`--store must be sqlite or postgres://…, got ${JSON.stringify(store)}`);
}
