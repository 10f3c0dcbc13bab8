// Host names (src/core/hosts.ts): one grammar for the host name setting, the server certificate and
// the host of a URL.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseHostName, serverHostName } from '../../src/core/hosts.js';
import { normalizeBaseUrl, originOfRedirectUrl } from '../../src/core/urls.js';

test('a host is an IP literal, brackets taken off, or a DNS name in lower case', () => {
  assert.deepEqual(parseHostName('192.0.2.7'), { name: '192.0.2.7', isIp: true });
  assert.deepEqual(parseHostName('[::1]'), { name: '::1', isIp: true });
  assert.deepEqual(parseHostName('::1'), { name: '::1', isIp: true });
  assert.deepEqual(parseHostName('SSO.Example.com'), { name: 'sso.example.com', isIp: false });
  assert.deepEqual(parseHostName('localhost'), { name: 'localhost', isIp: false });
  assert.equal(parseHostName(`${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`)?.isIp, false, '253 characters');
});

test('anything else is no host: empty labels, a trailing dot, underscores, spaces, too long, an IPv6 zone', () => {
  for (const text of [
    '',
    'a..b',
    'a.',
    '.a',
    '-a.example.com',
    'a-.example.com',
    'a_b.example.com',
    'bad host/name',
    `${'a'.repeat(64)}.com`,
    `${'a.'.repeat(127)}ab`,
    '[example.com]',
    'fe80::1%eth0',
    '[fe80::1%25eth0]',
  ]) {
    assert.equal(parseHostName(text), null, text);
  }
  assert.throws(() => serverHostName('bad host/name'), /^Error: Invalid host name for the server certificate: "bad host\/name"$/);
});

test('the host of a URL follows the same grammar, IPv6 only in brackets', () => {
  assert.equal(normalizeBaseUrl('https://[::ffff:192.0.2.7]:8443/'), 'https://[::ffff:192.0.2.7]:8443/');
  for (const url of ['https://[fe80::1%eth0]/', 'https://[1:2]/', 'https://[]/', 'https://[example.com]/']) {
    assert.equal(normalizeBaseUrl(url), null, url);
    assert.equal(originOfRedirectUrl(url), null, url);
  }
});
