// Issue 5, faults: SIGKILL under write load, then a restart. Every write that was acknowledged to a
// client is there after the restart, and SQLite's integrity check passes: a commit is durable
// before its reply is sent (WAL, synchronous=FULL).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { startServe, type ServeProcess } from '../helpers/process.js';
import { call, registerApp, splitPem, type Credentials, type SoapEndpoint } from '../helpers/server.js';
import { eventually } from '../helpers/eventually.js';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ssod-kill-'));
const running: ServeProcess[] = [];
after(() => {
  for (const serve of running) serve.child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

const ARGS = ['--log-level', 'warn', '--argon2-memory-kib', '8192', '--argon2-iterations', '1'];

interface Acknowledged {
  readonly logins: string[];
  readonly applications: string[];
}

/** Writes until told to stop or until the server goes away, keeping what the server acknowledged. */
async function writer(
  endpoint: SoapEndpoint,
  credentials: Credentials,
  n: number,
  acked: Acknowledged,
  stop: () => boolean,
): Promise<void> {
  for (let i = 0; !stop(); i += 1) {
    try {
      if (i % 4 === 3) {
        const reply = await call(endpoint, 'registerApplication', {
          name: `w${n}-${i}`,
          displayName: 'w',
          version: '1',
          url: `https://w${n}-${i}.example.com:443/`,
        });
        const id = reply.field('applicationId');
        if (reply.status === 200 && id !== undefined) acked.applications.push(id);
      } else {
        const login = `w${n}-${i}@example.com`;
        if ((await call(endpoint, 'createUser', { login, password: `pw-${i}` }, { credentials })).status === 200) acked.logins.push(login);
      }
    } catch {
      return; // the connection died with the server: that write was never acknowledged
    }
  }
}

test('SIGKILL under write load: every acknowledged write survives the restart; integrity_check is ok', async () => {
  const first = await startServe(dataDir, ARGS);
  running.push(first);
  const app = await registerApp(first, 'https://owner.example.com:443/', 'owner');
  const acked: Acknowledged = { logins: [], applications: [] };
  let stopped = false;
  const writers = Array.from({ length: 6 }, (_, n) => writer(first, app.credentials, n, acked, () => stopped));
  await eventually(() => acked.logins.length >= 60 || first.child.exitCode !== null, {
    timeoutMs: 60_000,
    intervalMs: 20,
    what: '60 acknowledged writes',
  });
  first.child.kill('SIGKILL');
  assert.equal(await first.exited, null, 'killed by the signal, no clean shutdown');
  stopped = true;
  await Promise.all(writers);
  assert.ok(
    acked.logins.length >= 60 && acked.applications.length > 0,
    `${acked.logins.length} users, ${acked.applications.length} applications acknowledged`,
  );

  const second = await startServe(dataDir, ARGS);
  running.push(second);
  const db = new Database(path.join(dataDir, 'ssod.db'), { readonly: true });
  try {
    assert.deepEqual(db.pragma('integrity_check'), [{ integrity_check: 'ok' }]);
    const logins = new Set(
      db
        .prepare<[], { login: string }>('SELECT login FROM users')
        .all()
        .map((row) => row.login),
    );
    const applications = new Set(
      db
        .prepare<[], { id: string }>('SELECT id FROM applications')
        .all()
        .map((row) => row.id),
    );
    assert.deepEqual(
      acked.logins.filter((login) => !logins.has(login)),
      [],
      'acknowledged users that were lost',
    );
    assert.deepEqual(
      acked.applications.filter((id) => !applications.has(id)),
      [],
      'acknowledged applications that were lost',
    );
  } finally {
    db.close();
  }
  // The restarted server serves what was written before the kill, with the same certificates.
  const last = acked.logins[acked.logins.length - 1] ?? '';
  assert.match(
    (await call(second, 'getUserId', { login: last }, { credentials: app.credentials })).field('userId') ?? '',
    /^[0-9a-f-]{36}$/,
  );
  const fresh = splitPem(
    (await call(second, 'registerApplication', { name: 'after', displayName: 'after', version: '1' })).field('certificate') ?? '',
  );
  assert.equal((await call(second, 'listUsers', {}, { credentials: fresh })).status, 200);
  second.child.kill('SIGTERM');
  assert.equal(await second.exited, 0);
});
