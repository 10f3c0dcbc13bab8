// The Groups pages (docs/admin-console.md "Groups"; docs/groups.md): what `ssod groups list`,
// `show`, `create`, `add`, `remove` and `delete` do, over core/operator/groups.ts, with the
// administrator as the actor of every change. A page of its own after Applications: a group is
// managed by name, with members from every application, which a section of one application's page
// would hide.
import { findApplicationById } from '../../core/operator/applications.js';
import {
  addGroupMember,
  checkGroupName,
  createGroup,
  deleteGroup,
  findGroup,
  groupDetails,
  listGroups,
  removeGroupMember,
  ungroupedApplications,
  type GroupDeletion,
} from '../../core/operator/groups.js';
import { Refusal } from '../../core/refusal.js';
import { sessionCutoff } from '../../core/sessions.js';
import type { ApplicationRecord, GroupRecord } from '../../core/store/index.js';
import { applicationLink, groupPath } from './applications.js';
import { countText, html, plural, timeText, type Html } from './html.js';
import {
  confirmed,
  noticeOf,
  postForm,
  redirectAfterChange,
  refusalShown,
  selectField,
  showConfirmation,
  showNotFound,
  showPage,
  table,
  textField,
  type ConsoleRequest,
  type ConsoleRoute,
} from './kit.js';

const LIST_NOTICES = { deleted: 'The group was deleted; its members are ungrouped.' } as const;
const GROUP_NOTICES = {
  created: 'The group was created; the local sessions of its provider ended.',
  added: 'The subscriber was added; its local sessions ended and its users now belong to the provider.',
  removed: 'The subscriber was removed; its local sessions in the group ended.',
} as const;

/** The applications to choose from in a select: name and id, since names need not be unique. */
function applicationOptions(applications: readonly ApplicationRecord[]): (readonly [string, string])[] {
  return applications.map((application) => [application.id, `${application.name} (${application.id.slice(0, 8)})`] as const);
}

/** The form to create a group; `entered` keeps what was typed when it is shown again with `problem`. */
async function createForm(request: ConsoleRequest, entered: { name: string; provider: string }, problem?: string): Promise<Html> {
  const candidates = await ungroupedApplications(request.services);
  if (candidates.length === 0) return html`<p class="empty">Every application is in a group already: there is no provider to choose.</p>`;
  return postForm(
    request,
    '/groups',
    html`${problem !== undefined ? html`<p class="alert" role="alert">${problem}</p>` : ''}
      ${textField({ name: 'name', label: 'Name', value: entered.name, hint: '1–64 letters, digits, ".", "_" or "-".', required: true })}
      ${selectField({
        name: 'provider',
        label: 'Provider',
        options: applicationOptions(candidates),
        value: entered.provider,
        hint: 'The application whose users the group shares. Its local sessions end; its users sign in again in the group.',
      })} <button type="submit">Create group</button>`,
    'stack',
  );
}

async function listPage(request: ConsoleRequest, entered = { name: '', provider: '' }, problem?: string): Promise<void> {
  const { services } = request;
  const applications = new Map((await services.store.listApplications()).map((application) => [application.id, application]));
  const rows = (await listGroups(services)).map((group) => {
    const provider = applications.get(group.providerId);
    return [
      html`<a href="${groupPath(group.name)}">${group.name}</a>`,
      provider === undefined ? group.providerId : applicationLink(provider),
      countText(Math.max(0, group.members - 1)),
      html`<span class="nowrap">${timeText(group.createdAt)}</span>`,
    ];
  });
  showPage(request, {
    title: 'Groups',
    status: problem === undefined ? 200 : 400,
    main: html`${noticeOf(request, LIST_NOTICES)}
      <p class="note">A group is one user provider and its subscribers, sharing the provider's users and one session per browser.</p>
      ${table(['Name', 'Provider', 'Subscribers', 'Created'], rows, 'There is no group.')}
      <h2>Create a group</h2>
      ${await createForm(request, entered, problem)}`,
  });
}

async function create(request: ConsoleRequest): Promise<void> {
  const name = (request.form?.get('name') ?? '').trim();
  const providerId = request.form?.get('provider') ?? '';
  const entered = { name, provider: providerId };
  try {
    checkGroupName(name);
  } catch (error) {
    if (!(error instanceof Refusal)) throw error;
    return listPage(request, entered, 'The name must be 1 to 64 letters, digits, ".", "_" or "-".');
  }
  const provider = await findApplicationById(request.services, providerId);
  if (provider === null) return listPage(request, entered, 'Choose the provider among the applications listed.');
  if (await refusalShown(request, '/groups', () => createGroup(request.services, name, provider, request.actor).then(() => undefined)))
    redirectAfterChange(request, groupPath(name), 'created');
}

/** The group the path names; null after answering 404 when there is none (or the text is no group name). */
async function groupOfPath(request: ConsoleRequest): Promise<GroupRecord | null> {
  const group = await findGroup(request.services, request.params[0] ?? '');
  if (group === null) showNotFound(request, 'There is no group with this name.', '/groups');
  return group;
}

async function showGroup(request: ConsoleRequest, problem?: string): Promise<void> {
  const group = await groupOfPath(request);
  if (group === null) return;
  const details = await groupDetails(request.services, group.name);
  const path = groupPath(group.name);
  const rows = details.members.map((member) => [
    applicationLink(member.application),
    html`<span class="badge${member.role === 'provider' ? ' ok' : ''}">${member.role}</span>`,
    member.role === 'provider'
      ? ''
      : postForm(
          request,
          `${path}/remove`,
          html`<input type="hidden" name="application" value="${member.application.id}" /><button type="submit" class="small secondary">
              Remove…
            </button>`,
        ),
    html`<span class="mono nowrap">${member.application.id}</span>`,
  ]);
  const candidates = await ungroupedApplications(request.services);
  const addForm =
    candidates.length === 0
      ? html`<p class="empty">Every application is in a group already.</p>`
      : postForm(
          request,
          `${path}/members`,
          html`${problem !== undefined ? html`<p class="alert" role="alert">${problem}</p>` : ''}
            ${selectField({
              name: 'application',
              label: 'Application',
              options: applicationOptions(candidates),
              hint: 'An application in no group. Its local sessions end, and the users it owns pass to the provider.',
            })} <button type="submit">Add subscriber</button>`,
          'stack',
        );
  showPage(request, {
    title: `Group ${group.name}`,
    section: '/groups',
    status: problem === undefined ? 200 : 400,
    main: html`${noticeOf(request, GROUP_NOTICES)}
      <dl class="details">
        <dt>Created</dt>
        <dd>${timeText(group.createdAt)}</dd>
        <dt>Users (the provider's)</dt>
        <dd>${countText(details.users)}</dd>
        <dt>Sessions</dt>
        <dd>${countText(details.sessions)}</dd>
      </dl>
      <h2>Members</h2>
      ${table(['Application', 'Role', 'Action', 'Id'], rows, 'It has no member.')}
      <h2>Add a subscriber</h2>
      ${addForm}
      <h2>Delete the group</h2>
      <p>Every session of the group ends and its members become ungrouped. You confirm it on the next page.</p>
      ${postForm(request, `${path}/delete`, html`<button type="submit" class="danger">Delete group…</button>`)}`,
  });
}

async function addMember(request: ConsoleRequest): Promise<void> {
  const group = await groupOfPath(request);
  if (group === null) return;
  const application = await findApplicationById(request.services, request.form?.get('application') ?? '');
  if (application === null) return showGroup(request, 'Choose an application among those listed.');
  const path = groupPath(group.name);
  if (
    await refusalShown(request, path, () => addGroupMember(request.services, group.name, application, request.actor).then(() => undefined))
  )
    redirectAfterChange(request, path, 'added');
}

async function removeMember(request: ConsoleRequest): Promise<void> {
  const group = await groupOfPath(request);
  if (group === null) return;
  const path = groupPath(group.name);
  const application = await findApplicationById(request.services, request.form?.get('application') ?? '');
  if (application === null) {
    showNotFound(request, 'There is no such application.', path);
    return;
  }
  if (confirmed(request)) {
    if (await refusalShown(request, path, () => removeGroupMember(request.services, group.name, application, request.actor)))
      redirectAfterChange(request, path, 'removed');
    return;
  }
  const { services } = request;
  // Its local sessions are all in the group's sessions: a session never spans two sets.
  const reached =
    application.url === null
      ? 0
      : await services.store.countSessions({ baseUrl: application.url, ...sessionCutoff(services, services.now()) });
  showConfirmation(request, {
    title: `Remove ${application.name} from ${group.name}?`,
    what: `Remove ${application.name} (${application.id}) from group ${group.name}.`,
    consequences: [
      `Its local sessions in the group end: ${plural(reached, 'live session', 'live sessions')} reached it; their users sign in to it again.`,
      'The group’s other sessions go on. The users stay with the provider.',
    ],
    button: `Remove ${application.name}`,
    back: path,
    fields: { application: application.id },
  });
}

async function confirmDelete(request: ConsoleRequest, group: GroupRecord): Promise<void> {
  const details = await groupDetails(request.services, group.name);
  const subscribers = details.members.filter((member) => member.role === 'subscriber').length;
  showConfirmation(request, {
    title: `Delete group ${group.name}?`,
    what: `Delete group ${group.name}.`,
    consequences: [
      `Every session of the group ends: ${plural(details.sessions, 'session', 'sessions')}, with the logout of ticket receivers.`,
      `Its ${plural(details.members.length, 'member becomes', 'members become')} ungrouped: the provider and ${plural(subscribers, 'subscriber', 'subscribers')}.`,
      `The provider's ${plural(details.users, 'user goes', 'users go')} back to the default set with it.`,
    ],
    // As `ssod groups delete --force`: a group with subscribers goes only when the administrator saw how many.
    button:
      subscribers === 0 ? `Delete group ${group.name}` : `Delete group and ungroup ${plural(subscribers, 'subscriber', 'subscribers')}`,
    back: groupPath(group.name),
    fields: subscribers === 0 ? {} : { force: 'yes' },
  });
}

async function deleteNamed(request: ConsoleRequest): Promise<void> {
  const group = await groupOfPath(request);
  if (group === null) return;
  if (!confirmed(request)) return confirmDelete(request, group);
  const force = request.form?.get('force') === 'yes';
  let done: GroupDeletion | undefined;
  const went = await refusalShown(request, groupPath(group.name), async () => {
    done = await deleteGroup(request.services, group.name, force, request.actor);
  });
  if (!went) return;
  // A subscriber joined after the confirmation was shown: confirm again, with the new figures.
  if (done?.deleted !== true) return confirmDelete(request, group);
  redirectAfterChange(request, '/groups', 'deleted');
}

export const GROUP_ROUTES: readonly ConsoleRoute[] = [
  { method: 'GET', path: '/groups', handle: (request) => listPage(request) },
  { method: 'POST', path: '/groups', handle: create },
  { method: 'GET', path: /^\/groups\/([^/]+)$/, handle: (request) => showGroup(request) },
  { method: 'POST', path: /^\/groups\/([^/]+)\/members$/, handle: addMember },
  { method: 'POST', path: /^\/groups\/([^/]+)\/remove$/, handle: removeMember },
  { method: 'POST', path: /^\/groups\/([^/]+)\/delete$/, handle: deleteNamed },
];
