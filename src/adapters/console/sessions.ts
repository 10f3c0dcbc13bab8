// The sessions page (`/sessions`, docs/admin-console.md "Sessions"): the live global sessions, by
// user and by application, as `ssod sessions list` shows them (core/operator/sessions.ts), and
// ending one of them or all that the filters match, after a confirmation with the count, as
// `ssod sessions end` does (core/sessions.ts), recorded with the administrator as the actor.
import { findApplicationById, listApplications } from '../../core/operator/applications.js';
import { findLiveSession, listLiveSessions, type LiveSession, type SessionList } from '../../core/operator/sessions.js';
import { findUserByReference } from '../../core/operator/users.js';
import { printable } from '../../core/identifiers.js';
import { endApplicationSessions, endSession, endUserSessions } from '../../core/sessions.js';
import type { ApplicationRecord, UserRecord } from '../../core/store/index.js';
import { FilterRefused, addressOf, countOf, filterForm, filterOf, selectField, showFilterRefused } from './filters.js';
import { countText, html, timeText, type Html } from './html.js';
import {
  confirmed,
  noticeOf,
  postForm,
  redirectAfterChange,
  showConfirmation,
  showNotFound,
  showPage,
  showRefusal,
  table,
  textField,
  type ConsoleRequest,
  type ConsoleRoute,
} from './kit.js';

const PATH = '/sessions';
const LIST_ID = 'session-list';
const PAGE = 50;
/** As `ssod sessions list --limit` allows. */
const MOST_SHOWN = 10_000;

const NOTICES = {
  ended: 'The session was ended: its user is signed out of every application of it.',
  endedAll: 'The sessions were ended.',
};

/** The filters as the form and the address carry them: a user's login (or id) and an application's id. */
interface Filters {
  readonly user: string;
  readonly application: string;
}

/** What the filters name in the store; `missing` when the user named does not exist (the list is then empty). */
interface Match {
  readonly user: UserRecord | null;
  readonly application: ApplicationRecord | null;
  readonly missing: string | null;
}

function filtersOf(params: URLSearchParams): Filters {
  const url = new URL(`https://console.invalid/?${params.toString()}`);
  return { user: filterOf(url, 'user', 'The user'), application: filterOf(url, 'application', 'The application') };
}

async function matchOf(request: ConsoleRequest, filters: Filters): Promise<Match> {
  const { services } = request;
  let application: ApplicationRecord | null = null;
  if (filters.application !== '') {
    application = await findApplicationById(services, filters.application);
    if (application === null) throw new FilterRefused('No application is registered with this id.');
    if (application.url === null)
      throw new FilterRefused(`${printable(application.name)} registered no url, so no session is known by it.`);
  }
  const user = filters.user === '' ? null : await findUserByReference(services, filters.user);
  const missing = filters.user !== '' && user === null ? `No user has the login or id "${printable(filters.user)}".` : null;
  return { user, application, missing };
}

function queryOf(match: Match): { userId?: string; baseUrl?: string } {
  return {
    ...(match.user !== null ? { userId: match.user.id } : {}),
    ...(match.application?.url != null ? { baseUrl: match.application.url } : {}),
  };
}

function plural(count: number, one: string, many: string): string {
  return `${countText(count)} ${count === 1 ? one : many}`;
}

/** What the filters choose, in words after a space: " of alice", " that reached panel"; '' for none. */
function chosenText(match: Match): string {
  const parts = [
    ...(match.user !== null ? [` of ${printable(match.user.login)}`] : []),
    ...(match.application !== null ? [` that reached ${printable(match.application.name)}`] : []),
  ];
  return parts.join('');
}

/** The shown part of a session id: enough to tell sessions apart; the confirmation shows it whole. */
const SHOWN_ID_CHARS = 12;

/** A base URL as the list names it: its application's name, or the URL when none is registered at it now. */
type NameOfUrl = (url: string) => string;

function sessionRow(request: ConsoleRequest, session: LiveSession, filters: Filters, nameOf: NameOfUrl): Html[] {
  const { global } = session;
  const end = postForm(
    request,
    `${PATH}/end`,
    html`<input type="hidden" name="session" value="${global.id}" /><input type="hidden" name="user" value="${filters.user}" /><input
        type="hidden"
        name="application"
        value="${filters.application}"
      /><button type="submit" class="danger small" aria-label="${`End session ${global.id}`}">End</button>`,
  );
  return [
    html`<span class="mono nowrap" title="${global.id}">${global.id.slice(0, SHOWN_ID_CHARS)}…</span>`,
    html`${printable(session.login)}`,
    html`${timeText(global.createdAt)}`,
    html`${timeText(global.lastSeenAt)}`,
    html`${timeText(global.expiresAt)}`,
    html`${session.baseUrls.map((url, i) => html`${i > 0 ? ', ' : ''}<span title="${url}">${printable(nameOf(url))}</span>`)}`,
    end,
  ];
}

function listHtml(request: ConsoleRequest, filters: Filters, match: Match, list: SessionList, limit: number, nameOf: NameOfUrl): Html {
  if (match.missing !== null) return html`<div id="${LIST_ID}"><p class="alert" role="alert">${match.missing}</p></div>`;
  const { sessions, total } = list;
  const shown = sessions.length;
  const summary =
    shown >= total
      ? `${plural(total, 'live session', 'live sessions')}${chosenText(match)}.`
      : `${countText(shown)} of ${plural(total, 'live session', 'live sessions')}${chosenText(match)} shown, newest first.`;
  const more = Math.min(limit + PAGE, MOST_SHOWN);
  const pager =
    shown < total && limit < MOST_SHOWN
      ? html`<p class="pager"><a href="${addressOf(PATH, { ...filters, limit: more })}">Show ${countText(more - limit)} more</a></p>`
      : '';
  const filtered = match.user !== null || match.application !== null;
  const endAll =
    filtered && total > 0
      ? postForm(
          request,
          `${PATH}/end-all`,
          html`<input type="hidden" name="user" value="${filters.user}" /><input
              type="hidden"
              name="application"
              value="${filters.application}"
            /><button type="submit" class="danger">End ${total === 1 ? 'this session' : `these ${countText(total)} sessions`}</button>`,
          'actions',
        )
      : '';
  return html`<div id="${LIST_ID}">
    <p class="note">${summary}</p>
    ${table(
      ['Session', 'User', 'Started (UTC)', 'Last seen (UTC)', 'Expires (UTC)', 'Applications', 'Action'],
      sessions.map((session) => sessionRow(request, session, filters, nameOf)),
      'No live session matches.',
    )}
    ${pager}${endAll}
  </div>`;
}

/** The registered applications that sessions can reach (those with a url). */
async function applicationsWithUrl(request: ConsoleRequest): Promise<ApplicationRecord[]> {
  return (await listApplications(request.services)).map((summary) => summary.application).filter((application) => application.url !== null);
}

function formHtml(filters: Filters, applications: readonly ApplicationRecord[]): Html {
  return filterForm(PATH, LIST_ID, [
    textField({ name: 'user', label: 'User (login or id)', value: filters.user, type: 'search' }),
    selectField({
      name: 'application',
      label: 'Application',
      value: filters.application,
      options: [['', 'Any application'], ...applications.map((app): [string, string] => [app.id, printable(app.name)])],
    }),
  ]);
}

async function sessionsPage(request: ConsoleRequest): Promise<void> {
  const { services, url } = request;
  let filters: Filters = { user: '', application: '' };
  try {
    filters = filtersOf(url.searchParams);
    const limit = countOf(url, 'limit', PAGE, MOST_SHOWN);
    const match = await matchOf(request, filters);
    const applications = await applicationsWithUrl(request);
    const names = new Map(applications.map((app) => [app.url, app.name]));
    const list = match.missing === null ? await listLiveSessions(services, { ...queryOf(match), limit }) : { sessions: [], total: 0 };
    const timeout = services.settings.current().sessionTimeout;
    showPage(request, {
      title: 'Sessions',
      main: html`${noticeOf(request, NOTICES)}
        <p class="note">
          Live sessions of the whole installation. A session also ends after ${plural(Math.round(timeout / 60), 'minute', 'minutes')}
          without use. Ending one signs its user out of every application of it.
        </p>
        ${formHtml(filters, applications)} ${listHtml(request, filters, match, list, limit, (url) => names.get(url) ?? url)}`,
    });
  } catch (error) {
    if (!(error instanceof FilterRefused)) throw error;
    showFilterRefused(request, 'Sessions', error, formHtml(filters, await applicationsWithUrl(request)));
  }
}

/** Where a change goes back to: the list with the filters it was made from. */
function backOf(filters: Filters): string {
  return addressOf(PATH, { ...filters });
}

async function endOne(request: ConsoleRequest): Promise<void> {
  const form = request.form ?? new URLSearchParams();
  const filters = filtersOrEmpty(form);
  const back = backOf(filters);
  const id = (form.get('session') ?? '').slice(0, 256);
  const session = await findLiveSession(request.services, id);
  if (session === null) {
    showNotFound(request, 'No live session has this id: it may have ended meanwhile.', back);
    return;
  }
  if (!confirmed(request)) {
    const login = printable(session.login);
    showConfirmation(request, {
      title: 'End a session',
      what: `End session ${id} of ${login}?`,
      consequences: [
        `${login} is signed out of ${plural(session.baseUrls.length, 'application', 'applications')} of this session${
          session.baseUrls.length > 0 ? `: ${session.baseUrls.map(printable).join(', ')}` : ''
        } (single logout).`,
        `Started ${timeText(session.global.createdAt)}, last seen ${timeText(session.global.lastSeenAt)}.`,
        'The audit trail records it as session.ended by you.',
      ],
      button: 'End the session',
      back,
      fields: { session: id, ...filters },
    });
    return;
  }
  if (!(await endSession(request.services, id, request.actor))) {
    showNotFound(request, 'No live session has this id: it ended meanwhile.', back);
    return;
  }
  redirectAfterChange(request, back, 'ended');
}

/** The filters a form sent back; a refused one is dropped (the list is then shown unfiltered). */
function filtersOrEmpty(form: URLSearchParams): Filters {
  try {
    return filtersOf(form);
  } catch {
    return { user: '', application: '' };
  }
}

async function endAll(request: ConsoleRequest): Promise<void> {
  const form = request.form ?? new URLSearchParams();
  let filters: Filters;
  let match: Match;
  try {
    filters = filtersOf(form);
    match = await matchOf(request, filters);
  } catch (error) {
    if (!(error instanceof FilterRefused)) throw error;
    showRefusal(request, `${error.message} Nothing was ended.`, PATH, 400);
    return;
  }
  const back = backOf(filters);
  if (match.missing !== null) {
    showRefusal(request, `${match.missing} Nothing was ended.`, back, 400);
    return;
  }
  if (match.user === null && match.application === null) {
    showRefusal(request, 'Choose a user or an application first: this page does not end every session at once.', back, 400);
    return;
  }
  const { total } = await listLiveSessions(request.services, { ...queryOf(match), limit: 1 });
  if (total === 0) {
    showRefusal(request, `There is no live session${chosenText(match)}: nothing was ended.`, back);
    return;
  }
  if (!confirmed(request)) {
    showConfirmation(request, {
      title: 'End sessions',
      what: `End ${plural(total, 'live session', 'live sessions')}${chosenText(match)}?`,
      consequences: [
        'Each user is signed out of every application of the session (single logout).',
        'The audit trail records each as session.ended by you.',
      ],
      button: `End ${plural(total, 'session', 'sessions')}`,
      back,
      fields: { ...filters },
    });
    return;
  }
  const { user, application } = match;
  if (application?.url != null)
    await endApplicationSessions(request.services, { baseUrl: application.url, userId: user?.id }, request.actor);
  else if (user !== null) await endUserSessions(request.services, user.id, request.actor);
  redirectAfterChange(request, back, 'endedAll');
}

export const SESSIONS_ROUTES: readonly ConsoleRoute[] = [
  { method: 'GET', path: PATH, handle: sessionsPage },
  { method: 'POST', path: `${PATH}/end`, handle: endOne },
  { method: 'POST', path: `${PATH}/end-all`, handle: endAll },
];
