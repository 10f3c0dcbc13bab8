// The last test of each delegated source and identity provider: the statements, once for every
// engine, and the store's part. A test is kept only while its source or identity provider exists
// (the insert checks it), and goes with it (lastTestDrop, run by the deletions of those parts).
import { LAST_TEST_COLUMNS } from '../columns.js';
import type { Executor } from '../executor.js';
import { sql } from '../sql/statement.js';
import type { LastTestRecord, LastTestStore, TestedKind } from '../../../core/store/index.js';

type Key = { readonly kind: TestedKind; readonly name: string };

/** Writes only when the subject exists, so a test that races a removal leaves nothing behind. */
const recordLastTest = sql<LastTestRecord>(
  'record_last_test',
  () => `INSERT INTO last_tests (kind, name, tested_at, actor, outcome, detail)
  SELECT @kind::text, @name::text, @testedAt::bigint, @actor::text, @outcome::text, @detail::text
  WHERE (@kind::text = 'source' AND EXISTS (SELECT 1 FROM sources WHERE name = @name::text))
    OR (@kind::text = 'identityProvider' AND EXISTS (SELECT 1 FROM identity_providers WHERE name = @name::text))
  ON CONFLICT (kind, name) DO UPDATE SET tested_at = excluded.tested_at, actor = excluded.actor, outcome = excluded.outcome,
    detail = excluded.detail`,
);
const getLastTest = sql<Key, LastTestRecord>(
  'get_last_test',
  () => `SELECT ${LAST_TEST_COLUMNS} FROM last_tests WHERE kind = @kind AND name = @name`,
);
const deleteLastTest = sql<Key>('delete_last_test', () => 'DELETE FROM last_tests WHERE kind = @kind AND name = @name');

/** Drops the last test of a source or identity provider that was just deleted. */
export async function lastTestDrop(x: Executor, kind: TestedKind, name: string): Promise<void> {
  await x.run(deleteLastTest, { kind, name });
}

export function lastTestPart(x: Executor): LastTestStore {
  return {
    recordLastTest: async (record) => (await x.run(recordLastTest, record)) > 0,
    getLastTest: (kind, name) => x.one(getLastTest, { kind, name }),
  };
}
