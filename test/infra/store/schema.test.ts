// The schema that each engine builds from the migrations (written once, compiled per dialect) is one
// schema: the same tables, columns (name, type family, nullability, primary key, in order) and
// indexes (columns, uniqueness) on SQLite and on PostgreSQL, read back from each database itself.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { openPostgresStore } from '../../../src/infra/store/postgres.js';
import { openSqliteStore } from '../../../src/infra/store/sqlite.js';
import { adminPool, createSchema, postgresSuite } from '../../helpers/postgres.js';

interface Column {
  readonly name: string;
  readonly type: 'integer' | 'text';
  readonly notNull: boolean;
  readonly primaryKey: boolean;
}

/** Table name → its columns in order and its indexes other than the primary key's, sorted. */
type Schema = Record<string, { readonly columns: Column[]; readonly indexes: string[] }>;

function typeFamily(type: string): 'integer' | 'text' {
  const lower = type.toLowerCase();
  if (lower === 'integer' || lower === 'bigint') return 'integer';
  if (lower === 'text') return 'text';
  throw new Error(`a column of type ${type}, which the schema comparison does not know`);
}

function index(unique: boolean, columns: readonly string[]): string {
  return `${unique ? 'unique ' : ''}(${columns.join(', ')})`;
}

async function sqliteSchema(): Promise<Schema> {
  const dir = await mkdtemp(path.join(tmpdir(), 'ssod-schema-'));
  try {
    const file = path.join(dir, 'ssod.db');
    await (await openSqliteStore(file)).close();
    const db = new Database(file, { readonly: true });
    try {
      const tables = db
        .prepare<[], string>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .pluck()
        .all();
      const schema: Schema = {};
      for (const table of tables) {
        const columns = db
          .prepare<[], { name: string; type: string; notnull: number; pk: number }>(`PRAGMA table_info(${table})`)
          .all()
          .map((c) => ({ name: c.name, type: typeFamily(c.type), notNull: c.notnull === 1 || c.pk > 0, primaryKey: c.pk > 0 }));
        const indexes = db
          .prepare<[], { name: string; unique: number; origin: string }>(`PRAGMA index_list(${table})`)
          .all()
          .filter((i) => i.origin !== 'pk')
          .map((i) =>
            index(
              i.unique === 1,
              db
                .prepare<[], { name: string }>(`PRAGMA index_info(${i.name})`)
                .all()
                .map((c) => c.name),
            ),
          )
          .sort();
        schema[table] = { columns, indexes };
      }
      return schema;
    } finally {
      db.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function postgresSchema(): Promise<Schema> {
  const isolated = await createSchema();
  try {
    await (await openPostgresStore(isolated.url, { poolSize: 1 })).close();
    const admin = adminPool();
    const { rows: columns } = await admin.query<{ table: string; name: string; type: string; nullable: string; primaryKey: boolean }>(
      `SELECT c.table_name AS table, c.column_name AS name, c.data_type AS type, c.is_nullable AS nullable,
         EXISTS (SELECT 1 FROM pg_index ix JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = ANY(ix.indkey)
           WHERE ix.indrelid = (quote_ident(c.table_schema) || '.' || quote_ident(c.table_name))::regclass AND ix.indisprimary AND a.attname = c.column_name) AS "primaryKey"
       FROM information_schema.columns c WHERE c.table_schema = $1 ORDER BY c.table_name, c.ordinal_position`,
      [isolated.name],
    );
    const { rows: indexes } = await admin.query<{ table: string; unique: boolean; columns: string[] }>(
      `SELECT t.relname AS table, ix.indisunique AS unique, array_agg(a.attname::text ORDER BY k.ord) AS columns
       FROM pg_index ix JOIN pg_class t ON t.oid = ix.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace
         CROSS JOIN LATERAL unnest(ix.indkey) WITH ORDINALITY AS k(attnum, ord)
         JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
       WHERE n.nspname = $1 AND NOT ix.indisprimary GROUP BY ix.indexrelid, t.relname, ix.indisunique`,
      [isolated.name],
    );
    const schema: Schema = {};
    for (const c of columns) {
      (schema[c.table] ??= { columns: [], indexes: [] }).columns.push({
        name: c.name,
        type: typeFamily(c.type),
        notNull: c.nullable === 'NO',
        primaryKey: c.primaryKey,
      });
    }
    for (const i of indexes) schema[i.table]?.indexes.push(index(i.unique, i.columns));
    for (const table of Object.values(schema)) table.indexes.sort();
    return schema;
  } finally {
    await isolated.drop();
  }
}

postgresSuite('one schema on both engines', () => {
  test('every table has the same columns, types, nullability, primary key and indexes on SQLite and PostgreSQL', async () => {
    const [sqlite, postgres] = await Promise.all([sqliteSchema(), postgresSchema()]);
    assert.ok(Object.keys(sqlite).length >= 10, 'the whole schema was read');
    assert.deepEqual(Object.keys(postgres).sort(), Object.keys(sqlite).sort());
    for (const table of Object.keys(sqlite)) assert.deepEqual(postgres[table], sqlite[table], table);
  });
});
