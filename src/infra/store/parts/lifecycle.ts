// The store itself: the statements that /healthz and /readyz run, once for every engine.
import { sql } from '../sql/statement.js';

export const ping = sql<object, { one: number }>('ping', () => 'SELECT 1 AS one');
export const probeWrite = sql<object>(
  'probe_write',
  () => 'UPDATE schema_migrations SET applied_at = applied_at WHERE version = (SELECT MAX(version) FROM schema_migrations)',
);
