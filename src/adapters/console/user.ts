// A user's page (`/users/<id>`, docs/admin-console.md "Users"): what `ssod users show`, `ssod users
// links` and `ssod sessions list --user` show, and the forms of every change (userActions.ts does
// them): single sign-on on or off, federated links, ending sessions, disabling, deleting.
import { federatedLinksOf } from '../../core/operator/identityProviders.js';
import { listLiveSessions } from '../../core/operator/sessions.js';
import { userChoices, userDetails } from '../../core/operator/users.js';
import { DIRECTORY_DOWN_WARNING } from '../../core/sources.js';
import type { UserRecord } from '../../core/store/index.js';
import { countText, html, timeText, type Html } from './html.js';
import {
  noticeOf,
  postForm,
  selectField,
  showNotFound,
  showPage,
  table,
  textField,
  type ConsoleRequest,
  type ConsoleRoute,
} from './kit.js';

/** The path of a user's page: the id is a UUID, so `/users/new` is no user. */
export const USER_PATH = /^\/users\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;
/** How many of a user's sessions its page lists. */
const MOST_SESSIONS_SHOWN = 100;

/** The warning of turning single sign-on on, as a sentence. */
export const DIRECTORY_WARNING = `${DIRECTORY_DOWN_WARNING.charAt(0).toUpperCase()}${DIRECTORY_DOWN_WARNING.slice(1)}.`;

const NOTICES = {
  created: 'The user was created.',
  disabled: 'The user is disabled: it cannot sign in, and its sessions ended.',
  enabled: 'The user is enabled: it can sign in again.',
  ssoOn: `Single sign-on is on: the source checks the password, and the local password is gone. ${DIRECTORY_WARNING}`,
  ssoOff: 'Single sign-on is off: the user signs in with its new local password.',
  linked: 'The federated id was linked.',
  unlinked: 'The federated id was unlinked.',
  sessionEnded: 'The session ended: the user is signed out of every application it reached.',
  sessionsEnded: "The user's sessions ended.",
  unchanged: 'Nothing changed: the user was in that state already.',
};

/** The user of the path's id; null when there is none (then the 404 page has been sent). */
export async function userOf(request: ConsoleRequest): Promise<UserRecord | null> {
  const user = await request.services.store.getUser(request.params[0] ?? '');
  if (user === null) showNotFound(request, 'There is no such user (it may have been deleted).', '/users');
  return user;
}

/** A user's state as the list and its page show it. */
export function stateBadge(user: UserRecord): Html {
  return user.disabledAt === null ? html`<span class="badge ok">enabled</span>` : html`<span class="badge bad">disabled</span>`;
}

/** Where the user's password is checked: ssod's own hash, or a delegated source (single sign-on). */
export function sourceText(user: UserRecord): string {
  return user.sourceName === null ? 'local' : user.sourceName;
}

/** A form of the page sent back with bad input: which one, its message, the values to keep. */
export interface FormProblem {
  readonly form: 'ssoOff' | 'link';
  readonly message: string;
  readonly values?: Readonly<Record<string, string>>;
}

function problemFor(problem: FormProblem | undefined, form: FormProblem['form']): Html {
  return problem?.form === form ? html`<p class="alert" role="alert">${problem.message}</p>` : html``;
}

function singleSignOnForm(request: ConsoleRequest, user: UserRecord, sources: readonly string[], problem?: FormProblem): Html {
  const base = `/users/${user.id}`;
  if (user.sourceName !== null)
    return postForm(
      request,
      `${base}/sso-off`,
      html`<p>
          The password is checked by source <strong>${user.sourceName}</strong>. Turning single sign-on off needs a new local password.
        </p>
        ${problemFor(problem, 'ssoOff')}
        ${textField({ name: 'password', label: 'New local password', type: 'password', autocomplete: 'new-password' })}
        ${textField({ name: 'password2', label: 'New local password again', type: 'password', autocomplete: 'new-password' })}
        <button type="submit">Turn single sign-on off</button>`,
      'stack',
    );
  if (sources.length === 0) return html`<p class="empty">No delegated source is configured, so single sign-on cannot be turned on.</p>`;
  return postForm(
    request,
    `${base}/sso-on`,
    html`<p>The password is ssod's own (local). With single sign-on a delegated source checks it, and the local password is dropped.</p>
      ${selectField({ name: 'source', label: 'Source', options: sources.map((name) => [name, name]) })}
      <button type="submit">Turn single sign-on on</button>`,
    'stack',
  );
}

async function linksSection(request: ConsoleRequest, user: UserRecord, idps: readonly string[], problem?: FormProblem): Promise<Html> {
  const base = `/users/${user.id}`;
  const links = await federatedLinksOf(request.services, user);
  const rows = links.map((link) => [
    link.idpName,
    html`<span class="mono">${link.federatedId}</span>`,
    timeText(link.createdAt),
    postForm(
      request,
      `${base}/unlink`,
      html`<input type="hidden" name="idp" value="${link.idpName}" /><button type="submit" class="danger small">Unlink</button>`,
    ),
  ]);
  const values = problem?.form === 'link' ? (problem.values ?? {}) : {};
  const form =
    idps.length === 0
      ? html`<p class="empty">No identity provider is configured.</p>`
      : postForm(
          request,
          `${base}/link`,
          html`<p>Link the id by which an identity provider knows this user; it has at most one under each.</p>
            ${problemFor(problem, 'link')}
            ${selectField({ name: 'idp', label: 'Identity provider', options: idps.map((name) => [name, name]), value: values.idp ?? '' })}
            ${textField({
              name: 'federatedId',
              label: 'Federated id',
              hint: 'Exactly as the identity provider sends it.',
              value: values.federatedId ?? '',
            })} <button type="submit">Link</button>`,
          'stack',
        );
  return html`${table(['Identity provider', 'Federated id', 'Linked', 'Action'], rows, 'No federated id is linked.')} ${form}`;
}

async function sessionsSection(request: ConsoleRequest, user: UserRecord): Promise<Html> {
  const base = `/users/${user.id}`;
  const found = await listLiveSessions(request.services, { userId: user.id, limit: MOST_SESSIONS_SHOWN });
  const rows = found.sessions.map((session) => [
    html`<span class="mono">${session.global.id}</span>`,
    timeText(session.global.createdAt),
    timeText(session.global.lastSeenAt),
    session.baseUrls.length === 0 ? '-' : html`${session.baseUrls.map((url) => html`<span class="mono">${url}</span><br />`)}`,
    postForm(
      request,
      `${base}/end-session`,
      html`<input type="hidden" name="session" value="${session.global.id}" /><button type="submit" class="danger small">End</button>`,
    ),
  ]);
  const more =
    found.total > found.sessions.length
      ? html`<p class="note">${countText(found.sessions.length)} of ${countText(found.total)} shown, newest first.</p>`
      : '';
  const endAll =
    found.total === 0
      ? ''
      : html`<div class="actions">
          ${postForm(request, `${base}/end-sessions`, html`<button type="submit" class="danger">End all sessions</button>`)}
        </div>`;
  return html`${table(['Session', 'Started', 'Last seen', 'Applications', 'Action'], rows, 'No live session.')} ${more} ${endAll}`;
}

/** The user's page; `problem`: a form sent back with bad input (then the status is 400). */
export async function showUser(request: ConsoleRequest, user: UserRecord, problem?: FormProblem, status?: number): Promise<void> {
  const { services } = request;
  const { owner, sessions } = await userDetails(services, user);
  const choices = await userChoices(services);
  const base = `/users/${user.id}`;
  const state = user.disabledAt === null ? html`${stateBadge(user)}` : html`${stateBadge(user)} since ${timeText(user.disabledAt)}`;
  const password = user.sourceName === null ? "ssod's own (local)" : `checked by source ${user.sourceName} (single sign-on)`;
  const toggle =
    user.disabledAt === null
      ? postForm(request, `${base}/disable`, html`<button type="submit" class="danger">Disable</button>`)
      : postForm(request, `${base}/enable`, html`<button type="submit">Enable</button>`);
  showPage(request, {
    title: `User ${user.login}`,
    section: '/users',
    ...(status !== undefined ? { status } : {}),
    main: html`${noticeOf(request, NOTICES)}
      <dl class="details">
        <dt>Login</dt>
        <dd>${user.login}</dd>
        <dt>Id</dt>
        <dd class="mono">${user.id}</dd>
        <dt>Owner</dt>
        <dd>${owner?.name ?? '?'} <span class="mono">(${user.ownerId})</span></dd>
        <dt>Created</dt>
        <dd>${timeText(user.createdAt)}</dd>
        <dt>Password</dt>
        <dd>${password}</dd>
        <dt>State</dt>
        <dd>${state}</dd>
        <dt>Live sessions</dt>
        <dd>${countText(sessions)}</dd>
      </dl>
      <div class="actions">
        ${toggle} ${postForm(request, `${base}/delete`, html`<button type="submit" class="danger">Delete</button>`)}
        <a href="/users">All users</a>
      </div>
      <h2>Sessions</h2>
      ${await sessionsSection(request, user)}
      <h2>Single sign-on</h2>
      ${singleSignOnForm(request, user, choices.sources, problem)}
      <h2>Federated links</h2>
      ${await linksSection(request, user, choices.identityProviders, problem)}`,
  });
}

async function userPage(request: ConsoleRequest): Promise<void> {
  const user = await userOf(request);
  if (user !== null) await showUser(request, user);
}

export const USER_PAGE_ROUTES: readonly ConsoleRoute[] = [{ method: 'GET', path: USER_PATH, handle: userPage }];
