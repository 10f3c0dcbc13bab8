// The SOAP envelope (protocol §4.1: SOAP 1.1 and 1.2 over HTTP): which version it is, and the one
// operation element in its Body. The operation is read from the Body only; the SOAPAction header
// and the SOAP 1.2 `action` parameter are never looked at (A7). Malformed envelopes get
// the faults of SOAP 1.2 Part 1 §5.4.8 / SOAP 1.1 §4.4.1 (A8).
import { EnvelopeFault } from './faults.js';
import { ACCEPTED_ENCODINGS, parseXml, quoteInput, XmlRefusal, type XmlElement } from '../../infra/xml.js';

export const SOAP11_NS = 'http://schemas.xmlsoap.org/soap/envelope/';
export const SOAP12_NS = 'http://www.w3.org/2003/05/soap-envelope';

export type SoapVersion = '1.1' | '1.2';

export interface ParsedEnvelope {
  readonly version: SoapVersion;
  /** The single element child of the Body. */
  readonly operation: XmlElement;
}

/** A header block that names a role we play and must be understood; we understand none. */
export class MustUnderstandFault extends EnvelopeFault {
  /** The header block, for SOAP 1.2's env:NotUnderstood (SOAP 1.2 Part 1 §5.4.8). */
  readonly header: { readonly ns: string; readonly local: string };
  constructor(header: XmlElement) {
    super('MustUnderstand', `The header ${quoteInput(header.local)} must be understood, and this server understands no headers.`);
    this.header = { ns: header.ns, local: header.local };
  }
}

const MEDIA_TYPE_VERSIONS: ReadonlyMap<string, SoapVersion> = new Map([
  ['text/xml', '1.1'], // SOAP 1.1 §6.1.1
  ['application/soap+xml', '1.2'], // SOAP 1.2 Part 2 §7.1.4, RFC 3902
]);

function mediaTypeOf(contentType: string): string {
  return (contentType.split(';', 1)[0] ?? '').trim().toLowerCase();
}

/**
 * Content-Types that were checked and accepted, with their version: an application sends the same
 * header on every request, and splitting it twice per request (the HTTP layer, then the envelope)
 * showed in the verifySession profile. Bounded: emptied when full, so odd headers cannot grow it.
 */
const acceptedContentTypes = new Map<string, SoapVersion>();
const ACCEPTED_CONTENT_TYPES_MAX = 64;

/** The SOAP version a Content-Type announces, or null when it is none of SOAP's (the HTTP layer answers 415). */
export function versionFromContentType(contentType: string | undefined): SoapVersion | null {
  if (contentType === undefined) return null;
  return acceptedContentTypes.get(contentType) ?? MEDIA_TYPE_VERSIONS.get(mediaTypeOf(contentType)) ?? null;
}

/** The charset parameter, lower-cased and unquoted; undefined when absent. */
function charsetOf(contentType: string): string | undefined {
  for (const parameter of contentType.split(';').slice(1)) {
    const [name = '', value = ''] = parameter.split('=', 2).map((part) => part.trim());
    if (name.toLowerCase() === 'charset') return value.replace(/^"(.*)"$/, '$1').toLowerCase();
  }
  return undefined;
}

function sender(reason: string): never {
  throw new EnvelopeFault('Sender', reason);
}

function checkContentType(contentType: string | undefined): SoapVersion {
  const accepted = contentType === undefined ? undefined : acceptedContentTypes.get(contentType);
  if (accepted !== undefined) return accepted;
  const version = versionFromContentType(contentType);
  if (contentType === undefined || version === null) {
    return sender('The Content-Type must be text/xml (SOAP 1.1) or application/soap+xml (SOAP 1.2).');
  }
  // The body is decoded as UTF-8 (US-ASCII is a part of it); another charset would silently
  // change what was sent.
  const charset = charsetOf(contentType);
  if (charset !== undefined && !ACCEPTED_ENCODINGS.has(charset)) sender('The charset must be utf-8.');
  if (acceptedContentTypes.size >= ACCEPTED_CONTENT_TYPES_MAX) acceptedContentTypes.clear();
  acceptedContentTypes.set(contentType, version);
  return version;
}

const XML_WHITESPACE = /^[ \t\r\n]*$/;

function requireNoText(element: XmlElement): void {
  if (!XML_WHITESPACE.test(element.text)) sender(`The ${element.local} element must not contain text.`);
}

function versionOfEnvelope(root: XmlElement): SoapVersion {
  if (root.local !== 'Envelope') sender('The document element must be a SOAP Envelope.');
  if (root.ns === SOAP11_NS) return '1.1';
  if (root.ns === SOAP12_NS) return '1.2';
  // SOAP 1.2 Part 1 §5.4.7, SOAP 1.1 §4.4.1: an Envelope of an unknown namespace.
  throw new EnvelopeFault('VersionMismatch', 'The Envelope namespace is not SOAP 1.1 or SOAP 1.2.');
}

const ULTIMATE_RECEIVER_ROLES: Readonly<Record<SoapVersion, ReadonlySet<string>>> = {
  // SOAP 1.1 §4.2.2: no actor, or the "next" actor, means us.
  '1.1': new Set(['', 'http://schemas.xmlsoap.org/soap/actor/next']),
  // SOAP 1.2 Part 1 §5.2.2: no role, "next" and "ultimateReceiver" mean us; "none" and others do not.
  '1.2': new Set(['', `${SOAP12_NS}/role/next`, `${SOAP12_NS}/role/ultimateReceiver`]),
};

const MUST_UNDERSTAND_VALUES: Readonly<Record<SoapVersion, ReadonlyMap<string, boolean>>> = {
  '1.1': new Map([
    ['0', false],
    ['1', true],
  ]), // SOAP 1.1 §4.2.3
  '1.2': new Map([
    ['0', false],
    ['1', true],
    ['false', false],
    ['true', true],
  ]), // xs:boolean, SOAP 1.2 Part 1 §5.2.3
};

/** SOAP 1.2 Part 1 §5.2.3 / SOAP 1.1 §4.2.3: a header block aimed at us with mustUnderstand set is a fault. */
function checkHeaderBlock(block: XmlElement, version: SoapVersion, envelopeNs: string): void {
  const roleAttribute = version === '1.1' ? 'actor' : 'role';
  const role = (block.attributes.get(`{${envelopeNs}}${roleAttribute}`) ?? '').trim();
  const mustUnderstandText = block.attributes.get(`{${envelopeNs}}mustUnderstand`);
  if (mustUnderstandText === undefined) return;
  const mustUnderstand = MUST_UNDERSTAND_VALUES[version].get(mustUnderstandText.trim());
  if (mustUnderstand === undefined) sender('The mustUnderstand attribute has an invalid value.');
  if (mustUnderstand && ULTIMATE_RECEIVER_ROLES[version].has(role)) throw new MustUnderstandFault(block);
}

function isEnvelopeElement(element: XmlElement | undefined, envelopeNs: string, local: string): element is XmlElement {
  return element !== undefined && element.ns === envelopeNs && element.local === local;
}

/** Envelope children: an optional Header, then exactly one Body, then nothing. Returns the Body. */
function bodyOf(envelope: XmlElement, version: SoapVersion): XmlElement {
  requireNoText(envelope);
  const [first, second, ...rest] = envelope.children;
  const header = isEnvelopeElement(first, envelope.ns, 'Header') ? first : undefined;
  const body = header === undefined ? first : second;
  const after = header === undefined ? [second, ...rest] : rest;
  if (!isEnvelopeElement(body, envelope.ns, 'Body')) sender('The Envelope must hold an optional Header followed by one Body.');
  if (after.some((element) => element !== undefined)) sender('Nothing may follow the Body in the Envelope.');
  if (header !== undefined) {
    requireNoText(header);
    for (const block of header.children) checkHeaderBlock(block, version, envelope.ns);
  }
  return body;
}

function operationOf(body: XmlElement): XmlElement {
  requireNoText(body);
  const [operation, ...others] = body.children;
  if (operation === undefined || others.length > 0) sender('The Body must hold exactly one element.');
  return operation;
}

// Refuses what is not UTF-8 rather than replacing it with U+FFFD, which would make different
// bytes read as one text (a password, a login): docs/SECURITY.md, case F43. A leading UTF-8 byte
// order mark is dropped; a UTF-16 one is not UTF-8, so it is refused like any other invalid byte.
const UTF8 = new TextDecoder('utf-8', { fatal: true });
// An XML declaration that names US-ASCII (xml.ts accepts it beside UTF-8).
const US_ASCII_DECLARED = /^<\?xml[^>]*\sencoding=(["'])us-ascii\1/i;

/** The text of a request body, or a Sender fault when it is not valid in the encoding it declares. */
function decodeBody(bytes: Uint8Array, contentType: string): string {
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    return sender('The body is not valid UTF-8: send it encoded in UTF-8.');
  }
  // Only ASCII decodes to one character per byte (a byte order mark does not); only then can the
  // body be US-ASCII whatever it declares, so the common case costs one comparison.
  if (text.length !== bytes.length && (charsetOf(contentType) === 'us-ascii' || US_ASCII_DECLARED.test(text))) {
    sender('The body declares US-ASCII but holds other bytes: declare UTF-8.');
  }
  return text;
}

/** The document's tree; a document the XML reader refuses is the sender's fault, with the reader's reason. */
function readXml(text: string): XmlElement {
  try {
    return parseXml(text);
  } catch (error) {
    if (error instanceof XmlRefusal) sender(error.message);
    throw error;
  }
}

/**
 * Parses a SOAP request: the body as received, or already as text. Throws EnvelopeFault: Sender for
 * a body that is not valid in its encoding, a malformed or hostile document or a Content-Type that
 * does not match the envelope's version, VersionMismatch for an unknown envelope namespace,
 * MustUnderstand (a MustUnderstandFault) for a mandatory header block.
 */
export function parseEnvelope(body: Uint8Array | string, contentType: string | undefined): ParsedEnvelope {
  const announced = checkContentType(contentType);
  // checkContentType returned, so there is a Content-Type.
  const envelope = readXml(typeof body === 'string' ? body : decodeBody(body, contentType ?? ''));
  const version = versionOfEnvelope(envelope);
  if (version !== announced) {
    sender(
      version === '1.2' ? 'A SOAP 1.2 envelope must be sent as application/soap+xml.' : 'A SOAP 1.1 envelope must be sent as text/xml.',
    );
  }
  return { version, operation: operationOf(bodyOf(envelope, version)) };
}
