// Delegated sources (docs/FEDERATION.md): the statements, once for every engine, and the store's part.
// The settings are stored as JSON text and checked again when read back (core/sourceSettings.ts).
import { SOURCE_COLUMNS, USER_COLUMNS } from '../columns.js';
import type { Executor } from '../executor.js';
import { sql } from '../sql/statement.js';
import { lastTestDrop } from './lastTests.js';
import { parseSourceSettings } from '../../../core/sourceSettings.js';
import {
  DuplicateSourceError,
  type SourceRecord,
  type SourceStore,
  type StoredSource,
  type UserRecord,
} from '../../../core/store/index.js';

type Name = { readonly name: string };

/** A row of the sources table: the settings as the JSON text they are stored as. */
interface SourceRow {
  readonly name: string;
  readonly kind: string;
  readonly settings: string;
  readonly createdAt: number;
  readonly updatedAt: number;
}

type SourceParams = SourceRow;

const listSources = sql<object, SourceRow>('list_sources', (d) => `SELECT ${SOURCE_COLUMNS} FROM sources ORDER BY ${d.bytewise('name')}`);
const getSource = sql<Name, SourceRow>('get_source', () => `SELECT ${SOURCE_COLUMNS} FROM sources WHERE name = @name`);
/** ON CONFLICT: a name that is taken changes no row, on either engine, without an engine's error to tell apart. */
const insertSource = sql<SourceParams>(
  'insert_source',
  () => `INSERT INTO sources (name, kind, settings, created_at, updated_at) VALUES (@name, @kind, @settings, @createdAt, @updatedAt)
  ON CONFLICT (name) DO NOTHING`,
);
const updateSource = sql<Omit<SourceParams, 'createdAt'>>(
  'update_source',
  () => 'UPDATE sources SET kind = @kind, settings = @settings, updated_at = @updatedAt WHERE name = @name',
);
/** Deletes only a source without users; the foreign key of users.source_name backs this up. */
const deleteUnusedSource = sql<Name>(
  'delete_unused_source',
  () => 'DELETE FROM sources WHERE name = @name AND NOT EXISTS (SELECT 1 FROM users WHERE source_name = @name)',
);
const countUsersOfSource = sql<Name, { count: number }>(
  'count_users_of_source',
  () => 'SELECT COUNT(*) AS count FROM users WHERE source_name = @name',
);
const listUsersOfSource = sql<Name & { limit: number }, UserRecord>(
  'list_users_of_source',
  (d) => `SELECT ${USER_COLUMNS} FROM users WHERE source_name = @name ORDER BY ${d.bytewise('login_key')} LIMIT @limit`,
);
/** The source and the hash together; a source name must name a source (checked here, and by the foreign key). */
const setUserSource = sql<{ id: string; sourceName: string | null; passwordHash: string }>(
  'set_user_source',
  () => `UPDATE users SET source_name = @sourceName::text, password_hash = @passwordHash
  WHERE id = @id AND (@sourceName::text IS NULL OR EXISTS (SELECT 1 FROM sources WHERE name = @sourceName::text))`,
);

/** A stored row as the core reads it: its settings checked, or why they cannot be used. */
export function storedSourceOf(row: SourceRow): StoredSource {
  const { settings: text, ...rest } = row;
  let problem: string;
  try {
    const settings = parseSourceSettings(JSON.parse(text));
    if (settings.kind === row.kind) return { ...rest, kind: settings.kind, settings } satisfies SourceRecord;
    problem = `its kind ${JSON.stringify(row.kind)} differs from the kind of its settings`;
  } catch (error) {
    problem = error instanceof SyntaxError ? 'its settings are not JSON' : error instanceof Error ? error.message : String(error);
  }
  return { ...rest, settings: null, problem };
}

function paramsOf(source: SourceRecord): SourceParams {
  return {
    name: source.name,
    kind: source.kind,
    settings: JSON.stringify(source.settings),
    createdAt: source.createdAt,
    updatedAt: source.updatedAt,
  };
}

export function sourcePart(x: Executor): SourceStore {
  const count = async (name: string): Promise<number> => (await x.one(countUsersOfSource, { name }))?.count ?? 0;
  return {
    listSources: async () => (await x.all(listSources, {})).map(storedSourceOf),
    getSource: async (name) => {
      const row = await x.one(getSource, { name });
      return row === null ? null : storedSourceOf(row);
    },
    async insertSource(source) {
      if ((await x.run(insertSource, paramsOf(source))) === 0) throw new DuplicateSourceError(source.name);
    },
    updateSource: async (source) => (await x.run(updateSource, paramsOf(source))) > 0,
    async deleteSource(name) {
      try {
        if ((await x.run(deleteUnusedSource, { name })) > 0) {
          await lastTestDrop(x, 'source', name);
          return 'deleted';
        }
      } catch (error) {
        // A user given this source by a concurrent transaction: the foreign key refuses the delete.
        const users = await count(name);
        if (users > 0) return { inUse: users };
        throw error;
      }
      const users = await count(name);
      return users > 0 ? { inUse: users } : 'absent';
    },
    countUsersOfSource: count,
    listUsersOfSource: (name, limit) => x.all(listUsersOfSource, { name, limit }),
    setUserSource: async (id, sourceName, passwordHash) => (await x.run(setUserSource, { id, sourceName, passwordHash })) > 0,
  };
}
