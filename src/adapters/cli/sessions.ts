// `ssod sessions`: the live global sessions (docs/DECISIONS.md "Sessions and the relay"), by user or by
// application, and ending one or all of a user's. A session is named by its global session id,
// which is no credential: the store holds it in the clear and it opens nothing by itself.
import type { Command } from 'commander';
import { listLiveSessions } from '../../core/operator/sessions.js';
import { endApplicationSessions, endSession, endUserSessions } from '../../core/sessions.js';
import type { OperatorServices } from '../../core/services.js';
import { applicationArgument } from './applications.js';
import { CliError, UsageError, action, addWideFlag, isoTime, print, storeCommand, table, tableTime, type StoreFlags } from './common.js';
import { printable } from '../../core/identifiers.js';
import { withServices, type InstallationAccess } from './installation.js';
import { countFlag, userArgument } from './users.js';

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 10_000;

interface ListFlags extends StoreFlags {
  readonly user?: string;
  readonly application?: string;
  readonly limit?: string;
}

/** The application of --application, with the url its sessions are known by. */
async function applicationWithUrl(services: OperatorServices, id: string): Promise<{ readonly name: string; readonly url: string }> {
  const app = await applicationArgument(services, id);
  if (app.url === null)
    throw new CliError(`${app.name} (${app.id}) registered no url, so no session is known by it; name sessions by --user instead`);
  return { name: app.name, url: app.url };
}

async function list(access: InstallationAccess, flags: ListFlags): Promise<void> {
  const limit = countFlag('--limit', flags.limit, DEFAULT_LIMIT, MAX_LIMIT);
  await withServices(access, flags, async (services) => {
    const user = flags.user === undefined ? undefined : await userArgument(services, flags.user);
    const baseUrl = flags.application === undefined ? undefined : (await applicationWithUrl(services, flags.application)).url;
    const found = await listLiveSessions(services, { userId: user?.id, baseUrl: baseUrl || undefined, limit });
    const sessions = found.sessions.map((session) => ({
      id: session.global.id,
      userId: session.global.userId,
      login: session.login,
      createdAt: isoTime(session.global.createdAt),
      lastSeenAt: isoTime(session.global.lastSeenAt),
      expiresAt: isoTime(session.global.expiresAt),
      applications: session.baseUrls,
    }));
    // --json keeps its array of sessions (scripts read it); `ssod status --json` has the total.
    print(
      flags,
      sessions,
      () =>
        (flags.wide === true
          ? table(
              ['SESSION', 'LOGIN', 'STARTED', 'LAST SEEN', 'APPLICATIONS'],
              sessions.map((s) => [s.id, s.login, s.createdAt ?? '-', s.lastSeenAt ?? '-', s.applications.join(' ')]),
            )
          : // Fits 100 columns: no STARTED (--wide or --json), the session id never wrapped, logins and URLs wrapped.
            table(
              ['SESSION', 'LOGIN', 'LAST SEEN', 'APPLICATIONS'],
              sessions.map((s) => [s.id, s.login, tableTime(s.lastSeenAt), s.applications.join(' ')]),
              { fit: true, keep: [0] },
            )) + totalLine(sessions.length, found.total),
    );
  });
}

function totalLine(shown: number, total: number): string {
  if (shown >= total) return `${total} live session(s).\n`;
  return `${shown} of ${total} live sessions shown, newest first; --limit N shows more (at most ${MAX_LIMIT}).\n`;
}

interface EndFlags extends StoreFlags {
  readonly user?: string;
  readonly application?: string;
}

async function end(access: InstallationAccess, flags: EndFlags, id?: string): Promise<void> {
  const byFilter = flags.user !== undefined || flags.application !== undefined;
  if ((id === undefined) !== byFilter)
    throw new UsageError(
      "name the sessions to end; give one session id (as `ssod sessions list` shows it), or --user USER and/or --application APP_ID for all of a user's or an application's sessions",
    );
  await withServices(access, flags, async (services) => {
    if (id !== undefined) {
      if (!(await endSession(services, id, 'operator')))
        throw new CliError(`no live session ${JSON.stringify(id)}; \`ssod sessions list\` shows them`);
      print(flags, { ended: 1 }, () => `Session ${id} ended: the user is signed out of every application (single logout).`);
      return;
    }
    if (flags.application === undefined) {
      const user = await userArgument(services, flags.user ?? '');
      const ended = await endUserSessions(services, user.id, 'operator');
      print(flags, { ended }, () => `${ended} session(s) of ${printable(user.login)} ended.`);
      return;
    }
    const user = flags.user === undefined ? undefined : await userArgument(services, flags.user);
    const app = await applicationWithUrl(services, flags.application);
    const ended = await endApplicationSessions(services, { baseUrl: app.url, userId: user?.id }, 'operator');
    const whose = user === undefined ? '' : ` of ${printable(user.login)}`;
    print(flags, { ended }, () => `${ended} session(s)${whose} that reached ${printable(app.name)} ended.`);
  });
}

export function sessionsCommand(access: InstallationAccess): Command {
  const listCommand = (name: string): Command =>
    addWideFlag(storeCommand(name, 'List live sessions, newest first.'))
      .option('--user <USER>', 'only the sessions of this user (id or login)')
      .option('--application <APP_ID>', 'only the sessions that reached this application')
      .option('--limit <N>', `at most N sessions (default ${DEFAULT_LIMIT})`)
      .addHelpText('after', '\nExample:\n  ssod sessions list --user alice@example.com\n')
      .action(action((flags: ListFlags) => list(access, flags)));
  const command = listCommand('sessions').description("Live sessions: list them by user or application; end one, or all of a user's.");
  command.addCommand(listCommand('list'));
  command.addCommand(
    storeCommand('end', "End a session (the user is signed out everywhere), or all of a user's or an application's sessions.")
      .argument('[session]', 'the session id, as `ssod sessions list` shows it')
      .option('--user <USER>', "end all of this user's sessions (id or login)")
      .option('--application <APP_ID>', "end all sessions that reached this application (with --user: only that user's)")
      .addHelpText(
        'after',
        '\nExamples:\n  ssod sessions end 3f2a9c0e5b7d4e1f8a6b2c9d0e1f2a3b\n  ssod sessions end --user alice@example.com\n  ssod sessions end --application 0e9f5562-7156-4f4e-81f5-be1783cc15cd\n',
      )
      .action(action((flags: EndFlags, id?: string) => end(access, flags, id))),
  );
  return command;
}
