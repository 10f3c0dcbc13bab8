// The last test of a delegated source or an identity provider as the core keeps it (store/lastTests.ts):
// what the answer said, cut to a bound, since a source's answer is another system's text that the
// console and the terminal show (docs/SECURITY.md case I68).
import type { AuditActor } from '../audit.js';
import type { LastTestRecord, TestedKind } from '../store/index.js';

/** A kept detail is at most this long; the rest is cut, with an ellipsis. */
export const MOST_TEST_DETAIL_CHARS = 600;

export function lastTestRecord(
  kind: TestedKind,
  name: string,
  testedAt: number,
  actor: AuditActor,
  outcome: string,
  detail: string,
): LastTestRecord {
  const cut = detail.length > MOST_TEST_DETAIL_CHARS ? `${detail.slice(0, MOST_TEST_DETAIL_CHARS - 1)}…` : detail;
  return { kind, name, testedAt, actor, outcome, detail: cut };
}
