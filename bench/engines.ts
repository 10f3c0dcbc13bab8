// The store engines the harness can run ssod on (`--store`), and how each is seeded quickly:
// straight into the database in large transactions, never through the API.
//
// Each population gets a fresh store of its own: `sqlite` a SQLite file in the population's data
// directory, where `ssod serve` finds it by default; `postgres` a database of its own on the
// server that the URL names (bench/postgres.ts). The schema, the application, the CA and the
// server certificate are made by ssod itself when the run opens the installation (run.ts); the
// engine writes the seeded rows (bench/seed.ts) and observes the sessions' last activity.
import Database from 'better-sqlite3';
import path from 'node:path';
import { STORE_FILE } from '../src/infra/dataFiles.js';
import { BENCH_BASE_URL } from './protocol.js';
import { postgresEngine, POSTGRES_DEFAULT_URL } from './postgres.js';
import { inBatches, seededRows, sortedLocals, type LocalRow, type SeedPlan } from './seed.js';

export type { SeedPlan } from './seed.js';

/** One population's store. */
export interface BenchStore {
  /** ssod's `store` and `masterKeyFile` options for it: the flags of `ssod serve`, and how the run opens the installation. */
  readonly options: { readonly store: string; readonly masterKeyFile: string };
  /** Writes the plan's users and sessions into the store, whose schema and application ssod made. */
  seed(plan: SeedPlan): Promise<void>;
  /** Sets every session's last activity to `stamp`, as if each had just been renewed. */
  stampSessions(stamp: number): Promise<void>;
  /** How many seeded global sessions had their idle timer renewed (written) since `stamp`. */
  renewedSince(stamp: number): Promise<number>;
  /** The database server's processes on this machine that serve connections to this store, whose CPU counts with ssod's (none for SQLite). */
  databasePids(): number[];
  /** Removes what lives outside the data directory (a PostgreSQL database); safe to call twice. */
  drop(): Promise<void>;
}

export interface BenchEngine {
  readonly name: 'sqlite' | 'postgres';
  /** The store as the report names it, without a password. */
  readonly label: string;
  /** More `ssod serve` flags for this engine's runs (run.ts: `--session-cache-ms`). */
  readonly serveFlags?: readonly string[];
  /** A fresh, empty store for the population whose data directory is `dataDir`. */
  create(dataDir: string): Promise<BenchStore>;
}

const BATCH = 20_000;

function sqliteStore(dataDir: string): BenchStore {
  // `sqlite:` alone: ssod.db in the data directory.
  const file = path.join(dataDir, STORE_FILE);
  return {
    options: { store: 'sqlite:', masterKeyFile: '' },
    async seed(plan) {
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
        const insertUser = db.prepare(
          'INSERT INTO users (id, login, login_key, owner_id, password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)',
        );
        const insertGlobal =
          db.prepare(`INSERT INTO global_sessions (id, user_id, created_at, expires_at, last_seen_at, cookie_hash, cookie_sealed_secret)
          VALUES (?, ?, ?, ?, ?, ?, ?)`);
        const insertLocal = db.prepare('INSERT INTO local_sessions (id_hash, global_id, base_url, created_at) VALUES (?, ?, ?, ?)');
        const rowOf = seededRows(plan);
        const locals: LocalRow[] = [];
        const insertRows = db.transaction((from: number, to: number) => {
          for (let index = from; index < to; index += 1) {
            const { user, global, localIdHash } = rowOf(index);
            insertUser.run(user.id, user.login, user.loginKey, plan.app.id, plan.passwordHash, plan.now);
            insertGlobal.run(
              global.id,
              user.id,
              plan.now,
              plan.now + plan.lifetimeMs,
              plan.now,
              global.cookieHash,
              global.cookieSealedSecret,
            );
            locals.push([localIdHash, global.id]);
          }
        });
        await inBatches(plan.population, BATCH, insertRows);
        const sorted = sortedLocals(locals);
        const insertLocals = db.transaction((from: number, to: number) => {
          for (const [localIdHash, globalId] of sorted.slice(from, to)) insertLocal.run(localIdHash, globalId, BENCH_BASE_URL, plan.now);
        });
        await inBatches(sorted.length, BATCH, insertLocals);
        for (const index of indexes) db.exec(index.sql);
        db.pragma('wal_checkpoint(TRUNCATE)');
      } finally {
        db.close();
      }
    },
    stampSessions(stamp) {
      const db = new Database(file);
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
    renewedSince(stamp) {
      const db = new Database(file, { readonly: true });
      try {
        return Promise.resolve(
          db.prepare<[number], number>('SELECT count(*) FROM global_sessions WHERE last_seen_at > ?').pluck().get(stamp) ?? 0,
        );
      } finally {
        db.close();
      }
    },
    databasePids: () => [],
    drop: () => Promise.resolve(),
  };
}

const sqlite: BenchEngine = { name: 'sqlite', label: 'sqlite', create: (dataDir) => Promise.resolve(sqliteStore(dataDir)) };

/**
 * The engines of a `--store` value: a comma-separated list of `sqlite`, `postgres` (the URL in
 * $TEST_POSTGRES_URL, else postgres://postgres@127.0.0.1:5432/test) and postgres://… URLs.
 */
export function benchEnginesFor(stores: string): BenchEngine[] {
  // A comma inside a URL stays in it: only a comma before the next engine's name separates.
  return stores.split(/,(?=\s*(?:sqlite|postgres))/).map((store) => benchEngineFor(store.trim()));
}

/** The engine for one `--store` value. */
export function benchEngineFor(store: string): BenchEngine {
  if (store === 'sqlite' || store === 'sqlite:') return sqlite;
  if (store.startsWith('sqlite:')) {
    throw new Error("--store sqlite: the bench seeds a fresh database in each population's data directory; a path is not taken");
  }
  if (store === 'postgres' || store === 'postgresql') return postgresEngine(POSTGRES_DEFAULT_URL);
  if (store.startsWith('postgres://') || store.startsWith('postgresql://')) return postgresEngine(store);
  throw new Error(`--store must be sqlite, postgres or postgres://…, got ${JSON.stringify(store)}`);
}
