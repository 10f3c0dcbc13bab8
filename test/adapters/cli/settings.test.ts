// `ssod settings` through the real binary against a real store, and a running server that follows it.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { settingNames } from '../../../src/config/options.js';
import { SETTINGS_REFRESH_MS } from '../../../src/core/liveSettings.js';
import { runCli } from '../../helpers/cli.js';
import { call, startTestServer, type TestServer } from '../../helpers/server.js';
import { eventually } from '../../helpers/eventually.js';

describe('ssod settings', () => {
  let ts: TestServer;
  before(async () => {
    ts = await startTestServer();
  });
  after(() => ts.close());

  test('shows every setting with its default, as a table that fits 100 columns, at full width with --wide, and as JSON', async () => {
    const shown = await runCli(['settings', '--data-dir', ts.dataDir]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /^SETTING\s+VALUE\s+MEANING$/m);
    assert.match(shown.stdout, /^sessionTimeout\s+6000 \(default\)\s+Idle timeout/m);
    for (const line of shown.stdout.split('\n')) assert.ok(line.length <= 100, `${line.length} columns: ${line}`);
    // Every setting starts a line; the lines between are its MEANING, wrapped.
    assert.equal(shown.stdout.split('\n').filter((line) => /^[a-z]\w+ /.test(line)).length, settingNames().length);
    const wide = await runCli(['settings', '--wide', '--data-dir', ts.dataDir]);
    assert.equal(wide.code, 0, wide.stderr);
    assert.match(wide.stdout, /^SETTING\s+VALUE\s+DEFAULT\s+MEANING$/m);
    assert.match(
      wide.stdout,
      /^sessionTimeout\s+6000 \(default\)\s+6000\s+Idle timeout of a global session \(getSettings usersSessionsTimeout\)\.$/m,
    );
    assert.ok(Math.max(...wide.stdout.split('\n').map((line) => line.length)) > 100);
    const json = await runCli(['settings', '--json'], { env: { SSOD_DATA_DIR: ts.dataDir } });
    assert.equal(json.code, 0, json.stderr);
    const parsed = JSON.parse(json.stdout) as Record<string, unknown>;
    assert.equal(parsed.sessionTimeout, 6000);
    assert.deepEqual(parsed.passwordHashTypes, ['sha1', 'md5', 'sha256']);
  });

  test('set changes the setting for a running server, without a restart; reset returns to the default', async () => {
    const set = await runCli(['settings', 'set', 'sessionTimeout', '900', '--data-dir', ts.dataDir]);
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stdout, /sessionTimeout: 6000 -> 900/);
    assert.match(set.stdout, /no restart is needed/);

    await eventually(async () => assert.equal((await call(ts, 'getSettings')).field('usersSessionsTimeout'), '900'), {
      timeoutMs: 3 * SETTINGS_REFRESH_MS,
      intervalMs: 100,
    });

    const reset = await runCli(['settings', '--data-dir', ts.dataDir, '--json', 'reset', 'sessionTimeout']);
    assert.equal(reset.code, 0, reset.stderr);
    assert.deepEqual(JSON.parse(reset.stdout), {
      changed: [{ name: 'sessionTimeout', from: 900, to: 6000 }],
      takesEffectWithinSeconds: SETTINGS_REFRESH_MS / 1000,
    });
  });

  test('a setting may be named as the flag of ssod serve names it (session-timeout), as config keys may', async () => {
    const set = await runCli(['settings', 'set', 'session-timeout', '1200', '--data-dir', ts.dataDir]);
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stdout, /sessionTimeout: 6000 -> 1200/);
    const reset = await runCli(['settings', 'reset', 'session-timeout', '--data-dir', ts.dataDir]);
    assert.equal(reset.code, 0, reset.stderr);
    assert.match(reset.stdout, /sessionTimeout: 1200 -> 6000/);
    const misspelt = await runCli(['settings', 'set', 'session-timout', '5', '--data-dir', ts.dataDir]);
    assert.equal(misspelt.code, 2);
    assert.match(misspelt.stderr, /^ssod: unknown setting "session-timout" \(did you mean sessionTimeout\?\); /);
  });

  test('refusals: an unknown setting, a bad value, a setting with its own command; one line, non-zero, nothing written', async () => {
    const cases: [string[], RegExp][] = [
      [['set', 'soapPort', '1'], /unknown setting "soapPort"; the settings are: hostname, mode, sessionTimeout/],
      [['set', 'sessionTimeout', 'ten'], /sessionTimeout .* must be a whole number/],
      [['set', 'passwordHashTypes', 'sha1,crc32'], /comma-separated list of: sha1, md5, sha256/],
      [['set', 'hostname', 'sso.example.com'], /ssod hostname NAME/],
      [['set', 'passThroughSource', 'corp'], /passThroughSource: no source is named "corp"; there is no web service source: add one with/],
      [['set', 'passThroughSuccessUrl', '/signed-in'], /passThroughSuccessUrl .* must be an absolute http or https URL/],
      [
        ['set', 'passThroughErrorUrl', 'https://portal.example.com/%0aSet-Cookie:x'],
        /passThroughErrorUrl .* must not hold an encoded control/,
      ],
    ];
    for (const [args, message] of cases) {
      const refused = await runCli(['settings', ...args, '--data-dir', ts.dataDir]);
      assert.notEqual(refused.code, 0, args.join(' '));
      assert.match(refused.stderr, message);
      assert.equal(refused.stderr.trim().split('\n').length, 1, refused.stderr);
    }
    assert.deepEqual(await ts.server.services.store.readSettings(), {});
  });

  test('a data directory without a store is refused, never created', async () => {
    const empty = mkdtempSync(path.join(os.tmpdir(), 'ssod-empty-'));
    try {
      const refused = await runCli(['settings', '--data-dir', empty]);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /^ssod: no ssod store at .*ssod\.db; give the installation's --data-dir/);
      assert.deepEqual((await import('node:fs')).readdirSync(empty), []);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  test('--help of every settings command shows an example', async () => {
    for (const args of [['settings'], ['settings', 'set'], ['settings', 'reset']]) {
      const help = await runCli([...args, '--help']);
      assert.equal(help.code, 0);
      assert.match(help.stdout, /Example/);
    }
  });
});
