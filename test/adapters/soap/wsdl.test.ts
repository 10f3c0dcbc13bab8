// The generated WSDLs: read back with our parser for their structure, and loaded by python3-zeep
// (when installed) which must see both ports and read our serialized replies and faults with them.
// The protocol's must stay byte for byte what it was; the extensions' (docs/EXTENSIONS.md) declares
// ssod's operations and the protocol operations that take ssox inputs.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { FAULT_CODES, ProtocolFault, SSO_NS, SSOX_NS } from '../../../src/adapters/soap/faults.js';
import { ALL_OPERATIONS, operationNamed } from '../../../src/adapters/soap/operations/index.js';
import type { Operation } from '../../../src/adapters/soap/operations/types.js';
import { serializeFault, serializeResponse } from '../../../src/adapters/soap/serialize.js';
import { generateExtensionWsdl, generateWsdl } from '../../../src/adapters/soap/wsdl.js';
import { parseXml, type XmlElement } from '../../../src/infra/xml.js';
import { defined } from '../../helpers/defined.js';

const WSDL_NS = 'http://schemas.xmlsoap.org/wsdl/';
const XSD_NS = 'http://www.w3.org/2001/XMLSchema';
const WSDL_SOAP11_NS = 'http://schemas.xmlsoap.org/wsdl/soap/';
const WSDL_SOAP12_NS = 'http://schemas.xmlsoap.org/wsdl/soap12/';
const ENDPOINT = 'https://sso.example.com:8443/soap?a=1&b=2';

const authenticate: Operation = {
  namespace: SSO_NS,
  name: 'authenticate',
  section: '5.17',
  summary: 'Authenticates a user <by login>.',
  access: 'guest',
  input: [
    { name: 'login', type: 'string', optional: true, doc: 'login' },
    { name: 'password', type: 'string', doc: 'password' },
    { name: 'baseUrl', type: 'baseUrl', optional: true, doc: 'base url' },
  ],
  output: [
    { name: 'sessionId', optional: true, doc: 'session' },
    { name: 'userId', doc: 'user' },
  ],
  faults: ['invalidParameter', 'internalError', 'invalidCredentials'],
  run: () => Promise.resolve({}),
};
const getSettings: Operation = {
  namespace: SSO_NS,
  name: 'getSettings',
  section: '5.20',
  summary: 'Settings.',
  access: 'guest',
  input: [],
  output: [
    { name: 'usersSessionsTimeout', doc: 'timeout' },
    { name: 'passwordHash', shape: 'repeated', doc: 'hash types' },
  ],
  faults: [],
  run: () => Promise.resolve({}),
};
const listUsers: Operation = {
  namespace: SSO_NS,
  name: 'listUsers',
  section: '5.10',
  summary: 'Lists users.',
  access: 'application',
  input: [],
  output: [{ name: 'usersList', shape: 'list', doc: 'ids' }],
  faults: [],
  run: () => Promise.resolve({}),
};
const OPERATIONS = [authenticate, getSettings, listUsers];
const wsdl = generateWsdl(OPERATIONS, ENDPOINT);
const definitions = parseXml(wsdl, { maxElements: 100_000 });

function childrenNamed(element: XmlElement, ns: string, local: string): XmlElement[] {
  return element.children.filter((candidate) => candidate.ns === ns && candidate.local === local);
}

function named(elements: XmlElement[], name: string): XmlElement {
  const found = elements.find((element) => element.attributes.get('name') === name);
  assert.ok(found, `nothing named ${name}`);
  return found;
}

function only(element: XmlElement | undefined, ns: string, local: string): XmlElement {
  assert.ok(element);
  const [found, ...others] = childrenNamed(element, ns, local);
  assert.ok(found && others.length === 0, `expected one ${local} in ${element.local}`);
  return found;
}

const schema = only(only(definitions, WSDL_NS, 'types'), XSD_NS, 'schema');

/** name, type, minOccurs, maxOccurs of each element in a global element's sequence. */
function sequenceOf(elementName: string): string[][] {
  const sequence = only(only(named(childrenNamed(schema, XSD_NS, 'element'), elementName), XSD_NS, 'complexType'), XSD_NS, 'sequence');
  return sequence.children.map((element) => ['name', 'type', 'minOccurs', 'maxOccurs'].map((key) => element.attributes.get(key) ?? '-'));
}

describe('generateWsdl: structure', () => {
  test('a WSDL 1.1 definitions for the sso namespace with a qualified schema', () => {
    assert.ok(wsdl.startsWith('<?xml version="1.0" encoding="UTF-8"?>'));
    assert.equal(definitions.ns, WSDL_NS);
    assert.equal(definitions.local, 'definitions');
    assert.equal(definitions.attributes.get('targetNamespace'), SSO_NS);
    assert.equal(schema.attributes.get('targetNamespace'), SSO_NS);
    assert.equal(schema.attributes.get('elementFormDefault'), 'qualified');
  });

  test('request elements list the input fields in order, optional ones with minOccurs 0', () => {
    assert.deepEqual(sequenceOf('authenticate'), [
      ['login', 'xs:string', '0', '-'],
      ['password', 'xs:string', '-', '-'],
      ['baseUrl', 'xs:string', '0', '-'],
    ]);
    assert.deepEqual(sequenceOf('getSettings'), []);
  });

  test('response elements: single, optional, repeated and list outputs', () => {
    assert.deepEqual(sequenceOf('authenticateResponse'), [
      ['sessionId', 'xs:string', '0', '-'],
      ['userId', 'xs:string', '-', '-'],
    ]);
    assert.deepEqual(sequenceOf('getSettingsResponse'), [
      ['usersSessionsTimeout', 'xs:string', '-', '-'],
      ['passwordHash', 'xs:string', '0', 'unbounded'],
    ]);
    assert.deepEqual(sequenceOf('listUsersResponse'), [['usersList', 'sso:stringList', '-', '-']]);
    // protocol §5.3: the items of a list are sso:a elements.
    const list = named(childrenNamed(schema, XSD_NS, 'complexType'), 'stringList');
    assert.deepEqual(
      only(list, XSD_NS, 'sequence').children.map((element) => [...element.attributes]),
      [
        [
          ['name', 'a'],
          ['type', 'xs:string'],
          ['minOccurs', '0'],
          ['maxOccurs', 'unbounded'],
        ],
      ],
    );
  });

  test('one fault element and one fault message per fault code of protocol §6.2', () => {
    const elements = childrenNamed(schema, XSD_NS, 'element');
    const messages = childrenNamed(definitions, WSDL_NS, 'message');
    for (const code of FAULT_CODES) {
      assert.equal(named(elements, code).attributes.get('type'), 'xs:string');
      assert.equal(only(named(messages, `${code}Fault`), WSDL_NS, 'part').attributes.get('element'), `sso:${code}`);
    }
  });

  test('the portType documents each operation with its summary and declares its faults once each', () => {
    const portType = only(definitions, WSDL_NS, 'portType');
    const operation = named(childrenNamed(portType, WSDL_NS, 'operation'), 'authenticate');
    const documentation = defined(operation.children[0], 'the documentation of authenticate');
    assert.equal(documentation.local, 'documentation');
    assert.equal(documentation.text, 'Authenticates a user <by login>.');
    const faults = childrenNamed(operation, WSDL_NS, 'fault').map((fault) => fault.attributes.get('name'));
    assert.deepEqual(faults, ['invalidParameter', 'internalError', 'invalidCredentials', 'FailedAuthentication']);
    const settingsFaults = childrenNamed(named(childrenNamed(portType, WSDL_NS, 'operation'), 'getSettings'), WSDL_NS, 'fault');
    assert.deepEqual(
      settingsFaults.map((fault) => fault.attributes.get('name')),
      ['FailedAuthentication', 'internalError'],
    );
  });

  test('two document/literal bindings, SOAP 1.1 and SOAP 1.2, with a soapAction per operation', () => {
    const bindings = childrenNamed(definitions, WSDL_NS, 'binding');
    assert.equal(bindings.length, 2);
    for (const [name, ns] of [
      ['SSOSoap11Binding', WSDL_SOAP11_NS],
      ['SSOSoap12Binding', WSDL_SOAP12_NS],
    ] as const) {
      const binding = named(bindings, name);
      assert.equal(only(binding, ns, 'binding').attributes.get('style'), 'document');
      for (const operation of childrenNamed(binding, WSDL_NS, 'operation')) {
        const operationName = operation.attributes.get('name') ?? '';
        assert.equal(only(operation, ns, 'operation').attributes.get('soapAction'), `${SSO_NS}/${operationName}`);
        assert.equal(only(only(operation, WSDL_NS, 'input'), ns, 'body').attributes.get('use'), 'literal');
        for (const fault of childrenNamed(operation, WSDL_NS, 'fault')) {
          assert.equal(only(fault, ns, 'fault').attributes.get('name'), fault.attributes.get('name'));
        }
      }
      assert.deepEqual(
        childrenNamed(binding, WSDL_NS, 'operation').map((operation) => operation.attributes.get('name')),
        ['authenticate', 'getSettings', 'listUsers'],
      );
    }
  });

  test('a service with a SOAP 1.1 and a SOAP 1.2 port at the endpoint (escaped)', () => {
    const ports = childrenNamed(only(definitions, WSDL_NS, 'service'), WSDL_NS, 'port');
    assert.deepEqual(
      ports.map((port) => [port.attributes.get('binding'), port.children[0]?.ns, port.children[0]?.attributes.get('location')]),
      [
        ['sso:SSOSoap11Binding', WSDL_SOAP11_NS, ENDPOINT],
        ['sso:SSOSoap12Binding', WSDL_SOAP12_NS, ENDPOINT],
      ],
    );
  });
});

describe('generateWsdl: the protocol WSDL never changes', () => {
  test('the WSDL of the operation table is byte for byte the one applications were written against', () => {
    const frozen = readFileSync(new URL('../../../../test/vectors/wsdl/protocol.wsdl', import.meta.url), 'utf8');
    // The whole table, as the server gives it: the extensions and the ssox inputs are left out.
    assert.equal(generateWsdl(ALL_OPERATIONS, 'https://sso.example.com:8443/soap'), frozen);
  });
});

const extensionWsdl = generateExtensionWsdl(ALL_OPERATIONS, ENDPOINT);
const extensionDefinitions = parseXml(extensionWsdl, { maxElements: 100_000 });

/** The schema of `namespace` among the extension WSDL's. */
function extensionSchema(namespace: string): XmlElement {
  const schemas = childrenNamed(only(extensionDefinitions, WSDL_NS, 'types'), XSD_NS, 'schema');
  const found = schemas.find((schema) => schema.attributes.get('targetNamespace') === namespace);
  assert.ok(found, `no schema for ${namespace}`);
  return found;
}

/** [name or ref, type, minOccurs] of each particle of a global element's sequence in `within`. */
function particlesOf(within: XmlElement, elementName: string): string[][] {
  const sequence = only(only(named(childrenNamed(within, XSD_NS, 'element'), elementName), XSD_NS, 'complexType'), XSD_NS, 'sequence');
  return sequence.children.map((element) => [
    element.attributes.get('name') ?? `ref ${element.attributes.get('ref') ?? ''}`,
    element.attributes.get('type') ?? '-',
    element.attributes.get('minOccurs') ?? '-',
  ]);
}

describe('generateExtensionWsdl: structure', () => {
  test('a WSDL 1.1 definitions for the ssox namespace, with a schema for each namespace; sso imports ssox', () => {
    assert.equal(extensionDefinitions.local, 'definitions');
    assert.equal(extensionDefinitions.attributes.get('targetNamespace'), SSOX_NS);
    const schemas = childrenNamed(only(extensionDefinitions, WSDL_NS, 'types'), XSD_NS, 'schema');
    assert.deepEqual(
      schemas.map((schema) => [schema.attributes.get('targetNamespace'), schema.attributes.get('elementFormDefault')]),
      [
        [SSO_NS, 'qualified'],
        [SSOX_NS, 'qualified'],
      ],
    );
    assert.equal(only(extensionSchema(SSO_NS), XSD_NS, 'import').attributes.get('namespace'), SSOX_NS);
  });

  test('authenticate: the protocol fields, then a reference to the global ssox:originatingIp, optional', () => {
    assert.deepEqual(particlesOf(extensionSchema(SSO_NS), 'authenticate'), [
      ['login', 'xs:string', '0'],
      ['userId', 'xs:string', '0'],
      ['password', 'xs:string', '0'],
      ['baseUrl', 'xs:string', '0'],
      ['ref ssox:originatingIp', '-', '0'],
    ]);
    const global = named(childrenNamed(extensionSchema(SSOX_NS), XSD_NS, 'element'), 'originatingIp');
    assert.equal(global.attributes.get('type'), 'xs:string');
    assert.equal(global.attributes.get('minOccurs'), undefined, 'a global element has no occurrence of its own');
  });

  test('the ssox schema declares ssox:getSignOnMethod and its response; the sso schema only what the extension document uses', () => {
    assert.deepEqual(particlesOf(extensionSchema(SSOX_NS), 'getSignOnMethod'), [['userId', 'xs:string', '-']]);
    assert.deepEqual(particlesOf(extensionSchema(SSOX_NS), 'getSignOnMethodResponse'), [['method', 'xs:string', '-']]);
    const ssoElements = childrenNamed(extensionSchema(SSO_NS), XSD_NS, 'element').map((element) => element.attributes.get('name'));
    assert.deepEqual(ssoElements, ['authenticate', 'authenticateResponse', ...FAULT_CODES]);
  });

  test('the session variable operations: typed booleans and counts, and repeated records of text fields', () => {
    const ssox = extensionSchema(SSOX_NS);
    assert.deepEqual(particlesOf(ssox, 'declareSessionVariable'), [
      ['name', 'xs:string', '-'],
      ['defaultValue', 'xs:string', '-'],
      ['maxLength', 'xs:nonNegativeInteger', '-'],
      ['readable', 'xs:boolean', '-'],
      ['writable', 'xs:boolean', '-'],
    ]);
    assert.deepEqual(particlesOf(ssox, 'setSessionVariable')[1], ['owner', 'xs:string', '0']);
    const response = only(
      only(named(childrenNamed(ssox, XSD_NS, 'element'), 'verifySessionResponse'), XSD_NS, 'complexType'),
      XSD_NS,
      'sequence',
    );
    const variable = named([...response.children], 'variable');
    assert.equal(variable.attributes.get('maxOccurs'), 'unbounded');
    assert.deepEqual(particlesOf(response, 'variable'), [
      ['owner', 'xs:string', '-'],
      ['name', 'xs:string', '-'],
      ['value', 'xs:string', '-'],
      ['version', 'xs:string', '-'],
    ]);
  });

  test('one portType and two bindings with the ssox operations and the extended protocol ones; messages point at each namespace', () => {
    const portType = only(extensionDefinitions, WSDL_NS, 'portType');
    assert.deepEqual(
      childrenNamed(portType, WSDL_NS, 'operation').map((operation) => operation.attributes.get('name')),
      [
        'authenticate',
        'getSignOnMethod',
        'verifyTicket',
        'declareSessionVariable',
        'listSessionVariableDeclarations',
        'removeSessionVariable',
        'getSessionVariable',
        'setSessionVariable',
        'verifySession',
        'setSessionStartCallback',
        'getSessionStartCallback',
      ],
    );
    const messages = childrenNamed(extensionDefinitions, WSDL_NS, 'message');
    const part = (name: string): string | undefined => only(named(messages, name), WSDL_NS, 'part').attributes.get('element');
    assert.equal(part('authenticateRequest'), 'sso:authenticate');
    assert.equal(part('getSignOnMethodRequest'), 'ssox:getSignOnMethod');
    assert.equal(part('getSignOnMethodResponse'), 'ssox:getSignOnMethodResponse');
    assert.equal(part('verifyTicketRequest'), 'ssox:verifyTicket');
    assert.equal(part('noSuchUserFault'), 'sso:noSuchUser');
    const bindings = childrenNamed(extensionDefinitions, WSDL_NS, 'binding');
    assert.deepEqual(
      bindings.map((binding) => [binding.attributes.get('name'), binding.attributes.get('type')]),
      [
        ['SSOExtSoap11Binding', 'ssox:SSOExtPortType'],
        ['SSOExtSoap12Binding', 'ssox:SSOExtPortType'],
      ],
    );
    const ports = childrenNamed(only(extensionDefinitions, WSDL_NS, 'service'), WSDL_NS, 'port');
    assert.deepEqual(
      ports.map((port) => [port.attributes.get('name'), port.children[0]?.attributes.get('location')]),
      [
        ['SSOExtSoap11Port', ENDPOINT],
        ['SSOExtSoap12Port', ENDPOINT],
      ],
    );
  });
});

// Debian's python3 has python3-zeep; a python3 earlier on PATH (pyenv) may not.
const PYTHON = '/usr/bin/python3';

// Loads the WSDL, then reads each saved reply with the operation's binding, as a zeep client would.
const ZEEP_SCRIPT = `
import json, sys, zeep
from zeep.exceptions import Fault
work, wsdl_file, service_name = sys.argv[1], sys.argv[2], sys.argv[3]
client = zeep.Client(work + '/' + wsdl_file, settings=zeep.Settings(strict=True))
service = client.wsdl.services[service_name]
out = {'ports': {}, 'replies': {}}
for name, port in service.ports.items():
    out['ports'][name] = type(port.binding).__name__
for name, port, operation, status in json.loads(sys.argv[4]):
    binding = service.ports[port].binding
    class Reply:
        status_code = status
        content = open(work + '/' + name, 'rb').read()
        headers = {}
        encoding = 'utf-8'
    try:
        result = binding.process_reply(client, binding.get(operation), Reply())
        out['replies'][name] = zeep.helpers.serialize_object(result)
    except Fault as fault:
        out['replies'][name] = {'code': str(fault.code), 'message': fault.message, 'subcodes': [q.localname for q in (fault.subcodes or [])]}
print(json.dumps(out))
`;
import { TOOLS, skipWithout } from '../../helpers/tools.js';

/** A reply saved as `file`, to be read through `port`'s binding of `operation`; the HTTP status it came with. */
type SavedReply = [file: string, port: string, operation: string, status: number, body: string];

/** What zeep makes of the WSDL (saved as `wsdlFile`) and of each reply: the binding type of each port, and each reply's result or fault. */
function zeepReads(
  work: string,
  wsdlFile: string,
  wsdlText: string,
  service: string,
  replies: readonly SavedReply[],
): { ports: Record<string, string>; replies: Record<string, unknown> } {
  writeFileSync(path.join(work, wsdlFile), wsdlText);
  for (const [name, , , , body] of replies) writeFileSync(path.join(work, name), body);
  const plan = JSON.stringify(replies.map(([name, port, operation, status]) => [name, port, operation, status]));
  return JSON.parse(execFileSync(PYTHON, ['-c', ZEEP_SCRIPT, work, wsdlFile, service, plan], { encoding: 'utf8', timeout: 20_000 })) as {
    ports: Record<string, string>;
    replies: Record<string, unknown>;
  };
}

describe('generateWsdl: python3-zeep reads it', { skip: skipWithout([TOOLS.zeep]) }, () => {
  const work = mkdtempSync(path.join(os.tmpdir(), 'ssod-wsdl-'));
  after(() => rmSync(work, { recursive: true, force: true }));

  test('zeep sees both ports and reads our replies and faults through them', () => {
    const replies: SavedReply[] = [
      ['list-11.xml', 'SSOSoap11Port', 'listUsers', 200, serializeResponse('1.1', listUsers, { usersList: ['u1', 'u2'] })],
      [
        'settings-12.xml',
        'SSOSoap12Port',
        'getSettings',
        200,
        serializeResponse('1.2', getSettings, { usersSessionsTimeout: '6000', passwordHash: ['sha1', 'md5'] }),
      ],
      ['auth-12.xml', 'SSOSoap12Port', 'authenticate', 200, serializeResponse('1.2', authenticate, { userId: 'u<&>' })],
      ['fault-11.xml', 'SSOSoap11Port', 'authenticate', 500, serializeFault('1.1', new ProtocolFault('invalidCredentials')).body],
      ['fault-12.xml', 'SSOSoap12Port', 'authenticate', 400, serializeFault('1.2', new ProtocolFault('invalidCredentials')).body],
    ];
    const output = zeepReads(work, 'sso.wsdl', wsdl, 'SSOService', replies);
    assert.deepEqual(output.ports, { SSOSoap11Port: 'Soap11Binding', SSOSoap12Port: 'Soap12Binding' });
    assert.deepEqual(output.replies['list-11.xml'], ['u1', 'u2']);
    assert.deepEqual(output.replies['settings-12.xml'], { usersSessionsTimeout: '6000', passwordHash: ['sha1', 'md5'] });
    assert.deepEqual(output.replies['auth-12.xml'], { sessionId: null, userId: 'u<&>' });
    assert.deepEqual(output.replies['fault-11.xml'], {
      code: 'sso:invalidCredentials',
      message: 'Provided userId and user password do not match any registered user.',
      subcodes: [],
    });
    assert.deepEqual(output.replies['fault-12.xml'], {
      code: 'env:Sender',
      message: 'Provided userId and user password do not match any registered user.',
      subcodes: ['invalidCredentials'],
    });
  });

  test('zeep reads the extension WSDL: both ports, ssox replies and sso faults through them', () => {
    const getSignOnMethod = defined(operationNamed(SSOX_NS, 'getSignOnMethod'), 'ssox:getSignOnMethod');
    const realAuthenticate = defined(operationNamed(SSO_NS, 'authenticate'), 'sso:authenticate');
    const output = zeepReads(work, 'ext.wsdl', extensionWsdl, 'SSOExtService', [
      ['method-11.xml', 'SSOExtSoap11Port', 'getSignOnMethod', 200, serializeResponse('1.1', getSignOnMethod, { method: 'local' })],
      ['method-12.xml', 'SSOExtSoap12Port', 'getSignOnMethod', 200, serializeResponse('1.2', getSignOnMethod, { method: 'delegated' })],
      ['ext-auth-11.xml', 'SSOExtSoap11Port', 'authenticate', 200, serializeResponse('1.1', realAuthenticate, { userId: 'u1' })],
      ['no-user-12.xml', 'SSOExtSoap12Port', 'getSignOnMethod', 400, serializeFault('1.2', new ProtocolFault('noSuchUser')).body],
    ]);
    assert.deepEqual(output.ports, { SSOExtSoap11Port: 'Soap11Binding', SSOExtSoap12Port: 'Soap12Binding' });
    assert.equal(output.replies['method-11.xml'], 'local');
    assert.equal(output.replies['method-12.xml'], 'delegated');
    assert.deepEqual(output.replies['ext-auth-11.xml'], { relayToken: null, sessionId: null, userId: 'u1' });
    assert.deepEqual(output.replies['no-user-12.xml'], {
      code: 'env:Sender',
      message: 'Passed userId is not registered.',
      subcodes: ['noSuchUser'],
    });
  });
});
