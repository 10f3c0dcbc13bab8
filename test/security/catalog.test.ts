// The attack catalog of docs/SECURITY.md ("Tested attacks") is covered case by case: every case
// that is not marked pending is cited by the name of some test (`A7`, `F37`), and the document's
// list of tests per case is up to date. A pending case names code not built yet (SAML, logon
// tickets); tests that prove nothing would be worse than a todo.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { citations, citedBy, documentedTestedAttacks, readCatalog, renderTestedAttacks, SECURITY_DOC } from './catalog.js';

describe('the attack catalog', () => {
  const doc = readFileSync(SECURITY_DOC, 'utf8');
  const sections = readCatalog(doc);
  const cited = citedBy(sections);

  test('the catalog is read as written: sections A to I, cases numbered 1, 2, 3, … across them', () => {
    assert.deepEqual(
      sections.map((section) => section.letter),
      ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I'],
    );
    const numbers = sections.flatMap((section) => section.cases);
    assert.deepEqual(
      numbers,
      Array.from({ length: numbers.length }, (_, i) => i + 1),
    );
    assert.deepEqual(
      sections.flatMap((section) => section.pending),
      [],
    );
  });

  test('citations are read as intended', () => {
    assert.deepEqual(citations('A1: DOCTYPE … and C16, C17 and C18; D24; F37', sections), [1, 16, 17, 18, 24, 37]);
    assert.deepEqual(
      citations('Open Fusion SSO protocol, section 5.1: the PKCS#8 key; SHA256 of A12 is no citation (A is 1–10)', sections),
      [],
    );
  });

  for (const section of sections) {
    test(`every case of section ${section.letter} (${section.title}) that is not pending is cited by the name of a test`, () => {
      const missing = section.cases.filter((number) => !section.pending.includes(number) && !cited.has(number));
      assert.deepEqual(missing, [], `catalog cases without a named test: ${missing.map((n) => `${section.letter}${n}`).join(', ')}`);
    });
  }

  for (const section of sections) {
    for (const number of section.pending) void test.todo(`case ${section.letter}${number} waits for the code it attacks`);
  }

  test('docs/SECURITY.md lists the tests of every case as they are named now (npm run docs:attacks)', () => {
    assert.equal(documentedTestedAttacks(doc), renderTestedAttacks(sections, cited));
  });
});
