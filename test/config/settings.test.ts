// Service settings: kept in the store, over the defaults; given to serve they are written there;
// a running server follows a change made by someone else (another node, an operator command).
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { OptionError, resolveOptions, settingNames } from '../../src/config/options.js';
import { LiveSettings, SETTINGS_REFRESH_MS, parseSettingChanges, settingsFrom } from '../../src/core/liveSettings.js';
import { createLogger } from '../../src/infra/log.js';
import { openSqliteStore } from '../../src/infra/store/sqlite.js';
import type { Store } from '../../src/core/store/index.js';
import { call, startTestServer, type TestServer } from '../helpers/server.js';
import { eventually } from '../helpers/eventually.js';

const quiet = createLogger('silent');

test('the service settings are those the whole service must agree on', () => {
  assert.deepEqual(settingNames(), [
    'hostname',
    'mode',
    'sessionTimeout',
    'sessionLifetime',
    'ticketLifetime',
    'relayTokenLifetime',
    'passwordHashTypes',
    'certValidityDays',
    'maxLoginFailures',
    'lockWaitIncrement',
    'lockMaxWait',
    'failureResetTime',
    'maxSourceFailuresPerHour',
    'delegatedSourceFailures',
    'delegatedSourceOpenSeconds',
    'passThroughSource',
    'passThroughSuccessUrl',
    'passThroughErrorUrl',
    'passwordChangeEndsSessions',
    'auditRetentionDays',
  ]);
});

test('settingsFrom: the defaults, overridden by stored values; an unreadable stored value is skipped with a warning', () => {
  const defaults = settingsFrom({});
  assert.equal(defaults.sessionTimeout, 6000);
  assert.deepEqual(defaults.passwordHashTypes, ['sha1', 'md5', 'sha256']);
  assert.ok(Object.isFrozen(defaults));

  const warnings: string[] = [];
  const logger = createLogger('warn', (line) => warnings.push(line));
  const settings = settingsFrom(
    { sessionTimeout: '600', hostname: 'sso.example.com', relayTokenLifetime: 'soon', passwordHashTypes: '' },
    logger,
  );
  assert.equal(settings.sessionTimeout, 600);
  assert.equal(settings.hostname, 'sso.example.com');
  assert.equal(settings.relayTokenLifetime, 60);
  assert.deepEqual(settings.passwordHashTypes, []);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0] ?? '', /relayTokenLifetime/);
});

test('parseSettingChanges normalizes values and refuses unknown settings and bad values with a message that says why', () => {
  assert.deepEqual(parseSettingChanges({ passwordHashTypes: ' sha256 , sha1 ', sessionTimeout: '900', hostname: null }), {
    passwordHashTypes: 'sha1,sha256',
    sessionTimeout: '900',
    hostname: null,
  });
  assert.throws(
    () => parseSettingChanges({ soapPort: '1' }),
    (e: unknown) => e instanceof OptionError && /unknown setting "soapPort"/.test(e.message),
  );
  assert.throws(() => parseSettingChanges({ sessionTimeout: '5' }), /between 60 and/);
  assert.throws(() => parseSettingChanges({ passwordHashTypes: 'sha1,crc32' }), /comma-separated list of: sha1, md5, sha256/);
});

describe('LiveSettings over a store', () => {
  let store: Store;
  before(async () => {
    store = await openSqliteStore(':memory:');
  });
  after(() => store.close());

  test('settings given to the node are written to the store; the others keep what the store has', async () => {
    await store.writeSettings({ sessionLifetime: '7200', sessionTimeout: '300' }, 1);
    const options = resolveOptions({ flags: { sessionTimeout: '900', soapPort: '0' } });
    const live = await LiveSettings.open(store, options, quiet, 2);
    assert.equal(live.current().sessionTimeout, 900);
    assert.equal(live.current().sessionLifetime, 7200);
    assert.deepEqual(await store.readSettings(), { sessionLifetime: '7200', sessionTimeout: '900' });
  });

  test('refresh sees a change made by another writer and tells the listeners once', async () => {
    const live = await LiveSettings.open(store, resolveOptions(), quiet, 3);
    const seen: string[] = [];
    live.onChange((next, previous) => seen.push(`${previous.hostname}->${next.hostname}`));
    assert.equal(await live.refresh(), false);
    await store.writeSettings({ hostname: 'sso.example.com' }, 4);
    assert.equal(await live.refresh(), true);
    assert.equal(await live.refresh(), false);
    assert.equal(live.current().hostname, 'sso.example.com');
    assert.deepEqual(seen, ['127.0.0.1->sso.example.com']);
  });
});

describe('a running server follows the settings in its store', () => {
  let ts: TestServer;
  let other: Store;
  before(async () => {
    ts = await startTestServer({ sessionTimeout: 600 });
    other = await openSqliteStore(path.join(ts.dataDir, 'ssod.db'));
  });
  after(async () => {
    await other.close();
    await ts.close();
  });

  test('a flag given to serve is what getSettings reports', async () => {
    assert.equal((await call(ts, 'getSettings')).field('usersSessionsTimeout'), '600');
  });

  test(`a change written by another process is reported within ${SETTINGS_REFRESH_MS / 1000} s, without a restart`, async () => {
    await other.writeSettings({ sessionTimeout: '1200', passwordHashTypes: 'sha256', hostname: 'sso.example.com' }, Date.now());
    const reply = await eventually(
      async () => {
        const answer = await call(ts, 'getSettings');
        assert.equal(answer.field('usersSessionsTimeout'), '1200');
        return answer;
      },
      { timeoutMs: 3 * SETTINGS_REFRESH_MS, intervalMs: 100 },
    );
    assert.deepEqual(reply.all('passwordHash'), ['sha256']);
    assert.equal(reply.field('relayEndpointUrl'), `http://sso.example.com:${ts.relayPort}/relay`);
  });
});
