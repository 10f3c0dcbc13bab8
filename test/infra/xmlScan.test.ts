// The scanner (src/infra/xmlScan.ts) is a fast path, never a second opinion: whatever it reads, the
// full reader (saxes) reads to the same tree, and whatever the full reader refuses, it does not
// read. Checked on generated plain documents, on random mutations of them, on the protocol's examples and
// on the envelopes that real clients send (which must take the fast path, or it is of no use).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { scanSimpleXml } from '../../src/infra/xmlScan.js';
import { DEFAULT_XML_LIMITS, parseXmlWithSaxes, type XmlElement, type XmlLimits } from '../../src/infra/xml.js';

const SSO = 'http://swsoft.com/schemas/sso/1';
const SOAP12 = 'http://www.w3.org/2003/05/soap-envelope';
const SOAP11 = 'http://schemas.xmlsoap.org/soap/envelope/';
const VECTORS = new URL('../../../test/vectors/protocol/', import.meta.url);

type FullResult = { readonly tree: XmlElement } | { readonly refused: string };

function full(text: string, limits: XmlLimits): FullResult {
  try {
    return { tree: parseXmlWithSaxes(text, limits) };
  } catch (error) {
    return { refused: (error as Error).message };
  }
}

/** The one property: the scanner reads nothing, or exactly what the full reader reads. */
function assertEquivalent(text: string, limits: XmlLimits = DEFAULT_XML_LIMITS): XmlElement | null {
  const fast = scanSimpleXml(text, limits);
  if (fast === null) return null;
  const slow = full(text, limits);
  assert.ok(
    'tree' in slow,
    `the scanner read a document the full reader refuses (${'refused' in slow ? slow.refused : ''}): ${JSON.stringify(text)}`,
  );
  assert.deepStrictEqual(fast, slow.tree, JSON.stringify(text));
  return fast;
}

// Plain documents: names, declarations at any level, whitespace, ASCII text without markup.
const name = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_.-]{0,8}$/);
const prefix = fc.constantFrom('env', 'soap', 'SOAP-ENV', 'sso', 'ns1', 'a', '');
const uri = fc.constantFrom(SSO, SOAP12, SOAP11, 'urn:x', 'http://example.com/a?b=c');
const space = fc.stringMatching(/^[ \t\n]{0,3}$/);
const textValue = fc.stringMatching(/^[\x20-\x3b=\x3f-\x7e\t\n]{0,20}$/).filter((t) => !t.includes('&'));

interface Node {
  readonly prefix: string;
  readonly local: string;
  readonly declare: readonly (readonly [string, string])[];
  readonly children: readonly Node[];
  readonly text: string;
  readonly gap: string;
}

const node: fc.Memo<Node> = fc.memo((depth) =>
  fc.record({
    prefix,
    local: name,
    declare: fc.array(fc.tuple(prefix, uri), { maxLength: 2 }),
    children: depth > 1 ? fc.array(node(depth - 1), { maxLength: 3 }) : fc.constant([]),
    text: textValue,
    gap: space,
  }),
);

function render(n: Node, declaredAbove: ReadonlySet<string>): string {
  const declared = new Set(declaredAbove);
  const seen = new Set<string>();
  const attributes = n.declare
    .filter(([p]) => (seen.has(p) ? false : (seen.add(p), true)))
    .map(([p, u]) => {
      declared.add(p);
      return ` ${p === '' ? 'xmlns' : `xmlns:${p}`}="${u}"`;
    })
    .join('');
  // Mostly declared prefixes, so that most documents are readable; sometimes not.
  const qname =
    n.prefix === '' || declared.has(n.prefix) || n.local.length % 3 === 0
      ? n.prefix === ''
        ? n.local
        : `${n.prefix}:${n.local}`
      : n.local;
  if (n.children.length === 0 && n.text === '' && n.local.length % 2 === 0) return `<${qname}${attributes}${n.gap}/>`;
  const inner = n.children.length === 0 ? n.text : n.children.map((c) => n.gap + render(c, declared)).join('') + n.gap;
  return `<${qname}${attributes}>${inner}</${qname}${n.gap}>`;
}

const declaration = fc.constantFrom(
  '',
  '<?xml version="1.0"?>',
  '<?xml version="1.0" encoding="UTF-8"?>',
  "<?xml version='1.0' encoding='utf-8'?>\n",
);
const plainDocument = fc.tuple(declaration, space, node(4), space).map(([d, s1, n, s2]) => `${d}${s1}${render(n, new Set())}${s2}`);

const MUTATION_ALPHABET = '<>&;!?/"\'= :\r\n\t-xX1é€\u0000]]CDATA[--#';
const mutation = fc.tuple(
  fc.nat(),
  fc.nat(3),
  fc.constantFrom('insert', 'delete', 'replace'),
  fc.string({ unit: fc.constantFrom(...Array.from(MUTATION_ALPHABET)), maxLength: 4 }),
);

function mutate(text: string, [at, length, kind, piece]: [number, number, string, string]): string {
  const i = text.length === 0 ? 0 : at % text.length;
  if (kind === 'insert') return text.slice(0, i) + piece + text.slice(i);
  if (kind === 'delete') return text.slice(0, i) + text.slice(i + length + 1);
  return text.slice(0, i) + piece + text.slice(i + piece.length);
}

describe('the scanner reads exactly what the full reader reads', () => {
  test('generated plain documents: read to the same tree, and nearly all that the full reader reads are read', () => {
    let read = 0;
    let readable = 0;
    const missed: string[] = [];
    fc.assert(
      fc.property(plainDocument, (text) => {
        const fast = assertEquivalent(text);
        if (!('tree' in full(text, DEFAULT_XML_LIMITS))) return;
        readable += 1;
        if (fast !== null) read += 1;
        else missed.push(text);
      }),
      { numRuns: 2000 },
    );
    assert.ok(readable > 500, `only ${readable} of the generated documents are readable`);
    assert.ok(
      read >= readable * 0.95,
      `the scanner read only ${read} of ${readable} readable plain documents, e.g. ${JSON.stringify(missed.slice(0, 3))}`,
    );
  });

  test('random mutations: never a tree the full reader would not give, never a document it refuses', () => {
    fc.assert(
      fc.property(plainDocument, fc.array(mutation, { minLength: 1, maxLength: 3 }), (text, edits) => {
        assertEquivalent(edits.reduce(mutate, text));
      }),
      { numRuns: 5000 },
    );
  });

  test('smaller limits: the scanner leaves a document beyond them to the full reader, which refuses it', () => {
    const deep = `${'<a>'.repeat(5)}${'</a>'.repeat(5)}`;
    assert.equal(scanSimpleXml(deep, { ...DEFAULT_XML_LIMITS, maxDepth: 4 }), null);
    assert.ok('refused' in full(deep, { ...DEFAULT_XML_LIMITS, maxDepth: 4 }));
    assert.notEqual(assertEquivalent(deep), null);
    const many = `<a>${'<b/>'.repeat(70)}</a>`;
    assert.equal(scanSimpleXml(many, DEFAULT_XML_LIMITS), null, 'more elements than the scanner takes');
  });

  test('what only the full reader handles is left to it: references, CDATA, comments, other attributes, CR, non-ASCII, DOCTYPE', () => {
    for (const text of [
      '<a>&amp;</a>',
      '<a>&#x41;</a>',
      '<a><![CDATA[x]]></a>',
      '<a><!-- c --></a>',
      '<a b="1"/>',
      '<a xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:nil="true"/>',
      '<a>\r\n</a>',
      '<a>é</a>',
      '<!DOCTYPE a><a/>',
      '<?xml version="1.1"?><a/>',
      '<?xml version="1.0" encoding="ISO-8859-1"?><a/>',
      '<p:a/>',
      '<a xmlns:p=""/>',
      '<a xmlns:xml="urn:x"/>',
      '<a></b>',
      '<a/><b/>',
      '<a/>x',
    ]) {
      assert.equal(scanSimpleXml(text, DEFAULT_XML_LIMITS), null, text);
    }
  });
});

describe('real requests take the fast path', () => {
  test("the protocol's examples", () => {
    const files = readdirSync(VECTORS).filter((file) => file.endsWith('.xml'));
    assert.equal(files.length, 20);
    for (const file of files) assertEquivalent(readFileSync(new URL(file, VECTORS), 'utf8'));
  });

  test('the envelopes of the SDK, zeep and PHP SoapClient for verifySession', () => {
    const sessionId = 'https://panel.example.com:8443/0123456789ABCDEF0123456789ABCDEF';
    const envelopes = [
      // ssod/client (src/client/envelope.ts)
      `<env:Envelope xmlns:env="${SOAP12}" xmlns:sso="${SSO}"><env:Body><sso:verifySession><sso:sessionId>${sessionId}</sso:sessionId></sso:verifySession></env:Body></env:Envelope>`,
      // python3-zeep
      `<?xml version='1.0' encoding='utf-8'?>\n<soap-env:Envelope xmlns:soap-env="${SOAP12}"><soap-env:Body><ns0:verifySession xmlns:ns0="${SSO}"><ns0:sessionId>${sessionId}</ns0:sessionId></ns0:verifySession></soap-env:Body></soap-env:Envelope>`,
      // PHP SoapClient
      `<?xml version="1.0" encoding="UTF-8"?>\n<env:Envelope xmlns:env="${SOAP12}" xmlns:ns1="${SSO}"><env:Body><ns1:verifySession><ns1:sessionId>${sessionId}</ns1:sessionId></ns1:verifySession></env:Body></env:Envelope>\n`,
      // SOAP 1.1 with an empty Header, pretty-printed
      `<soap:Envelope xmlns:soap="${SOAP11}">\n  <soap:Header/>\n  <soap:Body>\n    <verifySession xmlns="${SSO}">\n      <sessionId>${sessionId}</sessionId>\n    </verifySession>\n  </soap:Body>\n</soap:Envelope>\n`,
    ];
    for (const text of envelopes) assert.notEqual(assertEquivalent(text), null, text);
  });
});
