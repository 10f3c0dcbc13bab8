// The WSDL 1.1 description of the API, generated from the table of operations so it cannot drift
// from what the server does: document/literal wrapped, one portType, a SOAP 1.1 and a SOAP 1.2
// binding (protocol §4.1 accepts both) and a service with a port for each at the same endpoint.
import { FAULT_CODES, SSO_NS, type FaultCode } from './faults.js';
import type { FieldSpec, Operation, OutputSpec } from './operations/types.js';
import { escapeXmlAttribute, escapeXmlText } from '../../infra/xml.js';

const WSDL_NS = 'http://schemas.xmlsoap.org/wsdl/';
const WSDL_SOAP11_NS = 'http://schemas.xmlsoap.org/wsdl/soap/';
const WSDL_SOAP12_NS = 'http://schemas.xmlsoap.org/wsdl/soap12/';
const XSD_NS = 'http://www.w3.org/2001/XMLSchema';
const SOAP_HTTP_TRANSPORT = 'http://schemas.xmlsoap.org/soap/http';

/** protocol §4.3: every call may end in these, whatever the operation. */
const COMMON_FAULTS: readonly FaultCode[] = ['FailedAuthentication', 'internalError'];
const LIST_TYPE = 'stringList';
const PORT_TYPE = 'SSOPortType';

interface XmlNode {
  readonly name: string;
  readonly attributes: ReadonlyArray<readonly [string, string]>;
  readonly children: ReadonlyArray<XmlNode | string>;
}

function node(name: string, attributes: Record<string, string | undefined>, ...children: Array<XmlNode | string>): XmlNode {
  const present = Object.entries(attributes).filter((entry): entry is [string, string] => entry[1] !== undefined);
  return { name, attributes: present, children };
}

function render(xml: XmlNode, indent: string): string {
  const attributes = xml.attributes.map(([name, value]) => ` ${name}="${escapeXmlAttribute(value)}"`).join('');
  if (xml.children.length === 0) return `${indent}<${xml.name}${attributes}/>`;
  const [only] = xml.children;
  if (xml.children.length === 1 && typeof only === 'string')
    return `${indent}<${xml.name}${attributes}>${escapeXmlText(only)}</${xml.name}>`;
  const inner = xml.children.map((child) =>
    typeof child === 'string' ? indent + '  ' + escapeXmlText(child) : render(child, indent + '  '),
  );
  return [`${indent}<${xml.name}${attributes}>`, ...inner, `${indent}</${xml.name}>`].join('\n');
}

function documented(text: string): XmlNode {
  return node('xs:annotation', {}, node('xs:documentation', {}, text));
}

function sequenceElement(name: string, content: Array<XmlNode>): XmlNode {
  return node('xs:element', { name }, node('xs:complexType', {}, node('xs:sequence', {}, ...content)));
}

function inputElement(field: FieldSpec): XmlNode {
  return node(
    'xs:element',
    { name: field.name, type: 'xs:string', minOccurs: field.optional === true ? '0' : undefined },
    documented(field.doc),
  );
}

function outputElement(spec: OutputSpec): XmlNode {
  const minOccurs = spec.optional === true ? '0' : undefined;
  switch (spec.shape ?? 'single') {
    case 'single':
      return node('xs:element', { name: spec.name, type: 'xs:string', minOccurs }, documented(spec.doc));
    case 'repeated':
      return node('xs:element', { name: spec.name, type: 'xs:string', minOccurs: '0', maxOccurs: 'unbounded' }, documented(spec.doc));
    case 'list':
      return node('xs:element', { name: spec.name, type: `sso:${LIST_TYPE}`, minOccurs }, documented(spec.doc));
  }
}

function schema(operations: readonly Operation[]): XmlNode {
  // protocol §5.3: a list holds its items as sso:a elements.
  const listType = node(
    'xs:complexType',
    { name: LIST_TYPE },
    node('xs:sequence', {}, node('xs:element', { name: 'a', type: 'xs:string', minOccurs: '0', maxOccurs: 'unbounded' })),
  );
  const messageElements = operations.flatMap((operation) => [
    sequenceElement(operation.name, operation.input.map(inputElement)),
    sequenceElement(`${operation.name}Response`, operation.output.map(outputElement)),
  ]);
  // protocol §6.2: each fault's detail is <sso:CODE>reason</sso:CODE>.
  const faultElements = FAULT_CODES.map((code) => node('xs:element', { name: code, type: 'xs:string' }));
  return node('xs:schema', { targetNamespace: SSO_NS, elementFormDefault: 'qualified' }, listType, ...messageElements, ...faultElements);
}

function message(name: string, partName: string, element: string): XmlNode {
  return node('wsdl:message', { name }, node('wsdl:part', { name: partName, element: `sso:${element}` }));
}

function messages(operations: readonly Operation[]): XmlNode[] {
  return [
    ...operations.flatMap((operation) => [
      message(`${operation.name}Request`, 'parameters', operation.name),
      message(`${operation.name}Response`, 'parameters', `${operation.name}Response`),
    ]),
    ...FAULT_CODES.map((code) => message(`${code}Fault`, 'fault', code)),
  ];
}

/** The operation's own faults and the common ones, each once. */
function faultsOf(operation: Operation): FaultCode[] {
  return [...new Set([...operation.faults, ...COMMON_FAULTS])];
}

function portType(operations: readonly Operation[]): XmlNode {
  const portOperations = operations.map((operation) =>
    node(
      'wsdl:operation',
      { name: operation.name },
      node('wsdl:documentation', {}, operation.summary),
      node('wsdl:input', { message: `sso:${operation.name}Request` }),
      node('wsdl:output', { message: `sso:${operation.name}Response` }),
      ...faultsOf(operation).map((code) => node('wsdl:fault', { name: code, message: `sso:${code}Fault` })),
    ),
  );
  return node('wsdl:portType', { name: PORT_TYPE }, ...portOperations);
}

interface BindingFlavour {
  readonly name: string;
  /** The prefix of the WSDL SOAP extension namespace: `soap` (1.1) or `soap12` (1.2). */
  readonly prefix: string;
}

const SOAP11_BINDING: BindingFlavour = { name: 'SSOSoap11Binding', prefix: 'soap' };
const SOAP12_BINDING: BindingFlavour = { name: 'SSOSoap12Binding', prefix: 'soap12' };

function binding(operations: readonly Operation[], flavour: BindingFlavour): XmlNode {
  const { prefix } = flavour;
  const literalBody = (): XmlNode => node(`${prefix}:body`, { use: 'literal' });
  const bindingOperations = operations.map((operation) =>
    node(
      'wsdl:operation',
      { name: operation.name },
      // The server dispatches on the Body element only and never reads the action (A7).
      node(`${prefix}:operation`, { soapAction: `${SSO_NS}/${operation.name}`, style: 'document' }),
      node('wsdl:input', {}, literalBody()),
      node('wsdl:output', {}, literalBody()),
      ...faultsOf(operation).map((code) => node('wsdl:fault', { name: code }, node(`${prefix}:fault`, { name: code, use: 'literal' }))),
    ),
  );
  return node(
    'wsdl:binding',
    { name: flavour.name, type: `sso:${PORT_TYPE}` },
    node(`${prefix}:binding`, { style: 'document', transport: SOAP_HTTP_TRANSPORT }),
    ...bindingOperations,
  );
}

function service(endpointUrl: string): XmlNode {
  return node(
    'wsdl:service',
    { name: 'SSOService' },
    node('wsdl:documentation', {}, 'Open Fusion Single Sign-on SOAP API (SOAP 1.1 and 1.2).'),
    node('wsdl:port', { name: 'SSOSoap11Port', binding: `sso:${SOAP11_BINDING.name}` }, node('soap:address', { location: endpointUrl })),
    node('wsdl:port', { name: 'SSOSoap12Port', binding: `sso:${SOAP12_BINDING.name}` }, node('soap12:address', { location: endpointUrl })),
  );
}

/** The WSDL 1.1 document for `operations`, served at `endpointUrl`. */
export function generateWsdl(operations: readonly Operation[], endpointUrl: string): string {
  const definitions = node(
    'wsdl:definitions',
    {
      name: 'SSO',
      targetNamespace: SSO_NS,
      'xmlns:wsdl': WSDL_NS,
      'xmlns:soap': WSDL_SOAP11_NS,
      'xmlns:soap12': WSDL_SOAP12_NS,
      'xmlns:xs': XSD_NS,
      'xmlns:sso': SSO_NS,
    },
    node('wsdl:types', {}, schema(operations)),
    ...messages(operations),
    portType(operations),
    binding(operations, SOAP11_BINDING),
    binding(operations, SOAP12_BINDING),
    service(endpointUrl),
  );
  return `<?xml version="1.0" encoding="UTF-8"?>\n${render(definitions, '')}\n`;
}
