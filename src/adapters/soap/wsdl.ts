// The WSDL 1.1 descriptions of the API, generated from the table of operations so they cannot drift
// from what the server does: document/literal wrapped, one portType, a SOAP 1.1 and a SOAP 1.2
// binding (protocol §4.1 accepts both) and a service with a port for each at the same endpoint.
// Two documents come from the one generator: the protocol's (`/soap?wsdl`: its operations with their
// protocol inputs only, unchanged since applications were written against it) and the extensions'
// (`/soap?wsdl=ext`, docs/EXTENSIONS.md: ssod's own operations, and each protocol operation that
// takes ssox inputs, declared with them).
import { FAULT_CODES, NAMESPACE_PREFIX, SSO_NS, SSOX_NS, type FaultCode, type OperationNamespace } from './faults.js';
import { fieldNamespace, type FieldSpec, type Operation, type OutputSpec } from './operations/types.js';
import { escapeXmlAttribute, escapeXmlText } from '../../infra/xml.js';

const WSDL_NS = 'http://schemas.xmlsoap.org/wsdl/';
const WSDL_SOAP11_NS = 'http://schemas.xmlsoap.org/wsdl/soap/';
const WSDL_SOAP12_NS = 'http://schemas.xmlsoap.org/wsdl/soap12/';
const XSD_NS = 'http://www.w3.org/2001/XMLSchema';
const SOAP_HTTP_TRANSPORT = 'http://schemas.xmlsoap.org/soap/http';

/** protocol §4.3: every call may end in these, whatever the operation. */
const COMMON_FAULTS: readonly FaultCode[] = ['FailedAuthentication', 'internalError'];
const LIST_TYPE = 'stringList';

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

/** `sso:name` or `ssox:name`: a name of the schema or of the WSDL in that namespace. */
function qname(namespace: OperationNamespace, name: string): string {
  return `${NAMESPACE_PREFIX[namespace]}:${name}`;
}

/** What differs between the two documents: their namespace and the names of their WSDL parts. */
interface Layout {
  readonly definitions: string;
  /** The target namespace of the WSDL: its messages, portType, bindings and service are named in it. */
  readonly namespace: OperationNamespace;
  readonly portType: string;
  readonly soap11Binding: string;
  readonly soap12Binding: string;
  readonly service: string;
  readonly serviceDoc: string;
  readonly soap11Port: string;
  readonly soap12Port: string;
}

const PROTOCOL_LAYOUT: Layout = {
  definitions: 'SSO',
  namespace: SSO_NS,
  portType: 'SSOPortType',
  soap11Binding: 'SSOSoap11Binding',
  soap12Binding: 'SSOSoap12Binding',
  service: 'SSOService',
  serviceDoc: 'Open Fusion Single Sign-on SOAP API (SOAP 1.1 and 1.2).',
  soap11Port: 'SSOSoap11Port',
  soap12Port: 'SSOSoap12Port',
};

const EXTENSION_LAYOUT: Layout = {
  definitions: 'SSOExtensions',
  namespace: SSOX_NS,
  portType: 'SSOExtPortType',
  soap11Binding: 'SSOExtSoap11Binding',
  soap12Binding: 'SSOExtSoap12Binding',
  service: 'SSOExtService',
  serviceDoc:
    'The extensions of ssod beside the Open Fusion Single Sign-on SOAP API (SOAP 1.1 and 1.2), at the same endpoint, with the same certificates and faults.',
  soap11Port: 'SSOExtSoap11Port',
  soap12Port: 'SSOExtSoap12Port',
};

function documented(text: string): XmlNode {
  return node('xs:annotation', {}, node('xs:documentation', {}, text));
}

function sequenceElement(name: string, content: Array<XmlNode>): XmlNode {
  return node('xs:element', { name }, node('xs:complexType', {}, node('xs:sequence', {}, ...content)));
}

function minOccursOf(field: FieldSpec): string | undefined {
  return field.optional === true ? '0' : undefined;
}

/** The schema type of an input: text for the protocol's fields, as it always was; the XML Schema type where it has one. */
function schemaTypeOf(field: FieldSpec): string {
  return field.type === 'boolean' ? 'xs:boolean' : field.type === 'count' ? 'xs:nonNegativeInteger' : 'xs:string';
}

function inputElement(field: FieldSpec): XmlNode {
  return node('xs:element', { name: field.name, type: schemaTypeOf(field), minOccurs: minOccursOf(field) }, documented(field.doc));
}

/** A schema's global element for an input that another namespace's operation refers to; its presence is the reference's. */
function globalInputElement(field: FieldSpec): XmlNode {
  return node('xs:element', { name: field.name, type: schemaTypeOf(field) }, documented(field.doc));
}

/**
 * An input of the operation's element: declared in place when it is in the operation's namespace,
 * or a reference to the global element of the other namespace's schema (an ssox input of a protocol
 * operation: a local element would take the operation's namespace).
 */
function inputParticle(operation: Operation, field: FieldSpec): XmlNode {
  const namespace = fieldNamespace(operation, field);
  if (namespace === operation.namespace) return inputElement(field);
  return node('xs:element', { ref: qname(namespace, field.name), minOccurs: minOccursOf(field) });
}

function outputElement(spec: OutputSpec, namespace: OperationNamespace): XmlNode {
  const minOccurs = spec.optional === true ? '0' : undefined;
  switch (spec.shape ?? 'single') {
    case 'single':
      return node('xs:element', { name: spec.name, type: 'xs:string', minOccurs }, documented(spec.doc));
    case 'repeated':
      return node('xs:element', { name: spec.name, type: 'xs:string', minOccurs: '0', maxOccurs: 'unbounded' }, documented(spec.doc));
    case 'list':
      return node('xs:element', { name: spec.name, type: qname(namespace, LIST_TYPE), minOccurs }, documented(spec.doc));
    case 'records':
      return node(
        'xs:element',
        { name: spec.name, minOccurs: '0', maxOccurs: 'unbounded' },
        documented(spec.doc),
        node(
          'xs:complexType',
          {},
          node('xs:sequence', {}, ...(spec.fields ?? []).map((field) => node('xs:element', { name: field, type: 'xs:string' }))),
        ),
      );
  }
}

/** The operation's input fields with the ones of its own namespace first: extension inputs come after the protocol's. */
function orderedInput(operation: Operation): FieldSpec[] {
  const own = operation.input.filter((field) => fieldNamespace(operation, field) === operation.namespace);
  return [...own, ...operation.input.filter((field) => !own.includes(field))];
}

/**
 * The schema of one namespace: the list type (always in the protocol's, as it always was; else when
 * an output uses it), the global elements of its inputs to other namespaces' operations, the
 * elements of its operations, and (sso) the faults.
 */
function schema(namespace: OperationNamespace, operations: readonly Operation[]): XmlNode {
  // protocol §5.3: a list holds its items as `a` elements of the list's namespace.
  const listType = node(
    'xs:complexType',
    { name: LIST_TYPE },
    node('xs:sequence', {}, node('xs:element', { name: 'a', type: 'xs:string', minOccurs: '0', maxOccurs: 'unbounded' })),
  );
  const own = operations.filter((operation) => operation.namespace === namespace);
  const referenced = new Map<string, FieldSpec>();
  for (const operation of operations) {
    for (const field of operation.input) {
      if (operation.namespace !== namespace && fieldNamespace(operation, field) === namespace && !referenced.has(field.name))
        referenced.set(field.name, field);
    }
  }
  const imports = [...new Set(own.flatMap((operation) => operation.input.map((field) => fieldNamespace(operation, field))))]
    .filter((other) => other !== namespace)
    .map((other) => node('xs:import', { namespace: other }));
  const messageElements = own.flatMap((operation) => [
    sequenceElement(
      operation.name,
      orderedInput(operation).map((field) => inputParticle(operation, field)),
    ),
    sequenceElement(
      `${operation.name}Response`,
      operation.output.map((spec) => outputElement(spec, namespace)),
    ),
  ]);
  // protocol §6.2: each fault's detail is <sso:CODE>reason</sso:CODE>.
  const faultElements = namespace === SSO_NS ? FAULT_CODES.map((code) => node('xs:element', { name: code, type: 'xs:string' })) : [];
  return node(
    'xs:schema',
    { targetNamespace: namespace, elementFormDefault: 'qualified' },
    ...imports,
    ...(namespace === SSO_NS || own.some((operation) => operation.output.some((spec) => spec.shape === 'list')) ? [listType] : []),
    ...[...referenced.values()].map(globalInputElement),
    ...messageElements,
    ...faultElements,
  );
}

function message(name: string, partName: string, element: string): XmlNode {
  return node('wsdl:message', { name }, node('wsdl:part', { name: partName, element }));
}

function messages(operations: readonly Operation[]): XmlNode[] {
  return [
    ...operations.flatMap((operation) => [
      message(`${operation.name}Request`, 'parameters', qname(operation.namespace, operation.name)),
      message(`${operation.name}Response`, 'parameters', qname(operation.namespace, `${operation.name}Response`)),
    ]),
    ...FAULT_CODES.map((code) => message(`${code}Fault`, 'fault', qname(SSO_NS, code))),
  ];
}

/** The operation's own faults and the common ones, each once. */
function faultsOf(operation: Operation): FaultCode[] {
  return [...new Set([...operation.faults, ...COMMON_FAULTS])];
}

function portType(layout: Layout, operations: readonly Operation[]): XmlNode {
  const own = (name: string): string => qname(layout.namespace, name);
  const portOperations = operations.map((operation) =>
    node(
      'wsdl:operation',
      { name: operation.name },
      node('wsdl:documentation', {}, operation.summary),
      node('wsdl:input', { message: own(`${operation.name}Request`) }),
      node('wsdl:output', { message: own(`${operation.name}Response`) }),
      ...faultsOf(operation).map((code) => node('wsdl:fault', { name: code, message: own(`${code}Fault`) })),
    ),
  );
  return node('wsdl:portType', { name: layout.portType }, ...portOperations);
}

/** The prefix of the WSDL SOAP extension namespace: `soap` (1.1) or `soap12` (1.2). */
type BindingPrefix = 'soap' | 'soap12';

function binding(layout: Layout, operations: readonly Operation[], prefix: BindingPrefix): XmlNode {
  const literalBody = (): XmlNode => node(`${prefix}:body`, { use: 'literal' });
  const bindingOperations = operations.map((operation) =>
    node(
      'wsdl:operation',
      { name: operation.name },
      // The server dispatches on the Body element only and never reads the action (A7).
      node(`${prefix}:operation`, { soapAction: `${operation.namespace}/${operation.name}`, style: 'document' }),
      node('wsdl:input', {}, literalBody()),
      node('wsdl:output', {}, literalBody()),
      ...faultsOf(operation).map((code) => node('wsdl:fault', { name: code }, node(`${prefix}:fault`, { name: code, use: 'literal' }))),
    ),
  );
  return node(
    'wsdl:binding',
    { name: prefix === 'soap' ? layout.soap11Binding : layout.soap12Binding, type: qname(layout.namespace, layout.portType) },
    node(`${prefix}:binding`, { style: 'document', transport: SOAP_HTTP_TRANSPORT }),
    ...bindingOperations,
  );
}

function service(layout: Layout, endpointUrl: string): XmlNode {
  const own = (name: string): string => qname(layout.namespace, name);
  return node(
    'wsdl:service',
    { name: layout.service },
    node('wsdl:documentation', {}, layout.serviceDoc),
    node('wsdl:port', { name: layout.soap11Port, binding: own(layout.soap11Binding) }, node('soap:address', { location: endpointUrl })),
    node('wsdl:port', { name: layout.soap12Port, binding: own(layout.soap12Binding) }, node('soap12:address', { location: endpointUrl })),
  );
}

function document(layout: Layout, operations: readonly Operation[], schemas: readonly XmlNode[], endpointUrl: string): string {
  const namespaces = [...new Set<OperationNamespace>([SSO_NS, layout.namespace])];
  const definitions = node(
    'wsdl:definitions',
    {
      name: layout.definitions,
      targetNamespace: layout.namespace,
      'xmlns:wsdl': WSDL_NS,
      'xmlns:soap': WSDL_SOAP11_NS,
      'xmlns:soap12': WSDL_SOAP12_NS,
      'xmlns:xs': XSD_NS,
      ...Object.fromEntries(namespaces.map((namespace) => [`xmlns:${NAMESPACE_PREFIX[namespace]}`, namespace])),
    },
    node('wsdl:types', {}, ...schemas),
    ...messages(operations),
    portType(layout, operations),
    binding(layout, operations, 'soap'),
    binding(layout, operations, 'soap12'),
    service(layout, endpointUrl),
  );
  return `<?xml version="1.0" encoding="UTF-8"?>\n${render(definitions, '')}\n`;
}

/** The operation as the protocol declares it: its inputs in the protocol's namespace only. */
function protocolView(operation: Operation): Operation {
  return { ...operation, input: operation.input.filter((field) => fieldNamespace(operation, field) === SSO_NS) };
}

/**
 * The protocol's WSDL 1.1 document (`/soap?wsdl`) for the protocol operations among `operations`,
 * served at `endpointUrl`: without ssod's extensions, byte for byte what it always was.
 */
export function generateWsdl(operations: readonly Operation[], endpointUrl: string): string {
  const protocol = operations.filter((operation) => operation.namespace === SSO_NS).map(protocolView);
  return document(PROTOCOL_LAYOUT, protocol, [schema(SSO_NS, protocol)], endpointUrl);
}

/**
 * The extensions' WSDL 1.1 document (`/soap?wsdl=ext`): the ssox operations among `operations`, and
 * the protocol operations that take ssox inputs, declared with them. The sso schema in it declares
 * only those protocol elements (and the faults); the ssox schema the extension operations and the
 * global elements the sso one refers to.
 */
export function generateExtensionWsdl(operations: readonly Operation[], endpointUrl: string): string {
  const extended = operations.filter(
    (operation) =>
      operation.namespace === SSOX_NS || operation.input.some((field) => fieldNamespace(operation, field) !== operation.namespace),
  );
  const schemas = [schema(SSO_NS, extended), schema(SSOX_NS, extended)];
  return document(EXTENSION_LAYOUT, extended, schemas, endpointUrl);
}
