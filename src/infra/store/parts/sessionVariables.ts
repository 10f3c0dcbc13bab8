// Session variables (docs/groups.md "Session variables"): the statements, once for every engine, and
// the store's part (core/store/sessionVariables.ts). Every limit is checked in the statement that
// writes, after a lock that orders the writers of one application (declarations) or of one session
// (values) across PostgreSQL nodes; SQLite's writers run one at a time anyway. A value's version is
// compared and set in the same statement: UPDATE … WHERE version = @expected, or an INSERT that a
// stored value makes a no-op for version 0.
import { certificateAndSessionOfValues } from '../columns.js';
import { step, type Executor } from '../executor.js';
import { sql } from '../sql/statement.js';
import { lockApplication } from './applications.js';
import { CERTIFICATE_AND_SESSION_COLUMNS, CERTIFICATE_AND_SESSION_FROM } from './sessions.js';
import type { Dialect } from '../sql/dialect.js';
import type {
  SessionVariableDeclaration,
  SessionVariableStore,
  SessionVariableValue,
  SessionVariableWrite,
} from '../../../core/store/index.js';

type Named = { readonly applicationId: string; readonly name: string };
type Stored = { readonly globalId: string; readonly owner: string; readonly name: string };
type DeclarationRow = Omit<SessionVariableDeclaration, 'readable' | 'writable'> & { readable: number; writable: number };

const DECLARATION_COLUMNS = `application_id AS "applicationId", name, default_value AS "defaultValue", max_length AS "maxLength",
  readable, writable, created_at AS "createdAt"`;

function declarationOf(row: DeclarationRow): SessionVariableDeclaration {
  return { ...row, readable: row.readable === 1, writable: row.writable === 1 };
}

/** The bytes of the session's values other than (@owner, @name), plus those of @value: the session's size after the write. */
function sizeAfterWrite(d: Dialect): string {
  return `(SELECT COALESCE(SUM(${d.byteLength('o.value')}), 0) FROM session_variable_values o
    WHERE o.global_id = @globalId AND NOT (o.owner_id = @owner AND o.name = @name)) + ${d.byteLength('@value::text')}`;
}

const DECLARED = 'EXISTS (SELECT 1 FROM session_variable_declarations d WHERE d.application_id = @owner AND d.name = @name)';

/** A new name counts against the limit; replacing a declaration does not. */
const declare = sql<DeclarationRow & { maxDeclarations: number }>(
  'declare_session_variable',
  () => `INSERT INTO session_variable_declarations
  (application_id, name, default_value, max_length, readable, writable, created_at)
  SELECT a.id, @name::text, @defaultValue::text, @maxLength::integer, @readable::integer, @writable::integer, @createdAt::bigint
  FROM applications a WHERE a.id = @applicationId
  AND (SELECT COUNT(*) FROM session_variable_declarations d WHERE d.application_id = @applicationId AND d.name <> @name) < @maxDeclarations
  ON CONFLICT (application_id, name) DO UPDATE SET default_value = excluded.default_value, max_length = excluded.max_length,
    readable = excluded.readable, writable = excluded.writable`,
);
const listDeclarations = sql<{ applicationId: string }, DeclarationRow>(
  'list_session_variable_declarations',
  (d) =>
    `SELECT ${DECLARATION_COLUMNS} FROM session_variable_declarations WHERE application_id = @applicationId ORDER BY ${d.bytewise('name')}`,
);
const getDeclaration = sql<Named, DeclarationRow>(
  'get_session_variable_declaration',
  () => `SELECT ${DECLARATION_COLUMNS} FROM session_variable_declarations WHERE application_id = @applicationId AND name = @name`,
);
// The foreign key of the values cascades: the variable's values in every session go with it.
const removeDeclaration = sql<Named>(
  'remove_session_variable_declaration',
  () => 'DELETE FROM session_variable_declarations WHERE application_id = @applicationId AND name = @name',
);
const getValue = sql<Stored, SessionVariableValue>(
  'get_session_variable_value',
  () => `SELECT owner_id AS owner, name, value, version FROM session_variable_values
  WHERE global_id = @globalId AND owner_id = @owner AND name = @name`,
);
/** Orders the writers of one session's values across nodes (a no-op read on SQLite, whose writers run one at a time). */
const lockSession = sql<{ globalId: string }>(
  'lock_session_for_variables',
  (d) => `SELECT 1 AS locked FROM global_sessions WHERE id = @globalId${d.forUpdate}`,
);
/** Version 0 to 1: a value stored already (another writer was first) makes it a no-op. */
const insertFirstValue = sql<Stored & { value: string; maxBytes: number }>(
  'insert_first_session_variable_value',
  (d) => `INSERT INTO session_variable_values (global_id, owner_id, name, value, version)
  SELECT g.id, @owner::text, @name::text, @value::text, 1 FROM global_sessions g
  WHERE g.id = @globalId AND ${DECLARED} AND ${sizeAfterWrite(d)} <= @maxBytes
  ON CONFLICT (global_id, owner_id, name) DO NOTHING`,
);
const updateValue = sql<Stored & { value: string; expected: number; maxBytes: number }>(
  'update_session_variable_value',
  (d) => `UPDATE session_variable_values SET value = @value::text, version = version + 1
  WHERE global_id = @globalId AND owner_id = @owner AND name = @name AND version = @expected
  AND ${sizeAfterWrite(d)} <= @maxBytes`,
);
/** Whatever the version: an initial value from the application itself. */
const setValue = sql<Stored & { value: string; maxBytes: number }>(
  'set_session_variable_value',
  (d) => `INSERT INTO session_variable_values (global_id, owner_id, name, value, version)
  SELECT g.id, @owner::text, @name::text, @value::text, 1 FROM global_sessions g
  WHERE g.id = @globalId AND ${DECLARED} AND ${sizeAfterWrite(d)} <= @maxBytes
  ON CONFLICT (global_id, owner_id, name) DO UPDATE SET value = excluded.value, version = session_variable_values.version + 1`,
);
// PostgreSQL answers a SUM of integers as a bigint, which node-postgres reads as text.
const sessionBytes = sql<{ globalId: string }, { bytes: number | string }>(
  'session_variable_bytes',
  (d) => `SELECT COALESCE(SUM(${d.byteLength('value')}), 0) AS bytes FROM session_variable_values WHERE global_id = @globalId`,
);
/**
 * The hot path's row (parts/sessions.ts), then when the caller first verified the local session and
 * the variables it may read there as a JSON array of [owner, name, value, version]: its own and the
 * readable ones of other applications of the session's set (its group, or the ungrouped ones for the
 * default set), the default at version 0 where no value is stored.
 */
const findCertificateSessionAndVariables = sql<{ fingerprint: string; localIdHash: string }, unknown[]>(
  'find_certificate_session_and_variables',
  (d) => `SELECT${CERTIFICATE_AND_SESSION_COLUMNS}, l.first_verified_at AS "firstVerifiedAt",
  (SELECT ${d.jsonTextArray(
    d.jsonArray('dv.application_id', 'dv.name', 'COALESCE(v.value, dv.default_value)', 'COALESCE(v.version, 0)'),
    'dv.application_id, dv.name',
  )}
    FROM session_variable_declarations dv
    LEFT JOIN session_variable_values v ON v.global_id = g.id AND v.owner_id = dv.application_id AND v.name = dv.name
    LEFT JOIN group_members dm ON dm.application_id = dv.application_id
    WHERE g.id IS NOT NULL AND c.application_id IS NOT NULL AND (dv.application_id = c.application_id OR dv.readable = 1)
    AND dm.group_name IS NOT DISTINCT FROM g.group_name
  ) AS "variables"${CERTIFICATE_AND_SESSION_FROM}`,
  { arrayRows: true },
);
const markVerified = sql<{ localIdHash: string; now: number }>(
  'mark_local_session_verified',
  () => 'UPDATE local_sessions SET first_verified_at = @now WHERE id_hash = @localIdHash AND first_verified_at IS NULL',
);

function variablesOf(json: unknown): SessionVariableValue[] {
  if (typeof json !== 'string') return [];
  return (JSON.parse(json) as [string, string, string, number][]).map(([owner, name, value, version]) => ({ owner, name, value, version }));
}

export function sessionVariablePart(x: Executor): SessionVariableStore {
  return {
    async declareSessionVariable(declaration, maxDeclarations) {
      const row = { ...declaration, readable: declaration.readable ? 1 : 0, writable: declaration.writable ? 1 : 0, maxDeclarations };
      const done = await x.batch([step(lockApplication, { id: declaration.applicationId }), step(declare, row, true)]);
      return done !== null;
    },
    listSessionVariableDeclarations: async (applicationId) => (await x.all(listDeclarations, { applicationId })).map(declarationOf),
    getSessionVariableDeclaration: async (applicationId, name) => {
      const row = await x.one(getDeclaration, { applicationId, name });
      return row === null ? null : declarationOf(row);
    },
    removeSessionVariableDeclaration: async (applicationId, name) => (await x.run(removeDeclaration, { applicationId, name })) > 0,
    getSessionVariableValue: (globalId, owner, name) => x.one(getValue, { globalId, owner, name }),
    async writeSessionVariable(write: SessionVariableWrite) {
      const { globalId, owner, name, value, expectedVersion, maxSessionBytes: maxBytes } = write;
      const change =
        expectedVersion === 0
          ? step(insertFirstValue, { globalId, owner, name, value, maxBytes }, true)
          : step(updateValue, { globalId, owner, name, value, expected: expectedVersion, maxBytes }, true);
      return (await x.batch([step(lockSession, { globalId }), change])) !== null;
    },
    async writeSessionVariables(globalId, owner, values, maxBytes) {
      const changes = values.map(({ name, value }) => step(setValue, { globalId, owner, name, value, maxBytes }, true));
      return (await x.batch([step(lockSession, { globalId }), ...changes])) !== null;
    },
    sessionVariableBytes: async (globalId) => Number((await x.one(sessionBytes, { globalId }))?.bytes ?? 0),
    findCertificateSessionAndVariables: (fingerprint, localIdHash) =>
      x.first(findCertificateSessionAndVariables, { fingerprint, localIdHash }, (values) => {
        if (values === undefined) throw new Error('findCertificateSessionAndVariables returned no row');
        const firstVerifiedAt = values[values.length - 2];
        return {
          ...certificateAndSessionOfValues(values),
          firstVerifiedAt: firstVerifiedAt === null || firstVerifiedAt === undefined ? null : Number(firstVerifiedAt),
          variables: variablesOf(values[values.length - 1]),
        };
      }),
    markLocalSessionVerified: async (localIdHash, now) => (await x.run(markVerified, { localIdHash, now })) > 0,
  };
}
