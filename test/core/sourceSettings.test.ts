// The settings of a delegated source (core/sourceSettings.ts): what is refused, with what to give
// instead, and what is filled in. The same checks run on the operator's command, on an import and
// on every read from the store.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { LdapSettings } from '../../src/core/ports/delegated.js';
import { Refusal } from '../../src/core/refusal.js';
import { checkSourceName, parseSourceSettings, shownSettings } from '../../src/core/sourceSettings.js';
import { ldapSettings, selfSignedPem, webServiceSettings } from '../helpers/sources.js';

/** The settings, parsed, as LDAP settings. */
function ldap(value: unknown): LdapSettings {
  const settings = parseSourceSettings(value);
  if (settings.kind !== 'ldap') throw new Error('not LDAP settings');
  return settings;
}

function refuses(value: unknown, pattern: RegExp): void {
  assert.throws(
    () => parseSourceSettings(value),
    (error: unknown) => error instanceof Refusal && pattern.test(error.message),
    JSON.stringify(value),
  );
}

describe('source settings', () => {
  test('a web service: an https:// URL with a host, no user info, no fragment', () => {
    assert.deepEqual(parseSourceSettings({ kind: 'webService', url: 'https://auth.example.com:8443/LJAuthenticate?x=1' }), {
      kind: 'webService',
      url: 'https://auth.example.com:8443/LJAuthenticate?x=1',
      connectTimeoutMs: 3000,
      timeoutMs: 8000,
    });
    refuses(webServiceSettings({ url: 'http://auth.example.com/' }), /must start with https:\/\/ \(TLS is required\)/);
    refuses(webServiceSettings({ url: 'https://user:pw@auth.example.com/' }), /must not hold a user or a password/);
    refuses(webServiceSettings({ url: 'https://auth.example.com/#frag' }), /must not have a fragment/);
    refuses(webServiceSettings({ url: 'not a url' }), /is not a URL; give one such as https:\/\//);
    refuses({ ...webServiceSettings(), startTls: true }, /a web service source has no setting "startTls"/);
  });

  test('LDAP: ldaps://, or ldap:// with StartTLS; the URL names only the server', () => {
    assert.equal(parseSourceSettings(ldapSettings()).url, 'ldaps://ldap.example.com:636');
    assert.equal(parseSourceSettings(ldapSettings({ url: 'ldap://ldap.example.com', startTls: true })).url, 'ldap://ldap.example.com');
    refuses(
      ldapSettings({ url: 'ldap://ldap.example.com' }),
      /would send passwords in the clear; use StartTLS \(--start-tls\), or ldaps:\/\//,
    );
    refuses(ldapSettings({ startTls: true }), /leave out --start-tls/);
    refuses(ldapSettings({ url: 'ldaps://ldap.example.com/dc=example,dc=com' }), /give the search base with --search-base/);
    refuses(ldapSettings({ url: 'https://ldap.example.com' }), /must start with ldaps:\/\/ or ldap:\/\//);
  });

  test('LDAP: a bind DN template contains {login}; a search filter contains {login} and is one parenthesized filter', () => {
    const template = { kind: 'ldap', url: 'ldaps://ldap.example.com', bindDnTemplate: 'uid={login},ou=people,dc=example,dc=com' };
    assert.deepEqual(parseSourceSettings(template), { ...template, startTls: false, connectTimeoutMs: 3000, timeoutMs: 8000 });
    refuses({ ...template, bindDnTemplate: 'uid=alice,ou=people' }, /must contain \{login\}/);
    refuses({ ...template, searchBase: 'dc=example,dc=com' }, /either --bind-dn-template, or a search/);
    assert.equal(ldap(ldapSettings({ searchFilter: undefined })).searchFilter, '(uid={login})', 'the default filter');
    assert.equal(
      ldap(ldapSettings({ searchFilter: '(&(objectClass=person)(mail={login}))' })).searchFilter,
      '(&(objectClass=person)(mail={login}))',
    );
    for (const filter of ['uid={login}', '(uid=alice)', '(uid={login})(cn=x)', '((uid={login})', '(uid={login}))'])
      refuses(ldapSettings({ searchFilter: filter }), /one parenthesized filter containing \{login\}/);
    refuses(ldapSettings({ searchBase: undefined }), /needs --search-base/);
    refuses(ldapSettings({ bindPassword: undefined }), /both a bind DN and its password/);
    const anonymous = parseSourceSettings(ldapSettings({ bindDn: undefined, bindPassword: undefined }));
    assert.equal('bindDn' in anonymous, false, 'an anonymous search');
    refuses(ldapSettings({ searchBase: 'ou=people\n,dc=example' }), /must not contain control characters/);
  });

  test('timeouts are whole milliseconds from 100 to 60000, the connect one at most the whole', () => {
    const settings = parseSourceSettings(webServiceSettings({ connectTimeoutMs: 100, timeoutMs: 60_000 }));
    assert.deepEqual([settings.connectTimeoutMs, settings.timeoutMs], [100, 60_000]);
    refuses(webServiceSettings({ connectTimeoutMs: 99 }), /connect timeout must be a whole number of milliseconds from 100 to 60000/);
    refuses(webServiceSettings({ timeoutMs: 60_001 }), /the timeout must be a whole number of milliseconds from 100 to 60000/);
    refuses(webServiceSettings({ timeoutMs: 1.5 }), /the timeout must be a whole number/);
    refuses(webServiceSettings({ connectTimeoutMs: 5000, timeoutMs: 4000 }), /is longer than the timeout of the whole call/);
  });

  test('a CA must be PEM certificates that parse as X.509, and nothing else; a pin is base64 of 32 bytes', async () => {
    const pem = await selfSignedPem();
    assert.equal(parseSourceSettings(webServiceSettings({ caPem: pem })).caPem, pem);
    const two = pem + (await selfSignedPem('CN=Second CA'));
    assert.equal(parseSourceSettings(webServiceSettings({ caPem: two })).caPem?.match(/BEGIN CERTIFICATE/g)?.length, 2);
    refuses(webServiceSettings({ caPem: 'hello' }), /holds no PEM certificate/);
    refuses(
      webServiceSettings({ caPem: pem.replace(/[A-Za-z]{20}/, 'AAAAAAAAAAAAAAAAAAAA') }),
      /certificate 1 of the CA file is not a valid X\.509/,
    );
    refuses(webServiceSettings({ caPem: `${pem}-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n` }), /a private key\?/);
    const pin = Buffer.alloc(32, 1).toString('base64');
    assert.equal(parseSourceSettings(webServiceSettings({ pinSha256: pin })).pinSha256, pin);
    refuses(webServiceSettings({ pinSha256: Buffer.alloc(20, 1).toString('base64') }), /is not base64 of a SHA-256/);
    refuses(webServiceSettings({ pinSha256: 'a'.repeat(43) + '!' }), /is not base64 of a SHA-256/);
  });

  test('an unknown kind, or not an object, is refused; names are letters, digits, ".", "_" and "-"', () => {
    refuses({ kind: 'kerberos' }, /unknown kind of source "kerberos"; the kinds are webService and ldap/);
    refuses('https://auth.example.com/', /must be an object/);
    assert.equal(checkSourceName('corp-ldap.2_b'), 'corp-ldap.2_b');
    for (const name of ['', '-corp', 'corp ldap', 'corp/ldap', 'x'.repeat(65)])
      assert.throws(() => checkSourceName(name), Refusal, JSON.stringify(name));
  });

  test('what is shown of the settings never holds the bind password', () => {
    const shown = shownSettings(parseSourceSettings(ldapSettings()));
    assert.equal(shown.bindPassword, '(set)');
    assert.doesNotMatch(JSON.stringify(shown), /service-account-secret/);
  });
});
