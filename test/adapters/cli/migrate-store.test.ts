// `ssod migrate-store`: a running single-node installation is copied into PostgreSQL,
// and a PostgreSQL node then serves the same applications, certificates, users and live sessions.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { generateMasterKeyFile } from '../../../src/infra/keys/masterKey.js';
import { createSchema, postgresSuite, type Isolated } from '../../helpers/postgres.js';
import {
  call,
  registerApp,
  relayGet,
  splitPem,
  startTestServer,
  type Credentials,
  type RegisteredApp,
  type TestServer,
} from '../../helpers/server.js';
import { runCli } from '../../helpers/cli.js';
import { createGroup } from '../../../src/core/operator/groups.js';

const PANEL = 'https://panel.example.com:8443/';
const CHEAP_HASHING = { argon2MemoryKib: 8192, argon2Iterations: 1 } as const;

postgresSuite('ssod migrate-store', () => {
  let single: TestServer;
  let target: Isolated;
  let dir: string;
  let masterKeyFile: string;
  let panel: RegisteredApp;
  let rotated: { old: Credentials; current: Credentials };
  const users = new Map<string, string>(); // login → userId
  let sessionId: string;
  let cookie: string;
  let groupProvider: string;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'ssod-migrate-'));
    masterKeyFile = path.join(dir, 'master.key');
    await generateMasterKeyFile(masterKeyFile);
    target = await createSchema();
    single = await startTestServer(CHEAP_HASHING);
    panel = await registerApp(single, PANEL, 'panel');
    for (const login of ['alice', 'bob', 'carol']) {
      users.set(
        login,
        (await call(single, 'createUser', { login, password: `${login}-password` }, { credentials: panel.credentials })).field('userId') ??
          '',
      );
    }
    const other = await registerApp(single, 'https://billing.example.com:443/', 'billing');
    const current = splitPem(
      (await call(single, 'updateApplication', { applicationId: other.id, certificate: '' }, { credentials: other.credentials })).field(
        'certificate',
      ) ?? '',
    );
    assert.equal((await call(single, 'listUsers', {}, { credentials: current })).status, 200); // the rotation takes effect
    rotated = { old: other.credentials, current };
    const signIn = await call(single, 'authenticate', { login: 'alice', password: 'alice-password', baseUrl: PANEL });
    sessionId = signIn.field('sessionId') ?? '';
    const exchange = await relayGet(single, new URLSearchParams({ token: signIn.field('relayToken') ?? '', url: PANEL }).toString());
    cookie = (exchange.headers['set-cookie']?.[0] ?? '').split(';', 1)[0] ?? '';
    // The tables of later migrations come along as well: settings, throttles, the audit trail.
    const store = single.server.services.store;
    await store.writeSettings({ sessionTimeout: '900' }, Date.now());
    await store.countAttempt('migrated-attempt', [{ key: 'login:mallory', resetBefore: 0, windowBefore: null, threshold: 0 }], Date.now(), {
      incrementMs: 60_000,
      maxMs: 900_000,
    });
    for (const type of ['user.created', 'authentication.failed']) {
      await store.appendAudit({ at: Date.now(), type, actor: 'guest', target: 'login:mallory', outcome: 'ok', detail: { n: 1 } });
    }
    // An application group (docs/groups.md), with billing as its provider.
    const billing = await store.getApplication(other.id);
    assert.ok(billing !== null);
    await createGroup(single.server.services, 'books', billing);
    groupProvider = other.id;
  });

  after(async () => {
    await single.close();
    await target.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const from = (): string => `sqlite:${path.join(single.dataDir, 'ssod.db')}`;

  test('copies the running installation, verifies the counts, and a PostgreSQL node serves it all', async () => {
    const auditEvents = (await single.server.services.store.queryAudit({ limit: 10_000 })).length;
    const result = await runCli(['migrate-store', '--from', from(), '--to', target.url, '--master-key-file', masterKeyFile]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /row counts verified/);
    assert.match(result.stdout, /^ {2}applications +2$/m);
    assert.match(result.stdout, /^ {2}users +3$/m);
    assert.match(result.stdout, /^ {2}certificates +3$/m);
    assert.match(result.stdout, /^ {2}global_sessions +1$/m);
    assert.match(result.stdout, /^ {2}key_material +2$/m);
    assert.match(result.stdout, /^ {2}ticket_keys +1$/m);
    assert.match(result.stdout, /^ {2}application_groups +1$/m);
    assert.match(result.stdout, /^ {2}group_members +1$/m);
    assert.match(result.stdout, new RegExp(`^ {2}audit_events +${auditEvents}$`, 'm'));
    assert.equal((await call(single, 'verifySession', { sessionId })).status, 200, 'the single node kept serving');

    const node = await startTestServer({ ...CHEAP_HASHING, store: target.url, masterKeyFile });
    try {
      assert.equal(node.caPem, single.caPem, 'the same CA, so every issued certificate still works');
      const listed = await call(node, 'listUsers', {}, { credentials: panel.credentials });
      assert.deepEqual(listed.all('a').sort(), [...users.values()].sort());
      for (const [login, userId] of users) {
        assert.equal(
          (await call(node, 'authenticate', { login, password: `${login}-password` })).field('userId'),
          userId,
          'password hashes came along',
        );
      }
      assert.equal((await call(node, 'verifySession', { sessionId })).field('userId'), users.get('alice'), 'the live session came along');
      const relayed = await relayGet(node, new URLSearchParams({ url: PANEL }).toString(), cookie);
      assert.equal(new URL(relayed.headers.location ?? '').searchParams.get('ssosid'), sessionId, 'and its relay cookie');
      assert.equal((await call(node, 'listUsers', {}, { credentials: rotated.current })).status, 200);
      assert.equal(
        (await call(node, 'listUsers', {}, { credentials: rotated.old })).fault,
        'FailedAuthentication',
        'the rotation state came along',
      );
      assert.equal((await call(node, 'getSettings')).field('usersSessionsTimeout'), '900', 'the service settings came along');
      const store = node.server.services.store;
      assert.deepEqual(
        await store.groupOfApplication(groupProvider),
        { groupName: 'books', providerId: groupProvider, role: 'provider' },
        'the groups came along',
      );
      const ticketKey = (await store.listTicketKeys())[0];
      assert.ok(ticketKey !== undefined);
      assert.equal(ticketKey.kid, (await single.server.services.store.listTicketKeys())[0]?.kid, 'the ticket key came along');
      assert.match(ticketKey.sealedKey ?? '', /^v1\./, 'sealed with the master key');
      const signed = await node.server.services.tickets.sign(ticketKey, 'ssod-ticket+jwt', { sub: 'x' });
      assert.equal(
        (JSON.parse(Buffer.from(signed.split('.')[0] ?? '', 'base64url').toString()) as { kid: string }).kid,
        ticketKey.kid,
        'and it signs',
      );
      assert.deepEqual(
        (await store.getThrottles(['login:mallory'])).map((t) => t.failures),
        [1],
      );
      const audit = await single.server.services.store.queryAudit({ limit: 10_000 });
      const lastCopied = Math.max(...audit.map((event) => event.id));
      // The node records its own events (the sign-ins above) after the copied ones.
      const copied = (await store.queryAudit({ limit: 10_000 })).filter((event) => event.id <= lastCopied);
      assert.deepEqual(copied, audit, 'the audit trail, ids and all');
      await store.appendAudit({ at: Date.now(), type: 'after.copy', actor: 'operator', target: 'none', outcome: 'ok', detail: {} });
      assert.ok(((await store.queryAudit({ limit: 1 }))[0]?.id ?? 0) > lastCopied, 'new ids continue after the copied ones');
    } finally {
      await node.close();
    }
  });

  test('a target that holds rows is refused unless --overwrite, which replaces them', async () => {
    const refused = await runCli(['migrate-store', '--from', from(), '--to', target.url, '--master-key-file', masterKeyFile]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^ssod: .* is not empty \(.*\): give --overwrite to replace what it holds\n$/);
    const replaced = await runCli([
      'migrate-store',
      '--from',
      from(),
      '--to',
      target.url,
      '--master-key-file',
      masterKeyFile,
      '--overwrite',
    ]);
    assert.equal(replaced.code, 0, replaced.stderr);
    assert.match(replaced.stdout, /^ {2}users +3$/m);
  });

  test('mistakes get one line that says what to do', async () => {
    const noKey = await runCli(['migrate-store', '--from', from(), '--to', target.url]);
    assert.equal(noKey.code, 1);
    assert.match(noKey.stderr, /^ssod: .*none was given: make one with `ssod master-key generate/);
    const wrongWay = await runCli(['migrate-store', '--from', target.url, '--to', from(), '--master-key-file', masterKeyFile]);
    assert.match(wrongWay.stderr, /^ssod: --from must name the SQLite store: sqlite:PATH\n$/);
    const noCa = await runCli([
      'migrate-store',
      '--from',
      from(),
      '--to',
      target.url,
      '--master-key-file',
      masterKeyFile,
      '--data-dir',
      dir,
    ]);
    assert.match(noCa.stderr, /^ssod: no certificate authority: .*ca\.key and .*ca\.crt are missing\n$/);
    for (const result of [noKey, wrongWay, noCa]) assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
  });
});
