// What an operator reads of the audit trail (core/audit.ts), newest first: the query, the times an
// operator writes for it, and a record's detail as one line. The command line (`ssod audit`) and the
// admin console's audit page read the trail through these, so both read times and show details alike.
import type { StoreServices } from '../services.js';
import type { AuditQuery, AuditRecord } from '../store/index.js';

/** The events that match, newest first. */
export function queryAuditTrail(services: Pick<StoreServices, 'store'>, query: AuditQuery): Promise<AuditRecord[]> {
  return services.store.queryAudit(query);
}

/** How many events of `type` since `since`, counting up to `most`. */
export async function countEvents(services: Pick<StoreServices, 'store'>, type: string, since: number, most: number): Promise<number> {
  return (await services.store.queryAudit({ type, since, limit: most })).length;
}

const UNIT_MS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * A time as an operator writes it: ISO 8601 (`2025-01-31`, `2025-01-31T12:00:00Z`) or an age such as
 * `90m`, `24h`, `7d` before `now`; null when the text is neither.
 */
export function auditTimeOf(text: string, now: number): number | null {
  const age = /^(\d{1,9})([smhd])$/.exec(text);
  if (age !== null) return now - Number(age[1]) * (UNIT_MS[age[2] ?? 's'] ?? 1000);
  const at = /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(text) ? Date.parse(text) : NaN;
  return Number.isNaN(at) ? null : at;
}

/** A record's detail on one line: `name=value` pairs, `-` for a null value. */
export function auditDetailText(detail: AuditRecord['detail']): string {
  return Object.entries(detail)
    .map(([name, value]) => `${name}=${value === null ? '-' : String(value)}`)
    .join(' ');
}
