// Replies and faults, read back with our own parser: the shapes of protocol §5 replies, and the fault
// codes, subcodes and HTTP statuses of docs/DECISIONS.md "Faults" (protocol §6.2) for SOAP 1.1 and 1.2.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EnvelopeFault, FAULT_CODES, FAULTS, ProtocolFault, SSO_NS, SSOX_NS } from '../../../src/adapters/soap/faults.js';
import type { Operation, OutputSpec } from '../../../src/adapters/soap/operations/types.js';
import { MustUnderstandFault, SOAP11_NS, SOAP12_NS, type SoapVersion } from '../../../src/adapters/soap/envelope.js';
import { contentTypeOf, serializeFault, serializeResponse } from '../../../src/adapters/soap/serialize.js';
import { parseXml, type XmlElement } from '../../../src/infra/xml.js';
import { declaredOperation } from '../../helpers/operations.js';

const XML_NS = 'http://www.w3.org/XML/1998/namespace';
const ENVELOPE_NS: Record<SoapVersion, string> = { '1.1': SOAP11_NS, '1.2': SOAP12_NS };

function operationWith(name: string, output: readonly OutputSpec[]): Operation {
  return declaredOperation({ name, output });
}

const authenticate = operationWith('authenticate', [
  { name: 'relayToken', optional: true, doc: 'token' },
  { name: 'sessionId', optional: true, doc: 'session' },
  { name: 'userId', doc: 'user' },
]);
const getSettings = operationWith('getSettings', [
  { name: 'usersSessionsTimeout', doc: 'timeout' },
  { name: 'relayEndpointUrl', doc: 'relay' },
  { name: 'passwordHash', shape: 'repeated', doc: 'hash types' },
]);
const listApplications = operationWith('listApplications', [{ name: 'applicationsList', shape: 'list', doc: 'ids' }]);
const closeSession = operationWith('closeSession', []);

function child(element: XmlElement | undefined, ns: string, local: string): XmlElement {
  const found = element?.children.find((candidate) => candidate.ns === ns && candidate.local === local);
  assert.ok(found, `no ${local} in ${element?.local ?? 'nothing'}`);
  return found;
}

/** Parses a reply and returns the single child of its Body, checking the envelope on the way. */
function bodyChild(version: SoapVersion, xml: string): XmlElement {
  const envelope = parseXml(xml);
  assert.equal(envelope.ns, ENVELOPE_NS[version]);
  assert.equal(envelope.local, 'Envelope');
  const body = child(envelope, ENVELOPE_NS[version], 'Body');
  assert.equal(body.children.length, 1);
  return body.children[0] as XmlElement;
}

function fields(element: XmlElement): Array<[string, string]> {
  return element.children.map((field) => {
    assert.equal(field.ns, SSO_NS);
    return [field.local, field.text];
  });
}

describe('serializeResponse', () => {
  for (const version of ['1.1', '1.2'] as const) {
    test(`protocol §5.17 authenticate reply, SOAP ${version}: declared order, optional fields omitted`, () => {
      const full = bodyChild(version, serializeResponse(version, authenticate, { userId: 'u', sessionId: 's', relayToken: 'r' }));
      assert.equal(full.ns, SSO_NS);
      assert.equal(full.local, 'authenticateResponse');
      assert.deepEqual(fields(full), [
        ['relayToken', 'r'],
        ['sessionId', 's'],
        ['userId', 'u'],
      ]);
      const bare = bodyChild(version, serializeResponse(version, authenticate, { userId: 'u', sessionId: undefined }));
      assert.deepEqual(fields(bare), [['userId', 'u']]);
    });
  }

  test('protocol §5.20 getSettings reply: a repeated element per item, named getSettingsResponse (erratum)', () => {
    const reply = bodyChild(
      '1.2',
      serializeResponse('1.2', getSettings, {
        usersSessionsTimeout: '6000',
        relayEndpointUrl: 'http://sso.example.com:1180/relay',
        passwordHash: ['sha1', 'md5', 'sha256'],
      }),
    );
    assert.equal(reply.local, 'getSettingsResponse');
    assert.deepEqual(fields(reply), [
      ['usersSessionsTimeout', '6000'],
      ['relayEndpointUrl', 'http://sso.example.com:1180/relay'],
      ['passwordHash', 'sha1'],
      ['passwordHash', 'md5'],
      ['passwordHash', 'sha256'],
    ]);
  });

  test('protocol §5.3 listApplications reply: a list wraps sso:a items; an empty list is an empty wrapper', () => {
    const ids = ['71f612fb-c435-4108-8ef5-1eea2123b158', 'b75a1d5d-3304-4486-ac5a-8d091e55c5bc', 'b0c1127f-bea4-4327-a032-3e8a79afcc6a'];
    const list = child(bodyChild('1.2', serializeResponse('1.2', listApplications, { applicationsList: ids })), SSO_NS, 'applicationsList');
    assert.deepEqual(
      fields(list),
      ids.map((id) => ['a', id]),
    );
    const empty = child(bodyChild('1.1', serializeResponse('1.1', listApplications, { applicationsList: [] })), SSO_NS, 'applicationsList');
    assert.equal(empty.children.length, 0);
  });

  test('an extension reply (docs/EXTENSIONS.md): its response element and fields in ssox, declared on the element; the envelope is the protocol one', () => {
    const extension = declaredOperation({
      namespace: SSOX_NS,
      name: 'getSignOnMethod',
      section: null,
      output: [
        { name: 'method', doc: 'method' },
        { name: 'sources', shape: 'list', doc: 'list' },
      ],
    });
    const xml = serializeResponse('1.1', extension, { method: 'local', sources: ['a&b'] });
    assert.ok(
      xml.startsWith(
        `<env:Envelope xmlns:env="${SOAP11_NS}" xmlns:sso="${SSO_NS}"><env:Body><ssox:getSignOnMethodResponse xmlns:ssox="${SSOX_NS}">`,
      ),
    );
    const reply = bodyChild('1.1', xml);
    assert.equal(reply.ns, SSOX_NS);
    assert.deepEqual(
      reply.children.map((field) => [field.ns, field.local, field.text]),
      [
        [SSOX_NS, 'method', 'local'],
        [SSOX_NS, 'sources', ''],
      ],
    );
    assert.deepEqual(
      child(reply, SSOX_NS, 'sources').children.map((item) => [item.ns, item.local, item.text]),
      [[SSOX_NS, 'a', 'a&b']],
    );
  });

  test('protocol §5.19 closeSession reply: an empty response element', () => {
    const reply = bodyChild('1.2', serializeResponse('1.2', closeSession, {}));
    assert.equal(reply.local, 'closeSessionResponse');
    assert.equal(reply.children.length, 0);
  });

  test('markup in values is escaped and reads back unchanged', () => {
    const tricky = '<sso:userId>x</sso:userId> & ]]> "quoted"\r\n';
    const reply = bodyChild('1.2', serializeResponse('1.2', authenticate, { userId: tricky }));
    assert.deepEqual(fields(reply), [['userId', tricky]]);
  });

  test('characters XML 1.0 cannot carry are replaced by U+FFFD, never emitted raw', () => {
    const reply = bodyChild('1.2', serializeResponse('1.2', authenticate, { userId: 'a\u0000b\u001Bc\uD800d\uFFFF' }));
    assert.deepEqual(fields(reply), [['userId', 'a\uFFFDb\uFFFDc\uFFFDd\uFFFD']]);
  });

  test('outputs the operation does not declare are never emitted', () => {
    const reply = bodyChild('1.2', serializeResponse('1.2', authenticate, { userId: 'u', passwordHash: 'secret' }));
    assert.deepEqual(fields(reply), [['userId', 'u']]);
  });

  test('a missing required output or a value of the wrong shape is a plain Error (internalError)', () => {
    const isPlainError = (error: unknown): boolean => error instanceof Error && !(error instanceof ProtocolFault);
    assert.throws(() => serializeResponse('1.2', authenticate, {}), isPlainError);
    assert.throws(() => serializeResponse('1.2', authenticate, { userId: ['u'] }), isPlainError);
    assert.throws(() => serializeResponse('1.2', listApplications, { applicationsList: 'x' }), isPlainError);
  });

  test('contentTypeOf', () => {
    assert.equal(contentTypeOf('1.1'), 'text/xml; charset=utf-8');
    assert.equal(contentTypeOf('1.2'), 'application/soap+xml; charset=utf-8');
  });
});

interface Soap12Fault {
  code: string;
  subcode: string | undefined;
  reason: XmlElement;
  detail: XmlElement | undefined;
  header: XmlElement | undefined;
}

function readSoap12Fault(xml: string): Soap12Fault {
  const envelope = parseXml(xml);
  const fault = bodyChild('1.2', xml);
  assert.equal(fault.local, 'Fault');
  const code = child(fault, SOAP12_NS, 'Code');
  const subcode = code.children.find((element) => element.local === 'Subcode');
  return {
    code: child(code, SOAP12_NS, 'Value').text,
    subcode: subcode === undefined ? undefined : child(subcode, SOAP12_NS, 'Value').text,
    reason: child(child(fault, SOAP12_NS, 'Reason'), SOAP12_NS, 'Text'),
    detail: fault.children.find((element) => element.local === 'Detail'),
    header: envelope.children.find((element) => element.local === 'Header'),
  };
}

function readSoap11Fault(xml: string): { faultcode: string; faultstring: string; detail: XmlElement | undefined } {
  const fault = bodyChild('1.1', xml);
  assert.equal(fault.local, 'Fault');
  return {
    faultcode: child(fault, '', 'faultcode').text,
    faultstring: child(fault, '', 'faultstring').text,
    detail: fault.children.find((element) => element.local === 'detail'),
  };
}

describe('serializeFault: protocol faults (protocol §6.2)', () => {
  for (const code of FAULT_CODES) {
    const sender = FAULTS[code].soap12Code === 'Sender';

    test(`SOAP 1.2 ${code}: env:${FAULTS[code].soap12Code} / sso:${code}, HTTP ${sender ? 400 : 500}`, () => {
      const { status, body } = serializeFault('1.2', new ProtocolFault(code, 'Short reason.'));
      assert.equal(status, sender ? 400 : 500);
      const fault = readSoap12Fault(body);
      assert.equal(fault.code, `env:${FAULTS[code].soap12Code}`);
      assert.equal(fault.subcode, `sso:${code}`);
      assert.equal(fault.reason.text, 'Short reason.');
      assert.equal(fault.reason.attributes.get(`{${XML_NS}}lang`), 'en');
      assert.deepEqual(
        fault.detail?.children.map((element) => [element.ns, element.local, element.text]),
        [[SSO_NS, code, 'Short reason.']],
      );
    });

    test(`SOAP 1.1 ${code}: faultcode sso:${code}, HTTP 500`, () => {
      const { status, body } = serializeFault('1.1', new ProtocolFault(code, 'Short reason.'));
      assert.equal(status, 500);
      const fault = readSoap11Fault(body);
      assert.equal(fault.faultcode, `sso:${code}`);
      assert.equal(fault.faultstring, 'Short reason.');
      assert.deepEqual(
        fault.detail?.children.map((element) => [element.ns, element.local, element.text]),
        [[SSO_NS, code, 'Short reason.']],
      );
    });
  }

  test('the sso prefix of a fault code is bound to the sso namespace', () => {
    for (const version of ['1.1', '1.2'] as const) {
      assert.ok(
        serializeFault(version, new ProtocolFault('noSuchUser')).body.startsWith(
          `<env:Envelope xmlns:env="${ENVELOPE_NS[version]}" xmlns:sso="${SSO_NS}">`,
        ),
      );
    }
  });

  test('a fault without a reason uses the description in the protocol fault table', () => {
    assert.equal(
      readSoap12Fault(serializeFault('1.2', new ProtocolFault('noSuchSession')).body).reason.text,
      FAULTS.noSuchSession.description,
    );
  });

  test('an unexpected error (null) is internalError with the table text only, SOAP 1.2 HTTP 500', () => {
    const { status, body } = serializeFault('1.2', null);
    assert.equal(status, 500);
    const fault = readSoap12Fault(body);
    assert.equal(fault.code, 'env:Receiver');
    assert.equal(fault.subcode, 'sso:internalError');
    assert.equal(fault.reason.text, FAULTS.internalError.description);
  });

  test('an unexpected error (null) in SOAP 1.1 is faultcode sso:internalError, HTTP 500', () => {
    const { status, body } = serializeFault('1.1', null);
    assert.equal(status, 500);
    assert.equal(readSoap11Fault(body).faultcode, 'sso:internalError');
  });

  test('a reason with markup is escaped', () => {
    const fault = readSoap12Fault(serializeFault('1.2', new ProtocolFault('invalidParameter', '<b>&</b>')).body);
    assert.equal(fault.reason.text, '<b>&</b>');
  });
});

describe('serializeFault: envelope faults', () => {
  test('A6: SOAP 1.2 Sender: env:Sender without a subcode, HTTP 400', () => {
    const { status, body } = serializeFault('1.2', new EnvelopeFault('Sender', 'A DOCTYPE is not allowed.'));
    assert.equal(status, 400);
    const fault = readSoap12Fault(body);
    assert.equal(fault.code, 'env:Sender');
    assert.equal(fault.subcode, undefined);
    assert.equal(fault.reason.text, 'A DOCTYPE is not allowed.');
    assert.equal(fault.header, undefined);
  });

  test('A8: SOAP 1.2 VersionMismatch: HTTP 500 and an env:Upgrade header listing both envelopes', () => {
    const { status, body } = serializeFault('1.2', new EnvelopeFault('VersionMismatch', 'Unknown envelope.'));
    assert.equal(status, 500);
    const fault = readSoap12Fault(body);
    assert.equal(fault.code, 'env:VersionMismatch');
    const upgrade = child(fault.header, SOAP12_NS, 'Upgrade');
    assert.deepEqual(
      upgrade.children.map((supported) => [supported.local, supported.attributes.get('qname')]),
      [
        ['SupportedEnvelope', 'v12:Envelope'],
        ['SupportedEnvelope', 'v11:Envelope'],
      ],
    );
    assert.match(body, new RegExp(`xmlns:v12="${SOAP12_NS}"`));
    assert.match(body, new RegExp(`xmlns:v11="${SOAP11_NS}"`));
  });

  test('A8: SOAP 1.2 MustUnderstand: HTTP 500 and env:NotUnderstood naming the header', () => {
    const header: XmlElement = { ns: 'urn:sec', local: 'Security', attributes: new Map(), children: [], text: '' };
    const { status, body } = serializeFault('1.2', new MustUnderstandFault(header));
    assert.equal(status, 500);
    const fault = readSoap12Fault(body);
    assert.equal(fault.code, 'env:MustUnderstand');
    assert.equal(child(fault.header, SOAP12_NS, 'NotUnderstood').attributes.get('qname'), 'h:Security');
    assert.match(body, /xmlns:h="urn:sec"/);
  });

  test('A8: SOAP 1.1 envelope faults are env:Client, env:VersionMismatch, env:MustUnderstand, HTTP 500', () => {
    for (const [kind, faultcode] of [
      ['Sender', 'env:Client'],
      ['VersionMismatch', 'env:VersionMismatch'],
      ['MustUnderstand', 'env:MustUnderstand'],
    ] as const) {
      const { status, body } = serializeFault('1.1', new EnvelopeFault(kind, 'why'));
      assert.equal(status, 500);
      const fault = readSoap11Fault(body);
      assert.equal(fault.faultcode, faultcode);
      assert.equal(fault.faultstring, 'why');
      assert.equal(fault.detail, undefined);
    }
  });
});
