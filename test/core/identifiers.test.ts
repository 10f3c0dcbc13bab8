// Logins as PRECIS usernames (RFC 8265 §3.3) and the escaping of text printed to operators.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { preparedLogin, printable, requireSingleLine } from '../../src/core/identifiers.js';

const invalidParameter = (reason: RegExp) => (error: unknown) => {
  assert.equal((error as { code?: string }).code, 'invalidParameter');
  assert.match((error as Error).message, reason);
  return true;
};

describe('logins as PRECIS usernames', () => {
  test('F44: the five look-alikes of a login are folded to it (fullwidth) or refused (U+200B, U+202E, U+034F, ſ)', () => {
    assert.equal(preparedLogin('ａｌｉｃｅ@example.com'), 'alice@example.com');
    assert.equal(preparedLogin('ＡＬＩＣＥ@example.com'), 'alice@example.com');
    for (const [lookAlike, codePoint] of [
      ['ali\u200Bce@example.com', 'U+200B'],
      ['\u202Ealice@example.com', 'U+202E'],
      ['al\u034Fice@example.com', 'U+034F'],
      ['\u017Fam@example.com', 'U+017F'],
    ] as const) {
      assert.throws(
        () => preparedLogin(lookAlike),
        invalidParameter(new RegExp(`may not hold ${codePoint.replace('+', '\\+')}`)),
        lookAlike,
      );
    }
  });

  test('F44: every printable ASCII character but space stays valid, so e-mail addresses and the like keep working', () => {
    const ascii = Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) => String.fromCharCode(0x21 + i)).join('');
    assert.equal(preparedLogin(ascii), ascii.toLowerCase());
    assert.equal(preparedLogin('Alice.Smith+tag-1@Example.COM'), 'alice.smith+tag-1@example.com');
    assert.throws(() => preparedLogin('alice smith'), invalidParameter(/U\+0020/));
  });

  test('F44: letters of other scripts fold by case, width and NFC; compatibility, symbol and invisible characters are refused', () => {
    assert.equal(preparedLogin('Ωmega'), 'ωmega');
    assert.equal(preparedLogin('Straße'), 'straße');
    assert.equal(preparedLogin('re\u0301sume\u0301'), 'résumé'); // NFC: one login however the accent was typed
    assert.equal(preparedLogin('ｱﾘｽ'), 'アリス'); // halfwidth katakana
    assert.equal(preparedLogin('日本語'), '日本語');
    for (const refused of ['ﬁ', 'x²', 'Ⅻ', 'ǅ', '😀', 'a\u200Db', 'a\u00ADb', 'a\uFEFFb', '\u115Fa', 'a\u3000b', '\uFFBF', '']) {
      assert.throws(() => preparedLogin(refused), invalidParameter(/./), JSON.stringify(refused));
    }
  });

  test('F44: contextual exceptions: the Catalan middle dot only between two l, Arabic-Indic digit sets never mixed', () => {
    assert.equal(preparedLogin('col·lega'), 'col·lega');
    assert.throws(() => preparedLogin('a·b'), invalidParameter(/U\+00B7/));
    assert.equal(preparedLogin('\u0645\u0661\u0662'), '\u0645\u0661\u0662');
    assert.throws(() => preparedLogin('\u0645\u0661\u06F2'), invalidParameter(/U\+06/));
  });

  test('F44: right-to-left logins follow the Bidi Rule (RFC 5893): no left-to-right letters, no leading digit', () => {
    assert.equal(preparedLogin('שלום'), 'שלום');
    assert.equal(preparedLogin('שלום1'), 'שלום1');
    assert.equal(preparedLogin('\u0639\u0631\u0628\u064A'), '\u0639\u0631\u0628\u064A');
    for (const mixed of ['abcשלום', 'שלוםabc', '1שלום', 'שלום@']) {
      assert.throws(() => preparedLogin(mixed), invalidParameter(/Bidi Rule/), mixed);
    }
  });
});

describe('single-line texts and operator output', () => {
  test('F45: a name with a newline, a C1 control, DEL, a bidirectional control or a line separator is refused', () => {
    for (const [name, codePoint] of [
      ['panel\nFAKE', 'U+000A'],
      ['panel\tx', 'U+0009'],
      ['panel\u0085x', 'U+0085'],
      ['panel\u009Bx', 'U+009B'],
      ['panel\u007Fx', 'U+007F'],
      ['\u202Elenap', 'U+202E'],
      ['panel\u2066x', 'U+2066'],
      ['panel\u2028x', 'U+2028'],
    ] as const) {
      assert.throws(
        () => requireSingleLine('name', name),
        invalidParameter(new RegExp(`^name may not hold ${codePoint.replace('+', '\\+')}`)),
        JSON.stringify(name),
      );
    }
    assert.doesNotThrow(() => requireSingleLine('name', 'Panel für Kunden — 日本 (v2)'));
  });

  test('F45: printable() escapes every control, format and separator character, and leaves other text alone', () => {
    assert.equal(printable('a\nb\rc\td'), 'a\\nb\\rc\\td');
    assert.equal(printable('\u001B[31mred\u0085\u202Eevil\u2028\u200B'), '\\u{1b}[31mred\\u{85}\\u{202e}evil\\u{2028}\\u{200b}');
    assert.equal(printable('alice@example.com Ωmega 日本'), 'alice@example.com Ωmega 日本');
  });
});
