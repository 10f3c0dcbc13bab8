// `ssod locks` through the real binary against a running server's store: an operator sees the
// brute-force counters and locks and clears them, and the running server follows at once.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { runCli } from '../../helpers/cli.js';
import { call, registerApp, startTestServer, type TestServer } from '../../helpers/server.js';

describe('ssod locks', () => {
  let ts: TestServer;
  const signIn = (password: string, localAddress = '127.0.0.1') =>
    call(ts, 'authenticate', { login: 'Alice@Example.com', password }, { localAddress });
  before(async () => {
    ts = await startTestServer({ argon2MemoryKib: 8192, argon2Iterations: 1, logLevel: 'warn', maxLoginFailures: 2 });
    const app = await registerApp(ts, 'https://locks.example.com:443/', 'locks');
    await call(ts, 'createUser', { login: 'Alice@Example.com', password: 'right-password' }, { credentials: app.credentials });
    for (let i = 0; i < 2; i += 1) await signIn('wrong', '127.0.5.1');
  });
  after(() => ts.close());

  test('lists the counters, most recent first, as a table and as JSON; --locked keeps the locked ones', async () => {
    const shown = await runCli(['locks', '--data-dir', ts.dataDir]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /^KEY\s+FAILURES\s+LAST FAILURE\s+LOCKED UNTIL$/m);
    assert.match(shown.stdout, /^login:alice@example\.com\s+2\s+\S+Z\s+\S+Z$/m);
    assert.match(shown.stdout, /^source:127\.0\.5\.1\s+2\s+\S+Z\s+-$/m);

    const json = await runCli(['locks', '--json', '--locked', '--data-dir', ts.dataDir]);
    assert.equal(json.code, 0, json.stderr);
    const rows = JSON.parse(json.stdout) as { key: string; kind: string; failures: number; locked: boolean; lockedUntil: string }[];
    assert.deepEqual(
      rows.map((row) => [row.key, row.kind, row.failures, row.locked]),
      [['login:alice@example.com', 'login', 2, true]],
    );
    assert.ok(Date.parse(rows[0]?.lockedUntil ?? '') > Date.now());
  });

  test('clear --login (any case) unlocks the login for the running server, and is audited', async () => {
    assert.equal((await signIn('right-password')).fault, 'invalidCredentials', 'locked before');
    const cleared = await runCli(['locks', 'clear', '--login', 'ALICE@example.COM', '--data-dir', ts.dataDir]);
    assert.equal(cleared.code, 0, cleared.stderr);
    assert.equal(cleared.stdout, 'cleared login:alice@example.com\n');
    assert.equal((await signIn('right-password')).status, 200, 'unlocked at once');
    const [event] = await ts.server.services.store.queryAudit({ type: 'lock.cleared', limit: 1 });
    assert.deepEqual([event?.actor, event?.target], ['operator', 'login:alice@example.com']);
  });

  test('clear --source and clear KEY; --json', async () => {
    const bySource = await runCli(['locks', 'clear', '--source', '127.0.5.1', '--json', '--data-dir', ts.dataDir]);
    assert.equal(bySource.code, 0, bySource.stderr);
    assert.deepEqual(JSON.parse(bySource.stdout), { cleared: 'source:127.0.5.1' });
    await signIn('wrong', '127.0.5.2');
    const byKey = await runCli(['locks', 'clear', 'source:127.0.5.2', '--data-dir', ts.dataDir]);
    assert.equal(byKey.code, 0, byKey.stderr);
    assert.deepEqual(await ts.server.services.store.getThrottles(['source:127.0.5.1', 'source:127.0.5.2']), []);
  });

  test('refusals say what to do in one line: exit 2 when used wrongly, 1 when there is nothing to clear', async () => {
    const cases: [string[], RegExp, number][] = [
      [['locks', 'clear'], /^ssod: name the one lock to clear; give exactly one of KEY, --login LOGIN or --source SOURCE/, 2],
      [['locks', 'clear', '--login', 'a', '--source', '127.0.0.1'], /give exactly one of/, 2],
      [['locks', 'clear', 'login:nobody'], /no failures or lock recorded for login:nobody; `ssod locks` lists/, 1],
      [['locks', 'clear', '--source', 'not-an-address'], /--source must be a client address or an application id/, 2],
      [['locks', '--limit', '0'], /--limit must be a whole number/, 2],
    ];
    for (const [args, message, status] of cases) {
      const refused = await runCli([...args, '--data-dir', ts.dataDir]);
      assert.equal(refused.code, status, args.join(' '));
      assert.match(refused.stderr, message);
      assert.equal(refused.stderr.trim().split('\n').length, 1, refused.stderr);
    }
  });

  test('--help of both commands shows an example', async () => {
    for (const args of [['locks'], ['locks', 'clear']]) {
      const help = await runCli([...args, '--help']);
      assert.equal(help.code, 0);
      assert.match(help.stdout, /Example/);
    }
  });
});
