// Issue 5, secrets and audit: session ids, relay tokens, cookie values and passwords never stand
// in the store in the clear (DESIGN.md: only SHA-256 of them), checked by reading the database
// files byte for byte; the CA key file is readable by its owner only.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { call, registerApp, relayGet, startTestServer, type TestServer } from '../helpers/server.js';

describe('secrets at rest', () => {
  let ts: TestServer;
  before(async () => {
    ts = await startTestServer();
  });
  after(() => ts.close());

  test('the database files hold no password, session id, relay token or cookie value', async () => {
    const app = await registerApp(ts, 'https://panel.example.com:8443/', 'panel');
    await registerApp(ts, 'https://billing.example.com:443/', 'billing');
    const password = 'Tr0ub4dor&3-plaintext-marker';
    await call(ts, 'createUser', { login: 'secret-holder', password }, { credentials: app.credentials });
    const auth = await call(ts, 'authenticate', { login: 'secret-holder', password, baseUrl: 'https://panel.example.com:8443/' });
    const token = auth.field('relayToken') ?? '';
    const sessionId = auth.field('sessionId') ?? '';
    // A second token that is never exchanged stays in the store until it expires.
    const pending = (await call(ts, 'authenticate', { login: 'secret-holder', password, baseUrl: 'https://panel.example.com:8443/' })).field('relayToken') ?? '';
    const relay = await relayGet(ts, new URLSearchParams({ token, url: 'https://panel.example.com:8443/' }).toString());
    const cookie = (relay.headers['set-cookie']?.[0] ?? '').split(';', 1)[0]?.slice('sid='.length) ?? '';
    const billing = await relayGet(ts, new URLSearchParams({ url: 'https://billing.example.com/' }).toString(), `sid=${cookie}`);
    const billingSession = new URL(billing.headers.location ?? '').searchParams.get('ssosid') ?? '';
    assert.ok(cookie.length >= 43 && billingSession.startsWith('https://billing.example.com:443/'));

    const files = readdirSync(ts.dataDir).filter((name) => name.startsWith('ssod.db'));
    assert.ok(files.length > 0);
    const stored = Buffer.concat(files.map((name) => readFileSync(path.join(ts.dataDir, name))));
    const opaque = (id: string): string => id.slice(id.lastIndexOf('/') + 1);
    const secrets = { password, token, pending, cookie, panelSession: opaque(sessionId), billingSession: opaque(billingSession) };
    for (const [name, secret] of Object.entries(secrets)) {
      assert.ok(secret.length >= 16, name);
      for (const form of new Set([secret, secret.toLowerCase(), secret.toUpperCase()])) {
        assert.equal(stored.indexOf(form), -1, `${name} is stored in the clear`);
      }
      // Nor as raw bytes (hex secrets decoded).
      if (/^[0-9a-f]+$/i.test(secret)) assert.equal(stored.indexOf(Buffer.from(secret, 'hex')), -1, `${name} is stored as bytes`);
    }
  });

  test('the CA and server private keys are readable by their owner only; the data directory is 0700', () => {
    for (const name of ['ca.key', 'server.key']) {
      assert.equal(statSync(path.join(ts.dataDir, name)).mode & 0o077, 0, name);
    }
    assert.equal(statSync(ts.dataDir).mode & 0o077, 0);
  });
});
