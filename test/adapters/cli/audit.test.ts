// `ssod audit` through the real binary: the trail that SOAP operations and operator commands
// leave, read with filters, as a table and as JSON.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { runCli } from '../../helpers/cli.js';
import { call, registerApp, startTestServer, type RegisteredApp, type TestServer } from '../../helpers/server.js';

interface Row {
  id: number;
  at: string;
  type: string;
  actor: string;
  target: string;
  outcome: string;
  detail: Record<string, unknown>;
}

describe('ssod audit', () => {
  let ts: TestServer;
  let app: RegisteredApp;
  let userId: string;
  const audit = async (...args: string[]): Promise<Row[]> => {
    const result = await runCli(['audit', '--json', '--data-dir', ts.dataDir, ...args]);
    assert.equal(result.code, 0, result.stderr);
    return JSON.parse(result.stdout) as Row[];
  };
  before(async () => {
    ts = await startTestServer({ argon2MemoryKib: 8192, argon2Iterations: 1, logLevel: 'warn' });
    app = await registerApp(ts, 'https://audit.example.com:443/', 'audit');
    userId =
      (await call(ts, 'createUser', { login: 'audited@example.com', password: 'right-password' }, { credentials: app.credentials })).field(
        'userId',
      ) ?? '';
    await call(ts, 'authenticate', { login: 'audited@example.com', password: 'wrong' });
    await call(ts, 'authenticate', { login: 'audited@example.com', password: 'right-password' }, { credentials: app.credentials });
  });
  after(() => ts.close());

  test('shows the newest events first as a table, every column at full width with --wide', async () => {
    const shown = await runCli(['audit', '--wide', '--data-dir', ts.dataDir]);
    assert.equal(shown.code, 0, shown.stderr);
    const lines = shown.stdout.trim().split('\n');
    assert.match(lines[0] ?? '', /^TIME\s+TYPE\s+ACTOR\s+TARGET\s+OUTCOME\s+DETAIL$/);
    assert.match(
      lines[1] ?? '',
      new RegExp(
        `^\\S+Z\\s+authentication\\.succeeded\\s+application:${app.id}\\s+user:${userId}\\s+ok\\s+method=password address=127\\.0\\.0\\.1 login=audited@example\\.com$`,
      ),
    );
    assert.match(shown.stdout, /authentication\.failed\s+guest\s+user:\S+\s+wrongPassword/);
    assert.match(
      shown.stdout,
      /application\.registered\s+guest\s+application:\S+\s+ok\s+name=audit url=https:\/\/audit\.example\.com:443\//,
    );
  });

  test('fits its table into 100 columns without --wide, wrapping cells, and loses no event', async () => {
    const shown = await runCli(['audit', '--data-dir', ts.dataDir]);
    assert.equal(shown.code, 0, shown.stderr);
    const lines = shown.stdout.trimEnd().split('\n');
    for (const line of lines) assert.ok(line.length <= 100, `${line.length} columns: ${line}`);
    assert.match(lines[0] ?? '', /^TIME\s+TYPE\s+TARGET\s+OUTCOME\s+DETAIL$/);
    // A new event starts with its time, at the start of a line; its continuation lines start with spaces.
    const starts = lines.slice(1).filter((line) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ /.test(line));
    assert.equal(starts.length, (await audit()).length);
    assert.match(starts[0] ?? '', /Z\s+authentication\.succeeded\s+user:\S*\s+ok\s+method=password/);
    const wide = await runCli(['audit', '--wide', '--data-dir', ts.dataDir]);
    assert.ok(Math.max(...wide.stdout.split('\n').map((line) => line.length)) > 100, 'this trail is wider than 100 columns at full width');
  });

  test('filters by type, actor, target, time and count', async () => {
    assert.deepEqual(
      (await audit('--type', 'user.created')).map((row) => [row.actor, row.target, row.detail.login]),
      [[`application:${app.id}`, `user:${userId}`, 'audited@example.com']],
    );
    assert.deepEqual(
      (await audit('--actor', 'guest', '--type', 'authentication.failed')).map((row) => row.outcome),
      ['wrongPassword'],
    );
    assert.deepEqual(
      (await audit('--target', `user:${userId}`)).map((row) => row.type),
      ['authentication.succeeded', 'authentication.failed', 'user.created'],
    );
    assert.equal((await audit('--since', '1h')).length, (await audit()).length);
    assert.deepEqual(await audit('--until', '2000-01-01'), []);
    assert.deepEqual(await audit('--since', new Date(Date.now() + 60_000).toISOString()), []);
    assert.equal((await audit('--limit', '1')).length, 1);
  });

  test('an operator change of a setting is recorded with its old and new value', async () => {
    const set = await runCli(['settings', 'set', 'maxLoginFailures', '12', '--data-dir', ts.dataDir]);
    assert.equal(set.code, 0, set.stderr);
    const [event] = await audit('--type', 'settings.changed');
    assert.deepEqual([event?.actor, event?.target, event?.detail], ['operator', 'setting:maxLoginFailures', { from: '30', to: '12' }]);
  });

  test('refusals name the accepted values in one line', async () => {
    const cases: [string[], RegExp][] = [
      [['--type', 'user.exploded'], /unknown event type "user\.exploded"; the types are: application\.registered, /],
      [['--since', 'yesterday'], /--since must be an ISO 8601 time .* or an age such as 30m, 24h, 7d/],
      [['--limit', 'all'], /--limit must be a whole number/],
    ];
    for (const [args, message] of cases) {
      const refused = await runCli(['audit', '--data-dir', ts.dataDir, ...args]);
      assert.equal(refused.code, 2, args.join(' '));
      assert.match(refused.stderr, message);
      assert.equal(refused.stderr.trim().split('\n').length, 1);
    }
    const help = await runCli(['audit', '--help']);
    assert.match(help.stdout, /Example/);
  });
});
