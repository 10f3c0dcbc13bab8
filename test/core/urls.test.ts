// docs/DECISIONS.md "URLs": base URLs and the relay url rule, on the strict grammar of src/core/urls.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalizeBaseUrl, originOfRedirectUrl, withSsosid } from '../../src/core/urls.js';

test('base urls are normalized with an explicit port and lower-case scheme and host', () => {
  assert.equal(normalizeBaseUrl('https://plesk.example.com:8443/'), 'https://plesk.example.com:8443/');
  assert.equal(normalizeBaseUrl('https://Plesk.Example.COM:8443'), 'https://plesk.example.com:8443/');
  assert.equal(normalizeBaseUrl('HTTP://billing.example.com/'), 'http://billing.example.com:80/');
  assert.equal(normalizeBaseUrl('https://billing.example.com'), 'https://billing.example.com:443/');
  assert.equal(normalizeBaseUrl('https://127.0.0.1:8443/'), 'https://127.0.0.1:8443/');
  assert.equal(normalizeBaseUrl('https://[::1]:8443/'), 'https://[::1]:8443/');
});

test('base urls with a path, query, fragment, user info, other scheme or bad port are refused', () => {
  for (const url of [
    'https://a.example.com:8443/x',
    'https://a.example.com:8443/?q',
    'https://a.example.com:8443/#f',
    'https://u@a.example.com:8443/',
    'https://u:p@a.example.com/',
    'ftp://a.example.com:21/',
    'https://a.example.com:0/',
    'https://a.example.com:65536/',
    'https://a.example.com:/',
    'https://a..example.com/',
    'https://a.example.com./',
    'https://-a.example.com/',
    'https://a_b.example.com/',
    'https:///',
    'a.example.com:8443',
    '',
  ]) {
    assert.equal(normalizeBaseUrl(url), null, url);
  }
});

test('C17, C18, C19: redirect urls outside the strict grammar have no origin', () => {
  for (const url of [
    'https://a.example.com\\@evil.com/',
    'https:\\\\a.example.com/',
    '//a.example.com/',
    'javascript:alert(1)',
    'data:text/html,x',
    'https://a.example.com/\r\nx',
    'https://a.example.com/%0d%0ax',
    'https://a.example.com/%5c',
    'https://a.example.com/ x',
    'https://a%2eexample.com/',
    'https://a.example.com@evil.com/',
    'https://a.example.com:443@evil.com/',
    'https://a.example.com\t/',
  ]) {
    assert.equal(originOfRedirectUrl(url), null, JSON.stringify(url));
  }
  assert.equal(originOfRedirectUrl('https://A.example.com/page?x=1#f')?.baseUrl, 'https://a.example.com:443/');
  assert.equal(originOfRedirectUrl('https://a.example.com?x=1')?.baseUrl, 'https://a.example.com:443/');
});

test('C20: withSsosid replaces any ssosid and keeps the fragment last', () => {
  assert.equal(withSsosid('https://a.example.com:8443', 'none'), 'https://a.example.com:8443?ssosid=none');
  assert.equal(withSsosid('https://a/p?x=1#f', 'v'), 'https://a/p?x=1&ssosid=v#f');
  assert.equal(withSsosid('https://a/p?ssosid=1&%73sosid=2&x=1', 'v'), 'https://a/p?x=1&ssosid=v');
  assert.equal(
    withSsosid('https://cp.plesk.com:8443', 'https://cp.plesk.com:8443/3d97a51d987975796db55b172'),
    'https://cp.plesk.com:8443?ssosid=https%3A%2F%2Fcp.plesk.com%3A8443%2F3d97a51d987975796db55b172',
    'protocol §2.2.2 example',
  );
});
