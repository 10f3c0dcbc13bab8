// The audit trail page (`/audit`, docs/admin-console.md "Audit trail"): the records of the trail,
// newest first, filtered as `ssod audit --type --actor --target --since --until` filters them
// (core/operator/audit.ts), a page at a time with an "Older" link that carries the id of the last
// record shown. Every field is shown escaped, controls and bidirectional characters made visible.
import { AUDIT_EVENT_TYPES, isAuditEventType } from '../../core/audit.js';
import { printable } from '../../core/identifiers.js';
import { auditDetailText, auditTimeOf, queryAuditTrail } from '../../core/operator/audit.js';
import { findUserByReference } from '../../core/operator/users.js';
import type { AuditQuery, AuditRecord } from '../../core/store/index.js';
import { FilterRefused, addressOf, countOf, filterForm, filterOf, selectField, showFilterRefused } from './filters.js';
import { html, timeText, type Html } from './html.js';
import { showPage, table, textField, type ConsoleRequest, type ConsoleRoute } from './kit.js';

const PATH = '/audit';
const LIST_ID = 'audit-list';
const PAGE = 50;
const MOST_SHOWN = 500;
/** What a browser's date-time field sends: a time without a zone, which this page reads as UTC. */
const ZONELESS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?$/;

/** The filters as the form and the address carry them. */
interface Filters {
  readonly type: string;
  readonly actor: string;
  readonly target: string;
  readonly since: string;
  readonly until: string;
}

const NO_FILTERS: Filters = { type: '', actor: '', target: '', since: '', until: '' };

function filtersOf(url: URL): Filters {
  return {
    type: filterOf(url, 'type', 'The type'),
    actor: filterOf(url, 'actor', 'The actor'),
    target: filterOf(url, 'target', 'The target'),
    since: filterOf(url, 'since', 'From'),
    until: filterOf(url, 'until', 'Until'),
  };
}

/** A time of the form, in UTC (a date-time field's value, an ISO 8601 time, or an age such as 24h). */
function timeOf(text: string, label: string, now: number): number {
  const at = auditTimeOf(ZONELESS.test(text) ? `${text}Z` : text, now);
  if (at === null)
    throw new FilterRefused(
      `${label} must be a date and time in UTC, such as 2026-01-31T12:00, or an age such as 24h; got "${printable(text)}".`,
    );
  return at;
}

/** The target as the trail writes it: as given when it names its kind (`user:…`), else a user's login or id. */
async function targetOf(request: ConsoleRequest, text: string): Promise<string> {
  if (text.includes(':')) return text;
  const user = await findUserByReference(request.services, text);
  if (user === null)
    throw new FilterRefused(
      `No user has the login or id "${printable(text)}"; a target may also be written as user:ID, application:ID or login:LOGIN.`,
    );
  return `user:${user.id}`;
}

async function queryOf(request: ConsoleRequest, filters: Filters, limit: number): Promise<AuditQuery> {
  const now = request.services.now();
  if (filters.type !== '' && !isAuditEventType(filters.type))
    throw new FilterRefused(`There is no event type "${printable(filters.type)}".`);
  const before = request.url.searchParams.get('before');
  if (before !== null && !/^\d{1,15}$/.test(before)) throw new FilterRefused('The page of older records was not given as a record number.');
  return {
    limit,
    ...(filters.type !== '' ? { type: filters.type } : {}),
    ...(filters.actor !== '' ? { actor: filters.actor } : {}),
    ...(filters.target !== '' ? { target: await targetOf(request, filters.target) } : {}),
    ...(filters.since !== '' ? { since: timeOf(filters.since, 'From', now) } : {}),
    ...(filters.until !== '' ? { until: timeOf(filters.until, 'Until', now) } : {}),
    ...(before !== null ? { beforeId: Number(before) } : {}),
  };
}

/** A record as a row; its details under its type, where the widest column has room for them. */
function recordRow(record: AuditRecord): Html[] {
  const details = auditDetailText(record.detail);
  return [
    html`<span class="nowrap">${timeText(record.at)}</span>`,
    html`${printable(record.type)}${details !== '' ? html`<span class="sub">${printable(details)}</span>` : ''}`,
    html`${printable(record.actor)}`,
    html`<span class="mono cell-wide">${printable(record.target)}</span>`,
    html`<span class="badge ${record.outcome === 'ok' ? 'ok' : 'bad'}">${printable(record.outcome)}</span>`,
  ];
}

function listHtml(request: ConsoleRequest, filters: Filters, found: readonly AuditRecord[], limit: number): Html {
  const records = found.slice(0, limit);
  const last = records.at(-1);
  const paging = { ...filters, ...(limit !== PAGE ? { limit } : {}) };
  const older =
    found.length > limit && last !== undefined ? html`<a href="${addressOf(PATH, { ...paging, before: last.id })}">Older records</a>` : '';
  const newest = request.url.searchParams.has('before') ? html`<a href="${addressOf(PATH, paging)}">Newest records</a>` : '';
  return html`<div id="${LIST_ID}">
    ${table(['Time (UTC)', 'Event and details', 'Actor', 'Target', 'Outcome'], records.map(recordRow), 'No record matches.')}
    ${older !== '' || newest !== '' ? html`<p class="pager">${newest}${older}</p>` : ''}
  </div>`;
}

/** A date-time field; its value only when a browser's field can show it (else the message quotes it). */
function timeField(name: string, label: string, value: string): Html {
  const id = `field-${name}`;
  return html`<label for="${id}">${label}</label
    ><input type="datetime-local" step="1" id="${id}" name="${name}" value="${ZONELESS.test(value) ? value : ''}" />`;
}

function formHtml(filters: Filters): Html {
  return filterForm(PATH, LIST_ID, [
    selectField({
      name: 'type',
      label: 'Type',
      value: filters.type,
      options: [['', 'Any type'], ...AUDIT_EVENT_TYPES.map((type): [string, string] => [type, type])],
    }),
    textField({ name: 'actor', label: 'Actor', value: filters.actor, type: 'search', hint: 'admin:NAME, operator, guest, application:ID' }),
    textField({
      name: 'target',
      label: 'Target',
      value: filters.target,
      type: 'search',
      hint: "A user's login, or user:ID, application:ID",
    }),
    timeField('since', 'From (UTC)', filters.since),
    timeField('until', 'Until (UTC)', filters.until),
  ]);
}

async function auditPage(request: ConsoleRequest): Promise<void> {
  let filters = NO_FILTERS;
  try {
    filters = filtersOf(request.url);
    const limit = countOf(request.url, 'limit', PAGE, MOST_SHOWN);
    // One more than shown, to know whether there are older records.
    const found = await queryAuditTrail(request.services, await queryOf(request, filters, limit + 1));
    showPage(request, {
      title: 'Audit trail',
      main: html`<p class="note">The security events of the whole installation, newest first. Times are UTC.</p>
        ${formHtml(filters)} ${listHtml(request, filters, found, limit)}`,
    });
  } catch (error) {
    if (!(error instanceof FilterRefused)) throw error;
    showFilterRefused(request, 'Audit trail', error, formHtml(filters));
  }
}

export const AUDIT_ROUTES: readonly ConsoleRoute[] = [{ method: 'GET', path: PATH, handle: auditPage }];
