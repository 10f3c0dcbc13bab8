// The last test of a source or an identity provider as the console shows it (store/lastTests.ts):
// the outcome as a badge, when and who asked, and what was answered, escaped as every value is
// (docs/SECURITY.md case I68: another system's text).
import type { LastTestRecord } from '../../core/store/index.js';
import { html, timeText, type Html } from './html.js';

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
