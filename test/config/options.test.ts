// Options: declared once, validated, unknown keys rejected, frozen (STYLE).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { OptionError, resolveOptions } from '../../src/config/options.js';

test('defaults are those of the protocol and the documentation', () => {
  const options = resolveOptions();
  assert.equal(options.dataDir, './data');
  assert.equal(options.hostname, '127.0.0.1');
  assert.equal(options.soapPort, 11443);
  assert.equal(options.relayPort, 1180);
  assert.equal(options.bind, '127.0.0.1');
  assert.equal(options.sessionTimeout, 6000);
  assert.equal(options.sessionLifetime, 86400);
  assert.equal(options.maxRequestBytes, 65536);
  assert.ok(Object.isFrozen(options));
});

test('precedence: flag over environment over config file over default', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ssod-opt-'));
  try {
    const file = path.join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ soapPort: 1, relayPort: 2, hostname: 'file.example.com' }));
    const options = resolveOptions({
      configFile: file,
      env: { SSOD_RELAY_PORT: '3', SSOD_HOSTNAME: 'env.example.com' },
      flags: { hostname: 'flag.example.com' },
    });
    assert.equal(options.soapPort, 1);
    assert.equal(options.relayPort, 3);
    assert.equal(options.hostname, 'flag.example.com');
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('unknown keys and bad values are errors that say what is wrong', () => {
  assert.throws(
    () => resolveOptions({ env: { SSOD_SOAP_PROT: '1' } }),
    (e: unknown) => e instanceof OptionError && /SSOD_SOAP_PROT/.test(e.message),
  );
  assert.throws(() => resolveOptions({ flags: { nope: '1' } }), OptionError);
  assert.throws(() => resolveOptions({ flags: { soapPort: '70000' } }), /between 0 and 65535/);
  assert.throws(() => resolveOptions({ flags: { sessionTimeout: 'ten' } }), /whole number/);
  assert.throws(() => resolveOptions({ flags: { logLevel: 'loud' } }), /one of/);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ssod-opt-'));
  try {
    const file = path.join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ __proto__: 1, soapPortt: 1 }));
    assert.throws(() => resolveOptions({ configFile: file }), /unknown option "soapPortt"/);
    writeFileSync(file, '[1]');
    assert.throws(() => resolveOptions({ configFile: file }), /JSON object/);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('store: sqlite:PATH or a postgres URL; anything else is refused without echoing it', () => {
  assert.equal(resolveOptions().store, 'sqlite:');
  assert.equal(resolveOptions().masterKeyFile, '');
  assert.equal(resolveOptions().storePoolSize, 10);
  for (const store of ['sqlite:/var/lib/ssod/ssod.db', 'postgres://ssod@db/ssod', 'postgresql://ssod:pw@db:5433/ssod?sslmode=require']) {
    assert.equal(resolveOptions({ flags: { store } }).store, store);
  }
  assert.equal(
    resolveOptions({ env: { SSOD_STORE: 'postgres://db/ssod', SSOD_MASTER_KEY_FILE: '/k', SSOD_STORE_POOL_SIZE: '4' } }).storePoolSize,
    4,
  );
  assert.throws(
    () => resolveOptions({ flags: { store: 'mysql://root:hunter2@db/ssod' } }),
    (e: unknown) => {
      assert.ok(e instanceof OptionError);
      assert.match(e.message, /must be sqlite:PATH or a postgres:\/\/… or postgresql:\/\/… URL, not mysql:…/);
      assert.ok(!e.message.includes('hunter2'));
      return true;
    },
  );
  assert.throws(() => resolveOptions({ flags: { store: '/var/lib/ssod/ssod.db' } }), /must be sqlite:PATH/);
  assert.throws(() => resolveOptions({ flags: { store: 'postgres://a b@/' } }), /not a readable URL/);
  assert.throws(() => resolveOptions({ flags: { storePoolSize: '0' } }), /between 1 and 1000/);
});

test('headersTimeout may not exceed requestTimeout: a request cannot finish before its headers', () => {
  assert.throws(
    () => resolveOptions({ flags: { headersTimeout: '60', requestTimeout: '30' } }),
    /--headers-timeout \(60\) must not exceed --request-timeout \(30\); /,
  );
  assert.equal(resolveOptions({ flags: { headersTimeout: '30', requestTimeout: '30' } }).headersTimeout, 30);
});

test('config file keys are the option names of --help (data-dir) or camelCase; an unknown key names the closest one', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ssod-opt-'));
  const config = (content: Record<string, unknown>): string => {
    const file = path.join(dir, 'c.json');
    writeFileSync(file, JSON.stringify(content));
    return file;
  };
  try {
    const options = resolveOptions({
      configFile: config({ 'data-dir': '/srv/ssod', 'soap-port': 2443, relayPort: 2080, 'argon2-memory-kib': 65536 }),
    });
    assert.deepEqual([options.dataDir, options.soapPort, options.relayPort, options.argon2MemoryKib], ['/srv/ssod', 2443, 2080, 65536]);
    assert.throws(
      () => resolveOptions({ configFile: config({ 'data-dri': '/srv' }) }),
      /unknown option "data-dri" in config file .*\(did you mean data-dir\?\); the keys are the option names/,
    );
    assert.throws(
      () => resolveOptions({ configFile: config({ sesionTimeout: 60 }) }),
      /unknown option "sesionTimeout" .*\(did you mean sessionTimeout\?\)/,
    );
    assert.throws(() => resolveOptions({ configFile: config({ 'Data-Dir': '/srv' }) }), /unknown option "Data-Dir"/);
    assert.throws(() => resolveOptions({ configFile: config({ 'data-dir': '/a', dataDir: '/b' }) }), /gives dataDir twice/);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('a URL option (pass-through pages) is empty or an absolute http(s) URL written plainly', () => {
  assert.equal(resolveOptions().passThroughSuccessUrl, '');
  for (const url of [
    'https://portal.example.com/signed-in?from=ssod#top',
    'http://[2001:db8::1]:8080/',
    'https://panel.example.com:8443/',
  ]) {
    assert.equal(resolveOptions({ flags: { passThroughErrorUrl: url } }).passThroughErrorUrl, url);
  }
  for (const url of [
    '/signed-in',
    'portal.example.com/x',
    'javascript:alert(1)',
    'ftp://portal.example.com/',
    'https://',
    'https://user@portal.example.com/',
    'https://portal.example.com/a b',
    'https://portal.example.com/\\x',
    'https://portal.example.com/%0d%0aSet-Cookie:x',
    `https://portal.example.com/${'a'.repeat(2048)}`,
  ]) {
    assert.throws(() => resolveOptions({ env: { SSOD_PASS_THROUGH_SUCCESS_URL: url } }), OptionError, url);
  }
});
