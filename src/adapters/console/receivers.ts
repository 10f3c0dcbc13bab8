// The receivers of signed logon tickets on the tickets page (docs/admin-console.md "Tickets"): their
// list and the form that adds one (tickets.ts answers it, since a refused form shows the whole page
// again), one receiver's page, and removing one, as `ssod receivers` does (core/operator/tickets.ts).
import { receiverCaCount, removeReceiver } from '../../core/operator/tickets.js';
import type { TicketReceiverRecord } from '../../core/store/index.js';
import { html, timeText, type Html } from './html.js';
import {
  confirmed,
  postForm,
  redirectAfterChange,
  refusalShown,
  showConfirmation,
  showNotFound,
  showPage,
  table,
  textField,
  type ConsoleRequest,
  type ConsoleRoute,
} from './kit.js';

/** The tickets page, where the receivers are listed. */
const BACK = '/tickets';
const RECEIVERS_PATH = '/tickets/receivers';

/** What the add form holds; `message`: why it was refused. */
export interface ReceiverForm {
  readonly name: string;
  readonly domain: string;
  readonly url: string;
  readonly caPem: string;
  readonly message?: string;
}

const EMPTY: ReceiverForm = { name: '', domain: '', url: '', caPem: '' };

/** The add form's fields as sent. */
export function receiverFormOf(request: ConsoleRequest): ReceiverForm {
  const field = (name: string): string => request.form?.get(name)?.trim() ?? '';
  return { name: field('name'), domain: field('domain'), url: field('url'), caPem: field('caPem') };
}

function receiverPath(name: string): string {
  return `${RECEIVERS_PATH}/${encodeURIComponent(name)}`;
}

function addForm(request: ConsoleRequest, form: ReceiverForm): Html {
  return postForm(
    request,
    RECEIVERS_PATH,
    html`<h2 id="add-receiver">Add a receiver</h2>
      ${form.message !== undefined ? html`<p class="alert" role="alert">${form.message}</p>` : ''}
      ${textField({
        name: 'name',
        label: 'Name',
        value: form.name,
        hint: 'Lower-case letters, digits and "-", up to 63 characters. Browsers pass through receivers in name order.',
        required: true,
      })}
      ${textField({
        name: 'domain',
        label: 'Domain',
        value: form.domain,
        hint: 'The DNS domain it serves, for example example.de.',
        required: true,
      })}
      ${textField({
        name: 'url',
        label: 'Base URL',
        value: form.url,
        type: 'url',
        hint: 'https, a host in the domain, ending with "/", for example https://apps.example.de/.ssod/.',
        required: true,
      })}
      <label for="field-caPem">Trusted CA (optional)</label>
      <span class="hint" id="field-caPem-hint">PEM certificates to trust for its logout endpoint instead of the system's CAs.</span>
      <textarea id="field-caPem" name="caPem" aria-describedby="field-caPem-hint" spellcheck="false">${form.caPem}</textarea>
      <button type="submit">Add receiver</button>`,
    'stack',
  );
}

/** The receivers and the add form, for the tickets page. */
export function receiversSection(request: ConsoleRequest, receivers: readonly TicketReceiverRecord[], adding = EMPTY): Html {
  const rows = receivers.map((receiver) => [
    html`<a href="${receiverPath(receiver.name)}">${receiver.name}</a>`,
    receiver.domain,
    html`<span class="mono">${receiver.url}</span>`,
  ]);
  return html`<h2>Receivers</h2>
    <p class="note">One per DNS domain: after a sign-in, the browser passes through each to get a ticket for its domain.</p>
    ${table(['Name', 'Domain', 'URL'], rows, 'No receiver: tickets are issued to none.')} ${addForm(request, adding)}`;
}

/** The receiver the path names, or null after a 404 page. */
async function receiverOf(request: ConsoleRequest): Promise<TicketReceiverRecord | null> {
  const name = request.params[0] ?? '';
  const receiver = await request.services.store.getTicketReceiver(name);
  if (receiver === null) showNotFound(request, 'There is no receiver with this name.', BACK);
  return receiver;
}

async function show(request: ConsoleRequest): Promise<void> {
  const receiver = await receiverOf(request);
  if (receiver === null) return;
  const cas = receiverCaCount(receiver);
  showPage(request, {
    title: `Receiver ${receiver.name}`,
    main: html`<dl class="details">
        <dt>Domain</dt>
        <dd>${receiver.domain}</dd>
        <dt>Base URL</dt>
        <dd class="mono">${receiver.url}</dd>
        <dt>Ticket endpoint</dt>
        <dd class="mono">${receiver.url}ticket</dd>
        <dt>Logout endpoint</dt>
        <dd class="mono">${receiver.url}logout</dd>
        <dt>Trusted CA</dt>
        <dd>${cas === 0 ? "The system's CAs" : `${cas} certificate${cas === 1 ? '' : 's'} of its own`}</dd>
        <dt>Added</dt>
        <dd>${timeText(receiver.createdAt)}</dd>
      </dl>
      <div class="actions">
        ${postForm(request, `${receiverPath(receiver.name)}/remove`, html`<button type="submit" class="danger">Remove receiver</button>`)}
        <a href="${BACK}">Back to tickets</a>
      </div>`,
  });
}

async function remove(request: ConsoleRequest): Promise<void> {
  const receiver = await receiverOf(request);
  if (receiver === null) return;
  if (!confirmed(request)) {
    const minutes = request.services.settings.current().ticketLifetime / 60;
    showConfirmation(request, {
      title: 'Remove a receiver',
      what: `Remove receiver ${receiver.name} (${receiver.domain})?`,
      consequences: [
        `Browsers no longer pass through ${receiver.url} after a sign-in: applications in ${receiver.domain} get no new tickets.`,
        `It is no longer told of logouts: tickets it holds stay valid in ${receiver.domain} until they expire, at most ${minutes} minutes (ticketLifetime).`,
        'Running servers follow within 5 seconds.',
      ],
      button: 'Remove the receiver',
      back: receiverPath(receiver.name),
    });
    return;
  }
  if (await refusalShown(request, BACK, () => removeReceiver(request.services, receiver.name, request.actor)))
    redirectAfterChange(request, BACK, 'removed');
}

export const RECEIVER_ROUTES: readonly ConsoleRoute[] = [
  { method: 'GET', path: /^\/tickets\/receivers\/([^/]+)$/, handle: show },
  { method: 'POST', path: /^\/tickets\/receivers\/([^/]+)\/remove$/, handle: remove },
];
