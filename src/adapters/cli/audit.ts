// `ssod audit`: reads the audit trail of security events (core/audit.ts), newest first.
import type { Command } from 'commander';
import { AUDIT_EVENT_TYPES, isAuditEventType } from '../../core/audit.js';
import { didYouMean } from '../../config/suggest.js';
import { auditDetailText, auditTimeOf, queryAuditTrail } from '../../core/operator/audit.js';
import type { AuditRecord } from '../../core/store/index.js';
import { UsageError, action, addWideFlag, parseLimit, print, storeCommand, table, type StoreFlags } from './common.js';
import { withStore, type InstallationAccess } from './installation.js';

interface AuditFlags extends StoreFlags {
  readonly since?: string;
  readonly until?: string;
  readonly type?: string;
  readonly actor?: string;
  readonly target?: string;
  readonly limit?: string;
}

/** A time as an operator writes it (core/operator/audit.ts auditTimeOf); a usage error otherwise. */
export function parseTime(text: string, flag: string, now: number): number {
  const at = auditTimeOf(text, now);
  if (at === null)
    throw new UsageError(`${flag} must be an ISO 8601 time (2025-01-31T12:00:00Z) or an age such as 30m, 24h, 7d; got "${text}"`);
  return at;
}

interface AuditRow extends Omit<AuditRecord, 'at'> {
  readonly at: string;
}

function wideTable(rows: readonly AuditRow[]): string {
  return table(
    ['TIME', 'TYPE', 'ACTOR', 'TARGET', 'OUTCOME', 'DETAIL'],
    rows.map((row) => [row.at, row.type, row.actor, row.target, row.outcome, auditDetailText(row.detail)]),
  );
}

/** Fits 100 columns: the time to the second, no ACTOR (--wide, --json or --actor show it), long cells wrapped. */
function narrowTable(rows: readonly AuditRow[]): string {
  return table(
    ['TIME', 'TYPE', 'TARGET', 'OUTCOME', 'DETAIL'],
    rows.map((row) => [row.at.replace(/\.\d{3}Z$/, 'Z'), row.type, row.target, row.outcome, auditDetailText(row.detail)]),
    { fit: true },
  );
}

export function auditCommand(access: InstallationAccess): Command {
  return addWideFlag(
    storeCommand('audit', 'Show the audit trail of security events, newest first; the ACTOR column with --wide or --json.'),
  )
    .option('--since <TIME>', 'only events at or after this time (ISO 8601, or an age such as 24h, 7d)')
    .option('--until <TIME>', 'only events before this time')
    .option('--type <TYPE>', `only events of this type: ${AUDIT_EVENT_TYPES.join(', ')}`)
    .option('--actor <ACTOR>', 'only events by this actor: application:<id>, guest, operator or admin:<name>')
    .option('--target <TARGET>', 'only events about this target, e.g. user:<id>, application:<id>, login:<login>')
    .option('--limit <N>', 'at most this many events', '100')
    .addHelpText(
      'after',
      '\nExamples:\n  ssod audit --since 24h\n  ssod audit --since 24h --wide\n  ssod audit --type authentication.failed --limit 20\n  ssod audit --target user:3f0c7a1e-… --json\n',
    )
    .action(
      action(async (flags: AuditFlags) => {
        const now = Date.now();
        if (flags.type !== undefined && !isAuditEventType(flags.type)) {
          throw new UsageError(
            `unknown event type "${flags.type}"${didYouMean(flags.type, AUDIT_EVENT_TYPES)}; the types are: ${AUDIT_EVENT_TYPES.join(', ')}`,
          );
        }
        const query = {
          limit: parseLimit(flags.limit),
          ...(flags.since !== undefined ? { since: parseTime(flags.since, '--since', now) } : {}),
          ...(flags.until !== undefined ? { until: parseTime(flags.until, '--until', now) } : {}),
          ...(flags.type !== undefined ? { type: flags.type } : {}),
          ...(flags.actor !== undefined ? { actor: flags.actor } : {}),
          ...(flags.target !== undefined ? { target: flags.target } : {}),
        };
        await withStore(access, flags, async (services) => {
          const rows: AuditRow[] = (await queryAuditTrail(services, query)).map((record) => ({
            ...record,
            at: new Date(record.at).toISOString(),
          }));
          print(flags, rows, () => (flags.wide === true ? wideTable(rows) : narrowTable(rows)));
        });
      }),
    );
}
