// SOAP 1.2 requests of the client and the reading of their replies (protocol §3; docs/DECISIONS.md "Faults").
// Parsing and escaping are the server's own hardened ones (src/infra/xml.ts), so the client reads
// XML exactly as strictly as ssod does.
import { FAULTS, SSO_NS, SSOX_NS, type FaultCode } from '../adapters/soap/faults.js';
import { escapeXmlText, parseXml, XmlRefusal, type XmlElement } from '../infra/xml.js';
import type { EnvelopeFaultCode, SsoFaultCode } from './errors.js';
import { shapeOf, type OperationName, type OutputShape } from './operations.js';

export const SOAP12_NS = 'http://www.w3.org/2003/05/soap-envelope';
export const SOAP12_CONTENT_TYPE = 'application/soap+xml; charset=utf-8';

// A reply may list every user or application: far more elements than a request may hold.
const REPLY_LIMITS = { maxElements: 1_000_000 } as const;

export function requestEnvelope(name: OperationName, input: Readonly<Record<string, string | undefined>>): string {
  const fields = Object.keys(shapeOf(name).input)
    .map((field) => {
      const value = input[field];
      return value === undefined ? '' : `<sso:${field}>${escapeXmlText(value)}</sso:${field}>`;
    })
    .join('');
  return `<env:Envelope xmlns:env="${SOAP12_NS}" xmlns:sso="${SSO_NS}"><env:Body><sso:${name}>${fields}</sso:${name}></env:Body></env:Envelope>`;
}

/** An extension's request (docs/EXTENSIONS.md): the operation and its fields in the ssox namespace, in the order given. */
export function extensionRequestEnvelope(name: string, input: Readonly<Record<string, string | undefined>>): string {
  const fields = Object.entries(input)
    .map(([field, value]) => (value === undefined ? '' : `<ssox:${field}>${escapeXmlText(value)}</ssox:${field}>`))
    .join('');
  return `<env:Envelope xmlns:env="${SOAP12_NS}" xmlns:ssox="${SSOX_NS}"><env:Body><ssox:${name}>${fields}</ssox:${name}></env:Body></env:Envelope>`;
}

/** One record of an extension's repeated record output (ssox:verifySession's variable): field name to text. */
export type ReplyRecord = Readonly<Record<string, string>>;
/** How an extension's output field is read: the protocol's shapes, or `records`. */
export type ExtensionOutputShape = OutputShape | 'records';

export type ParsedReply =
  | {
      readonly kind: 'response';
      readonly fields: Readonly<Record<string, string | readonly string[] | readonly ReplyRecord[] | undefined>>;
    }
  | { readonly kind: 'fault'; readonly code: SsoFaultCode; readonly reason: string };

/** Thrown for a reply that is not a SOAP 1.2 reply of the operation; the caller wraps it. */
export class MalformedReply extends Error {}

function child(element: XmlElement | undefined, ns: string, local: string): XmlElement | undefined {
  return element?.children.find((c) => c.ns === ns && c.local === local);
}

const SSO_CODES: ReadonlySet<string> = new Set(Object.keys(FAULTS));
const ENVELOPE_CODES: ReadonlySet<string> = new Set(['Sender', 'Receiver', 'VersionMismatch', 'MustUnderstand', 'DataEncodingUnknown']);

/** A QName's local part: fault codes are QNames in text, whose prefix the tree does not resolve. */
function localPart(qname: string): string {
  return qname.trim().replace(/^[^:]*:/, '');
}

function faultOf(fault: XmlElement): ParsedReply {
  const code = child(fault, SOAP12_NS, 'Code');
  const value = localPart(child(code, SOAP12_NS, 'Value')?.text ?? '');
  const subcode = localPart(child(child(code, SOAP12_NS, 'Subcode'), SOAP12_NS, 'Value')?.text ?? '');
  const reason = child(child(fault, SOAP12_NS, 'Reason'), SOAP12_NS, 'Text')?.text ?? '';
  // protocol §6.2: the sso: code is the subcode; without one, the envelope itself was refused.
  if (SSO_CODES.has(subcode)) return { kind: 'fault', code: subcode as FaultCode, reason };
  if (ENVELOPE_CODES.has(value)) return { kind: 'fault', code: value as EnvelopeFaultCode, reason };
  throw new MalformedReply(`a fault with an unknown code ${JSON.stringify(value)}`);
}

function fieldsOf(ns: string, output: Readonly<Record<string, ExtensionOutputShape>>, response: XmlElement): ParsedReply {
  const fields: Record<string, string | readonly string[] | readonly ReplyRecord[] | undefined> = {};
  for (const [field, shape] of Object.entries(output)) {
    const elements = response.children.filter((c) => c.ns === ns && c.local === field);
    if (shape === 'repeated') fields[field] = elements.map((e) => e.text);
    else if (shape === 'records')
      fields[field] = elements.map((e) => Object.fromEntries(e.children.filter((c) => c.ns === ns).map((c) => [c.local, c.text])));
    else if (shape === 'list')
      fields[field] = (elements[0]?.children ?? []).filter((c) => c.ns === ns && c.local === 'a').map((a) => a.text);
    else if (elements[0] !== undefined) fields[field] = elements[0].text;
    else if (shape === 'single') throw new MalformedReply(`the reply has no ${field}`);
  }
  return { kind: 'response', fields };
}

export function parseReply(name: OperationName, body: string): ParsedReply {
  return parseReplyIn(SSO_NS, name, shapeOf(name).output, body);
}

/** The reply of an ssox operation (docs/EXTENSIONS.md): its fields in the ssox namespace; faults as the protocol's. */
export function parseExtensionReply(name: string, output: Readonly<Record<string, ExtensionOutputShape>>, body: string): ParsedReply {
  return parseReplyIn(SSOX_NS, name, output, body);
}

function parseReplyIn(ns: string, name: string, output: Readonly<Record<string, ExtensionOutputShape>>, body: string): ParsedReply {
  let root: XmlElement;
  try {
    root = parseXml(body, REPLY_LIMITS);
  } catch (error) {
    throw new MalformedReply(error instanceof XmlRefusal ? error.message : 'not XML');
  }
  if (root.ns !== SOAP12_NS || root.local !== 'Envelope') throw new MalformedReply('not a SOAP 1.2 envelope');
  const content = child(root, SOAP12_NS, 'Body')?.children[0];
  if (content === undefined) throw new MalformedReply('an empty SOAP body');
  if (content.ns === SOAP12_NS && content.local === 'Fault') return faultOf(content);
  if (content.ns !== ns || content.local !== `${name}Response`) throw new MalformedReply(`expected ${name}Response, got ${content.local}`);
  return fieldsOf(ns, output, content);
}
