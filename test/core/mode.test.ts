// The SSO modes : what is loopback, where the SOAP API listens and what it is called,
// and the host name check that stands in for the seed's `nslookup` step.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isLoopbackHost, resolveHostname, soapBindAddress, soapHost } from '../../src/core/mode.js';

test('loopback hosts: 127.0.0.0/8, ::1, localhost and *.localhost (RFC 6761); anything else is another host', () => {
  for (const host of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', 'LOCALHOST', 'panel.localhost'])
    assert.equal(isLoopbackHost(host), true, host);
  for (const host of ['10.0.0.1', '0.0.0.0', '::', '192.0.2.1', 'localhost.example.com', 'example.com', '128.0.0.1'])
    assert.equal(isLoopbackHost(host), false, host);
});

test('single-panel keeps the SOAP API on 127.0.0.1 under that name; multiple-panels uses --bind and the host name', () => {
  assert.equal(soapBindAddress('single-panel', '0.0.0.0'), '127.0.0.1');
  assert.equal(soapBindAddress('multiple-panels', '0.0.0.0'), '0.0.0.0');
  assert.equal(soapHost({ mode: 'single-panel', hostname: 'sso.example.com' }), '127.0.0.1');
  assert.equal(soapHost({ mode: 'multiple-panels', hostname: 'sso.example.com' }), 'sso.example.com');
});

test('resolveHostname: an address needs no lookup; localhost resolves; a reserved .invalid name does not', async () => {
  assert.deepEqual(await resolveHostname('192.0.2.7'), { resolved: true, addresses: ['192.0.2.7'] });
  const local = await resolveHostname('localhost');
  assert.equal(local.resolved, true);
  const invalid = await resolveHostname('sso.example.invalid');
  assert.equal(invalid.resolved, false);
  assert.match(invalid.reason, /^(ENOTFOUND|EAI_AGAIN|no answer within 5 s)$/);
});
