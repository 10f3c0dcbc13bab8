// Creating a user (`/users/new`, docs/admin-console.md "Users"), as `ssod users create` does: a login,
// the owner application, and a local password typed twice or single sign-on through a delegated
// source; the rules are the core's (core/operator/users.ts createUserAsOperator).
import { findApplicationById } from '../../core/operator/applications.js';
import { createUserAsOperator, userChoices, type UserChoices } from '../../core/operator/users.js';
import { Refusal } from '../../core/refusal.js';
import { html } from './html.js';
import { postForm, redirectAfterChange, selectField, showPage, textField, type ConsoleRequest, type ConsoleRoute } from './kit.js';

const PATH = '/users/new';
/** The value of the sign-in select for ssod's own password; a source's is its name (sources are named without spaces). */
const LOCAL = ' local';

interface CreateValues {
  readonly login: string;
  readonly owner: string;
  readonly signIn: string;
}

function showForm(
  request: ConsoleRequest,
  choices: UserChoices,
  values: CreateValues,
  problem?: { message: string; status: number },
): void {
  if (choices.applications.length === 0) {
    showPage(request, {
      title: 'Create a user',
      main: html`<p class="empty">A user is owned by an application, and none is registered yet.</p>
        <p><a href="/users">Back to the users</a></p>`,
    });
    return;
  }
  const body = html`${problem !== undefined ? html`<p class="alert" role="alert">${problem.message}</p>` : ''}
    ${textField({ name: 'login', label: 'Login', value: values.login, required: true, hint: 'Up to 255 characters; case does not matter.' })}
    ${selectField({
      name: 'owner',
      label: 'Owner application',
      options: choices.applications.map((app) => [app.id, app.name]),
      value: values.owner,
    })}
    ${selectField({
      name: 'signIn',
      label: 'Password checked by',
      options: [
        [LOCAL, 'ssod (a local password, below)'],
        ...choices.sources.map((name) => [name, `source ${name} (single sign-on)`] as const),
      ],
      value: values.signIn,
    })}
    ${textField({ name: 'password', label: 'Password', type: 'password', autocomplete: 'new-password', hint: 'Only for a local password.' })}
    ${textField({ name: 'password2', label: 'Password again', type: 'password', autocomplete: 'new-password' })}
    <button type="submit">Create the user</button>`;
  showPage(request, {
    title: 'Create a user',
    ...(problem !== undefined ? { status: problem.status } : {}),
    main: html`${postForm(request, PATH, body, 'stack')}
      <p><a href="/users">Back to the users</a></p>`,
  });
}

async function createPage(request: ConsoleRequest): Promise<void> {
  showForm(request, await userChoices(request.services), { login: '', owner: '', signIn: LOCAL });
}

async function create(request: ConsoleRequest): Promise<void> {
  const form = request.form ?? new URLSearchParams();
  const values = { login: form.get('login') ?? '', owner: form.get('owner') ?? '', signIn: form.get('signIn') ?? LOCAL };
  const password = form.get('password') ?? '';
  const choices = await userChoices(request.services);
  const again = (message: string, status = 400) => showForm(request, choices, values, { message, status });
  if (values.login === '') {
    again('Give the login.');
    return;
  }
  const owner = await findApplicationById(request.services, values.owner);
  if (owner === null) {
    again('Choose the owner application (the one chosen is no longer registered).');
    return;
  }
  const local = values.signIn === LOCAL;
  if (local && password !== (form.get('password2') ?? '')) {
    again('The two passwords differ; type the password twice.');
    return;
  }
  let id: string;
  try {
    id = await createUserAsOperator(
      request.services,
      local ? { owner, login: values.login, password } : { owner, login: values.login, sourceName: values.signIn },
      request.actor,
    );
  } catch (error) {
    // The core's rules (a login taken or refused, a password refused, a source gone): the form again.
    if (!(error instanceof Refusal)) throw error;
    again(`Not created: ${error.message}.`, 409);
    return;
  }
  redirectAfterChange(request, `/users/${id}`, 'created');
}

export const USER_CREATE_ROUTES: readonly ConsoleRoute[] = [
  { method: 'GET', path: PATH, handle: createPage },
  { method: 'POST', path: PATH, handle: create },
];
