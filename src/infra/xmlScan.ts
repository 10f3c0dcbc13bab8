// A fast path for the documents SOAP clients actually send: elements, namespace declarations,
// whitespace and plain ASCII text, nothing else. It builds exactly the tree that parseXml's saxes
// reader builds for such a document, in a fraction of the time (every page load of every
// application sends one: docs/PERFORMANCE.md). Anything else, even what is valid XML (a comment,
// an entity or character reference, CDATA, another attribute, a non-ASCII character, a carriage
// return, a long name), makes it answer null, and the full, hardened reader decides: this scanner
// never refuses and never accepts anything the full reader would not accept in the same way.
// test/infra/xmlScan.test.ts checks that equivalence on generated and mutated documents.
import type { XmlElement, XmlLimits } from './xml.js';

/** Tighter than DEFAULT_XML_LIMITS: a document beyond them takes the full reader, which enforces those. */
const SCAN_LIMITS: Readonly<XmlLimits> = Object.freeze({ maxDepth: 8, maxAttributes: 8, maxNameLength: 64, maxElements: 64 });

const NO_ATTRIBUTES: ReadonlyMap<string, string> = new Map();
const XML_NS = 'http://www.w3.org/XML/1998/namespace';
const XMLNS_NS = 'http://www.w3.org/2000/xmlns/';
// The declarations parseXml accepts (TreeBuilder.checkDeclaration), written the plainest way.
const XML_DECLARATION = /^<\?xml version=(["'])1\.0\1(?: encoding=(["'])(?:utf-8|UTF-8|us-ascii|US-ASCII)\2)?\?>/;

const LT = 0x3c;
const GT = 0x3e;
const SLASH = 0x2f;
const EQUALS = 0x3d;
const COLON = 0x3a;
const QUOTE = 0x22;
const APOSTROPHE = 0x27;
const AMPERSAND = 0x26;

function isWhitespace(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0a; // no CR: XML normalizes line ends
}

function isNameStart(code: number): boolean {
  return (code >= 0x61 && code <= 0x7a) || (code >= 0x41 && code <= 0x5a) || code === 0x5f;
}

function isNameChar(code: number): boolean {
  return isNameStart(code) || (code >= 0x30 && code <= 0x39) || code === 0x2d || code === 0x2e;
}

/** Printable ASCII that means itself in text: no markup, no references, no line end to normalize. */
function isPlainTextChar(code: number): boolean {
  return (code >= 0x20 && code <= 0x7e && code !== LT && code !== AMPERSAND && code !== GT) || code === 0x09 || code === 0x0a;
}

interface Open {
  readonly qname: string;
  readonly ns: string;
  readonly local: string;
  readonly children: XmlElement[];
  text: string;
  /** Namespace declarations in scope here: prefix ('' for the default) to URI. */
  readonly scope: ReadonlyMap<string, string>;
}

class Bail extends Error {}

const BAIL = new Bail();

/** The tree of a plain document, or null when it is not one (then parseXml's full reader decides). */
export function scanSimpleXml(text: string, limits: Readonly<XmlLimits>): XmlElement | null {
  try {
    return scan(text, {
      maxDepth: Math.min(limits.maxDepth, SCAN_LIMITS.maxDepth),
      maxAttributes: Math.min(limits.maxAttributes, SCAN_LIMITS.maxAttributes),
      maxNameLength: Math.min(limits.maxNameLength, SCAN_LIMITS.maxNameLength),
      maxElements: Math.min(limits.maxElements, SCAN_LIMITS.maxElements),
    });
  } catch (error) {
    if (error instanceof Bail) return null;
    throw error;
  }
}

function scan(text: string, limits: XmlLimits): XmlElement {
  const end = text.length;
  let pos = 0;
  const declaration = XML_DECLARATION.exec(text);
  if (declaration !== null) pos = declaration[0].length;

  const skipWhitespace = (): void => {
    while (pos < end && isWhitespace(text.charCodeAt(pos))) pos += 1;
  };
  const expect = (code: number): void => {
    if (text.charCodeAt(pos) !== code) throw BAIL;
    pos += 1;
  };
  /** A name: prefix:local or local, ASCII only, within the limit. */
  const readName = (): string => {
    const start = pos;
    if (!isNameStart(text.charCodeAt(pos))) throw BAIL;
    pos += 1;
    let colons = 0;
    while (pos < end) {
      const code = text.charCodeAt(pos);
      if (code === COLON) {
        colons += 1;
        if (colons > 1 || !isNameStart(text.charCodeAt(pos + 1))) throw BAIL;
      } else if (!isNameChar(code)) break;
      pos += 1;
    }
    if (pos - start > limits.maxNameLength) throw BAIL;
    return text.slice(start, pos);
  };

  skipWhitespace();
  const stack: Open[] = [];
  let elements = 0;
  let root: XmlElement | null = null;
  let scope: ReadonlyMap<string, string> = new Map();

  while (root === null) {
    if (pos >= end || text.charCodeAt(pos) !== LT) throw BAIL;
    pos += 1;
    if (text.charCodeAt(pos) === SLASH) {
      // An end tag: the same name as its start tag, then `>`.
      pos += 1;
      const open = stack.pop();
      if (open === undefined || readName() !== open.qname) throw BAIL;
      skipWhitespace();
      expect(GT);
      root = finish({ ns: open.ns, local: open.local, attributes: NO_ATTRIBUTES, children: open.children, text: open.text });
      continue;
    }

    // A start tag: a name, namespace declarations only, then `>` or `/>`.
    elements += 1;
    if (elements > limits.maxElements || stack.length + 1 > limits.maxDepth) throw BAIL;
    const qname = readName();
    let declarations: Map<string, string> | null = null;
    let attributes = 0;
    for (;;) {
      const before = pos;
      skipWhitespace();
      const code = text.charCodeAt(pos);
      if (code === GT || code === SLASH) break;
      if (pos === before) throw BAIL; // attributes are separated by whitespace
      const name = readName();
      attributes += 1;
      if (attributes > limits.maxAttributes) throw BAIL;
      let prefix: string;
      if (name === 'xmlns') prefix = '';
      else if (name.startsWith('xmlns:')) prefix = name.slice('xmlns:'.length);
      else throw BAIL; // any other attribute: the full reader keeps it
      expect(EQUALS);
      const quote = text.charCodeAt(pos);
      if (quote !== QUOTE && quote !== APOSTROPHE) throw BAIL;
      pos += 1;
      const start = pos;
      while (pos < end && text.charCodeAt(pos) !== quote) {
        const c = text.charCodeAt(pos);
        if (c <= 0x20 || c > 0x7e || c === LT || c === AMPERSAND) throw BAIL; // no normalization, no references
        pos += 1;
      }
      if (pos >= end) throw BAIL;
      const uri = text.slice(start, pos);
      pos += 1;
      // What the namespace rules forbid or the full reader checks: left to it.
      if (uri === '' || prefix === 'xml' || prefix === 'xmlns' || uri === XML_NS || uri === XMLNS_NS) throw BAIL;
      declarations ??= new Map();
      if (declarations.has(prefix)) throw BAIL;
      declarations.set(prefix, uri);
    }
    if (declarations !== null) scope = new Map([...scope, ...declarations]);
    const colon = qname.indexOf(':');
    const prefix = colon === -1 ? '' : qname.slice(0, colon);
    const local = colon === -1 ? qname : qname.slice(colon + 1);
    const ns = scope.get(prefix);
    if (ns === undefined && prefix !== '') throw BAIL; // an undeclared prefix: the full reader refuses it
    const open: Open = { qname, ns: ns ?? '', local, children: [], text: '', scope };
    if (text.charCodeAt(pos) === SLASH) {
      pos += 1;
      expect(GT);
      root = finish({ ns: open.ns, local, attributes: NO_ATTRIBUTES, children: [], text: '' });
      continue;
    }
    expect(GT);
    stack.push(open);
    readText(open);
  }

  skipWhitespace();
  if (pos !== end) throw BAIL; // anything after the root element: the full reader decides
  return root;

  /**
   * A closed element joins its parent, whose scope and text resume; the root is returned, since
   * closing it ends the document.
   */
  function finish(done: XmlElement): XmlElement | null {
    const parent = stack.at(-1);
    if (parent === undefined) return done;
    parent.children.push(done);
    scope = parent.scope;
    readText(parent);
    return null;
  }

  /** The text up to the next `<`, appended to the element's own text. */
  function readText(element: Open): void {
    const start = pos;
    while (pos < end) {
      const code = text.charCodeAt(pos);
      if (code === LT) break;
      if (!isPlainTextChar(code)) throw BAIL;
      pos += 1;
    }
    if (pos >= end) throw BAIL;
    if (pos > start) element.text += text.slice(start, pos);
    const next = text.charCodeAt(pos + 1);
    if (next === 0x21 || next === 0x3f) throw BAIL; // `<!` (comment, CDATA, DOCTYPE) and `<?` (PI)
  }
}
