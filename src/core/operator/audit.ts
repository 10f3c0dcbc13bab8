// What an operator reads of the audit trail (core/audit.ts), newest first.
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
