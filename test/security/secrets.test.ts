// Issue 5, secrets and audit: session ids, relay tokens, cookie values and passwords never stand
// in the store in the clear (docs/DECISIONS.md: only SHA-256 of them), checked by reading the database
// files byte for byte; the CA key file is readable by its owner only; and no secret of a whole
// protocol run (every operation, the relay, failed sign-ins and a lock) reaches the log, the
// audit trail or any other part of the database.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { call, registerApp, relayGet, splitPem, startTestServer, type TestServer } from '../helpers/server.js';

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
    const pending =
      (await call(ts, 'authenticate', { login: 'secret-holder', password, baseUrl: 'https://panel.example.com:8443/' })).field(
        'relayToken',
      ) ?? '';
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

describe('secrets in a whole protocol run', () => {
  let ts: TestServer;
  before(async () => {
    ts = await startTestServer({ argon2MemoryKib: 8192, argon2Iterations: 1, maxLoginFailures: 3 });
  });
  after(() => ts.close());

  test('no password, digest, token, session id, cookie value or private key issued or offered appears in the log or the database', async () => {
    const secrets: Record<string, string> = {};
    const keep = (name: string, value: string | undefined): string => {
      assert.ok(value !== undefined && value.length > 0, name);
      secrets[name] = value;
      return value;
    };
    // Every base64 line of a PEM private key is a piece of the key.
    const keepKey = (name: string, pem: string): void => {
      const lines = (/-----BEGIN PRIVATE KEY-----([\s\S]+?)-----END PRIVATE KEY-----/.exec(pem)?.[1] ?? '')
        .split('\n')
        .filter((line) => line.length >= 16);
      assert.ok(lines.length > 0, name);
      lines.forEach((line, i) => keep(`${name} line ${i}`, line));
    };
    const panelReply = await call(ts, 'registerApplication', {
      name: 'panel',
      displayName: 'Panel',
      version: '1',
      url: 'https://panel.example.com:8443/',
    });
    keepKey('panel key', panelReply.field('certificate') ?? '');
    const panel = splitPem(panelReply.field('certificate') ?? '');
    const panelId = panelReply.field('applicationId') ?? '';
    const billing = await registerApp(ts, 'https://billing.example.com:443/', 'billing');
    keepKey('billing key', billing.credentials.key);
    const rotated =
      (await call(ts, 'updateApplication', { applicationId: billing.id, certificate: '' }, { credentials: billing.credentials })).field(
        'certificate',
      ) ?? '';
    keepKey('rotated key', rotated);
    keepKey('CA key', readFileSync(path.join(ts.dataDir, 'ca.key'), 'utf8'));
    keepKey('server key', readFileSync(path.join(ts.dataDir, 'server.key'), 'utf8'));

    const password = keep('password', 'Plaintext-Marker-0001');
    const legacy = keep('legacy digest', createHash('sha256').update('Legacy-Marker-0002').digest('hex'));
    const userId = (await call(ts, 'createUser', { login: 'holder@example.com', password }, { credentials: panel })).field('userId') ?? '';
    const legacyId =
      (
        await call(ts, 'createUser', { login: 'legacy@example.com', password: legacy, passwordHashType: 'sha256' }, { credentials: panel })
      ).field('userId') ?? '';
    await call(ts, 'authenticate', { login: 'legacy@example.com', password: keep('legacy plaintext', 'Legacy-Marker-0002') }); // upgrades the hash
    const duplicate =
      (await call(ts, 'duplicateUser', { userId, login: 'copy@example.com' }, { credentials: panel })).field('userId') ?? '';
    await call(
      ts,
      'changePassword',
      { userId: duplicate, oldPassword: password, newPassword: keep('new password', 'Changed-Marker-0003') },
      { credentials: panel },
    );
    await call(ts, 'changeLogin', { userId: duplicate, login: 'renamed@example.com' }, { credentials: panel });
    await call(ts, 'transferOwnership', { userId: legacyId, applicationId: billing.id }, { credentials: panel });
    for (const name of ['listApplications', 'listUsers', 'getSettings']) await call(ts, name, {}, { credentials: panel });
    await call(ts, 'getApplication', { applicationId: panelId });
    await call(ts, 'getUser', { userId }, { credentials: panel });
    await call(ts, 'getUserId', { login: 'holder@example.com' }, { credentials: panel });
    await call(ts, 'getChangePasswordUrl', { userId }, { credentials: panel });
    await call(ts, 'getRestorePasswordUrl', { login: 'holder@example.com' }, { credentials: panel });
    // Wrong passwords, up to a lock: what an attacker typed is no more loggable than the real one.
    for (let i = 0; i < 4; i += 1)
      await call(ts, 'authenticate', { login: 'renamed@example.com', password: keep(`wrong ${i}`, `Wrong-Marker-000${i}`) });

    const auth = await call(ts, 'authenticate', { login: 'holder@example.com', password, baseUrl: 'https://panel.example.com:8443/' });
    const token = keep('relay token', auth.field('relayToken'));
    const sessionId = auth.field('sessionId') ?? '';
    keep('session id', sessionId.slice(sessionId.lastIndexOf('/') + 1));
    keep(
      'pending token',
      (await call(ts, 'authenticate', { login: 'holder@example.com', password, baseUrl: 'https://panel.example.com:8443/' })).field(
        'relayToken',
      ),
    );
    const relay = await relayGet(ts, new URLSearchParams({ token, url: 'https://panel.example.com:8443/' }).toString());
    const cookie = keep('cookie', (relay.headers['set-cookie']?.[0] ?? '').split(';', 1)[0]?.slice('sid='.length));
    const elsewhere = await relayGet(ts, new URLSearchParams({ url: 'https://billing.example.com/' }).toString(), `sid=${cookie}`);
    const billingSession = new URL(elsewhere.headers.location ?? '').searchParams.get('ssosid') ?? '';
    keep('billing session id', billingSession.slice(billingSession.lastIndexOf('/') + 1));
    await relayGet(ts, new URLSearchParams({ token, url: 'https://panel.example.com:8443/' }).toString()); // a replayed token
    await call(ts, 'verifySession', { sessionId: billingSession });
    await call(ts, 'closeSession', { sessionId }, { credentials: panel });
    await call(ts, 'verifySession', { sessionId });
    await call(ts, 'deleteUser', { userId }, { credentials: panel });
    await call(ts, 'unregisterApplication', { applicationId: billing.id }, { credentials: splitPem(rotated) });

    const log = ts.logText();
    assert.ok(log.includes('"msg":"request"') && log.includes('sign-ins locked'), 'the run was logged');
    const stored = Buffer.concat(
      readdirSync(ts.dataDir)
        .filter((name) => name.startsWith('ssod.db'))
        .map((name) => readFileSync(path.join(ts.dataDir, name))),
    );
    assert.ok((await ts.server.services.store.queryAudit({ limit: 1000 })).length > 20, 'the run was audited');
    for (const [name, secret] of Object.entries(secrets)) {
      for (const form of new Set([secret, secret.toLowerCase(), secret.toUpperCase(), encodeURIComponent(secret)])) {
        assert.ok(!log.includes(form), `${name} is in the log`);
        assert.equal(stored.indexOf(form), -1, `${name} is in the database`);
      }
    }
  });
});
