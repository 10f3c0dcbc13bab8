// The PostgreSQL engine of the bench (`--store postgres` or `--store postgres://…`). The server is
// shared with other sessions, so each population gets a database of its own, `ssod_bench_<random>`,
// dropped when the population is done, whether it succeeded or not (and on Ctrl-C, run.ts), and a
// master key file of its own in its data directory: on PostgreSQL ssod keeps the CA's and the
// server certificate's private keys sealed in the store (src/infra/keys/material.ts).
//
// Seeding is one transaction of multi-row INSERTs, each a batch of rows passed as arrays and
// spread by unnest(), so that 1 000 000 rows are a few hundred statements; the next batch's rows
// are computed while PostgreSQL inserts the previous one. ssod's secondary indexes are dropped
// first and built again afterwards from their own definitions, as the SQLite seeder does.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import { generateMasterKeyFile } from '../src/infra/keys/masterKey.js';
import { redactedUrl } from '../src/infra/store/postgres.js';
import type { BenchEngine, BenchStore } from './engines.js';
import { postgresBackendsOf } from './processes.js';
import { BENCH_BASE_URL } from './protocol.js';
import { inBatches, seededRows, sortedLocals, type LocalRow, type SeededRow, type SeedPlan } from './seed.js';

/** What `--store postgres` means: $TEST_POSTGRES_URL, the server the PostgreSQL tests use, else the local one. */
export const POSTGRES_DEFAULT_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const BATCH = 10_000;
const SEEDED_TABLES = ['users', 'global_sessions', 'local_sessions'];

/** ssod's indexes on the seeded tables that no constraint owns, with the SQL that made them. */
const SECONDARY_INDEXES = `SELECT i.relname AS name, pg_get_indexdef(i.oid) AS sql
  FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
  WHERE t.relnamespace = current_schema()::regnamespace AND t.relname = ANY($1::text[])
    AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid AND c.contype IN ('p', 'u', 'x'))`;

// The columns that differ from row to row come as arrays; the rest are one value for the batch.
const INSERT_USERS = `INSERT INTO users (id, login, login_key, owner_id, password_hash, created_at)
  SELECT id, login, login_key, $4, $5, $6 FROM unnest($1::text[], $2::text[], $3::text[]) AS r (id, login, login_key)`;
const INSERT_GLOBAL_SESSIONS = `INSERT INTO global_sessions (id, user_id, created_at, expires_at, last_seen_at, cookie_hash, cookie_sealed_secret)
  SELECT id, user_id, $5, $6, $5, cookie_hash, cookie_sealed_secret
  FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS r (id, user_id, cookie_hash, cookie_sealed_secret)`;
const INSERT_LOCAL_SESSIONS = `INSERT INTO local_sessions (id_hash, global_id, base_url, created_at)
  SELECT id_hash, global_id, $3, $4 FROM unnest($1::text[], $2::text[]) AS r (id_hash, global_id)`;

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, application_name: 'ssod-bench' });
  client.on('error', () => undefined); // a lost connection fails the query in progress, which reports it
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The databases this process created and has not dropped yet. */
const live = new Map<string, () => Promise<void>>();

/** Drops every database the bench created and still holds (for an interrupted run). */
export async function dropBenchDatabases(): Promise<void> {
  await Promise.all([...live.values()].map((drop) => drop().catch(() => undefined)));
}

/** One batch of users and their global sessions, as the arrays of INSERT_USERS and INSERT_GLOBAL_SESSIONS. */
function batchValues(plan: SeedPlan, rowOf: (index: number) => SeededRow, from: number, to: number, locals: LocalRow[]) {
  const users: [string[], string[], string[]] = [[], [], []];
  const globals: [string[], string[], string[], string[]] = [[], [], [], []];
  for (let index = from; index < to; index += 1) {
    const { user, global, localIdHash } = rowOf(index);
    users[0].push(user.id);
    users[1].push(user.login);
    users[2].push(user.loginKey);
    globals[0].push(global.id);
    globals[1].push(user.id);
    globals[2].push(global.cookieHash);
    globals[3].push(global.cookieSealedSecret);
    locals.push([localIdHash, global.id]);
  }
  return {
    users: [...users, plan.app.id, plan.passwordHash, plan.now],
    globals: [...globals, plan.now, plan.now + plan.lifetimeMs],
  };
}

async function seed(url: string, plan: SeedPlan): Promise<void> {
  await withClient(url, async (client) => {
    await client.query('BEGIN');
    await client.query("SET LOCAL maintenance_work_mem = '256MB'");
    const { rows: indexes } = await client.query<{ name: string; sql: string }>(SECONDARY_INDEXES, [SEEDED_TABLES]);
    for (const index of indexes) await client.query(`DROP INDEX ${client.escapeIdentifier(index.name)}`);
    const rowOf = seededRows(plan);
    const locals: LocalRow[] = [];
    // While PostgreSQL inserts one batch, the next one's rows are computed (mostly crypto).
    let inserting: Promise<unknown> = Promise.resolve();
    await inBatches(plan.population, BATCH, async (from, to) => {
      const values = batchValues(plan, rowOf, from, to, locals);
      await inserting;
      inserting = client.query(INSERT_USERS, values.users).then(() => client.query(INSERT_GLOBAL_SESSIONS, values.globals));
    });
    await inserting;
    const sorted = sortedLocals(locals);
    await inBatches(sorted.length, BATCH, async (from, to) => {
      const batch = sorted.slice(from, to);
      await client.query(INSERT_LOCAL_SESSIONS, [batch.map((local) => local[0]), batch.map((local) => local[1]), BENCH_BASE_URL, plan.now]);
    });
    for (const index of indexes) await client.query(index.sql);
    await client.query('COMMIT');
    // Visibility map, hint bits and planner statistics now, not by autovacuum during a measurement.
    await client.query(`VACUUM (ANALYZE) ${SEEDED_TABLES.join(', ')}`);
  });
}

function postgresStore(url: string, database: string, masterKeyFile: string, drop: () => Promise<void>): BenchStore {
  return {
    options: { store: url, masterKeyFile },
    databasePids: () => postgresBackendsOf(database),
    seed: (plan) => seed(url, plan),
    stampSessions: (stamp) =>
      withClient(url, async (client) => {
        await client.query('UPDATE global_sessions SET last_seen_at = $1', [stamp]);
        // The update left a dead version of every row: clean them up now, as the SQLite engine
        // checkpoints its WAL, rather than leave them to ssod's reads or to autovacuum mid-run.
        await client.query('VACUUM (ANALYZE) global_sessions');
      }),
    renewedSince: (stamp) =>
      withClient(url, async (client) => {
        const { rows } = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM global_sessions WHERE last_seen_at > $1', [
          stamp,
        ]);
        return rows[0]?.n ?? 0;
      }),
    drop,
  };
}

/** The engine on the server of `serverUrl`, whose role may create databases. */
export function postgresEngine(serverUrl: string): BenchEngine {
  return {
    name: 'postgres',
    label: redactedUrl(serverUrl),
    async create(dataDir) {
      const masterKeyFile = path.join(dataDir, 'master.key');
      await generateMasterKeyFile(masterKeyFile);
      const database = `ssod_bench_${randomBytes(6).toString('hex')}`;
      try {
        await withClient(serverUrl, (client) => client.query(`CREATE DATABASE ${database}`));
      } catch (error) {
        throw new Error(`--store ${redactedUrl(serverUrl)}: cannot create a database for the run: ${(error as Error).message}`, {
          cause: error,
        });
      }
      // FORCE: a server that did not exit cleanly may still hold connections to it.
      const drop = async (): Promise<void> => {
        if (!live.delete(database)) return;
        await withClient(serverUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`));
      };
      live.set(database, drop);
      const url = new URL(serverUrl);
      url.pathname = `/${database}`;
      return postgresStore(url.toString(), database, masterKeyFile, drop);
    },
  };
}
