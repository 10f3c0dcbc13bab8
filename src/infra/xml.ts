// A hardened XML reader for SOAP envelopes, on saxes, and the escaping used by every XML writer.
// The document becomes a tiny element tree; anything that is not plain, well-formed XML 1.0
// elements and text is refused at the first sight of it (A1-A6): no DOCTYPE (so no
// entities to expand and nothing to fetch), no processing instructions, no recovery parsing, and
// limits on depth, attributes, names and elements. Only Maps and arrays are keyed by input names,
// so `__proto__` or `constructor` as a name cannot reach an object prototype (A9).
import { SaxesParser } from 'saxes';
import type { SaxesAttributeNSIncomplete, SaxesStartTagNS, SaxesTagNS, XMLDecl } from 'saxes';
import { scanSimpleXml } from './xmlScan.js';

export interface XmlElement {
  readonly ns: string;
  readonly local: string;
  /** Keyed `{ns}local` for a namespaced attribute, `local` otherwise; namespace declarations are left out. */
  readonly attributes: ReadonlyMap<string, string>;
  readonly children: readonly XmlElement[];
  /** The element's own text and CDATA, concatenated (the text of children is not included). */
  readonly text: string;
}

export interface XmlLimits {
  /** Deepest element nesting, the root being depth 1. */
  readonly maxDepth: number;
  /** Attributes per element, namespace declarations included. */
  readonly maxAttributes: number;
  /** Longest element or attribute name (prefix included), in UTF-16 code units. */
  readonly maxNameLength: number;
  /** Elements in the whole document. */
  readonly maxElements: number;
}

export const DEFAULT_XML_LIMITS: Readonly<XmlLimits> = Object.freeze({
  maxDepth: 32,
  maxAttributes: 32,
  maxNameLength: 256,
  maxElements: 2000,
});

const XMLNS_NAMESPACE = 'http://www.w3.org/2000/xmlns/';
// The encodings a request may declare, in its Content-Type charset or its XML declaration
// (lower case): the body is decoded as UTF-8, so a document in another encoding would be misread.
export const ACCEPTED_ENCODINGS: ReadonlySet<string> = new Set(['utf-8', 'us-ascii']);
const MAX_QUOTED_INPUT = 60;

/** A piece of input fit for a fault reason: printable ASCII, at most about 60 characters. */
export function quoteInput(text: string): string {
  const printable = text.replace(/[^\x20-\x7e]/g, '?');
  return printable.length > MAX_QUOTED_INPUT ? `${printable.slice(0, MAX_QUOTED_INPUT)}...` : printable;
}

/**
 * A document the reader refuses: malformed, hostile or over a limit. The reason is short and
 * quotes input only through quoteInput, so a SOAP fault (or the SDK's error) may show it.
 */
export class XmlRefusal extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'XmlRefusal';
  }
}

function refuse(reason: string): never {
  throw new XmlRefusal(reason);
}

/** An element while its end tag has not been seen yet. */
interface OpenElement {
  readonly ns: string;
  readonly local: string;
  readonly attributes: ReadonlyMap<string, string>;
  readonly children: XmlElement[];
  readonly textParts: string[];
}

function attributeMapOf(tag: SaxesTagNS): Map<string, string> {
  const attributes = new Map<string, string>();
  for (const attribute of Object.values(tag.attributes)) {
    if (attribute.uri === XMLNS_NAMESPACE) continue;
    attributes.set(attribute.uri === '' ? attribute.local : `{${attribute.uri}}${attribute.local}`, attribute.value);
  }
  return attributes;
}

/** Builds the tree from saxes events, enforcing the limits as each event arrives. */
class TreeBuilder {
  private readonly open: OpenElement[] = [];
  private elementCount = 0;
  private attributeCount = 0;
  private readonly limits: XmlLimits;
  root: XmlElement | null = null;

  constructor(limits: XmlLimits) {
    this.limits = limits;
  }

  checkDeclaration(declaration: XMLDecl): void {
    if (declaration.version !== '1.0') refuse('Only XML version 1.0 is accepted.');
    const encoding = declaration.encoding?.toLowerCase();
    if (encoding !== undefined && !ACCEPTED_ENCODINGS.has(encoding)) refuse('The document must be encoded in UTF-8.');
  }

  startTag(tag: SaxesStartTagNS): void {
    this.elementCount += 1;
    this.attributeCount = 0;
    if (this.elementCount > this.limits.maxElements) refuse(`The document has more than ${this.limits.maxElements} elements.`);
    if (this.open.length + 1 > this.limits.maxDepth) refuse(`Elements are nested deeper than ${this.limits.maxDepth} levels.`);
    this.checkName(tag.name);
  }

  attribute(attribute: SaxesAttributeNSIncomplete): void {
    this.attributeCount += 1;
    if (this.attributeCount > this.limits.maxAttributes) refuse(`An element has more than ${this.limits.maxAttributes} attributes.`);
    this.checkName(attribute.name);
  }

  openTag(tag: SaxesTagNS): void {
    this.open.push({ ns: tag.uri, local: tag.local, attributes: attributeMapOf(tag), children: [], textParts: [] });
  }

  text(text: string): void {
    // Outside the root only whitespace can arrive here (saxes refuses anything else).
    this.open.at(-1)?.textParts.push(text);
  }

  closeTag(): void {
    const element = this.open.pop();
    if (element === undefined) refuse('Unexpected end tag.');
    const done: XmlElement = {
      ns: element.ns,
      local: element.local,
      attributes: element.attributes,
      children: element.children,
      text: element.textParts.join(''),
    };
    const parent = this.open.at(-1);
    if (parent === undefined) this.root = done;
    else parent.children.push(done);
  }

  private checkName(name: string): void {
    if (name.length > this.limits.maxNameLength) refuse(`A name is longer than ${this.limits.maxNameLength} characters.`);
  }
}

type Options = { xmlns: true; position: false };

/**
 * saxes stores each handler with `this[name] = handler`; from the seventh such computed-key store
 * on, V8 turns the parser into a dictionary-mode object and every property read of its state
 * machine becomes a hash lookup: 42 µs instead of 12 µs per verifySession envelope (the bench
 * profile, docs/PERFORMANCE.md). Declaring the handler slots by name in the constructor keeps the
 * parser a fast object; `on()` then only replaces them. The slot names are saxes' own
 * (EVENT_NAME_TO_HANDLER_NAME); test/infra/xml.test.ts checks that `on()` adds no property.
 */
export class HandlerSlotsParser extends SaxesParser<Options> {
  constructor() {
    super({ xmlns: true, position: false });
    const slots = this as unknown as Record<string, undefined>;
    slots.errorHandler = undefined;
    slots.doctypeHandler = undefined;
    slots.piHandler = undefined;
    slots.xmldeclHandler = undefined;
    slots.openTagStartHandler = undefined;
    slots.attributeHandler = undefined;
    slots.openTagHandler = undefined;
    slots.textHandler = undefined;
    slots.cdataHandler = undefined;
    slots.closeTagHandler = undefined;
  }
}

function parserFor(builder: TreeBuilder): SaxesParser<Options> {
  const parser = new HandlerSlotsParser();
  // Every handler throws at the first violation; the parser is never used again after that.
  parser.on('error', (error) => refuse(`Malformed XML: ${quoteInput(error.message)}`));
  parser.on('doctype', () => refuse('A DOCTYPE is not allowed.'));
  parser.on('processinginstruction', () => refuse('Processing instructions are not allowed.'));
  parser.on('xmldecl', (declaration) => builder.checkDeclaration(declaration));
  parser.on('opentagstart', (tag) => builder.startTag(tag));
  parser.on('attribute', (attribute) => builder.attribute(attribute));
  parser.on('opentag', (tag) => builder.openTag(tag));
  parser.on('text', (text) => builder.text(text));
  parser.on('cdata', (cdata) => builder.text(cdata));
  parser.on('closetag', () => builder.closeTag());
  return parser;
}

/** Parses a whole document; throws XmlRefusal when it is malformed, hostile or over a limit. */
export function parseXml(text: string, limits?: Partial<XmlLimits>): XmlElement {
  const effective = limits === undefined ? DEFAULT_XML_LIMITS : { ...DEFAULT_XML_LIMITS, ...limits };
  // The documents clients send are plain; the scanner reads those to the same tree, faster.
  return scanSimpleXml(text, effective) ?? parseXmlWithSaxes(text, effective);
}

/** The full, hardened reader alone, for any document (parseXml takes it when the scanner does not). */
export function parseXmlWithSaxes(text: string, limits: Readonly<XmlLimits> = DEFAULT_XML_LIMITS): XmlElement {
  const builder = new TreeBuilder(limits);
  try {
    parserFor(builder).write(text).close();
  } catch (error) {
    if (error instanceof XmlRefusal) throw error;
    // saxes' own internal checks throw plain errors; they are still a malformed document.
    refuse('Malformed XML.');
  }
  return builder.root ?? refuse('Malformed XML: no root element.');
}

// Characters XML 1.0 cannot carry even as character references (XML 1.0 §2.2): C0 controls other
// than tab, LF and CR, lone surrogates (the `u` flag leaves proper pairs alone), U+FFFE and U+FFFF.
// eslint-disable-next-line no-control-regex -- finding these characters is the point
const NOT_XML_CHARACTERS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uD800-\uDFFF\uFFFE\uFFFF]/gu;

const TEXT_ESCAPES: ReadonlyMap<string, string> = new Map([
  ['&', '&amp;'],
  ['<', '&lt;'],
  ['>', '&gt;'],
  ['\r', '&#13;'],
]);
const ATTRIBUTE_ESCAPES: ReadonlyMap<string, string> = new Map([...TEXT_ESCAPES, ['"', '&quot;'], ['\t', '&#9;'], ['\n', '&#10;']]);

function withXmlCharactersOnly(text: string): string {
  return text.replace(NOT_XML_CHARACTERS, '\uFFFD');
}

// Most values (ids, names, numbers, plain text) need neither: one test without the u flag finds
// those that do, and only they take the two replacements (docs/PERFORMANCE.md "Session variables").
// Surrogates are in it, so a valid pair takes the full path too, which keeps it.
// eslint-disable-next-line no-control-regex -- finding these characters is the point
const TEXT_NEEDS_WORK = /[\u0000-\u0008\u000B-\u001F&<>\uD800-\uDFFF\uFFFE\uFFFF]/;
// eslint-disable-next-line no-control-regex -- finding these characters is the point
const ATTRIBUTE_NEEDS_WORK = /[\u0000-\u001F&<>"\uD800-\uDFFF\uFFFE\uFFFF]/;

/** Element content: `&`, `<`, `>` escaped, CR kept as a reference so parsers do not fold it into LF. */
export function escapeXmlText(text: string): string {
  if (!TEXT_NEEDS_WORK.test(text)) return text;
  return withXmlCharactersOnly(text).replace(/[&<>\r]/g, (character) => TEXT_ESCAPES.get(character) ?? character);
}

/** A double-quoted attribute value: also `"`, and tab/LF/CR, which attribute normalization would turn into spaces. */
export function escapeXmlAttribute(text: string): string {
  if (!ATTRIBUTE_NEEDS_WORK.test(text)) return text;
  return withXmlCharactersOnly(text).replace(/[&<>"\t\n\r]/g, (character) => ATTRIBUTE_ESCAPES.get(character) ?? character);
}
