// The audit trail: the statements, once for every engine, and the store's part.
import { AUDIT_COLUMNS, auditRecordOf, type AuditRow } from '../columns.js';
import type { Executor } from '../executor.js';
import { sql } from '../sql/statement.js';
import type { AuditStore } from '../../../core/store/index.js';

type Filters = Record<'since' | 'until' | 'beforeId', number | null> & Record<'type' | 'actor' | 'target', string | null>;

const appendAudit = sql<{ at: number; type: string; actor: string; target: string; outcome: string; detail: string }>(
  'append_audit',
  () => 'INSERT INTO audit_events (at, type, actor, target, outcome, detail) VALUES (@at, @type, @actor, @target, @outcome, @detail)',
);
/** Optional filters are bound as NULL, which the statement reads as "no filter". */
const queryAudit = sql<Filters & { limit: number }, AuditRow>(
  'query_audit',
  () => `SELECT ${AUDIT_COLUMNS} FROM audit_events
  WHERE (@since::bigint IS NULL OR at >= @since) AND (@until::bigint IS NULL OR at < @until) AND (@type::text IS NULL OR type = @type)
    AND (@actor::text IS NULL OR actor = @actor) AND (@target::text IS NULL OR target = @target) AND (@beforeId::bigint IS NULL OR id < @beforeId)
  ORDER BY id DESC LIMIT @limit`,
);
const trimAudit = sql<{ before: number }>('trim_audit', () => 'DELETE FROM audit_events WHERE at < @before');

export function auditPart(x: Executor): AuditStore {
  return {
    async appendAudit(event) {
      await x.run(appendAudit, { ...event, detail: JSON.stringify(event.detail) });
    },
    queryAudit: async (query) => {
      const { since = null, until = null, type = null, actor = null, target = null, beforeId = null, limit } = query;
      return (await x.all(queryAudit, { since, until, type, actor, target, beforeId, limit })).map(auditRecordOf);
    },
    trimAudit: (before) => x.run(trimAudit, { before }),
  };
}
