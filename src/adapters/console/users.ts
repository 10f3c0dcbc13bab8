// The users page (`/users`, docs/admin-console.md "Users"): the users a page at a time by login, with
// a search that narrows the list as the administrator types (the console's script; without it, the
// search button), as `ssod users list` reads them (core/operator/users.ts). The routes of a user's
// own page, its creation and its changes are in user.ts, userCreate.ts and userActions.ts.
import { MOST_LOGIN_CHARACTERS, countUserSessions, listUsers, userChoices } from '../../core/operator/users.js';
import { SsoError } from '../../core/errors.js';
import { countText, html, type Html } from './html.js';
import { noticeOf, showPage, table, textField, type ConsoleRequest, type ConsoleRoute } from './kit.js';
import { USER_ACTION_ROUTES } from './userActions.js';
import { USER_CREATE_ROUTES } from './userCreate.js';
import { USER_PAGE_ROUTES, sourceText, stateBadge } from './user.js';

const PAGE_SIZE = 50;

const NOTICES = { deleted: 'The user was deleted, with its sessions and federated links.' };

/** The search text, or why there is no list for it (longer than any login, or no login can contain it). */
function searchOf(request: ConsoleRequest): { readonly text: string; readonly problem: string | null } {
  const text = request.url.searchParams.get('q') ?? '';
  if (Array.from(text).length > MOST_LOGIN_CHARACTERS)
    return {
      text: Array.from(text).slice(0, MOST_LOGIN_CHARACTERS).join(''),
      problem: `No user matches: a login has at most ${MOST_LOGIN_CHARACTERS} characters.`,
    };
  return { text, problem: null };
}

/** The page of users that match, or a message instead of the list. */
async function results(request: ConsoleRequest, text: string): Promise<Html> {
  const { services } = request;
  const after = request.url.searchParams.get('after') ?? undefined;
  let page;
  try {
    page = await listUsers(services, {
      login: text === '' ? undefined : text,
      after: after?.slice(0, 4 * MOST_LOGIN_CHARACTERS),
      limit: PAGE_SIZE,
    });
  } catch (error) {
    // A search text the login rules refuse (a control character, say): no login contains it.
    if (!(error instanceof SsoError)) throw error;
    return html`<p class="empty">No user matches: no login can contain this text.</p>`;
  }
  const owners = new Map((await userChoices(services)).applications.map((app) => [app.id, app.name]));
  const rows = [];
  for (const user of page.users)
    rows.push([
      html`<a href="/users/${user.id}">${user.login}</a>`,
      owners.get(user.ownerId) ?? '?',
      sourceText(user),
      stateBadge(user),
      countText(await countUserSessions(services, user.id)),
    ]);
  const query = (more: Record<string, string>) => new URLSearchParams({ ...(text === '' ? {} : { q: text }), ...more }).toString();
  return html`${table(
      ['Login', 'Owner', 'Source', 'State', 'Live sessions'],
      rows,
      text === '' ? 'There are no users yet.' : 'No user matches.',
      text === '' ? 'Users by login' : `Users whose login contains “${text}”`,
    )}
    <div class="pager">
      ${after !== undefined ? html`<a href="/users${query({}) === '' ? '' : `?${query({})}`}">First page</a>` : ''}
      ${page.next !== null ? html`<a href="/users?${query({ after: page.next })}">Next page</a>` : ''}
    </div>`;
}

async function usersPage(request: ConsoleRequest): Promise<void> {
  const search = searchOf(request);
  const found = search.problem === null ? await results(request, search.text) : html`<p class="empty">${search.problem}</p>`;
  showPage(request, {
    title: 'Users',
    main: html`${noticeOf(request, NOTICES)}
      <div class="actions"><a href="/users/new">Create a user</a></div>
      <form method="get" action="/users" class="toolbar" role="search" data-live="user-results">
        <div>${textField({ name: 'q', label: 'Login contains', type: 'search', value: search.text })}</div>
        <button type="submit" class="secondary">Search</button>
      </form>
      <div id="user-results" aria-live="polite">${found}</div>`,
  });
}

export const USERS_ROUTES: readonly ConsoleRoute[] = [
  { method: 'GET', path: '/users', handle: usersPage },
  ...USER_CREATE_ROUTES,
  ...USER_PAGE_ROUTES,
  ...USER_ACTION_ROUTES,
];
