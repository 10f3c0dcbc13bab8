// The delegated sources (`/sources`, docs/admin-console.md "Sources"): the web services and LDAP
// directories that check the passwords of users with single sign-on, as `ssod sources` handles them
// (core/operator/sources.ts): list with their users, add a web service or an LDAP directory, show
// one with what its last test answered, test one with a login and a password, remove one.
import {
  addSource,
  listSourcesWithUsers,
  removeSource,
  sourceDetails,
  sourceSettingsOf,
  testSource,
  type SourceDetails,
  type SourceFieldNames,
  type SourceFields,
} from '../../core/operator/sources.js';
import { Refusal } from '../../core/refusal.js';
import { shownSettings } from '../../core/sourceSettings.js';
import { openSource } from '../../infra/sources/index.js';
import { checkbox, given, textArea } from './formFields.js';
import { countText, html, timeText, type Html } from './html.js';
import {
  confirmed,
  noticeOf,
  postForm,
  redirectAfterChange,
  refusalShown,
  showConfirmation,
  showPage,
  table,
  textField,
  type ConsoleRequest,
  type ConsoleRoute,
} from './kit.js';
import { detailList, foundOr404, lastTestHtml, outcomeBadge, problemAlert } from './federation.js';

const KINDS = {
  webService: { word: 'Web service', path: 'web-service', example: 'https://auth.example.com/LJAuthenticate' },
  ldap: { word: 'LDAP', path: 'ldap', example: 'ldaps://ldap.example.com' },
} as const;
type Kind = keyof typeof KINDS;

const NOTICES = {
  added: 'The source was added; running servers use it within a few seconds.',
  tested: 'The source was asked; its answer is below.',
  removed: 'The source was removed; running servers drop it within a few seconds.',
};

/** The form's labels, for the core's refusals to name a field as the form does. */
const LABELS: SourceFieldNames = {
  connectTimeout: 'Connect timeout',
  timeout: 'Timeout',
  caPem: 'CA certificates',
  pin: 'Key pin',
  startTls: 'StartTLS',
  bindDn: 'Bind DN',
  bindPassword: 'Bind password',
  searchBase: 'Search base',
  searchFilter: 'Search filter',
  bindDnTemplate: 'Bind DN template',
};

function pathOf(name: string): string {
  return `/sources/${encodeURIComponent(name)}`;
}

async function list(request: ConsoleRequest): Promise<void> {
  const { services } = request;
  const sources = await listSourcesWithUsers(services);
  const lastTests = await Promise.all(sources.map(({ source }) => services.store.getLastTest('source', source.name)));
  const rows = sources.map(({ source, users }, index) => [
    html`<a href="${pathOf(source.name)}">${source.name}</a>`,
    source.kind in KINDS ? KINDS[source.kind as Kind].word : source.kind,
    source.settings === null ? html`<span class="bad">Unusable: ${source.problem}</span>` : source.settings.url,
    countText(users),
    outcomeBadge(lastTests[index] ?? null),
  ]);
  showPage(request, {
    title: 'Sources',
    main: html`${noticeOf(request, NOTICES)}
      <p class="note">The web services and LDAP directories that check the passwords of users with single sign-on.</p>
      <div class="actions">
        <a href="/sources/add/web-service">Add a web service source</a> <a href="/sources/add/ldap">Add an LDAP source</a>
      </div>
      ${table(['Name', 'Kind', 'URL', 'Users', 'Last test'], rows, 'No source is configured.')}`,
  });
}

/** The add form of a kind, with the values given (never the bind password) and what was wrong with them. */
function showAddForm(request: ConsoleRequest, kind: Kind, values: URLSearchParams, problem?: string): void {
  const value = (name: string): string => values.get(name) ?? '';
  const ldapFields =
    kind === 'ldap'
      ? html`${checkbox({ name: 'startTls', label: 'StartTLS', checked: value('startTls') === 'yes', hint: 'Required for an ldap:// URL.' })}
        ${textField({ name: 'searchBase', label: 'Search base', value: value('searchBase'), hint: 'Where users are searched, e.g. ou=people,dc=example,dc=com.' })}
        ${textField({ name: 'searchFilter', label: 'Search filter', value: value('searchFilter'), hint: 'With {login} where the login goes; default (uid={login}).' })}
        ${textField({ name: 'bindDn', label: 'Bind DN', value: value('bindDn'), hint: 'The service account that searches; empty for an anonymous search.' })}
        ${textField({ name: 'bindPassword', label: 'Bind password', type: 'password', autocomplete: 'new-password' })}
        ${textField({ name: 'bindDnTemplate', label: 'Bind DN template', value: value('bindDnTemplate'), hint: 'Instead of a search: bind as the user, e.g. uid={login},ou=people,dc=example,dc=com.' })}`
      : '';
  const main = html`${problemAlert(problem)}
  ${postForm(
    request,
    request.url.pathname,
    html`${textField({ name: 'name', label: 'Name', value: value('name'), required: true, hint: 'Letters, digits, ".", "_", "-"; users are given the source by it.' })}
      ${textField({ name: 'url', label: 'URL', type: 'url', value: value('url'), required: true, hint: `TLS is required, e.g. ${KINDS[kind].example}.` })}
      ${ldapFields}
      ${textArea({ name: 'caPem', label: 'CA certificates', value: value('caPem'), hint: "PEM certificates to trust instead of the system's; empty for the system's." })}
      ${textField({ name: 'pin', label: 'Key pin', value: value('pin'), hint: "Base64 SHA-256 of the source's public key; any other key is refused." })}
      ${textField({ name: 'connectTimeout', label: 'Connect timeout', type: 'number', value: value('connectTimeout'), hint: 'Milliseconds; default 3000.' })}
      ${textField({ name: 'timeout', label: 'Timeout', type: 'number', value: value('timeout'), hint: 'Milliseconds for the whole call; default 8000.' })}
      <div class="actions"><button type="submit">Add the source</button> <a href="/sources">Cancel</a></div>`,
    'stack',
  )}`;
  showPage(request, {
    title: `Add ${kind === 'ldap' ? 'an LDAP' : 'a web service'} source`,
    main,
    status: problem === undefined ? 200 : 400,
  });
}

function emptyAddForm(request: ConsoleRequest, kind: Kind): Promise<void> {
  showAddForm(request, kind, new URLSearchParams());
  return Promise.resolve();
}

function fieldsOf(kind: Kind, form: URLSearchParams): SourceFields {
  return {
    kind,
    url: given(form, 'url') ?? '',
    connectTimeout: given(form, 'connectTimeout'),
    timeout: given(form, 'timeout'),
    caPem: given(form, 'caPem'),
    pin: given(form, 'pin'),
    ...(kind === 'ldap'
      ? {
          startTls: form.get('startTls') === 'yes',
          bindDn: given(form, 'bindDn'),
          // A password is taken as typed: spaces may be part of it.
          bindPassword: form.get('bindPassword') || undefined,
          searchBase: given(form, 'searchBase'),
          searchFilter: given(form, 'searchFilter'),
          bindDnTemplate: given(form, 'bindDnTemplate'),
        }
      : {}),
  };
}

async function add(request: ConsoleRequest, kind: Kind): Promise<void> {
  const form = request.form ?? new URLSearchParams();
  const name = given(form, 'name') ?? '';
  try {
    await addSource(request.services, { name, settings: sourceSettingsOf(fieldsOf(kind, form), LABELS) }, request.actor);
  } catch (error) {
    // Bad input: the form again, with what was given and why it was refused.
    if (!(error instanceof Refusal)) throw error;
    showAddForm(request, kind, form, error.message.replace(/; choose another name, or give --replace.*$/, '; choose another name'));
    return;
  }
  redirectAfterChange(request, pathOf(name), 'added');
}

/** The details of a stored source as name/value pairs: its settings (the bind password only said to be set). */
function settingRows(details: SourceDetails): [string, Html | string][] {
  const { source } = details;
  if (source.settings === null) return [['State', html`<span class="bad">Unusable: ${source.problem}</span>`]];
  const shown = shownSettings(source.settings);
  const caCount = source.settings.caPem?.match(/-----BEGIN CERTIFICATE-----/g)?.length ?? 0;
  const rows: [string, Html | string][] = [['URL', html`<span class="mono">${source.settings.url}</span>`]];
  for (const [key, label] of Object.entries(LABELS) as [keyof SourceFieldNames, string][]) {
    const value =
      shown[key === 'pin' ? 'pinSha256' : key === 'connectTimeout' ? 'connectTimeoutMs' : key === 'timeout' ? 'timeoutMs' : key];
    if (key === 'caPem' || value === undefined) continue;
    rows.push([label, typeof value === 'number' ? `${countText(value)} ms` : typeof value === 'boolean' ? (value ? 'yes' : 'no') : value]);
  }
  rows.push(['Trusted CA', caCount === 0 ? "The system's" : `${countText(caCount)} certificate(s) given`]);
  return rows;
}

function detailsOr404(request: ConsoleRequest): Promise<SourceDetails | null> {
  return foundOr404(request, (name) => sourceDetails(request.services, name), 'source', '/sources');
}

async function show(request: ConsoleRequest): Promise<void> {
  const details = await detailsOr404(request);
  if (details === null) return;
  const { source, users, someUsers } = details;
  const path = pathOf(source.name);
  const rows: [string, Html | string][] = [
    ['Kind', source.kind in KINDS ? KINDS[source.kind as Kind].word : source.kind],
    ...settingRows(details),
    ['Users', countText(users)],
    ...(someUsers.length > 0
      ? [['Some users', someUsers.map((user) => user.login).join(', ') + (users > someUsers.length ? ', …' : '')] as [string, string]]
      : []),
    ['Added', timeText(source.createdAt)],
    ['Changed', timeText(source.updatedAt)],
  ];
  const main = html`${noticeOf(request, NOTICES)} ${detailList(rows)}
    <h2>Last test</h2>
    ${lastTestHtml(details.lastTest, html`<p class="mono">${details.lastTest?.detail ?? ''}</p>`)}
    <h2>Test</h2>
    ${postForm(
      request,
      `${path}/test`,
      html`<p class="note">Asks the source once whether the password is the login's. The password is not kept.</p>
        ${textField({ name: 'login', label: 'Login', required: true })}
        ${textField({ name: 'password', label: 'Password', type: 'password', required: true, autocomplete: 'new-password' })}
        <button type="submit">Test the source</button>`,
      'stack',
    )}
    <h2>Remove</h2>
    ${postForm(request, `${path}/remove`, html`<button type="submit" class="danger">Remove source ${source.name}</button>`)}
    <p><a href="/sources">All sources</a></p>`;
  showPage(request, { title: `Source ${source.name}`, main });
}

async function test(request: ConsoleRequest): Promise<void> {
  const details = await detailsOr404(request);
  if (details === null) return;
  const form = request.form ?? new URLSearchParams();
  const login = given(form, 'login');
  const password = form.get('password') ?? '';
  const path = pathOf(details.source.name);
  if (login === undefined || password === '') {
    showPage(request, {
      title: 'Not tested',
      status: 400,
      main: html`<p class="alert" role="alert">Give a login and its password to test the source with.</p>
        <p><a href="${path}">Back</a></p>`,
    });
    return;
  }
  const { services } = request;
  const tested = await refusalShown(request, path, async () => {
    await testSource(
      services,
      (settings) => openSource(settings, { log: services.log }),
      { name: details.source.name, login, password },
      request.actor,
    );
  });
  if (tested) redirectAfterChange(request, path, 'tested');
}

async function remove(request: ConsoleRequest): Promise<void> {
  const details = await detailsOr404(request);
  if (details === null) return;
  const { name } = details.source;
  if (!confirmed(request)) {
    showConfirmation(request, {
      title: `Remove source ${name}?`,
      what:
        details.users === 0
          ? `Source ${name} will be removed; running servers drop it within a few seconds.`
          : `Source ${name} has users: its removal will be refused.`,
      consequences:
        details.users === 0
          ? ['0 users sign in through it: no one loses a way to sign in.', 'Its last test is forgotten.']
          : [
              `${countText(details.users)} user(s) sign in through it: it cannot be removed while they do.`,
              'Turn their single sign-on off first (ssod users sso off USER); they then sign in with a password of ssod.',
            ],
      button: `Remove source ${name}`,
      back: pathOf(name),
    });
    return;
  }
  if (await refusalShown(request, pathOf(name), () => removeSource(request.services, name, request.actor)))
    redirectAfterChange(request, '/sources', 'removed');
}

const NAMED = '^/sources/([^/]+)';

export const SOURCE_ROUTES: readonly ConsoleRoute[] = [
  { method: 'GET', path: '/sources', handle: list },
  ...(Object.keys(KINDS) as Kind[]).flatMap((kind): ConsoleRoute[] => [
    {
      method: 'GET',
      path: `/sources/add/${KINDS[kind].path}`,
      handle: (request) => emptyAddForm(request, kind),
    },
    { method: 'POST', path: `/sources/add/${KINDS[kind].path}`, handle: (request) => add(request, kind) },
  ]),
  { method: 'GET', path: new RegExp(`${NAMED}$`), handle: show },
  { method: 'POST', path: new RegExp(`${NAMED}/test$`), handle: test },
  { method: 'POST', path: new RegExp(`${NAMED}/remove$`), handle: remove },
];
