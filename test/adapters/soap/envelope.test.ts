// The SOAP envelope: protocol §5's request examples in SOAP 1.2 and 1.1, requests as python3-zeep
// builds them, and the envelope faults of the catalog's section A (docs/SECURITY.md).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { EnvelopeFault, SSO_NS, type EnvelopeFaultKind } from '../../../src/adapters/soap/faults.js';
import { MustUnderstandFault, parseEnvelope, SOAP11_NS, SOAP12_NS, versionFromContentType } from '../../../src/adapters/soap/envelope.js';

const VECTORS = new URL('../../../../test/vectors/protocol/', import.meta.url);
const SOAP12_TYPE = 'application/soap+xml; charset=utf-8';
const SOAP11_TYPE = 'text/xml; charset=utf-8';
const OPERATION = `<sso:authenticate xmlns:sso="${SSO_NS}"><sso:login>user@example.com</sso:login></sso:authenticate>`;

function vector(name: string): string {
  return readFileSync(new URL(name, VECTORS), 'utf8');
}

function soap12(inner: string, envelopeAttributes = ''): string {
  return `<env:Envelope xmlns:env="${SOAP12_NS}"${envelopeAttributes}>${inner}</env:Envelope>`;
}

function soap11(inner: string): string {
  return `<env:Envelope xmlns:env="${SOAP11_NS}">${inner}</env:Envelope>`;
}

function assertEnvelopeFault(body: Uint8Array | string, contentType: string | undefined, kind: EnvelopeFaultKind, reason?: RegExp): void {
  assert.throws(
    () => parseEnvelope(body, contentType),
    (error: unknown) => {
      assert.ok(error instanceof EnvelopeFault, String(error));
      assert.equal(error.kind, kind, error.message);
      if (reason) assert.match(error.message, reason);
      return true;
    },
  );
}

describe('parseEnvelope: the spec examples and real clients', () => {
  const files = readdirSync(VECTORS).filter((name) => name.endsWith('.xml'));

  test('the vectors directory holds the 20 request examples of protocol §5', () => {
    assert.equal(files.length, 20);
  });

  for (const file of files) {
    test(`protocol §5 example ${file} is a SOAP 1.2 request for its operation`, () => {
      const { version, operation } = parseEnvelope(vector(file), SOAP12_TYPE);
      assert.equal(version, '1.2');
      assert.equal(operation.ns, SSO_NS);
      assert.equal(operation.local, file.replace(/^\d+-|\.xml$/g, ''));
    });
  }

  test('protocol §5.17 authenticate: the same body in a SOAP 1.1 envelope is SOAP 1.1', () => {
    const body = vector('17-authenticate.xml').replaceAll(SOAP12_NS, SOAP11_NS);
    const { version, operation } = parseEnvelope(body, 'text/xml');
    assert.equal(version, '1.1');
    assert.equal(operation.local, 'authenticate');
    assert.deepEqual(
      operation.children.map((field) => field.local),
      ['login', 'password', 'baseUrl'],
    );
  });

  test('requests as python3-zeep sends them (soap-env and ns0 prefixes), SOAP 1.1 and 1.2', () => {
    const fields = `<ns0:authenticate xmlns:ns0="${SSO_NS}"><ns0:login>a@b</ns0:login><ns0:password> p </ns0:password><ns0:baseUrl>https://x.example:8443/</ns0:baseUrl></ns0:authenticate>`;
    for (const [ns, type, version] of [
      [SOAP11_NS, 'text/xml; charset=utf-8', '1.1'],
      [SOAP12_NS, 'application/soap+xml; charset=utf-8; action="urn:x"', '1.2'],
    ] as const) {
      const parsed = parseEnvelope(
        `<soap-env:Envelope xmlns:soap-env="${ns}"><soap-env:Body>${fields}</soap-env:Body></soap-env:Envelope>`,
        type,
      );
      assert.equal(parsed.version, version);
      assert.equal(parsed.operation.children[1]?.text, ' p ');
    }
  });

  test('a default-namespace envelope with an XML declaration and comments', () => {
    const body = `<?xml version="1.0" encoding="UTF-8"?>\n<!-- hi --><Envelope xmlns="${SOAP12_NS}">\n <Header></Header>\n <Body><!-- x -->\n  <authenticate xmlns="${SSO_NS}"><login>a</login></authenticate>\n </Body>\n</Envelope>\n`;
    const { operation } = parseEnvelope(body, SOAP12_TYPE);
    assert.equal(operation.local, 'authenticate');
    assert.equal(operation.ns, SSO_NS);
  });

  test('Content-Type: case-insensitive media type, parameters allowed, quoted charset', () => {
    assert.equal(parseEnvelope(soap12(`<env:Body>${OPERATION}</env:Body>`), 'Application/SOAP+XML;Charset="UTF-8"').version, '1.2');
    assert.equal(parseEnvelope(soap11(`<env:Body>${OPERATION}</env:Body>`), ' TEXT/XML ').version, '1.1');
  });

  test('header blocks that need not be understood are ignored', () => {
    const headers = [
      `<h:a xmlns:h="urn:h"/>`,
      `<h:b xmlns:h="urn:h" env:mustUnderstand="false"/>`,
      `<h:c xmlns:h="urn:h" env:mustUnderstand="0"/>`,
      // SOAP 1.2 Part 1 §5.2.2: blocks for the "none" role or a role we do not play are not ours.
      `<h:d xmlns:h="urn:h" env:mustUnderstand="true" env:role="${SOAP12_NS}/role/none"/>`,
      `<h:e xmlns:h="urn:h" env:mustUnderstand="1" env:role="urn:some-other-node"/>`,
      // Not in the envelope namespace: not the SOAP attribute.
      `<h:f xmlns:h="urn:h" h:mustUnderstand="1"/>`,
    ].join('');
    assert.equal(
      parseEnvelope(soap12(`<env:Header>${headers}</env:Header><env:Body>${OPERATION}</env:Body>`), SOAP12_TYPE).operation.local,
      'authenticate',
    );
  });
});

describe('versionFromContentType', () => {
  test('text/xml is SOAP 1.1, application/soap+xml is SOAP 1.2, anything else null', () => {
    assert.equal(versionFromContentType('text/xml'), '1.1');
    assert.equal(versionFromContentType('text/xml; charset=utf-8'), '1.1');
    assert.equal(versionFromContentType('application/soap+xml; action="http://swsoft.com/schemas/sso/1/listApplications"'), '1.2');
    for (const other of [undefined, '', 'application/xml', 'text/plain', 'text/xmlx', 'multipart/related; type="application/xop+xml"']) {
      assert.equal(versionFromContentType(other), null, String(other));
    }
  });
});

describe('parseEnvelope: section A of the catalog (docs/SECURITY.md)', () => {
  test('A1: a DOCTYPE in the envelope is a Sender fault', () => {
    assertEnvelopeFault(
      `<!DOCTYPE e [<!ENTITY x SYSTEM "file:///etc/passwd">]>${soap12(`<env:Body>${OPERATION}</env:Body>`)}`,
      SOAP12_TYPE,
      'Sender',
      /DOCTYPE/,
    );
  });

  test('A6: a processing instruction in the envelope is a Sender fault', () => {
    assertEnvelopeFault(soap12(`<env:Body><?pi x?>${OPERATION}</env:Body>`), SOAP12_TYPE, 'Sender', /Processing/);
  });

  test('A7: the action parameter and SOAPAction never choose the operation', () => {
    const body = soap12(`<env:Body><sso:deleteUser xmlns:sso="${SSO_NS}"/></env:Body>`);
    const { operation } = parseEnvelope(body, `application/soap+xml; action="${SSO_NS}/getSettings"`);
    assert.equal(operation.local, 'deleteUser');
  });

  test('A8: two Body children are a Sender fault', () => {
    assertEnvelopeFault(soap12(`<env:Body>${OPERATION}${OPERATION}</env:Body>`), SOAP12_TYPE, 'Sender', /exactly one element/);
  });

  test('A8: an empty Body is a Sender fault', () => {
    assertEnvelopeFault(soap12('<env:Body/>'), SOAP12_TYPE, 'Sender', /exactly one element/);
  });

  test('A8: Header after Body is a Sender fault', () => {
    assertEnvelopeFault(soap12(`<env:Body>${OPERATION}</env:Body><env:Header/>`), SOAP12_TYPE, 'Sender');
  });

  test('A8: two Bodies, two Headers, no Body, or an element after the Body are Sender faults', () => {
    assertEnvelopeFault(soap12(`<env:Body>${OPERATION}</env:Body><env:Body>${OPERATION}</env:Body>`), SOAP12_TYPE, 'Sender');
    assertEnvelopeFault(soap12(`<env:Header/><env:Header/><env:Body>${OPERATION}</env:Body>`), SOAP12_TYPE, 'Sender');
    assertEnvelopeFault(soap12('<env:Header/>'), SOAP12_TYPE, 'Sender');
    assertEnvelopeFault(soap12(''), SOAP12_TYPE, 'Sender');
    assertEnvelopeFault(soap12(`<env:Body>${OPERATION}</env:Body><x:extra xmlns:x="urn:x"/>`), SOAP12_TYPE, 'Sender');
  });

  test('A8: a Body or Header of another namespace is a Sender fault', () => {
    assertEnvelopeFault(soap12(`<env:Body xmlns:env="${SOAP11_NS}">${OPERATION}</env:Body>`), SOAP12_TYPE, 'Sender');
    assertEnvelopeFault(soap12(`<Body>${OPERATION}</Body>`), SOAP12_TYPE, 'Sender');
    assertEnvelopeFault(soap12(`<h:Header xmlns:h="urn:h"/><env:Body>${OPERATION}</env:Body>`), SOAP12_TYPE, 'Sender');
  });

  test('A8: text in the Envelope, Header or Body is a Sender fault', () => {
    assertEnvelopeFault(soap12(`text<env:Body>${OPERATION}</env:Body>`), SOAP12_TYPE, 'Sender', /text/);
    assertEnvelopeFault(soap12(`<env:Header>text</env:Header><env:Body>${OPERATION}</env:Body>`), SOAP12_TYPE, 'Sender', /text/);
    assertEnvelopeFault(soap12(`<env:Body>${OPERATION}text</env:Body>`), SOAP12_TYPE, 'Sender', /text/);
  });

  test('A8: an Envelope of another namespace is VersionMismatch', () => {
    assertEnvelopeFault(
      `<env:Envelope xmlns:env="http://example.com/soap/9"><env:Body>${OPERATION}</env:Body></env:Envelope>`,
      SOAP12_TYPE,
      'VersionMismatch',
    );
    assertEnvelopeFault(`<Envelope><Body>${OPERATION}</Body></Envelope>`, SOAP11_TYPE, 'VersionMismatch');
  });

  test('A8: a document element that is not an Envelope is a Sender fault', () => {
    assertEnvelopeFault(OPERATION, SOAP12_TYPE, 'Sender', /Envelope/);
    assertEnvelopeFault(`<env:Body xmlns:env="${SOAP12_NS}">${OPERATION}</env:Body>`, SOAP12_TYPE, 'Sender', /Envelope/);
  });

  test('A8: an unknown mustUnderstand="1" header is MustUnderstand (SOAP 1.2)', () => {
    const header = `<env:Header><sec:Security xmlns:sec="urn:sec" env:mustUnderstand="true"/></env:Header>`;
    assert.throws(
      () => parseEnvelope(soap12(`${header}<env:Body>${OPERATION}</env:Body>`), SOAP12_TYPE),
      (error: unknown) => {
        assert.ok(error instanceof MustUnderstandFault);
        assert.equal(error.kind, 'MustUnderstand');
        assert.deepEqual(error.header, { ns: 'urn:sec', local: 'Security' });
        return true;
      },
    );
    const next = `<env:Header><h:x xmlns:h="urn:h" env:mustUnderstand="1" env:role="${SOAP12_NS}/role/next"/></env:Header>`;
    assertEnvelopeFault(soap12(`${next}<env:Body>${OPERATION}</env:Body>`), SOAP12_TYPE, 'MustUnderstand');
  });

  test('A8: an unknown mustUnderstand="1" header is MustUnderstand (SOAP 1.1)', () => {
    const header = `<env:Header><h:x xmlns:h="urn:h" env:mustUnderstand="1"/></env:Header>`;
    assertEnvelopeFault(soap11(`${header}<env:Body>${OPERATION}</env:Body>`), SOAP11_TYPE, 'MustUnderstand');
  });

  test('A8: a mustUnderstand value that is not a boolean is a Sender fault', () => {
    const header = `<env:Header><h:x xmlns:h="urn:h" env:mustUnderstand="yes"/></env:Header>`;
    assertEnvelopeFault(soap12(`${header}<env:Body>${OPERATION}</env:Body>`), SOAP12_TYPE, 'Sender', /mustUnderstand/);
    // SOAP 1.1 §4.2.3 knows only "0" and "1".
    const soap11Header = `<env:Header><h:x xmlns:h="urn:h" env:mustUnderstand="true"/></env:Header>`;
    assertEnvelopeFault(soap11(`${soap11Header}<env:Body>${OPERATION}</env:Body>`), SOAP11_TYPE, 'Sender', /mustUnderstand/);
  });

  test('A8: a SOAP 1.2 envelope sent as text/xml, or 1.1 as application/soap+xml, is a Sender fault', () => {
    assertEnvelopeFault(soap12(`<env:Body>${OPERATION}</env:Body>`), SOAP11_TYPE, 'Sender', /application\/soap\+xml/);
    assertEnvelopeFault(soap11(`<env:Body>${OPERATION}</env:Body>`), SOAP12_TYPE, 'Sender', /text\/xml/);
  });

  test('A8: a missing or foreign Content-Type, or a charset other than UTF-8, is a Sender fault', () => {
    const body = soap12(`<env:Body>${OPERATION}</env:Body>`);
    assertEnvelopeFault(body, undefined, 'Sender', /Content-Type/);
    assertEnvelopeFault(body, 'application/json', 'Sender', /Content-Type/);
    assertEnvelopeFault(body, 'application/soap+xml; charset=iso-8859-1', 'Sender', /utf-8/);
  });

  test('an accepted Content-Type is remembered; a refused one is refused every time, however many types were seen', () => {
    const body = soap12(`<env:Body>${OPERATION}</env:Body>`);
    for (let round = 0; round < 3; round += 1) {
      for (let i = 0; i < 100; i += 1) assert.equal(parseEnvelope(body, `application/soap+xml; charset=utf-8; n=${i}`).version, '1.2');
      assert.equal(parseEnvelope(body, SOAP12_TYPE).version, '1.2');
      assertEnvelopeFault(body, 'application/soap+xml; charset=iso-8859-1', 'Sender', /utf-8/);
      assertEnvelopeFault(body, SOAP11_TYPE, 'Sender', /application\/soap\+xml/);
      assert.equal(versionFromContentType('application/json'), null);
    }
  });
});

describe('parseEnvelope: the body as received (bytes)', () => {
  const login = (bytes: Buffer): Buffer =>
    Buffer.concat([
      Buffer.from(`<env:Envelope xmlns:env="${SOAP12_NS}"><env:Body><sso:authenticate xmlns:sso="${SSO_NS}"><sso:login>`),
      bytes,
      Buffer.from('</sso:login></sso:authenticate></env:Body></env:Envelope>'),
    ]);
  const loginOf = (body: Uint8Array, contentType = SOAP12_TYPE): string | undefined =>
    parseEnvelope(body, contentType).operation.children[0]?.text;

  test('valid UTF-8 reads as the same text as the string; a UTF-8 byte order mark is dropped', () => {
    assert.equal(loginOf(login(Buffer.from('jürgen ☃ 𝄞'))), 'jürgen ☃ 𝄞');
    assert.equal(loginOf(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), login(Buffer.from('bom'))])), 'bom');
    assert.equal(
      loginOf(
        Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf, ...Buffer.from('<?xml version="1.0" encoding="UTF-8"?>')]), login(Buffer.from('ü'))]),
      ),
      'ü',
    );
  });

  test('F43: Latin-1 bytes declared UTF-8 are a Sender fault, never replacement characters', () => {
    for (const bytes of [
      [0x70, 0xe4, 0x73, 0x73],
      [0x70, 0xf6, 0x73, 0x73],
      [0xc3],
      [0xed, 0xa0, 0x80],
      [0xc0, 0xaf],
      [0xf4, 0x90, 0x80, 0x80],
    ]) {
      assertEnvelopeFault(login(Buffer.from(bytes)), SOAP12_TYPE, 'Sender', /not valid UTF-8/);
      assertEnvelopeFault(login(Buffer.from(bytes)), 'application/soap+xml', 'Sender', /not valid UTF-8/);
    }
    // U+FFFD itself, sent as UTF-8, is text like any other: only invalid bytes are refused.
    assert.equal(loginOf(login(Buffer.from('p\uFFFDss'))), 'p\uFFFDss');
  });

  test('F43: a UTF-16 body (with its byte order mark) is a Sender fault', () => {
    const text = `<env:Envelope xmlns:env="${SOAP12_NS}"><env:Body>${OPERATION}</env:Body></env:Envelope>`;
    assertEnvelopeFault(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]), SOAP12_TYPE, 'Sender', /not valid UTF-8/);
  });

  test('F43: US-ASCII is accepted where the body is ASCII; other bytes under a US-ASCII declaration are a Sender fault', () => {
    const declared = (bytes: Buffer): Buffer => Buffer.concat([Buffer.from('<?xml version="1.0" encoding="US-ASCII"?>'), login(bytes)]);
    assert.equal(loginOf(login(Buffer.from('ascii')), 'application/soap+xml; charset=us-ascii'), 'ascii');
    assert.equal(loginOf(declared(Buffer.from('ascii'))), 'ascii');
    assertEnvelopeFault(login(Buffer.from('jürgen')), 'application/soap+xml; charset=us-ascii', 'Sender', /US-ASCII/);
    assertEnvelopeFault(declared(Buffer.from('jürgen')), SOAP12_TYPE, 'Sender', /US-ASCII/);
    assert.equal(loginOf(login(Buffer.from('jürgen'))), 'jürgen');
  });
});
