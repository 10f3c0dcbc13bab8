// The tickets page (`/tickets`, docs/admin-console.md "Tickets"): the keys that sign logon tickets
// for other DNS domains with their states, rotating them and revoking one, as `ssod tickets` does,
// and the receivers (receivers.ts), as `ssod receivers` does (core/operator/tickets.ts).
import { ROTATION_DELAY_MS, type TicketKeyStatus } from '../../core/ticketKeys.js';
import {
  addReceiver,
  listReceivers,
  rotateTicketKey,
  revokeTicketKey,
  ticketKeyRevocation,
  ticketKeysNow,
} from '../../core/operator/tickets.js';
import { Refusal } from '../../core/refusal.js';
import { html, timeText, type Html } from './html.js';
import {
  confirmed,
  noticeOf,
  postForm,
  redirectAfterChange,
  refusalShown,
  showConfirmation,
  showNotFound,
  showPage,
  showRefusal,
  table,
  type ConsoleRequest,
  type ConsoleRoute,
} from './kit.js';
import { RECEIVER_ROUTES, receiverFormOf, receiversSection, type ReceiverForm } from './receivers.js';

export const TICKETS_PATH = '/tickets';

const NOTICES = {
  rotated: `A new key was made and published; it signs in ${ROTATION_DELAY_MS / 60_000} minutes.`,
  rotatedNow: 'A new key was made; it signs from now on. The key before it stays published until its tickets expire.',
  revoked: 'The key was revoked: its tickets are refused.',
  added: 'The receiver was added; browsers pass through it after their next sign-in.',
  removed: 'The receiver was removed.',
};

/** Keys that are still in the key set may be revoked (a retired one is published no more). */
const REVOCABLE = new Set(['pending', 'signing', 'retiring']);

function keyPath(kid: string): string {
  return `${TICKETS_PATH}/keys/${encodeURIComponent(kid)}/revoke`;
}

function stateBadge(status: TicketKeyStatus): Html {
  const tone = status.state === 'signing' ? ' ok' : status.state === 'revoked' ? ' bad' : '';
  return html`<span class="badge${tone}">${status.state}</span>`;
}

function publishedUntil(status: TicketKeyStatus): string {
  if (status.publishedUntil !== null) return timeText(status.publishedUntil);
  return status.state === 'pending' || status.state === 'signing' ? 'open' : '-';
}

function keysSection(request: ConsoleRequest, keys: readonly TicketKeyStatus[]): Html {
  const rows = keys.map((status) => [
    html`<span class="mono">${status.key.kid}</span>`,
    stateBadge(status),
    timeText(status.key.signsFrom),
    publishedUntil(status),
    REVOCABLE.has(status.state)
      ? postForm(request, keyPath(status.key.kid), html`<button type="submit" class="danger small">Revoke</button>`)
      : '',
  ]);
  return html`<h2>Signing keys</h2>
    <p class="note">
      A key is published in the key set while pending, signing or retiring; a retiring key stays published until every ticket it signed has
      expired.
    </p>
    ${table(['Key id', 'State', 'Signs from', 'Published until', 'Action'], rows, 'No key yet: ssod makes the first when it starts.')}
    ${postForm(
      request,
      `${TICKETS_PATH}/rotate`,
      html`<p>
          A new key is published at once and signs ${ROTATION_DELAY_MS / 60_000} minutes later, so that receivers that keep the key set have
          it first. After a compromise, make it sign at once, then revoke the old key.
        </p>
        <div class="actions">
          <button type="submit" name="now" value="no">Rotate</button>
          <button type="submit" name="now" value="yes" class="secondary">Rotate, signing at once</button>
        </div>`,
      'stack',
    )}`;
}

/** The page; `adding`: a receiver form sent back with its message (status 400). */
export async function showTicketsPage(request: ConsoleRequest, adding?: ReceiverForm): Promise<void> {
  const [keys, receivers] = await Promise.all([ticketKeysNow(request.services), listReceivers(request.services)]);
  showPage(request, {
    title: 'Tickets',
    status: adding === undefined ? 200 : 400,
    section: TICKETS_PATH,
    main: html`${noticeOf(request, NOTICES)}
      <p class="note">Signed logon tickets tell applications in other DNS domains who the user is.</p>
      ${keysSection(request, keys)} ${receiversSection(request, receivers, adding)}`,
  });
}

async function rotate(request: ConsoleRequest): Promise<void> {
  const now = request.form?.get('now') === 'yes';
  await rotateTicketKey(request.services, now, request.actor);
  redirectAfterChange(request, TICKETS_PATH, now ? 'rotatedNow' : 'rotated');
}

/** When the receivers refuse a revoked key's tickets, with their count. */
function receiversRefuse(count: number): string {
  if (count === 0) return 'and no receiver is configured';
  const who = count === 1 ? 'the one receiver refuses' : `each of the ${count} receivers refuses`;
  return `and ${who} them when it next fetches the key set (within 5 minutes)`;
}

async function revoke(request: ConsoleRequest): Promise<void> {
  const kid = request.params[0] ?? '';
  const keys = await ticketKeysNow(request.services);
  if (!keys.some((status) => status.key.kid === kid)) {
    showNotFound(request, 'There is no ticket key with this id.', TICKETS_PATH);
    return;
  }
  if (confirmed(request)) {
    if (await refusalShown(request, TICKETS_PATH, () => revokeTicketKey(request.services, kid, request.actor)))
      redirectAfterChange(request, TICKETS_PATH, 'revoked');
    return;
  }
  // The checks first: a key that may not be revoked is refused before anything is asked.
  const revocation = await ticketKeyRevocation(request.services, kid).catch((error: unknown) => {
    if (!(error instanceof Refusal)) throw error;
    showRefusal(request, error.message, TICKETS_PATH);
    return null;
  });
  if (revocation === null) return;
  const { successor } = revocation;
  const receivers = (await listReceivers(request.services)).length;
  showConfirmation(request, {
    title: 'Revoke a ticket key',
    what: `Revoke ticket key ${kid}?`,
    consequences: [
      `Tickets signed with it stop working at once: ssod's online check refuses them now, ${receiversRefuse(receivers)}.`,
      successor === null ? 'New tickets are signed as before.' : `Key ${successor} signs new tickets from now on.`,
      'A revoked key cannot be brought back.',
    ],
    button: 'Revoke the key',
    back: TICKETS_PATH,
  });
}

/** Adds a receiver; a refusal of the core (a bad name, domain or URL, a name taken) shows the form again with its message. */
async function add(request: ConsoleRequest): Promise<void> {
  const form = receiverFormOf(request);
  try {
    await addReceiver(
      request.services,
      { name: form.name, domain: form.domain, url: form.url, ...(form.caPem === '' ? {} : { caPem: form.caPem }) },
      request.actor,
    );
  } catch (error) {
    if (!(error instanceof Refusal)) throw error;
    await showTicketsPage(request, { ...form, message: error.message });
    return;
  }
  redirectAfterChange(request, TICKETS_PATH, 'added');
}

export const TICKETS_ROUTES: readonly ConsoleRoute[] = [
  { method: 'GET', path: TICKETS_PATH, handle: (request) => showTicketsPage(request) },
  { method: 'POST', path: `${TICKETS_PATH}/rotate`, handle: rotate },
  { method: 'POST', path: /^\/tickets\/keys\/([^/]+)\/revoke$/, handle: revoke },
  { method: 'POST', path: `${TICKETS_PATH}/receivers`, handle: add },
  ...RECEIVER_ROUTES,
];
