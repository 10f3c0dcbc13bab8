// Issue 5, the audit trail: every security event of the protocol leaves one record with its actor,
// target and outcome, recorded by the domain; nothing secret in it; trimmed by its retention.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AUDIT_EVENT_TYPES, recordAudit, trimAudit } from '../../src/core/audit.js';
import { createLogger } from '../../src/infra/log.js';
import { openSqliteStore } from '../../src/infra/store/sqlite.js';
import type { AuditRecord } from '../../src/core/store/index.js';
import { call, registerApp, splitPem, startTestServer, type RegisteredApp, type TestServer } from '../helpers/server.js';

describe('audit trail of the SOAP operations', () => {
  let ts: TestServer;
  let owner: RegisteredApp;
  let other: RegisteredApp;
  before(async () => {
    ts = await startTestServer({ argon2MemoryKib: 8192, argon2Iterations: 1, logLevel: 'warn' });
    owner = await registerApp(ts, 'https://owner.example.com:443/', 'owner');
    other = await registerApp(ts, 'https://other.example.com:443/', 'other');
  });
  after(() => ts.close());

  /** The events about `target`, oldest first, as [type, actor, outcome]. */
  const trail = async (target: string): Promise<AuditRecord[]> =>
    (await ts.server.services.store.queryAudit({ target, limit: 100 })).reverse();
  const brief = (records: readonly AuditRecord[]): string[][] => records.map((r) => [r.type, r.actor, r.outcome]);

  test('applications: registered with its certificate, updated, rotated (issued, then activated by first use), unregistered', async () => {
    const app = await registerApp(ts, 'https://life.example.com:443/', 'life');
    const actor = `application:${app.id}`;
    await call(ts, 'updateApplication', { applicationId: app.id, url: 'https://life2.example.com:443/' }, { credentials: app.credentials });
    const pem =
      (await call(ts, 'updateApplication', { applicationId: app.id, certificate: '' }, { credentials: app.credentials })).field(
        'certificate',
      ) ?? '';
    const fresh = splitPem(pem);
    await call(ts, 'listUsers', {}, { credentials: fresh });
    await call(ts, 'unregisterApplication', { applicationId: app.id }, { credentials: fresh });
    const records = await trail(`application:${app.id}`);
    assert.deepEqual(brief(records), [
      ['application.registered', 'guest', 'ok'],
      ['certificate.issued', 'guest', 'ok'],
      ['certificate.activated', actor, 'ok'], // the first certificate's first use
      ['application.updated', actor, 'ok'],
      ['certificate.issued', actor, 'ok'],
      ['certificate.activated', actor, 'ok'], // the new one takes over
      ['application.unregistered', actor, 'ok'],
    ]);
    assert.deepEqual(records[3]?.detail, { fields: 'url', url: 'https://life2.example.com:443/' });
    assert.match(String(records[4]?.detail.fingerprint), /^[0-9a-f]{64}$/);
  });

  test('users: created, duplicated, login and password changed, ownership transferred, deleted', async () => {
    const actor = `application:${owner.id}`;
    const id =
      (await call(ts, 'createUser', { login: 'life@example.com', password: 'pw-1' }, { credentials: owner.credentials })).field('userId') ??
      '';
    const copy =
      (await call(ts, 'duplicateUser', { userId: id, login: 'copy@example.com' }, { credentials: owner.credentials })).field('userId') ??
      '';
    await call(ts, 'changeLogin', { userId: id, login: 'renamed@example.com' }, { credentials: owner.credentials });
    await call(ts, 'changePassword', { userId: id, newPassword: 'pw-2' }, { credentials: owner.credentials });
    await call(ts, 'transferOwnership', { userId: id, applicationId: other.id }, { credentials: owner.credentials });
    await call(ts, 'deleteUser', { userId: id }, { credentials: other.credentials });
    const records = await trail(`user:${id}`);
    assert.deepEqual(brief(records), [
      ['user.created', actor, 'ok'],
      ['user.loginChanged', actor, 'ok'],
      ['user.passwordChanged', actor, 'ok'],
      ['user.ownershipTransferred', actor, 'ok'],
      ['user.deleted', `application:${other.id}`, 'ok'],
    ]);
    assert.deepEqual(records[1]?.detail, { from: 'life@example.com', to: 'renamed@example.com' });
    assert.deepEqual(records[3]?.detail, { from: owner.id, to: other.id });
    const [copied] = await trail(`user:${copy}`);
    assert.deepEqual(copied?.detail, { login: 'copy@example.com', ownerId: owner.id, duplicateOf: id });
  });

  test('authentication: success with the method and base URL, failure with its reason, session ended by closeSession', async () => {
    const id =
      (await call(ts, 'createUser', { login: 'signin@example.com', password: 'pw' }, { credentials: owner.credentials })).field('userId') ??
      '';
    const session = await call(ts, 'authenticate', { login: 'signin@example.com', password: 'pw', baseUrl: owner.url });
    await call(ts, 'authenticate', { login: 'signin@example.com', password: 'nope' }, { credentials: other.credentials });
    await call(ts, 'authenticate', { login: 'signin@example.com' }, { credentials: owner.credentials });
    await call(ts, 'authenticate', { login: 'signin@example.com' }, { credentials: other.credentials });
    await call(ts, 'closeSession', { sessionId: session.field('sessionId') ?? '' }, { credentials: owner.credentials });
    const records = await trail(`user:${id}`);
    assert.deepEqual(brief(records), [
      ['user.created', `application:${owner.id}`, 'ok'],
      ['authentication.succeeded', 'guest', 'ok'],
      ['authentication.failed', `application:${other.id}`, 'wrongPassword'],
      ['authentication.succeeded', `application:${owner.id}`, 'ok'],
      ['authentication.failed', `application:${other.id}`, 'permissionDenied'],
      ['session.ended', `application:${owner.id}`, 'ok'],
    ]);
    assert.deepEqual(records[1]?.detail, { method: 'password', address: '127.0.0.1', login: 'signin@example.com', baseUrl: owner.url });
    assert.equal(records[3]?.detail.method, 'owner');
    assert.deepEqual(records[5]?.detail, { baseUrl: owner.url, reason: 'closeSession' });
  });

  test('every type a record was written for is one of AUDIT_EVENT_TYPES', async () => {
    const types = new Set((await ts.server.services.store.queryAudit({ limit: 1000 })).map((r) => r.type));
    for (const type of types) assert.ok((AUDIT_EVENT_TYPES as readonly string[]).includes(type), type);
  });
});

describe('recordAudit', () => {
  test('a detail field named like a secret is dropped, and the drop is logged', async () => {
    const store = await openSqliteStore(':memory:');
    const lines: string[] = [];
    const log = createLogger('error', (line) => lines.push(line));
    await recordAudit(
      { store, now: () => 1, log },
      {
        type: 'user.created',
        actor: 'operator',
        target: 'user:x',
        detail: { login: 'a', password: 'p', relayToken: 't', sessionId: 's', cookie: 'c' },
      },
    );
    const [record] = await store.queryAudit({ limit: 1 });
    assert.deepEqual(record?.detail, { login: 'a' });
    assert.equal(lines.length, 4);
    assert.ok(
      lines.every((line) => !/"(p|t|s|c)"/.test(line)),
      'the dropped values are not logged either',
    );
    await store.close();
  });

  test('a store that cannot write never turns the recorded change into an error; it is logged', async () => {
    const store = await openSqliteStore(':memory:');
    await store.close();
    const lines: string[] = [];
    await recordAudit(
      { store, now: () => 1, log: createLogger('error', (line) => lines.push(line)) },
      { type: 'user.deleted', actor: 'operator', target: 'user:x' },
    );
    assert.match(lines[0] ?? '', /"msg":"audit event not recorded","type":"user.deleted","target":"user:x"/);
  });

  test('trimAudit deletes the events older than auditRetentionDays', async () => {
    const ts = await startTestServer({ auditRetentionDays: 2, logLevel: 'warn' });
    try {
      const { services } = ts.server;
      const day = 86_400_000;
      await services.store.appendAudit({
        at: services.now() - 3 * day,
        type: 'user.created',
        actor: 'operator',
        target: 'user:old',
        outcome: 'ok',
        detail: {},
      });
      await services.store.appendAudit({
        at: services.now() - day,
        type: 'user.created',
        actor: 'operator',
        target: 'user:recent',
        outcome: 'ok',
        detail: {},
      });
      assert.equal(await trimAudit(services), 1);
      assert.deepEqual(
        (await services.store.queryAudit({ type: 'user.created', limit: 10 })).map((r) => r.target),
        ['user:recent'],
      );
    } finally {
      await ts.close();
    }
  });
});
