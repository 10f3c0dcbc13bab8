// The Applications pages (docs/admin-console.md "Applications"): what `ssod applications list`,
// `show`, `reissue-cert` and `unregister` do, over the core's operator use cases
// (core/operator/applications.ts) and its certificate issue (core/applications.ts), with the
// administrator as the actor of every change.
import { issueCertificate } from '../../core/applications.js';
import { SsoError } from '../../core/errors.js';
import {
  applicationDetails,
  certificateState,
  findApplicationById,
  listApplications,
  requireUnregistrable,
  unregisterApplicationAsOperator,
  unregisterFigures,
  type ApplicationSummary,
  type CertificateState,
  type Unregistering,
} from '../../core/operator/applications.js';
import { groupsOfApplications } from '../../core/operator/groups.js';
import type { IssuedCertificate } from '../../core/ports/certificates.js';
import type { ApplicationRecord } from '../../core/store/index.js';
import { countText, html, plural, timeText, type Html } from './html.js';
import {
  confirmed,
  noticeOf,
  postForm,
  redirectAfterChange,
  refusalShown,
  sendDownload,
  showConfirmation,
  showNotFound,
  showPage,
  table,
  type ConsoleRequest,
  type ConsoleRoute,
} from './kit.js';

const LIST_NOTICES = { unregistered: 'The application was unregistered.' } as const;

/** The application's page. */
export function applicationPath(id: string): string {
  return `/applications/${encodeURIComponent(id)}`;
}

/** The group's page. */
export function groupPath(name: string): string {
  return `/groups/${encodeURIComponent(name)}`;
}

/** An application as a link to its page, its name first (names need not be unique: the id tells them apart). */
export function applicationLink(application: ApplicationRecord): Html {
  return html`<a href="${applicationPath(application.id)}">${application.name}</a>`;
}

function stateBadge(state: CertificateState): Html {
  const tone = state === 'in use' ? ' ok' : state === 'pending' ? '' : ' bad';
  return html`<span class="badge${tone}">${state}</span>`;
}

function dayOf(ms: number): string {
  return timeText(ms).slice(0, 10);
}

function certificateCell(summary: ApplicationSummary, now: number): Html {
  const current = summary.current;
  if (current === null) return html`<span class="badge bad">no valid certificate</span>`;
  return html`<span class="nowrap">${stateBadge(certificateState(current, now))} until ${dayOf(current.notAfter)}</span>`;
}

function groupCell(membership: { readonly groupName: string; readonly role: string } | undefined): Html | string {
  if (membership === undefined) return '–';
  return html`<a href="${groupPath(membership.groupName)}">${membership.groupName}</a> (${membership.role})`;
}

async function list(request: ConsoleRequest): Promise<void> {
  const { services } = request;
  const now = services.now();
  const groups = await groupsOfApplications(services);
  const rows = (await listApplications(services)).map((summary) => [
    // What tells applications apart first; the long address and id last, where a phone scrolls to them.
    applicationLink(summary.application),
    groupCell(groups.get(summary.application.id)),
    countText(summary.users),
    certificateCell(summary, now),
    html`<span class="mono nowrap">${summary.application.url ?? '–'}</span>`,
    html`<span class="mono nowrap">${summary.application.id}</span>`,
  ]);
  showPage(request, {
    title: 'Applications',
    main: html`${noticeOf(request, LIST_NOTICES)}
      <p class="note">
        Applications register themselves over the SOAP API; here they are shown, their certificates re-issued, and they are unregistered.
      </p>
      ${table(['Name', 'Group', 'Users', 'Certificate', 'Address', 'Id'], rows, 'No application is registered.')}`,
  });
}

/** The application the path names; null after answering 404 when there is none (or the text is no id). */
async function applicationOfPath(request: ConsoleRequest): Promise<ApplicationRecord | null> {
  const application = await findApplicationById(request.services, request.params[0] ?? '');
  if (application === null) showNotFound(request, 'There is no application with this id.', '/applications');
  return application;
}

async function show(request: ConsoleRequest): Promise<void> {
  const application = await applicationOfPath(request);
  if (application === null) return;
  const { services } = request;
  const details = await applicationDetails(services, application);
  const membership = (await groupsOfApplications(services)).get(application.id);
  const callback = await services.store.getSessionStartCallback(application.id);
  const certificates = [...details.certificates]
    .reverse()
    .map((cert) => [
      stateBadge(cert.state),
      html`<span class="mono">${cert.fingerprint}</span>`,
      html`<span class="mono">${cert.serial}</span>`,
      html`<span class="nowrap">${timeText(cert.issuedAt)}</span>`,
      html`<span class="nowrap">${timeText(cert.notAfter)}</span>`,
    ]);
  const path = applicationPath(application.id);
  showPage(request, {
    title: application.name,
    section: '/applications',
    main: html`<dl class="details">
        <dt>Id</dt>
        <dd class="mono">${application.id}</dd>
        <dt>Display name</dt>
        <dd>${application.displayName}</dd>
        <dt>Version</dt>
        <dd>${application.version}</dd>
        <dt>Address</dt>
        <dd class="mono">${application.url ?? 'none'}</dd>
        <dt>Registered</dt>
        <dd>${timeText(application.createdAt)}</dd>
        <dt>Users it owns</dt>
        <dd>${countText(details.users)}</dd>
        <dt>Group</dt>
        <dd>${membership === undefined ? 'none' : groupCell(membership)}</dd>
        <dt>On Session Start callback</dt>
        <dd>${callback === null ? 'none' : html`<span class="mono">${callback.url}</span> (if it fails: ${callback.policy})`}</dd>
      </dl>
      <h2>Certificates</h2>
      ${table(['State', 'Fingerprint (SHA-256)', 'Serial', 'Valid from', 'Expires'], certificates, 'It has no certificate.')}
      <h2>Re-issue the certificate</h2>
      <p>
        A new client certificate and private key are made and downloaded once, as one PEM file; ssod keeps no copy of the key. Install it in
        the application. The certificate in use keeps working until the new one is first used (Open Fusion SSO protocol, section 4.2); a
        certificate issued earlier and never used stops working now.
      </p>
      ${postForm(request, `${path}/certificate`, html`<button type="submit" class="secondary">Re-issue certificate</button>`)}
      <h2>Unregister</h2>
      <p>Unregistering deletes the application, its certificates, the users it owns and their sessions. You confirm it on the next page.</p>
      ${postForm(request, `${path}/unregister`, html`<button type="submit" class="danger">Unregister…</button>`)}`,
  });
}

async function reissue(request: ConsoleRequest): Promise<void> {
  const application = await applicationOfPath(request);
  if (application === null) return;
  let issued: IssuedCertificate;
  try {
    issued = await issueCertificate(request.services, application.id, request.actor);
  } catch (error) {
    // Unregistered since the page was shown: nothing was issued.
    if (!(error instanceof SsoError && error.code === 'noSuchApplication')) throw error;
    showNotFound(request, 'There is no application with this id.', '/applications');
    return;
  }
  // The format `ssod applications reissue-cert --out` writes: the key, then the certificate.
  sendDownload(request, {
    name: `${application.name}-${application.id.slice(0, 8)}.pem`,
    type: 'application/x-pem-file',
    body: `${issued.pem}\n`,
  });
}

async function confirmUnregister(request: ConsoleRequest, application: ApplicationRecord): Promise<void> {
  const figures = await unregisterFigures(request.services, application);
  const membership = (await groupsOfApplications(request.services)).get(application.id);
  const consequences = [
    'Its certificates stop working at once: the SOAP API refuses them.',
    figures.users === 0
      ? 'It owns no users.'
      : `The ${plural(figures.users, 'user', 'users')} it owns ${figures.users === 1 ? 'is' : 'are'} deleted, and their ${plural(figures.userSessions, 'live session ends', 'live sessions end')}.`,
    `${plural(figures.reachedSessions, 'live session', 'live sessions')} reached it; ${figures.reachedSessions === 1 ? 'it loses its' : 'they lose their'} local session with it.`,
    ...(membership === undefined ? [] : [`It leaves group ${membership.groupName}.`]),
  ];
  showConfirmation(request, {
    title: `Unregister ${application.name}?`,
    what: `Unregister application ${application.name} (${application.id}).`,
    consequences,
    // As `ssod applications unregister --force`: an application that owns users goes only when the administrator saw how many.
    button: figures.users === 0 ? `Unregister ${application.name}` : `Unregister and delete ${plural(figures.users, 'user', 'users')}`,
    back: applicationPath(application.id),
    fields: figures.users === 0 ? {} : { force: 'yes' },
  });
}

async function unregister(request: ConsoleRequest): Promise<void> {
  const application = await applicationOfPath(request);
  if (application === null) return;
  const { services } = request;
  const back = applicationPath(application.id);
  if (!(await refusalShown(request, back, () => requireUnregistrable(services, application)))) return;
  if (!confirmed(request)) return confirmUnregister(request, application);
  let done: Unregistering | undefined;
  const force = request.form?.get('force') === 'yes';
  const went = await refusalShown(request, back, async () => {
    done = await unregisterApplicationAsOperator(services, application, force, request.actor);
  });
  if (!went) return;
  // It came to own users after the confirmation was shown: confirm again, with the new figures.
  if (done?.unregistered !== true) return confirmUnregister(request, application);
  redirectAfterChange(request, '/applications', 'unregistered');
}

export const APPLICATION_ROUTES: readonly ConsoleRoute[] = [
  { method: 'GET', path: '/applications', handle: list },
  { method: 'GET', path: /^\/applications\/([^/]+)$/, handle: show },
  { method: 'POST', path: /^\/applications\/([^/]+)\/certificate$/, handle: reissue },
  { method: 'POST', path: /^\/applications\/([^/]+)\/unregister$/, handle: unregister },
];
