// Identifiers that people read and compare: logins, prepared with the PRECIS UsernameCaseMapped
// profile (RFC 8265 §3.3) so that look-alikes fold to one login or are refused, and the names of
// applications, which may hold any text except what changes how a line reads; and the escaping of
// text printed to operators (docs/SECURITY.md "Hostile input", docs/DECISIONS.md "Logins").

import { SsoError } from './errors.js';

function refuse(reason: string): never {
  throw new SsoError('invalidParameter', reason);
}

// RFC 8264 §9.2 width mapping: the code points whose decomposition is <wide> or <narrow> (U+3000
// and the Halfwidth and Fullwidth Forms block) map to that decomposition, which NFKC gives them
// alone. An unassigned code point of the range stays itself and is refused below.
const WIDTH_FORMS = /[\u3000\uFF01-\uFFEE]/gu;

// RFC 8264 §8, the derived property of the IdentifierClass, by code point. Exceptions (RFC 5892
// §2.6) come first; the Unicode data is the running Node's.
const EXCEPTION_PVALID = /^[\u00DF\u03C2\u06FD\u06FE\u0F0B\u3007]$/u;
// eslint-disable-next-line no-misleading-character-class -- U+302E and U+302F are combining marks listed alone on purpose
const EXCEPTION_DISALLOWED = /^[\u0640\u07FA\u302E\u302F\u3031-\u3035\u303B]$/u;
const EXCEPTION_CONTEXTO = /^[\u00B7\u0375\u05F3\u05F4\u30FB\u0660-\u0669\u06F0-\u06F9]$/u;
const UNASSIGNED = /^\p{Cn}$/u;
const ASCII7 = /^[\u0021-\u007E]$/u;
const PRINTABLE_ASCII = /^[\u0021-\u007E]+$/u;
// Hangul_Syllable_Type L, V and T (not available as a property escape): the conjoining jamo.
const OLD_HANGUL_JAMO = /^[\u1100-\u11FF\uA960-\uA97F\uD7B0-\uD7FF]$/u;
// PrecisIgnorableProperties, Controls, and JoinControl: ZWJ and ZWNJ are CONTEXTJ, allowed only
// where their rule says, which needs joining types that Node does not expose; ssod refuses them.
const IGNORABLE_OR_CONTROL = /^[\p{Default_Ignorable_Code_Point}\p{Noncharacter_Code_Point}\p{Cc}\p{Join_Control}]$/u;
const LETTER_DIGITS = /^[\p{Ll}\p{Lu}\p{Lo}\p{Nd}\p{Lm}\p{Mn}\p{Mc}]$/u;

function codePoint(char: string): string {
  return `U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
}

/** RFC 5892 Appendix A: the contextual rule of a CONTEXTO exception at `index` of `chars`. */
function contextAllows(chars: readonly string[], index: number): boolean {
  const char = chars[index] ?? '';
  const before = chars[index - 1] ?? '';
  const after = chars[index + 1] ?? '';
  if (char === '\u00B7') return before === 'l' && after === 'l'; // Catalan middle dot, l·l
  if (char === '\u0375') return /^\p{Script=Greek}$/u.test(after);
  if (char === '\u05F3' || char === '\u05F4') return /^\p{Script=Hebrew}$/u.test(before);
  if (char === '\u30FB') return chars.some((other) => /^[\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Han}]$/u.test(other));
  // Arabic-Indic digits and Extended Arabic-Indic digits never mix.
  const mixes = /[\u0660-\u0669]/u.test(char) ? /[\u06F0-\u06F9]/u : /[\u0660-\u0669]/u;
  return !chars.some((other) => mixes.test(other));
}

/** Whether the IdentifierClass allows the code point at `index` (RFC 8264 §9.1, in the order of §8). */
function identifierAllows(chars: readonly string[], index: number): boolean {
  const char = chars[index] ?? '';
  if (EXCEPTION_PVALID.test(char)) return true;
  if (EXCEPTION_DISALLOWED.test(char)) return false;
  if (EXCEPTION_CONTEXTO.test(char)) return contextAllows(chars, index);
  if (UNASSIGNED.test(char) && !/^\p{Noncharacter_Code_Point}$/u.test(char)) return false;
  if (ASCII7.test(char)) return true;
  if (OLD_HANGUL_JAMO.test(char) || IGNORABLE_OR_CONTROL.test(char)) return false;
  if (char.normalize('NFKC') !== char) return false; // HasCompat: ſ, ﬁ, ², ℌ, …
  return LETTER_DIGITS.test(char);
}

function requireIdentifierClass(chars: readonly string[]): void {
  chars.forEach((char, index) => {
    if (!identifierAllows(chars, index)) {
      refuse(
        `The login may not hold ${codePoint(char)}: a login is letters, digits and ASCII punctuation, without spaces or invisible, control, bidirectional or compatibility characters.`,
      );
    }
  });
}

// The Bidi Rule (RFC 5893 §2) needs each code point's bidirectional class, which Node does not
// expose. Within what the IdentifierClass lets through (ASCII, letters, digits, marks) the classes
// follow from the script and the category; this table gives them.
type BidiClass = 'L' | 'R' | 'AN' | 'EN' | 'ES' | 'CS' | 'ET' | 'ON' | 'NSM';
const RTL_SCRIPTS = [
  'Hebrew',
  'Arabic',
  'Syriac',
  'Thaana',
  'Nko',
  'Samaritan',
  'Mandaic',
  'Imperial_Aramaic',
  'Phoenician',
  'Kharoshthi',
  'Old_South_Arabian',
  'Old_North_Arabian',
  'Avestan',
  'Inscriptional_Parthian',
  'Inscriptional_Pahlavi',
  'Psalter_Pahlavi',
  'Old_Turkic',
  'Hanifi_Rohingya',
  'Yezidi',
  'Old_Sogdian',
  'Sogdian',
  'Elymaic',
  'Chorasmian',
  'Old_Uyghur',
  'Cypriot',
  'Lydian',
  'Meroitic_Cursive',
  'Meroitic_Hieroglyphs',
  'Nabataean',
  'Palmyrene',
  'Hatran',
  'Manichaean',
  'Old_Hungarian',
  'Adlam',
  'Mende_Kikakui',
  'Garay',
];
const RTL = new RegExp(`^[${RTL_SCRIPTS.map((script) => `\\p{Script=${script}}`).join('')}]$`, 'u');
const ARABIC_NUMBERS = /^[\u0660-\u0669\u{10D30}-\u{10D39}]$/u;
const EUROPEAN_NUMBERS = /^[0-9\u06F0-\u06F9]$/u;

function bidiClass(char: string): BidiClass {
  if (/^[a-z]$/u.test(char)) return 'L';
  if (ARABIC_NUMBERS.test(char)) return 'AN';
  if (EUROPEAN_NUMBERS.test(char)) return 'EN';
  if (/^[\p{Mn}\p{Me}]$/u.test(char)) return 'NSM';
  if (char === '+' || char === '-') return 'ES';
  if (/^[,./:]$/u.test(char)) return 'CS';
  if (/^[#$%]$/u.test(char)) return 'ET';
  if (/^[\u0021-\u007E\u00B7\u0375\u30FB]$/u.test(char)) return 'ON';
  return RTL.test(char) ? 'R' : 'L';
}

/** RFC 5893 §2, for a string that holds a right-to-left code point (RFC 8265 §3.3.1 rule 5). */
function requireBidiRule(chars: readonly string[]): void {
  const classes = chars.map(bidiClass);
  if (!classes.some((c) => c === 'R' || c === 'AN')) return;
  const last = classes.filter((c) => c !== 'NSM').at(-1);
  if (
    classes[0] !== 'R' || // rule 1: a right-to-left string begins with a right-to-left letter
    classes.includes('L') || // rule 2
    (last !== 'R' && last !== 'EN' && last !== 'AN') || // rule 3
    (classes.includes('EN') && classes.includes('AN')) // rule 4
  ) {
    refuse('The login mixes right-to-left and left-to-right text in a way that can display as another login (the Bidi Rule of RFC 5893).');
  }
}

/**
 * The login as it is compared and stored as a key: the PRECIS UsernameCaseMapped profile (RFC 8265
 * §3.3): widths folded, lower case (toLowerCase, RFC 8265 §3.3.1), NFC, the IdentifierClass and the
 * Bidi Rule. A login the profile refuses is invalidParameter.
 */
/** PRECIS (RFC 8264) classifies code points, not grapheme clusters: a string's iterator gives exactly those. */
function codePoints(text: string): string[] {
  return Array.from(text);
}

export function preparedLogin(login: string): string {
  // Printable ASCII is all PVALID, has no width forms and no right-to-left letter: only case applies.
  if (PRINTABLE_ASCII.test(login)) return login.toLowerCase();
  const widened = login.replace(WIDTH_FORMS, (char) => char.normalize('NFKC'));
  requireIdentifierClass(codePoints(widened));
  const enforced = widened.toLowerCase().normalize('NFC');
  const chars = codePoints(enforced);
  if (chars.length === 0) refuse('The login must not be empty.');
  requireIdentifierClass(chars);
  requireBidiRule(chars);
  return enforced;
}

// Controls of any kind (C0, DEL, C1), bidirectional controls and the line and paragraph separators:
// each can make a name print as something else, or as more than one line.
const LINE_BREAKING = /[\p{Cc}\p{Bidi_Control}\u2028\u2029]/u;

/** Refuses a name or other text of an application that holds a character that changes how a line reads. */
export function requireSingleLine(field: string, value: string): void {
  const found = LINE_BREAKING.exec(value);
  if (found !== null) {
    refuse(`${field} may not hold ${codePoint(found[0])}: no control characters, bidirectional controls or line separators.`);
  }
}

// What an operator's terminal must not interpret in text it prints: controls, format characters
// (bidirectional and invisible ones) and line separators.
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu;
const ESCAPES: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** Text as it may be printed to an operator: every control, format or separator character escaped (`\n`, `\u{202e}`). */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (char) => ESCAPES[char] ?? `\\u{${(char.codePointAt(0) ?? 0).toString(16)}}`);
}

// What JSON.stringify leaves unescaped of UNPRINTABLE: it escapes C0 controls itself (and the
// newlines between its lines are its own).
const UNPRINTABLE_IN_JSON = /[\u007f-\u009f\p{Cf}\p{Zl}\p{Zp}]/gu;

/**
 * `value` as JSON for an operator's terminal: the same JSON (it parses to the same values), but a
 * control, format or separator character inside a string is written as its `\uXXXX` escape, as
 * JSON.stringify does only for C0 controls: DEL, C1 controls (U+009B starts a terminal command),
 * bidirectional controls (U+202E turns a line around) and U+2028 would otherwise reach the
 * terminal as they are. JSON's own characters are ASCII, so only the contents of strings change.
 */
export function printableJson(value: unknown): string {
  return printableJsonText(JSON.stringify(value, null, 2));
}

/** JSON text as JSON.stringify wrote it, with printableJson()'s escapes: the log's lines too. */
export function printableJsonText(json: string): string {
  return json.replace(UNPRINTABLE_IN_JSON, (char) =>
    Array.from({ length: char.length }, (_, i) => `\\u${char.charCodeAt(i).toString(16).padStart(4, '0')}`).join(''),
  );
}
