// The language of the relay listener's pages (Accept-Language with weights), and the page kit's
// escaping: text is text wherever it goes in.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { pickLanguage } from '../../../src/adapters/http/language.js';
import { fill, markup } from '../../../src/adapters/relay/pages.js';

describe('pickLanguage', () => {
  const cases: [string | undefined, string][] = [
    [undefined, 'en'],
    ['', 'en'],
    ['de', 'de'],
    ['DE-at', 'de'],
    ['fr-CA,fr;q=0.9,en-US;q=0.8,en;q=0.7', 'fr'],
    ['de;q=0, fr;q=0.5', 'fr'],
    ['de;q=0', 'en'],
    ['en;q=0.5, de;q=0.5', 'en'], // a tie: the first named
    ['ja, de;q=0.3, fr;q=0.2', 'de'],
    ['*;q=0.9, fr;q=0.8', 'en'],
    ['de;q=1.0000, fr', 'fr'], // four decimals are not a weight: that range is skipped
    ['de;q=2, fr;q=0.1', 'fr'],
    ['de;q=-1, fr;q=0.1', 'fr'],
    ['de;level=1, fr;q=0.1', 'fr'],
    ['d e, f\u0000r, fr', 'fr'],
    [';;;,,,q=1,=de', 'en'],
    [`${'x;q=0.1,'.repeat(40)}de`, 'en'], // past the ranges read
    [`x-${'a'.repeat(2000)}, de`, 'en'], // past the characters read
  ];
  for (const [header, expected] of cases) {
    test(`${header === undefined ? 'absent' : JSON.stringify(header).slice(0, 60)} → ${expected}`, () => {
      assert.equal(pickLanguage(header), expected);
    });
  }

  test('a megabyte of header is answered at once', () => {
    assert.equal(pickLanguage(`${'de;q=0.5,'.repeat(120_000)}fr`), 'de');
  });
});

describe('the page kit', () => {
  test('markup escapes text values and keeps markup values', () => {
    const login = '<script>alert("x")</script>&';
    assert.equal(
      markup`<p title="${login}">${markup`<b>${login}</b>`}</p>`.markup,
      '<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;"><b>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;</b></p>',
    );
    assert.equal(markup`<ul>${[markup`<li>a</li>`, markup`<li>${'<b>'}</li>`]}</ul>`.markup, '<ul><li>a</li><li>&lt;b&gt;</li></ul>');
  });

  test('fill escapes the message and puts markup into its placeholders; an unknown one stays as written', () => {
    assert.equal(
      fill('Back to {address} & <more> {other}', { address: markup`<bdi>${'a<b'}</bdi>` }).markup,
      'Back to <bdi>a&lt;b</bdi> &amp; &lt;more&gt; {other}',
    );
  });
});
