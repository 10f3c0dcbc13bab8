// PostgreSQL for tests. The server at TEST_POSTGRES_URL is shared with other test runs at the
// same time, so every test isolates itself in its own randomly named schema or database and drops
// it afterwards; no test stops or restarts that server (the restart test makes a private one).
//
// Without a reachable server the PostgreSQL tests are skipped with one visible line that says how
// to enable them, unless TEST_REQUIRE_POSTGRES=1 (CI), where they fail.
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import pg from 'pg';
import { redactedUrl } from '../../src/infra/store/postgres.js';
import type { Store } from '../../src/core/store/index.js';

export const TEST_POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
/** CI sets it: a PostgreSQL test that cannot run is a failure, never a skip. */
export const POSTGRES_REQUIRED = process.env.TEST_REQUIRE_POSTGRES === '1';

let admin: pg.Pool | null = null;

/** A small pool for creating and dropping schemas and databases; it lets the process exit when idle. */
export function adminPool(): pg.Pool {
  admin ??= new pg.Pool({ connectionString: TEST_POSTGRES_URL, max: 2, connectionTimeoutMillis: 3000, allowExitOnIdle: true });
  return admin;
}

async function probe(): Promise<string | null> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Null when PostgreSQL answers; else why not. */
export const postgresUnreachable: string | null = await probe();

/**
 * Registers PostgreSQL tests when PostgreSQL answers. When it does not: with TEST_REQUIRE_POSTGRES=1
 * one failing test says so; otherwise the `announce` file shows one skipped test that says how to
 * enable them, and every other file registers nothing.
 */
export function postgresSuite(name: string, register: () => void, { announce = false }: { announce?: boolean } = {}): void {
  if (postgresUnreachable === null) {
    describe(name, register);
    return;
  }
  const where = redactedUrl(TEST_POSTGRES_URL);
  if (POSTGRES_REQUIRED) {
    test(name, () => {
      throw new Error(`TEST_REQUIRE_POSTGRES=1 but PostgreSQL at ${where} is unreachable: ${postgresUnreachable}`);
    });
    return;
  }
  if (announce) {
    test(
      'PostgreSQL tests',
      {
        skip: `no PostgreSQL at ${where} (${postgresUnreachable}): start one or set TEST_POSTGRES_URL=postgres://USER@HOST:PORT/DB to run them`,
      },
      () => undefined,
    );
  }
}

function randomName(prefix: string): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

/** `url` whose connections use `schema` (the libpq options parameter: -c search_path=…). */
export function urlWithSchema(url: string, schema: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set('options', `-c search_path=${schema}`);
  return parsed.toString();
}

export interface Isolated {
  /** A URL that reaches only this schema or database. */
  readonly url: string;
  readonly name: string;
  drop(): Promise<void>;
}

/** A fresh, empty schema of its own; its URL puts it first on the search_path. */
export async function createSchema(): Promise<Isolated> {
  const name = randomName('ssod_test');
  await adminPool().query(`CREATE SCHEMA ${name}`);
  return {
    url: urlWithSchema(TEST_POSTGRES_URL, name),
    name,
    async drop() {
      await adminPool().query(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
    },
  };
}

/** A fresh database of its own, for tests that run real ssod processes. */
export async function createDatabase(): Promise<Isolated> {
  const name = randomName('ssod_test');
  await adminPool().query(`CREATE DATABASE ${name}`);
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    async drop() {
      await adminPool().query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

/** Empties every table of the schema but the migration record: a fresh store, without migrating again. */
export async function emptySchema(isolated: Isolated): Promise<void> {
  const { rows } = await adminPool().query<{ name: string }>(
    "SELECT tablename AS name FROM pg_tables WHERE schemaname = $1 AND tablename <> 'schema_migrations'",
    [isolated.name],
  );
  // DELETE, not TRUNCATE: on a handful of rows it is many times faster (TRUNCATE makes new files).
  // The groups' tables first: nothing cascades to a group; the sources last: users refer to them.
  const first = ['group_members', 'global_sessions', 'application_groups'];
  const rank = (name: string): number =>
    first.includes(name) ? first.indexOf(name) : name === 'sources' ? first.length + 1 : first.length;
  const ordered = [...rows].sort((a, b) => rank(a.name) - rank(b.name));
  if (ordered.length > 0) await adminPool().query(ordered.map((row) => `DELETE FROM ${isolated.name}.${row.name};`).join(' '));
}

/** The store, whose close() also drops the schema it lives in. */
export function droppingOnClose(store: Store, isolated: Isolated): Store {
  const close = store.close.bind(store);
  return Object.assign(store, {
    async close() {
      try {
        await close();
      } finally {
        await isolated.drop();
      }
    },
  });
}
