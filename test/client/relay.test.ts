// The relay URL helpers (protocol §2.2): parameters URL-encoded (protocol §2.1), ssosid read back.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { baseUrlOf, getSessionUrl, readSsosid, setCookieUrl, signInPageUrl, withoutSsosid } from '../../src/client/index.js';

const RELAY = 'http://sso.example.com:1180/relay';

test('setCookieUrl and getSessionUrl encode their parameters (protocol §2.2.1, §2.2.2)', () => {
  assert.equal(
    setCookieUrl(RELAY, '15f0b079fd831ea1ac638b885a7fd0ad', 'https://cp.example.com:8443/a?b=c&d'),
    'http://sso.example.com:1180/relay?token=15f0b079fd831ea1ac638b885a7fd0ad&url=https%3A%2F%2Fcp.example.com%3A8443%2Fa%3Fb%3Dc%26d',
  );
  assert.equal(
    getSessionUrl(RELAY, 'https://cp.example.com:8443/'),
    'http://sso.example.com:1180/relay?url=https%3A%2F%2Fcp.example.com%3A8443%2F',
  );
});

test("signInPageUrl is ssod's /login beside the relay, also under a path prefix", () => {
  assert.equal(
    signInPageUrl(RELAY, 'https://cp.example.com:8443/a?b=c'),
    'http://sso.example.com:1180/login?url=https%3A%2F%2Fcp.example.com%3A8443%2Fa%3Fb%3Dc',
  );
  assert.equal(
    signInPageUrl('https://example.com/sso/relay', 'https://cp.example.com/'),
    'https://example.com/sso/login?url=https%3A%2F%2Fcp.example.com%2F',
  );
});

test('readSsosid tells a session, none and no answer apart', () => {
  // The example of protocol §2.2.2.
  assert.deepEqual(readSsosid('/?ssosid=https%3A%2F%2Fcp.plesk.com%3A8443%2F3d97a51d987975796db55b172'), {
    kind: 'session',
    sessionId: 'https://cp.plesk.com:8443/3d97a51d987975796db55b172',
  });
  assert.deepEqual(readSsosid('/home?x=1&ssosid=none'), { kind: 'none' });
  assert.deepEqual(readSsosid('/home'), { kind: 'absent' });
  assert.deepEqual(readSsosid('/?ssosid=a&ssosid=b'), { kind: 'absent' });
  assert.equal(withoutSsosid('/home?x=1&ssosid=none', 'http://panel.test:8081/').href, 'http://panel.test:8081/home?x=1');
});

test('F37: baseUrlOf writes the port out, as every local session id of the application begins', () => {
  assert.equal(baseUrlOf(new URL('https://Billing.Example.com/')), 'https://billing.example.com:443/');
  assert.equal(baseUrlOf(new URL('http://panel.test')), 'http://panel.test:80/');
  assert.equal(baseUrlOf(new URL('https://cp.example.com:8443/any/path?q')), 'https://cp.example.com:8443/');
  assert.equal(baseUrlOf(new URL('http://[::1]:8080/')), 'http://[::1]:8080/');
});
