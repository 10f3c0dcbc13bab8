// The attack catalog (shared/ATTACKS.md) is covered case by case: every number of sections A–D
// is cited by the name of some test, as `A7`, `D24` or `ATTACKS #24`. Section E (#30–#36) is about
// federation (SAML, signed logon tickets, delegated authentication), which ssod does not implement
// yet; it is listed here as pending the federation issue rather than covered by tests that would
// prove nothing.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const REPOSITORY = fileURLToPath(new URL('../../../', import.meta.url));
const TESTS = path.join(REPOSITORY, 'test');
/** The catalog, where the workspace keeps it beside the repository (not shipped with it). */
const CATALOG_FILE = path.join(REPOSITORY, '..', 'shared', 'ATTACKS.md');

/** The sections of the catalog: letter, first and last number. */
const SECTIONS: readonly (readonly [string, number, number])[] = [
  ['A', 1, 10], // SOAP and XML
  ['B', 11, 15], // client certificates
  ['C', 16, 23], // relay, cookies and redirects
  ['D', 24, 29], // passwords and brute force
  ['E', 30, 36], // federation
];
const PENDING_SECTION = 'E';

function sectionOf(number: number): string | undefined {
  return SECTIONS.find(([, first, last]) => number >= first && number <= last)?.[0];
}

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return testFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** The names given to test(), it(), describe() and the store contract's storeTest(). */
function testNames(source: string): string[] {
  return [...source.matchAll(/\b(?:test|it|describe|storeTest)(?:\.\w+)?\(\s*(['"`])((?:\\.|(?!\1).)*)\1/g)].map((match) => match[2] ?? '');
}

/** The catalog numbers a test name cites: `A7`, `B12` (the letter must be the number's section), or `ATTACKS #24, #25`. */
export function citations(name: string): number[] {
  const cited = new Set<number>();
  for (const [, letter = '', digits = ''] of name.matchAll(/\b([A-E])(\d{1,2})\b/g)) {
    if (sectionOf(Number(digits)) === letter) cited.add(Number(digits));
  }
  for (const [list = ''] of name.matchAll(/ATTACKS\s+#\d+(?:\s*(?:,|and)\s*#\d+)*/g)) {
    for (const [, digits = ''] of list.matchAll(/#(\d+)/g)) cited.add(Number(digits));
  }
  return [...cited];
}

describe('the attack catalog', () => {
  const citedBy = new Map<number, string[]>();
  for (const file of testFiles(TESTS)) {
    for (const name of testNames(readFileSync(file, 'utf8'))) {
      for (const number of citations(name)) citedBy.set(number, [...(citedBy.get(number) ?? []), `${path.relative(TESTS, file)}: ${name}`]);
    }
  }

  test('citations are read as intended', () => {
    assert.deepEqual(citations('A1: DOCTYPE … and ATTACKS #16, #17 and #18; D24'), [1, 24, 16, 17, 18]);
    assert.deepEqual(citations('003 §5.1: the PKCS#8 key; SHA256 of A12 is no citation (A is 1–10)'), []);
  });

  for (const [letter, first, last] of SECTIONS.filter(([letter]) => letter !== PENDING_SECTION)) {
    test(`every case of section ${letter} (#${first}–#${last}) is cited by the name of a test`, () => {
      const missing = Array.from({ length: last - first + 1 }, (_, i) => first + i).filter((number) => !citedBy.has(number));
      assert.deepEqual(missing, [], `catalog cases without a named test: ${missing.map((n) => `#${n}`).join(', ')}`);
    });
  }

  const [, pendingFirst, pendingLast] = SECTIONS.find(([letter]) => letter === PENDING_SECTION) ?? ['', 0, 0];
  void test.todo(`section ${PENDING_SECTION} (#${pendingFirst}–#${pendingLast}, federation: SAML, signed logon tickets, delegated authentication) is pending the federation issue`);

  test('the sections match the catalog, where the workspace has it', (t) => {
    if (!existsSync(CATALOG_FILE)) {
      t.skip(`${CATALOG_FILE} is not here; the sections above are the catalog's as of writing`);
      return;
    }
    const text = readFileSync(CATALOG_FILE, 'utf8');
    const numbers = [...text.matchAll(/^(\d+)\. /gm)].map((match) => Number(match[1]));
    assert.deepEqual(numbers, Array.from({ length: numbers.length }, (_, i) => i + 1), 'numbered 1, 2, 3, …');
    const headings = [...text.matchAll(/^## ([A-Z])\. /gm)].map((match) => match[1]);
    assert.deepEqual(headings, SECTIONS.map(([letter]) => letter));
    assert.equal(numbers.length, SECTIONS[SECTIONS.length - 1]?.[2]);
    for (const [letter, first] of SECTIONS) {
      const section = text.slice(text.indexOf(`## ${letter}. `));
      assert.equal(Number(/^(\d+)\. /m.exec(section)?.[1]), first, `section ${letter} starts at #${first}`);
    }
  });
});
