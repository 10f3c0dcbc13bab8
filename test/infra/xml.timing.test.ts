// The hostile documents of the catalog's section A (docs/SECURITY.md) are refused quickly: each costs
// no more than a few times what reading a harmless document of the same length costs, and character
// references decode in linear time. Timing tests, run on their own after the other tests (`npm
// test`): they compare times, so they must not share the cores with other test files.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { XmlRefusal, parseXml } from '../../src/infra/xml.js';
import { medianRatiosSideBySide } from '../helpers/timing.js';

/** The fastest of a few runs, in milliseconds: the least disturbed by whatever else the machine is doing. */
function fastest(action: () => void, runs = 5): number {
  let best = Infinity;
  for (let run = 0; run < runs; run += 1) {
    const started = performance.now();
    action();
    best = Math.min(best, performance.now() - started);
  }
  return best;
}

function refused(text: string): void {
  assert.throws(() => parseXml(text), XmlRefusal);
}

/**
 * The hostile input costs no more than a few times what reading a harmless document of the same
 * length costs, measured side by side (a ratio, not an absolute time: the machines are shared).
 * The 1 ms floor absorbs timer granularity for inputs that are refused in microseconds.
 */
function assertNoBlowUp(hostile: string, factor = 5): void {
  const harmless = `<a>${'x'.repeat(hostile.length)}</a>`;
  const baseline = fastest(() => parseXml(harmless));
  const elapsed = fastest(() => refused(hostile));
  assert.ok(
    elapsed <= factor * baseline + 1,
    `took ${elapsed.toFixed(2)} ms; reading as many harmless bytes took ${baseline.toFixed(2)} ms`,
  );
}

test('A2: billion laughs is refused at once', () => {
  const entities = ['<!ENTITY lol0 "lol">'];
  for (let level = 1; level <= 9; level += 1) entities.push(`<!ENTITY lol${level} "${`&lol${level - 1};`.repeat(10)}">`);
  assertNoBlowUp(`<!DOCTYPE lolz [${entities.join('')}]><lolz>&lol9;</lolz>`);
});

test('A2: quadratic blow-up, also in an attribute value, is refused at once', () => {
  const references = '&big;'.repeat(10_000);
  assertNoBlowUp(`<!DOCTYPE a [<!ENTITY big "${'x'.repeat(50_000)}">]><a v="${references}">${references}</a>`);
});

test('A3: a hundred thousand character references are decoded in linear time', async (t) => {
  const references = (count: number): string => `<a>${'&#x41;'.repeat(count)}</a>`;
  // Four times the references take about four times as long; quadratic decoding would take
  // sixteen; the bound sits between the two. (Compared with each other rather than with plain
  // text, which the parser reads about six times faster per byte since it stopped falling into
  // V8's dictionary mode.) The median of the ratios of the two sizes run back to back: the fastest
  // run of each would favour the short one on a loaded machine, which finds a quiet 5 ms more often
  // than a quiet 50 ms, and a pause for garbage collection falls on one round, not on the median.
  const quarterDocument = references(25_000);
  const wholeDocument = references(100_000);
  const { ratios, rounds } = await medianRatiosSideBySide(
    [() => Promise.resolve(parseXml(quarterDocument)), () => Promise.resolve(parseXml(wholeDocument))],
    { minRounds: 21, maxRounds: 21, settled: () => false },
  );
  const [ratio = Infinity] = ratios;
  t.diagnostic(`100 000 references / 25 000: median ratio ${ratio.toFixed(2)} over ${rounds} rounds`);
  assert.ok(ratio <= 8, `100 000 references took ${ratio.toFixed(2)} times as long as 25 000`);
});

test('A4: 100 000 levels of nesting are refused at once', () => {
  assertNoBlowUp(`${'<a>'.repeat(100_000)}${'</a>'.repeat(100_000)}`);
});

test('A4: 100 000 attributes or namespace declarations are refused at once', () => {
  assertNoBlowUp(`<a${Array.from({ length: 100_000 }, (_, index) => ` a${index}="v"`).join('')}/>`);
  assertNoBlowUp(`<a${Array.from({ length: 100_000 }, (_, index) => ` xmlns:p${index}="urn:${index}"`).join('')}/>`);
});

test('A4: a 1 MB element name is refused at once', () => {
  const name = 'n'.repeat(1_000_000);
  assertNoBlowUp(`<${name}></${name}>`);
});
