// HTML for the admin console's pages (docs/admin-console.md "Headers, styles and scripts"): a tagged
// template that escapes every value it is given unless the value is already HTML made by it, so a
// page cannot forget to escape a login, a URL or an error message.
import { escapeHtml } from '../http/http.js';

/** HTML that the console made: a value of this class is inserted as it is. */
export class Html {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
  toString(): string {
    return this.text;
  }
}

/** What may be put in the template: text (escaped), numbers, HTML, lists of these; null, undefined and false put nothing. */
export type HtmlValue = Html | string | number | boolean | null | undefined | readonly HtmlValue[];

function htmlOfValue(value: HtmlValue): string {
  if (value instanceof Html) return value.text;
  if (value === null || value === undefined || value === false) return '';
  if (Array.isArray(value)) return (value as readonly HtmlValue[]).map(htmlOfValue).join('');
  if (typeof value === 'number') return escapeHtml(value.toString());
  return escapeHtml(String(value));
}

/** `html\`<td>${login}</td>\``: the literal parts as they are, every value escaped (or HTML kept). */
export function html(strings: TemplateStringsArray, ...values: readonly HtmlValue[]): Html {
  let text = strings[0] ?? '';
  for (let i = 0; i < values.length; i++) text += htmlOfValue(values[i]) + (strings[i + 1] ?? '');
  return new Html(text);
}

/** Text that is HTML already (a constant of the console's own, never a value from outside). */
export function trusted(text: string): Html {
  return new Html(text);
}

/** A time as the console shows it: UTC, to the second. */
export function timeText(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace('T', ' ');
}

/** A count with thousands separators. */
export function countText(value: number): string {
  return value.toLocaleString('en-US');
}

/** A count with its noun: '1 user', '3 users' (`one` and `many` may carry the verb: 'user goes', 'users go'). */
export function plural(count: number, one: string, many: string): string {
  return `${countText(count)} ${count === 1 ? one : many}`;
}
