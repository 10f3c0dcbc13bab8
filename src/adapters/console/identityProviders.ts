// The SAML identity providers (`/identity-providers`, docs/admin-console.md "Identity providers"), as
// `ssod idps` handles them (core/operator/identityProviders.ts): list with their links, add one from
// its metadata or from its settings, show one with its certificates and its last test, test one,
// remove one (with its links, after a confirmation that says how many).
import {
  addIdentityProvider,
  changesOverMetadata,
  checksOfLastTest,
  identityProviderDetails,
  listIdentityProvidersWithLinks,
  removeIdentityProvider,
  testIdentityProvider,
  type IdentityProviderDetails,
} from '../../core/operator/identityProviders.js';
import { Refusal } from '../../core/refusal.js';
import type { MetadataSettings } from '../../core/samlMetadata.js';
import { probeSignInUrl, readIdentityProviderMetadata, settingsOfMetadataText } from '../../infra/saml/metadata.js';
import { checkbox, choice, given, textArea } from './formFields.js';
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

const NOTICES = {
  added: 'The identity provider was added. Compare its certificate fingerprints with the ones it publishes.',
  tested: 'The identity provider was checked; what was found is below.',
  removed: 'The identity provider was removed.',
};

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

function pathOf(name: string): string {
  return `/identity-providers/${encodeURIComponent(name)}`;
}

async function list(request: ConsoleRequest): Promise<void> {
  const { services } = request;
  const idps = await listIdentityProvidersWithLinks(services);
  const lastTests = await Promise.all(idps.map(({ idp }) => services.store.getLastTest('identityProvider', idp.name)));
  const rows = idps.map(({ idp, links }, index) => [
    html`<a href="${pathOf(idp.name)}">${idp.name}</a>`,
    idp.displayName,
    idp.settings === null ? html`<span class="bad">Unusable: ${idp.problem}</span>` : idp.settings.issuer,
    countText(links),
    outcomeBadge(lastTests[index] ?? null),
  ]);
  showPage(request, {
    title: 'Identity providers',
    main: html`${noticeOf(request, NOTICES)}
      <p class="note">The SAML identity providers people sign in at.</p>
      <div class="actions"><a href="/identity-providers/add">Add an identity provider</a></div>
      ${table(['Name', 'Display name', 'Entity id', 'Links', 'Last test'], rows, 'No identity provider is configured.')}`,
  });
}

function showAddForm(request: ConsoleRequest, values: URLSearchParams, problem?: string): void {
  const value = (name: string): string => values.get(name) ?? '';
  const main = html`${problemAlert(problem)}
  ${postForm(
    request,
    '/identity-providers/add',
    html`${textField({ name: 'name', label: 'Name', value: value('name'), required: true, hint: 'Letters, digits, ".", "_", "-"; the sign-in page names it by ?idp=NAME.' })}
      ${textField({ name: 'displayName', label: 'Display name', value: value('displayName'), hint: "The sign-in page's button text; default: the name." })}
      <h2>From its metadata</h2>
      ${textField({ name: 'metadataUrl', label: 'Metadata URL', type: 'url', value: value('metadataUrl'), hint: 'An https:// URL, read once; or paste the metadata below.' })}
      ${textArea({ name: 'metadata', label: 'Metadata', value: value('metadata'), hint: 'The metadata XML. Its signature is not checked: compare the fingerprints shown after.' })}
      <h2>Or its settings</h2>
      <p class="note">Given here, a setting wins over the metadata.</p>
      ${textField({ name: 'issuer', label: 'Entity id', value: value('issuer'), hint: 'The Issuer of its responses.' })}
      ${textField({ name: 'signInUrl', label: 'Sign-in URL', type: 'url', value: value('signInUrl'), hint: 'Its single sign-on URL for the HTTP-Redirect binding (https://).' })}
      ${textArea({ name: 'certificates', label: 'Signing certificates', value: value('certificates'), hint: 'PEM; several during a rotation.' })}
      <h2>Users</h2>
      ${choice({
        name: 'userIdType',
        label: 'User id type',
        value: value('userIdType') || 'federatedId',
        options: [
          ['federatedId', 'A federated id, linked to a user'],
          ['userId', 'The ssod user id'],
        ],
      })}
      ${choice({
        name: 'userIdLocation',
        label: 'User id location',
        value: value('userIdLocation') || 'subject',
        options: [
          ['subject', 'The Subject (NameID)'],
          ['attribute', 'An attribute'],
        ],
      })}
      ${textField({ name: 'userIdAttribute', label: 'User id attribute', value: value('userIdAttribute'), hint: 'With the location "An attribute".' })}
      ${checkbox({ name: 'allowIdpInitiated', label: 'Accept responses that answer no request of ssod (IdP-initiated)', checked: value('allowIdpInitiated') === 'yes' })}
      ${textField({ name: 'createUsersOwnedBy', label: 'Create users owned by', value: value('createUsersOwnedBy'), hint: 'An application id: a user is created at its first sign-in. Empty: never.' })}
      <div class="actions"><button type="submit">Add the identity provider</button> <a href="/identity-providers">Cancel</a></div>`,
    'stack',
  )}`;
  showPage(request, { title: 'Add an identity provider', main, status: problem === undefined ? 200 : 400 });
}

function emptyAddForm(request: ConsoleRequest): Promise<void> {
  showAddForm(request, new URLSearchParams());
  return Promise.resolve();
}

async function metadataOf(form: URLSearchParams): Promise<MetadataSettings | undefined> {
  const url = given(form, 'metadataUrl');
  const text = given(form, 'metadata');
  if (url !== undefined && text !== undefined) throw new Refusal('give the metadata URL or the metadata, not both');
  if (url !== undefined) {
    // Only a URL: the file form of the command line would read this server's disk.
    if (!/^https:\/\//i.test(url)) throw new Refusal('the metadata URL must start with https://');
    return readIdentityProviderMetadata(url);
  }
  return text === undefined ? undefined : settingsOfMetadataText(Buffer.from(text, 'utf8'));
}

async function add(request: ConsoleRequest): Promise<void> {
  const form = request.form ?? new URLSearchParams();
  const name = given(form, 'name') ?? '';
  try {
    const metadata = await metadataOf(form);
    const certificates = given(form, 'certificates');
    const settings = changesOverMetadata(metadata, {
      issuer: given(form, 'issuer'),
      signInUrl: given(form, 'signInUrl'),
      certificates: certificates === undefined ? undefined : (certificates.match(PEM_CERTIFICATE) ?? [certificates]),
      userIdType: given(form, 'userIdType') as 'userId' | 'federatedId' | undefined,
      userIdLocation: given(form, 'userIdLocation') as 'subject' | 'attribute' | undefined,
      userIdAttribute: given(form, 'userIdAttribute'),
      allowIdpInitiated: form.get('allowIdpInitiated') === 'yes',
      createUsersOwnedBy: given(form, 'createUsersOwnedBy') ?? null,
    });
    if (
      metadata === undefined &&
      (settings.issuer === undefined || settings.signInUrl === undefined || settings.certificates === undefined)
    )
      throw new Refusal('give its metadata (a URL or the XML), or all of the entity id, the sign-in URL and a signing certificate');
    await addIdentityProvider(request.services, { name, displayName: given(form, 'displayName'), settings }, request.actor);
  } catch (error) {
    // Bad input: the form again, with what was given and why it was refused.
    if (!(error instanceof Refusal)) throw error;
    showAddForm(request, form, error.message);
    return;
  }
  redirectAfterChange(request, pathOf(name), 'added');
}

function detailsOr404(request: ConsoleRequest): Promise<IdentityProviderDetails | null> {
  return foundOr404(request, (name) => identityProviderDetails(request.services, name), 'identity provider', '/identity-providers');
}

function settingRows(details: IdentityProviderDetails): [string, Html | string][] {
  const { settings } = details.idp;
  if (settings === null) return [['State', html`<span class="bad">Unusable: ${details.idp.problem}</span>`]];
  const where = settings.userIdLocation === 'subject' ? 'the Subject (NameID)' : `the attribute ${settings.userIdAttribute ?? '?'}`;
  return [
    ['Entity id', html`<span class="mono">${settings.issuer}</span>`],
    ['Sign-in URL', html`<span class="mono">${settings.signInUrl}</span>`],
    ['User id', `${settings.userIdType === 'userId' ? 'The ssod user id' : 'A federated id'}, from ${where}`],
    ['IdP-initiated', settings.allowIdpInitiated ? 'Accepted' : 'Refused'],
    ['Creates users', settings.createUsersOwnedBy === null ? 'No' : `Owned by ${settings.createUsersOwnedBy}`],
  ];
}

function certificatesHtml(details: IdentityProviderDetails): Html {
  const rows = details.certificates.map((summary) => [
    html`<span class="mono">${summary.sha256}</span>`,
    summary.subject,
    timeText(summary.notAfter),
    html`<span class="badge ${summary.expired || summary.expiresSoon ? 'bad' : 'ok'}"
      >${summary.expired ? 'Expired' : summary.expiresSoon ? 'Expires soon' : 'Valid'}</span
    >`,
  ]);
  return table(['SHA-256', 'Subject', 'Valid until', 'State'], rows, 'No certificate can be read.');
}

async function show(request: ConsoleRequest): Promise<void> {
  const details = await detailsOr404(request);
  if (details === null) return;
  const { idp, links, lastTest } = details;
  const path = pathOf(idp.name);
  const rows: [string, Html | string][] = [
    ['Display name', idp.displayName],
    ...settingRows(details),
    ['Links', countText(links)],
    ['Added', timeText(idp.createdAt)],
    ['Changed', timeText(idp.updatedAt)],
  ];
  const checks =
    lastTest === null
      ? html``
      : html`<ul class="checks">
          ${checksOfLastTest(lastTest).map(
            (check) =>
              html`<li>
                <span class="badge ${check.ok ? 'ok' : 'bad'}">${check.ok ? 'ok' : 'not ok'}</span> <span class="mono">${check.text}</span>
              </li>`,
          )}
        </ul>`;
  const main = html`${noticeOf(request, NOTICES)} ${detailList(rows)}
    <h2>Certificates</h2>
    ${certificatesHtml(details)}
    <h2>Last test</h2>
    ${lastTestHtml(lastTest, checks)}
    <div class="actions">
      ${postForm(request, `${path}/test`, html`<button type="submit">Test the identity provider</button>`)}
      ${postForm(request, `${path}/remove`, html`<button type="submit" class="danger">Remove identity provider ${idp.name}</button>`)}
    </div>
    <p class="note">The test checks the certificates and asks the sign-in URL once (3 s to connect, 8 s in all).</p>
    <p><a href="/identity-providers">All identity providers</a></p>`;
  showPage(request, { title: `Identity provider ${idp.name}`, main });
}

async function test(request: ConsoleRequest): Promise<void> {
  const details = await detailsOr404(request);
  if (details === null) return;
  const path = pathOf(details.idp.name);
  const tested = await refusalShown(request, path, async () => {
    await testIdentityProvider(request.services, probeSignInUrl, details.idp.name, request.actor);
  });
  if (tested) redirectAfterChange(request, path, 'tested');
}

async function remove(request: ConsoleRequest): Promise<void> {
  const details = await detailsOr404(request);
  if (details === null) return;
  const { name } = details.idp;
  if (!confirmed(request)) {
    showConfirmation(request, {
      title: `Remove identity provider ${name}?`,
      what: `Identity provider ${name} will be removed; its sign-in button goes from the sign-in page.`,
      consequences: [
        `${countText(details.links)} federated id link(s) under it are removed with it: those users can no longer sign in through it.`,
        'Its last test is forgotten.',
      ],
      button: `Remove identity provider ${name}`,
      back: pathOf(name),
    });
    return;
  }
  // Confirmed with the number of links: they go with it (the command line's --force).
  const removed = await refusalShown(request, pathOf(name), async () => {
    await removeIdentityProvider(request.services, name, true, request.actor);
  });
  if (removed) redirectAfterChange(request, '/identity-providers', 'removed');
}

const NAMED = '^/identity-providers/([^/]+)';

export const IDENTITY_PROVIDER_ROUTES: readonly ConsoleRoute[] = [
  { method: 'GET', path: '/identity-providers', handle: list },
  { method: 'GET', path: '/identity-providers/add', handle: emptyAddForm },
  { method: 'POST', path: '/identity-providers/add', handle: add },
  { method: 'GET', path: new RegExp(`${NAMED}$`), handle: show },
  { method: 'POST', path: new RegExp(`${NAMED}/test$`), handle: test },
  { method: 'POST', path: new RegExp(`${NAMED}/remove$`), handle: remove },
];
