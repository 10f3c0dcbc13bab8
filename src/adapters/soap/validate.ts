// Checks an operation element against the operation's declared input fields (protocol §5: the
// "invalidParameter: do not validate against schema" fault) before any handler runs. Every
// failure is sso:invalidParameter with a short reason naming the field (A9, A10). An ssox input of a
// protocol operation is accepted only where that operation declares it (docs/EXTENSIONS.md).
import { isIP } from 'node:net';
import { normalizeBaseUrl } from '../../core/urls.js';
import { NAMESPACE_PREFIX, ProtocolFault, type OperationNamespace } from './faults.js';
import { fieldNamespace, qualifiedName, type FieldSpec, type FieldType, type Operation, type OperationInput } from './operations/types.js';
import { quoteInput, type XmlElement } from '../../infra/xml.js';

// An ip's 45: the longest IPv6 text, an IPv4-mapped address written in full.
const DEFAULT_MAX_LENGTH: Readonly<Record<FieldType, number>> = {
  string: 255,
  uuid: 36,
  url: 2048,
  baseUrl: 2048,
  ip: 45,
  boolean: 5,
  count: 15,
};

// RFC 4122 §3: 8-4-4-4-12 hexadecimal digits; any version, either case.
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// C0 controls other than tab, LF and CR (XML 1.0 cannot carry them; this is defence in depth).
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F]/;
// eslint-disable-next-line no-control-regex -- controls, space, DEL and backslash have no place in a URL
const URL_FORBIDDEN = /[\u0000-\u0020\u007F\\]/;
const XML_WHITESPACE = /^[ \t\r\n]*$/;
// The XML Schema instance namespace, whatever prefix binds it: `xsi:nil` is read as {XSI_NS}nil.
const XSI_NIL = '{http://www.w3.org/2001/XMLSchema-instance}nil';

function invalid(reason: string): never {
  throw new ProtocolFault('invalidParameter', reason);
}

/** Length in Unicode characters (a surrogate pair counts once), without copying a long input. */
function exceedsLength(text: string, maxLength: number): boolean {
  if (text.length <= maxLength) return false;
  if (text.length > 2 * maxLength) return true;
  const pairs = text.match(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g)?.length ?? 0;
  return text.length - pairs > maxLength;
}

/**
 * An absolute http(s) URL written plainly: `scheme://` then a host, no whitespace, controls,
 * backslashes or user info, which the lenient WHATWG parser would otherwise quietly reinterpret.
 */
function isHttpUrl(text: string): boolean {
  if (!/^https?:\/\/[^/?#]/i.test(text) || URL_FORBIDDEN.test(text)) return false;
  try {
    const url = new URL(text);
    return url.hostname !== '' && url.username === '' && url.password === '';
  } catch {
    return false;
  }
}

/** The value of one non-empty field, checked and normalized for its type. */
function typedValue(field: FieldSpec, text: string): string {
  switch (field.type) {
    case 'uuid':
      if (!UUID.test(text)) invalid(`${field.name} must be a UUID.`);
      return text.toLowerCase();
    case 'baseUrl':
      // docs/DECISIONS.md "URLs": scheme://host:port/ only.
      return normalizeBaseUrl(text) ?? invalid(`${field.name} must be a base URL scheme://host:port/ with no path, query or fragment.`);
    case 'url':
      if (!isHttpUrl(text)) invalid(`${field.name} must be an absolute http or https URL.`);
      return text;
    case 'string':
      if (CONTROL_CHARACTERS.test(text)) invalid(`${field.name} must not contain control characters.`);
      return text; // never trimmed: a password's spaces are part of it
    case 'ip':
      // A zone (`fe80::1%eth0`) names an interface of the sender's own host: no address of a browser.
      if (isIP(text) === 0 || text.includes('%')) invalid(`${field.name} must be an IPv4 or IPv6 address.`);
      return text;
    case 'boolean':
      // xs:boolean's lexical space (XML Schema Part 2, 3.2.2.1).
      if (text === 'true' || text === '1') return 'true';
      if (text === 'false' || text === '0') return 'false';
      return invalid(`${field.name} must be true or false.`);
    case 'count':
      if (!/^[0-9]+$/.test(text)) invalid(`${field.name} must be a whole number of 0 or more.`);
      return String(Number(text));
  }
}

function fieldValue(field: FieldSpec, element: XmlElement): string {
  if (element.children.length > 0) invalid(`${field.name} must hold text only, not elements.`);
  const text = element.text;
  if (text === '') {
    if (field.allowEmpty === true) return '';
    invalid(`${field.name} must not be empty.`);
  }
  if (exceedsLength(text, field.maxLength ?? DEFAULT_MAX_LENGTH[field.type])) invalid(`${field.name} is too long.`);
  return typedValue(field, text);
}

/**
 * Whether the element is marked `xsi:nil="true"` (or "1"), as node-soap and SOAP::Lite send an
 * optional argument without a value. An xs:boolean's surrounding whitespace does not count; any
 * other value is not a boolean and is refused, not guessed at.
 */
function isNil(field: FieldSpec, element: XmlElement): boolean {
  const nil = element.attributes.get(XSI_NIL)?.trim();
  if (nil === undefined || nil === 'false' || nil === '0') return false;
  if (nil !== 'true' && nil !== '1') invalid(`${field.name} has an xsi:nil that is not true or false.`);
  if (field.optional !== true) invalid(`${field.name} is required and cannot be nil.`);
  if (element.children.length > 0 || element.text !== '') invalid(`${field.name} is nil but has content.`);
  return true;
}

function describe(element: XmlElement): string {
  const prefix = Object.hasOwn(NAMESPACE_PREFIX, element.ns) ? NAMESPACE_PREFIX[element.ns as OperationNamespace] : undefined;
  return prefix !== undefined
    ? `${prefix}:${quoteInput(element.local)}`
    : `${quoteInput(element.local)} (namespace ${quoteInput(element.ns) || 'none'})`;
}

/**
 * The fields of the operation element, by name, in a null-prototype object: each child an element
 * the operation declares, in the namespace it declares it in (its own, or ssox for an extension
 * input), at most once, text only; required fields present and typed.
 * Absent optional fields are undefined, and so is an optional field sent as `xsi:nil="true"`
 * (be liberal: a nil optional argument means "not given"). The order of the children is not enforced.
 */
export function validateInput(operation: Operation, element: XmlElement): OperationInput {
  // Written only into a refusal: verifySession's validation is on every page load's path.
  const name = (): string => qualifiedName(operation.namespace, operation.name);
  if (element.ns !== operation.namespace || element.local !== operation.name) invalid(`The Body element is not ${name()}.`);
  if (!XML_WHITESPACE.test(element.text)) invalid(`${name()} must hold elements, not text.`);
  // Names are unique within an operation whatever their namespaces (test/adapters/soap/operations/extensions.test.ts).
  const fields = new Map(operation.input.map((field) => [field.name, field]));
  const input = Object.create(null) as Record<string, string | undefined>;
  const seen = new Set<string>();
  for (const child of element.children) {
    const declared = fields.get(child.local);
    const field = declared !== undefined && fieldNamespace(operation, declared) === child.ns ? declared : undefined;
    if (field === undefined) invalid(`Unknown element ${describe(child)} in ${name()}.`);
    if (seen.has(field.name)) invalid(`${field.name} is given more than once.`);
    seen.add(field.name);
    if (!isNil(field, child)) input[field.name] = fieldValue(field, child);
  }
  for (const field of operation.input) {
    if (field.optional !== true && !seen.has(field.name)) invalid(`${field.name} is required.`);
  }
  return input;
}
