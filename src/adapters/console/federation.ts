// What the Sources and Identity providers pages share: the page of a named object or a 404, a form's
// refusal, a list of details, and the last test as the console shows it (store/lastTests.ts): the
// outcome as a badge, when and who asked, and what was answered, escaped as every value is
// (docs/SECURITY.md case I68: another system's text).
import { Refusal } from '../../core/refusal.js';
import type { LastTestRecord } from '../../core/store/index.js';
import { html, timeText, type Html } from './html.js';
import { showNotFound, type ConsoleRequest } from './kit.js';

/** The object the path names (its first param), found by the core; null after a 404 page when the core refuses (there is none). */
export async function foundOr404<T>(
  request: ConsoleRequest,
  find: (name: string) => Promise<T>,
  what: string,
  back: string,
): Promise<T | null> {
  const name = request.params[0] ?? '';
  try {
    return await find(name);
  } catch (error) {
    if (!(error instanceof Refusal)) throw error;
    showNotFound(request, `There is no ${what} named ${name}.`, back);
    return null;
  }
}

/** Why a form was refused, above the form shown again; nothing for a form shown first. */
export function problemAlert(problem: string | undefined): Html {
  return problem === undefined ? html`` : html`<p class="alert" role="alert">${problem}</p>`;
}

/** Name/value pairs as the details of an object. */
export function detailList(rows: readonly (readonly [string, Html | string])[]): Html {
  return html`<dl class="details">
    ${rows.map(
      ([term, value]) =>
        html`<dt>${term}</dt>
          <dd>${value}</dd>`,
    )}
  </dl>`;
}

/** Outcomes that mean the source or identity provider does its work. */
const GOOD = new Set(['accepted', 'usable']);

export function outcomeBadge(lastTest: LastTestRecord | null): Html {
  if (lastTest === null) return html`<span class="badge">Not tested</span>`;
  return html`<span class="badge ${GOOD.has(lastTest.outcome) ? 'ok' : 'bad'}">${lastTest.outcome}</span>`;
}

/** The kept test: its outcome, when, who, then `detail` (the answer, or the checks); or that there is none yet. */
export function lastTestHtml(lastTest: LastTestRecord | null, detail: Html): Html {
  if (lastTest === null) return html`<p class="empty">Not tested yet.</p>`;
  return html`<div class="stack last-test">
    <p>${outcomeBadge(lastTest)} at ${timeText(lastTest.testedAt)} by ${lastTest.actor}</p>
    ${detail}
  </div>`;
}
