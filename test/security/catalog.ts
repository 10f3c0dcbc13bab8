// The attack catalog of docs/SECURITY.md ("Tested attacks"), read from the document itself, and
// the tests that prove each case, read from the test names. The catalog test checks the two
// against each other; `npm run docs:attacks` writes the list of tests per case into the document.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPOSITORY = fileURLToPath(new URL('../../../', import.meta.url));
export const SECURITY_DOC = path.join(REPOSITORY, 'docs', 'SECURITY.md');
const TESTS = path.join(REPOSITORY, 'test');
const BEGIN = '<!-- tested-attacks:begin -->';
const END = '<!-- tested-attacks:end -->';

export interface Section {
  readonly letter: string;
  readonly title: string;
  /** Cases whose code is not built yet (`- **E30** (pending: …) …`): listed, not yet required. */
  readonly pending: readonly number[];
  readonly cases: readonly number[];
}

/** The sections of the catalog: `### A. Title` headings, each followed by `- **A1** …` cases. */
export function readCatalog(doc: string): Section[] {
  const start = doc.indexOf('## Tested attacks');
  const body = doc.slice(start, doc.indexOf(BEGIN, start));
  const sections: Section[] = [];
  for (const [, letter = '', title = ''] of body.matchAll(/^### ([A-Z])\. (.+)$/gm)) {
    const from = body.indexOf(`### ${letter}. `);
    const next = body.indexOf('\n### ', from + 1);
    const text = body.slice(from, next === -1 ? undefined : next);
    const lines = [...text.matchAll(/^- \*\*([A-Z])(\d+)\*\* (\(pending)?/gm)].map(([, caseLetter, digits, pending]) => {
      if (caseLetter !== letter) throw new Error(`case ${caseLetter ?? ''}${digits ?? ''} is filed under section ${letter}`);
      return { number: Number(digits), pending: pending !== undefined };
    });
    const cases = lines.map((line) => line.number);
    sections.push({ letter, title, pending: lines.filter((line) => line.pending).map((line) => line.number), cases });
  }
  return sections;
}

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return testFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** The names given to test(), it(), describe() and the store contract's storeTest(). */
export function testNames(source: string): string[] {
  return [...source.matchAll(/\b(?:test|it|describe|storeTest)(?:\.\w+)?\(\s*(['"`])((?:\\.|(?!\1).)*)\1/g)].map((match) => match[2] ?? '');
}

/** The catalog numbers a test name cites: `A7`, `F37` (the letter must be the number's section). */
export function citations(name: string, sections: readonly Section[]): number[] {
  const cited = new Set<number>();
  for (const [, letter = '', digits = ''] of name.matchAll(/\b([A-Z])(\d{1,2})\b/g)) {
    if (sections.some((section) => section.letter === letter && section.cases.includes(Number(digits)))) cited.add(Number(digits));
  }
  return [...cited];
}

/** Case number → "file: test name" of every test that cites it, in file order. */
export function citedBy(sections: readonly Section[]): Map<number, string[]> {
  const cited = new Map<number, string[]>();
  for (const file of testFiles(TESTS).sort()) {
    for (const name of testNames(readFileSync(file, 'utf8'))) {
      for (const number of citations(name, sections))
        cited.set(number, [...(cited.get(number) ?? []), `${path.relative(TESTS, file)}: ${name}`]);
    }
  }
  return cited;
}

/** The generated list of tests per case, as it belongs between the markers. */
export function renderTestedAttacks(sections: readonly Section[], cited: ReadonlyMap<number, readonly string[]>): string {
  const lines = sections.flatMap((section) =>
    section.cases.map((number) => {
      const tests = cited.get(number) ?? [];
      const listed =
        tests.length === 0
          ? section.pending.includes(number)
            ? 'pending'
            : 'NONE'
          : tests.map((test) => `\`${test.replaceAll('`', "'")}\``).join('; ');
      return `- **${section.letter}${number}**: ${listed}`;
    }),
  );
  return `${BEGIN}\n${lines.join('\n')}\n${END}`;
}

/** The block as the document holds it now. */
export function documentedTestedAttacks(doc: string): string {
  return doc.slice(doc.indexOf(BEGIN), doc.indexOf(END) + END.length);
}

function main(): void {
  const doc = readFileSync(SECURITY_DOC, 'utf8');
  const sections = readCatalog(doc);
  writeFileSync(SECURITY_DOC, doc.replace(documentedTestedAttacks(doc), renderTestedAttacks(sections, citedBy(sections))));
  console.log(`${path.relative(REPOSITORY, SECURITY_DOC)}: tests listed for ${sections.reduce((n, s) => n + s.cases.length, 0)} cases`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
