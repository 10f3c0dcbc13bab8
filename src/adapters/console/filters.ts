// The filters of the console's lists (sessions, the audit trail): a GET form whose values come back
// in the address, so a list can be bookmarked and reloaded. A value that cannot be used (too long, a
// count out of range, an unknown name) is refused with a FilterRefused, which the page shows as a
// 400 with its form and the values kept; nothing reaches the store.
import { html, type Html, type HtmlValue } from './html.js';
import { showPage, type ConsoleRequest } from './kit.js';

/** Longer than any login, URL, actor or target a filter names: a longer value is refused, not looked up. */
export const MOST_FILTER_CHARS = 256;

/** A filter value the page cannot use; `message` says which and why, in plain words. */
export class FilterRefused extends Error {}

/** The trimmed value of a filter in the address; '' when absent. Refused when longer than MOST_FILTER_CHARS. */
export function filterOf(url: URL, name: string, label: string): string {
  const value = (url.searchParams.get(name) ?? '').trim();
  if (value.length > MOST_FILTER_CHARS) throw new FilterRefused(`${label} is longer than ${MOST_FILTER_CHARS} characters.`);
  return value;
}

/** A whole number from 1 to `most` in the address, or `fallback` when absent. */
export function countOf(url: URL, name: string, fallback: number, most: number): number {
  const text = url.searchParams.get(name);
  if (text === null || text === '') return fallback;
  if (!/^\d{1,7}$/.test(text) || Number(text) < 1 || Number(text) > most)
    throw new FilterRefused(`"${name}" must be a whole number from 1 to ${most}.`);
  return Number(text);
}

/** The address of `path` with these filters (empty ones left out). */
export function addressOf(path: string, filters: Readonly<Record<string, string | number>>): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(filters)) if (value !== '') query.set(name, String(value));
  const text = query.toString();
  return text === '' ? path : `${path}?${text}`;
}

/** A labelled select; `options` are [value, text] pairs, the first usually "any". */
export function selectField(field: {
  readonly name: string;
  readonly label: string;
  readonly value: string;
  readonly options: readonly (readonly [string, string])[];
}): Html {
  const id = `field-${field.name}`;
  return html`<label for="${id}">${field.label}</label
    ><select id="${id}" name="${field.name}">
      ${field.options.map(
        ([value, text]) => html`<option value="${value}" ${value === field.value ? html`selected` : ''}>${text}</option>`,
      )}
    </select>`;
}

/** The filter form of a list: GET to `path`, live (replaces #`listId` as the administrator types), its fields in a toolbar. */
export function filterForm(path: string, listId: string, fields: readonly HtmlValue[]): Html {
  return html`<form method="get" action="${path}" class="toolbar" role="search" data-live="${listId}">
    ${fields.map((field) => html`<div>${field}</div>`)}
    <div><button type="submit" class="secondary">Filter</button></div>
  </form>`;
}

/** A list's page when a filter was refused: 400, the reason, and the form with the values kept. */
export function showFilterRefused(request: ConsoleRequest, title: string, refusal: FilterRefused, form: Html): void {
  showPage(request, {
    title,
    status: 400,
    main: html`<p class="alert" role="alert">${refusal.message}</p>
      ${form}`,
  });
}
