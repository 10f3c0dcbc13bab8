// `ssod backup` and `ssod restore` through the real binary: a backup taken while a client keeps
// writing holds every write acknowledged before it began, passes the integrity checks and serves
// again; a restore is refused while a server has the store open, and for a damaged backup.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { LATEST_SCHEMA_VERSION } from '../../../src/infra/store/migrations.js';
import { checkSqlite } from '../../../src/infra/store/sqliteBackup.js';
import { openSqliteStore } from '../../../src/infra/store/sqlite.js';
import { runCli } from '../../helpers/cli.js';
import { freshInstallation, type Installation } from '../../helpers/installation.js';
import { call, registerApp, type RegisteredApp, type TestServer } from '../../helpers/server.js';
import { eventually } from '../../helpers/eventually.js';

interface Ack {
  readonly login: string;
  readonly at: number;
}

/** Clients creating users one after another until stopped; every acknowledged write is recorded. */
function startWriters(ts: TestServer, app: RegisteredApp, clients: number): { acks: Ack[]; failures: string[]; stop: () => Promise<void> } {
  const acks: Ack[] = [];
  const failures: string[] = [];
  let running = true;
  let next = 0;
  const loops = Array.from({ length: clients }, async () => {
    while (running) {
      const login = `load-${next++}@example.com`;
      const reply = await call(ts, 'createUser', { login, password: 'load password' }, { credentials: app.credentials });
      if (reply.fault === undefined) acks.push({ login, at: Date.now() });
      else failures.push(`${login}: ${reply.fault}`);
    }
  });
  return {
    acks,
    failures,
    stop: async () => {
      running = false;
      await Promise.all(loops);
    },
  };
}

describe('ssod backup and restore', () => {
  let inst: Installation;
  let ts: TestServer;
  let app: RegisteredApp;
  let work: string;
  before(async () => {
    inst = await freshInstallation();
    // Cheap password hashes: the load is on the store, not on argon2.
    ts = await inst.serve({ argon2MemoryKib: 8192, argon2Iterations: 1 });
    app = await registerApp(ts);
    work = mkdtempSync(path.join(os.tmpdir(), 'ssod-backup-'));
  });
  after(async () => {
    await ts.close();
    await inst.remove();
    rmSync(work, { recursive: true, force: true });
  });

  test('a backup under write load restores to a checked store that holds every write acknowledged before it began, and serves', async () => {
    const writers = startWriters(ts, app, 2);
    await eventually(() => writers.acks.length >= 20, { timeoutMs: 60_000, intervalMs: 20, what: '20 acknowledged writes' });
    const backup = path.join(work, 'under-load');
    const ackedBefore = [...writers.acks];
    const started = Date.now();
    const taken = await inst.run(['backup', backup, '--json']);
    const finished = Date.now();
    await writers.stop();
    assert.equal(taken.code, 0, taken.stderr);
    assert.deepEqual(writers.failures, [], 'the server kept serving writes while the backup ran');
    const during = writers.acks.filter((ack) => ack.at > started && ack.at < finished).length;
    assert.ok(during > 0, 'writes were acknowledged while the backup ran');
    assert.equal((JSON.parse(taken.stdout) as { schemaVersion: number }).schemaVersion, LATEST_SCHEMA_VERSION);
    assert.deepEqual(readdirSync(backup).sort(), ['ca.crt', 'ca.key', 'manifest.json', 'ssod.db', 'tickets']);
    const [ticketKey] = await ts.server.services.store.listTicketKeys();
    const keyFile = path.join('tickets', `${ticketKey?.kid ?? ''}.key`);
    assert.equal(statSync(path.join(backup, keyFile)).mode & 0o777, 0o600, 'the ticket-signing key, owner-only like the CA key');

    const target = path.join(work, 'restored');
    const restored = await runCli(['restore', backup, '--data-dir', target]);
    assert.equal(restored.code, 0, restored.stderr);
    assert.match(restored.stdout, /^replaced files kept in:\s+\(none/m);
    assert.equal(readFileSync(path.join(target, keyFile), 'utf8'), readFileSync(path.join(inst.dataDir, keyFile), 'utf8'));
    assert.deepEqual(checkSqlite(path.join(target, 'ssod.db')), {
      integrity: 'ok',
      danglingReferences: 0,
      schemaVersion: LATEST_SCHEMA_VERSION,
    });
    const store = await openSqliteStore(path.join(target, 'ssod.db'));
    try {
      for (const ack of ackedBefore)
        assert.notEqual(await store.findUserByLoginKey(ack.login), null, `${ack.login} was acknowledged before the backup`);
    } finally {
      await store.close();
    }
    assert.equal(readFileSync(path.join(target, 'ca.key'), 'utf8'), readFileSync(path.join(inst.dataDir, 'ca.key'), 'utf8'));

    // The restored installation serves: same CA, so the application's certificate works; users sign in.
    const { startTestServer } = await import('../../helpers/server.js');
    const again = await startTestServer({ dataDir: target });
    try {
      const login = ackedBefore[0]?.login ?? '';
      assert.equal((await call(again, 'authenticate', { login, password: 'load password' })).fault, undefined);
      assert.equal((await call(again, 'getUserId', { login }, { credentials: app.credentials })).fault, undefined);
    } finally {
      await again.close();
    }
  });

  test('restore: refused while a server has the store open; refused for a damaged backup; into a stopped installation it keeps what it replaced', async () => {
    const backup = path.join(work, 'plain');
    assert.equal((await inst.run(['backup', backup])).code, 0);
    const exists = await inst.run(['backup', backup]);
    assert.equal(exists.code, 1);
    assert.match(exists.stderr, /plain exists; give a new directory for the backup/);

    const running = await inst.run(['restore', backup]);
    assert.equal(running.code, 1);
    assert.match(
      running.stderr,
      /^ssod: .*ssod\.db is open in another process, most likely a running ssod serve; stop it, then restore\n$/,
    );
    assert.equal((await call(ts, 'getUserId', { login: 'load-0@example.com' }, { credentials: app.credentials })).fault, undefined);

    const stopped = await freshInstallation();
    try {
      const restored = await stopped.run(['restore', backup, '--json']);
      assert.equal(restored.code, 0, restored.stderr);
      const aside = (JSON.parse(restored.stdout) as { replacedFilesIn: string }).replacedFilesIn;
      assert.ok(existsSync(path.join(aside, 'ssod.db')) && existsSync(path.join(aside, 'ca.key')));
      assert.equal(readFileSync(path.join(stopped.dataDir, 'ca.crt'), 'utf8'), readFileSync(path.join(inst.dataDir, 'ca.crt'), 'utf8'));

      const damaged = path.join(work, 'damaged');
      assert.equal((await inst.run(['backup', damaged])).code, 0);
      const db = path.join(damaged, 'ssod.db');
      const bytes = readFileSync(db);
      bytes[bytes.length - 100] = (bytes[bytes.length - 100] ?? 0) ^ 0xff;
      writeFileSync(db, bytes);
      const refused = await stopped.run(['restore', damaged]);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /ssod\.db is missing or differs from the backup's manifest/);
      const notBackup = await stopped.run(['restore', work]);
      assert.match(notBackup.stderr, /is not an ssod backup: manifest\.json is missing/);
    } finally {
      await stopped.remove();
    }
  });
});
