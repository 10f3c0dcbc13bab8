// `ssod locks`: the brute-force counters and locks (core/throttle.ts), and clearing them.
import { isIP } from 'node:net';
import type { Command } from 'commander';
import { loginKeyOf } from '../../core/users.js';
import { listLocks, type LockEntry } from '../../core/operator/locks.js';
import { addressSourceKey, applicationSourceKey, clearLock, loginThrottleKey } from '../../core/throttle.js';
import { CliError, UsageError, action, addWideFlag, parseLimit, print, storeCommand, table, tableTime, type StoreFlags } from './common.js';
import { withStore, type InstallationAccess } from './installation.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface LockRow {
  readonly key: string;
  readonly kind: 'login' | 'source';
  readonly failures: number;
  readonly firstFailureAt: string;
  readonly lastFailureAt: string;
  readonly lockedUntil: string | null;
  readonly locked: boolean;
}

function rowOf({ record, kind, locked }: LockEntry): LockRow {
  return {
    key: record.key,
    kind,
    failures: record.failures,
    firstFailureAt: new Date(record.firstFailureAt).toISOString(),
    lastFailureAt: new Date(record.lastFailureAt).toISOString(),
    lockedUntil: record.lockedUntil === null ? null : new Date(record.lockedUntil).toISOString(),
    locked,
  };
}

/** The source key of `--source`: a client address, or an application as `application:<id>` or its bare id. */
function sourceKeyOf(source: string): string {
  const id = source.replace(/^application:/, '');
  if (UUID.test(id)) return applicationSourceKey(id.toLowerCase());
  if (isIP(source) !== 0) return addressSourceKey(source);
  throw new UsageError(`--source must be a client address or an application id, got "${source}"; for example --source 192.0.2.7`);
}

interface ClearFlags extends StoreFlags {
  readonly login?: string;
  readonly source?: string;
}

function keyToClear(key: string | undefined, flags: ClearFlags): string {
  const given = [key, flags.login, flags.source].filter((value) => value !== undefined);
  if (given.length !== 1)
    throw new UsageError(
      'name the one lock to clear; give exactly one of KEY, --login LOGIN or --source SOURCE (`ssod locks` lists the keys)',
    );
  if (flags.login !== undefined) return loginThrottleKey(loginKeyOf(flags.login));
  if (flags.source !== undefined) return sourceKeyOf(flags.source);
  return key ?? '';
}

export function locksCommand(access: InstallationAccess): Command {
  const command = addWideFlag(
    storeCommand('locks', 'Show failed sign-in counters and locks, per login and per source (docs/SECURITY.md "Brute force").'),
  )
    .option('--locked', 'only the keys that are locked now')
    .option('--limit <N>', 'at most this many, most recent failure first', '100')
    .addHelpText(
      'after',
      '\nExamples:\n  ssod locks --data-dir /var/lib/ssod\n  ssod locks --locked --json\n  ssod locks clear --login alice@example.com\n',
    )
    .action(
      action(async (flags: StoreFlags & { locked?: boolean; limit?: string }) => {
        const limit = parseLimit(flags.limit);
        await withStore(access, flags, async (services) => {
          const rows = (await listLocks(services, { limit, lockedOnly: flags.locked === true })).map(rowOf);
          // Fits 100 columns unless --wide: times to the second, a very long key wrapped.
          const wide = flags.wide === true;
          const time = (iso: string): string => (wide ? iso : tableTime(iso));
          print(flags, rows, () =>
            table(
              ['KEY', 'FAILURES', 'LAST FAILURE', 'LOCKED UNTIL'],
              rows.map((row) => [row.key, String(row.failures), time(row.lastFailureAt), row.locked ? time(row.lockedUntil ?? '') : '-']),
              { fit: !wide },
            ),
          );
        });
      }),
    );

  command.addCommand(
    storeCommand('clear', 'Forget the failures and the lock of one login or source; the next sign-in is checked as if none had failed.')
      .argument('[key]', 'the key as `ssod locks` lists it, e.g. login:alice@example.com or source:192.0.2.7')
      .option('--login <LOGIN>', 'the login (any case)')
      .option('--source <SOURCE>', 'a client address, or an application id')
      .addHelpText(
        'after',
        '\nExamples:\n  ssod locks clear --login alice@example.com\n  ssod locks clear --source 192.0.2.7\n  ssod locks clear source:application:6f1c…\n',
      )
      .action(
        action(async (flags: ClearFlags, key?: string) => {
          const target = keyToClear(key, flags);
          await withStore(access, flags, async (services) => {
            const cleared = await clearLock(services, target, 'operator');
            if (!cleared) throw new CliError(`no failures or lock recorded for ${target}; \`ssod locks\` lists the keys that have some`);
            print(flags, { cleared: target }, () => `cleared ${target}\n`);
          });
        }),
      ),
  );
  return command;
}
