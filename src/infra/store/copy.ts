// Copies a SQLite store into PostgreSQL (`ssod migrate-store`): every table of the schema, whatever
// later migrations add, in one PostgreSQL transaction that also checks the row counts before it
// commits. The SQLite side is read in one read transaction, a consistent snapshot that a running
// ssod keeps writing past (WAL readers do not block the writer, nor it them).
import Database from 'better-sqlite3';
import type pg from 'pg';
import { LATEST_SCHEMA_VERSION } from './migrations.js';
import { checkOut, createPostgresPool, openPostgresStore, redactedUrl } from './postgres.js';
import { BUSY_DEADLINE_MS } from './sqliteBusy.js';
import type { KeyMaterialRecord } from '../../core/store/index.js';

/** Key material lives in files beside a SQLite store; the caller gives it sealed, to be stored in its stead. */
const KEY_MATERIAL_TABLE = 'key_material';
/** So do the private halves of the ticket-signing keys: each row gets its key sealed by the caller. */
const TICKET_KEYS_TABLE = 'ticket_keys';
const BATCH_ROWS = 500;
const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

export interface TableCount {
  readonly table: string;
  readonly rows: number;
}

export interface CopyOptions {
  /** Replace whatever the target holds; without it a target with any row is refused. */
  readonly overwrite: boolean;
  /** Stored into key_material (the CA and server certificate files, sealed with the master key). */
  readonly keyMaterial: readonly KeyMaterialRecord[];
  /** The private half of the ticket key `kid` (a file beside the SQLite store), sealed with the master key. */
  readonly sealTicketKey: (kid: string) => Promise<string>;
}

/** A row as it is copied: as read, or changed by the caller (a ticket key's sealed private half). */
type RowChange = (row: unknown[]) => Promise<unknown[]>;

export class CopyRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CopyRefusedError';
  }
}

function identifier(name: string): string {
  // Names come from our own schema; anything else is refused rather than quoted into SQL.
  if (!IDENTIFIER.test(name)) throw new Error(`unexpected table or column name ${JSON.stringify(name)}`);
  return name;
}

/** The tables to copy, every referenced table before the tables that reference it. */
function tablesInDependencyOrder(db: Database.Database): string[] {
  const names = db
    .prepare<[], string>(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations' ORDER BY name",
    )
    .pluck()
    .all()
    .map(identifier);
  const references = new Map(
    names.map((name) => [
      name,
      db
        .prepare<[], { table: string }>(`PRAGMA foreign_key_list(${name})`)
        .all()
        .map((fk) => fk.table)
        .filter((t) => t !== name),
    ]),
  );
  const ordered: string[] = [];
  const visit = (name: string, path: readonly string[]): void => {
    if (ordered.includes(name)) return;
    if (path.includes(name)) throw new Error(`foreign keys form a cycle through ${name}`);
    for (const referenced of references.get(name) ?? []) visit(referenced, [...path, name]);
    ordered.push(name);
  };
  for (const name of names) visit(name, []);
  return ordered;
}

function columnsOf(db: Database.Database, table: string): string[] {
  return db
    .prepare<[], { name: string }>(`PRAGMA table_info(${table})`)
    .all()
    .map((column) => identifier(column.name));
}

function requireSchemaVersion(db: Database.Database, file: string): void {
  const version = db.prepare<[], number>('SELECT COALESCE(MAX(version), 0) FROM schema_migrations').pluck().get() ?? 0;
  if (version === LATEST_SCHEMA_VERSION) return;
  throw new CopyRefusedError(
    version < LATEST_SCHEMA_VERSION
      ? `${file} has schema version ${version}, older than this ssod's ${LATEST_SCHEMA_VERSION}: start this ssod on it once (it migrates at start), then copy`
      : `${file} has schema version ${version}, newer than this ssod's ${LATEST_SCHEMA_VERSION}: run a newer ssod`,
  );
}

async function insertBatch(client: pg.PoolClient, table: string, columns: readonly string[], rows: readonly unknown[][]): Promise<void> {
  const placeholders = rows.map((_, r) => `(${columns.map((__, c) => `$${r * columns.length + c + 1}`).join(', ')})`).join(', ');
  // The copied ids are kept, also in identity columns (audit_events.id) that refuse them otherwise.
  await client.query(`INSERT INTO ${table} (${columns.join(', ')}) OVERRIDING SYSTEM VALUE VALUES ${placeholders}`, rows.flat());
}

/** Copies every row of `table`, batch by batch, from the open SQLite snapshot. */
async function copyTable(db: Database.Database, client: pg.PoolClient, table: string, change?: RowChange): Promise<number> {
  const columns = columnsOf(db, table);
  const rows = db
    .prepare(`SELECT ${columns.join(', ')} FROM ${table}`)
    .raw()
    .iterate() as IterableIterator<unknown[]>;
  let copied = 0;
  let batch: unknown[][] = [];
  for (const row of rows) {
    batch.push(change === undefined ? row : await change(row));
    if (batch.length === BATCH_ROWS) {
      await insertBatch(client, table, columns, batch);
      copied += batch.length;
      batch = [];
    }
  }
  if (batch.length > 0) await insertBatch(client, table, columns, batch);
  return copied + batch.length;
}

async function countRows(client: pg.PoolClient, table: string): Promise<number> {
  return Number((await client.query<{ n: string | number }>(`SELECT COUNT(*) AS n FROM ${table}`)).rows[0]?.n ?? 0);
}

/** A column filled from a sequence continues after the copied values, not from 1. */
async function advanceSequences(client: pg.PoolClient, tables: readonly string[]): Promise<void> {
  const serials = await client.query<{ table_name: string; column_name: string }>(
    `SELECT table_name, column_name FROM information_schema.columns
     WHERE table_schema = current_schema() AND table_name = ANY($1) AND (column_default LIKE 'nextval(%' OR is_identity = 'YES')`,
    [tables],
  );
  for (const { table_name: table, column_name: column } of serials.rows) {
    await client.query(
      `SELECT setval(pg_get_serial_sequence($1, $2), COALESCE((SELECT MAX(${identifier(column)}) FROM ${identifier(table)}), 0) + 1, false)`,
      [table, column],
    );
  }
}

/**
 * Copies the SQLite store at `file` into the PostgreSQL store at `url` (migrated first), with the
 * key material given, and verifies that every table holds as many rows as the snapshot did.
 */
export async function copySqliteToPostgres(file: string, url: string, options: CopyOptions): Promise<TableCount[]> {
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
  } catch (error) {
    throw new CopyRefusedError(`cannot open ${file}: ${(error as Error).message}`);
  }
  try {
    // An operator command serves no requests: it may wait for a lock on its own event loop (sqliteBusy.ts).
    db.pragma(`busy_timeout = ${BUSY_DEADLINE_MS}`);
    requireSchemaVersion(db, file);
    await (await openPostgresStore(url, { poolSize: 1 })).close(); // brings the target schema up to date
    const pool = createPostgresPool(url, { poolSize: 1 });
    try {
      const { client, done } = await checkOut(pool);
      try {
        return await copyInTransaction(db, client, url, options);
      } finally {
        done();
      }
    } finally {
      await pool.end();
    }
  } finally {
    db.close();
  }
}

/** A ticket_keys row with its private half sealed into sealed_key (NULL on SQLite). */
function sealedTicketKeyRow(db: Database.Database, options: CopyOptions): RowChange {
  const columns = columnsOf(db, TICKET_KEYS_TABLE);
  const [kid, sealed] = [columns.indexOf('kid'), columns.indexOf('sealed_key')];
  return async (row) => {
    const copy = [...row];
    copy[sealed] = await options.sealTicketKey(String(row[kid]));
    return copy;
  };
}

async function copyInTransaction(db: Database.Database, client: pg.PoolClient, url: string, options: CopyOptions): Promise<TableCount[]> {
  const tables = tablesInDependencyOrder(db);
  db.exec('BEGIN'); // one snapshot for every table and count
  await client.query('BEGIN');
  try {
    const occupied: string[] = [];
    for (const table of tables) if ((await client.query(`SELECT 1 FROM ${table} LIMIT 1`)).rowCount !== 0) occupied.push(table);
    if (occupied.length > 0 && !options.overwrite) {
      throw new CopyRefusedError(
        `${redactedUrl(url)} is not empty (${occupied.join(', ')} hold rows): give --overwrite to replace what it holds`,
      );
    }
    if (occupied.length > 0) await client.query(`TRUNCATE ${tables.join(', ')}`);

    const counts: TableCount[] = [];
    for (const table of tables) {
      let expected: number;
      if (table === KEY_MATERIAL_TABLE) {
        for (const record of options.keyMaterial) {
          await insertBatch(
            client,
            table,
            ['name', 'certificate_pem', 'sealed_key', 'updated_at'],
            [[record.name, record.certificatePem, record.sealedKey, record.updatedAt]],
          );
        }
        expected = options.keyMaterial.length;
      } else {
        const copied = await copyTable(db, client, table, table === TICKET_KEYS_TABLE ? sealedTicketKeyRow(db, options) : undefined);
        expected = db.prepare<[], number>(`SELECT COUNT(*) FROM ${table}`).pluck().get() ?? 0;
        if (copied !== expected) throw new Error(`${table}: read ${copied} rows of ${expected}`);
      }
      const stored = await countRows(client, table);
      if (stored !== expected) throw new Error(`${table}: ${stored} rows in PostgreSQL, ${expected} expected; nothing was committed`);
      counts.push({ table, rows: stored });
    }
    await advanceSequences(client, tables);
    await client.query('COMMIT');
    return counts;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    db.exec('COMMIT');
  }
}
