// The registry of delegated sources (core/sources.ts) and the circuit breaker in front of each
// (core/circuitBreaker.ts), on a clock the test moves: how a node follows the store's list of
// sources, and what the breaker lets through. The sources are doubles of the port (helpers/sources.ts).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CIRCUIT_OPEN, Circuit, guardedSource } from '../../src/core/circuitBreaker.js';
import type { LiveSettings } from '../../src/core/liveSettings.js';
import type { PassThroughSource, SourceAnswer, SourceSettings } from '../../src/core/ports/delegated.js';
import type { LogFields, Logger } from '../../src/core/ports/logger.js';
import { SOURCES_REFRESH_MS, StoreSourceRegistry } from '../../src/core/sources.js';
import type { SourceRecord, StoredSource } from '../../src/core/store/index.js';
import { DIRECTORY_PASSWORD, UNAVAILABLE, doubleOpener, ldapSettings, webServiceSettings } from '../helpers/sources.js';

const T0 = 1_700_000_000_000;
const CHECK = { login: 'alice', password: DIRECTORY_PASSWORD, originatingIp: '192.0.2.1' };

/** A log that keeps its lines. */
function keptLog(): Logger & { readonly lines: { level: string; msg: string; fields: LogFields }[] } {
  const lines: { level: string; msg: string; fields: LogFields }[] = [];
  const at =
    (level: string) =>
    (msg: string, fields: LogFields = {}): void => {
      lines.push({ level, msg, fields });
    };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

const POLICY_SETTINGS = {
  current: () => ({ delegatedSourceFailures: 5, delegatedSourceOpenSeconds: 30 }),
} as unknown as Pick<LiveSettings, 'current'>;

function record(name: string, at: number, settings: SourceSettings = webServiceSettings()): SourceRecord {
  return { name, kind: settings.kind, settings, createdAt: T0, updatedAt: at };
}

/** A registry over a list the test changes, on a clock it moves. */
function registryOver(initial: StoredSource[]) {
  let now = T0;
  let listed = initial;
  let reads = 0;
  const opener = doubleOpener();
  const log = keptLog();
  const registry = new StoreSourceRegistry({
    store: {
      listSources: () => {
        reads += 1;
        return Promise.resolve(listed);
      },
    },
    settings: POLICY_SETTINGS,
    open: opener.open,
    log,
    now: () => now,
  });
  return {
    registry,
    opener,
    log,
    reads: () => reads,
    list(next: StoredSource[]) {
      listed = next;
    },
    advance(ms: number) {
      now += ms;
    },
  };
}

describe('the registry of sources', () => {
  test('a source is opened on first use and kept; the list is read again at most every 2 s', async () => {
    const r = registryOver([record('corp', T0)]);
    const first = await r.registry.source('corp');
    assert.ok(first !== null);
    assert.deepEqual(await first.checkPassword(CHECK), { ok: true });
    await r.registry.source('corp');
    assert.equal(r.opener.opened.length, 1, 'opened once');
    assert.equal(r.reads(), 1, 'read once within the refresh time');
    r.advance(SOURCES_REFRESH_MS);
    await r.registry.source('corp');
    assert.equal(r.reads(), 2);
    assert.equal(r.opener.opened.length, 1, 'an unchanged row keeps its source');
    assert.equal(await r.registry.source('other'), null);
  });

  test('a source added on another node is found; a replaced one is reopened and the old one closed; a removed one is closed and gone', async () => {
    const r = registryOver([]);
    assert.equal(await r.registry.source('corp'), null);
    r.list([record('corp', T0)]);
    r.advance(250); // a name not known is looked up again after a moment, before the refresh time
    assert.ok((await r.registry.source('corp')) !== null);
    const old = r.opener.last('https://auth.example.com/LJAuthenticate');

    const replacement = webServiceSettings({ url: 'https://auth2.example.com/LJAuthenticate' });
    r.list([record('corp', T0 + 1, replacement)]);
    r.advance(SOURCES_REFRESH_MS);
    const replaced = await r.registry.source('corp');
    assert.equal(old.closed, true, 'the replaced source is closed');
    await replaced?.checkPassword(CHECK);
    assert.equal(r.opener.last(replacement.url).checks.length, 1, 'the new settings are used');

    r.list([]);
    r.advance(SOURCES_REFRESH_MS);
    assert.equal(await r.registry.source('corp'), null);
    assert.equal(r.opener.last(replacement.url).closed, true);
  });

  test('a replaced source is closed only after the checks in flight on it have answered', async () => {
    const r = registryOver([record('corp', T0)]);
    const source = await r.registry.source('corp');
    const double = r.opener.last('https://auth.example.com/LJAuthenticate');
    let answer: (value: SourceAnswer) => void = () => undefined;
    double.answer = () => new Promise((resolve) => (answer = resolve));
    const inFlight = source?.checkPassword(CHECK);
    r.list([record('corp', T0 + 1)]);
    r.advance(SOURCES_REFRESH_MS);
    await r.registry.source('corp');
    assert.equal(double.closed, false, 'still answering a check');
    answer({ ok: true });
    assert.deepEqual(await inFlight, { ok: true });
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(double.closed, true);
  });

  test('a stored row whose settings cannot be read makes that source unavailable, with one log line that says why', async () => {
    const broken: StoredSource = {
      name: 'broken',
      kind: 'ldap',
      settings: null,
      problem: 'its settings are not JSON',
      createdAt: T0,
      updatedAt: T0,
    };
    const r = registryOver([broken, record('corp', T0)]);
    const source = await r.registry.source('broken');
    assert.deepEqual(await source?.checkPassword(CHECK), {
      ok: false,
      cause: 'unavailable',
      detail: 'its stored settings cannot be used: its settings are not JSON',
    });
    r.advance(SOURCES_REFRESH_MS);
    await r.registry.source('broken');
    const logged = r.log.lines.filter((line) => line.level === 'error');
    assert.equal(logged.length, 1, 'logged once');
    assert.deepEqual(logged[0]?.fields, { source: 'broken', problem: 'its settings are not JSON' });
    assert.equal((await (await r.registry.source('corp'))?.checkPassword(CHECK))?.ok, true, 'the others work');
    assert.deepEqual(
      r.registry.health().map((health) => [health.name, health.kind, health.circuit]),
      [
        ['broken', 'ldap', 'closed'],
        ['corp', 'webService', 'closed'],
      ],
    );
  });

  test('a source that cannot be opened answers unavailable with why; the store failing keeps the list read before', async () => {
    let failing = true;
    const log = keptLog();
    const registry = new StoreSourceRegistry({
      store: {
        listSources: () => (failing ? Promise.reject(new Error('store down')) : Promise.resolve([record('corp', T0, ldapSettings())])),
      },
      settings: POLICY_SETTINGS,
      open: () => {
        throw new Error('no LDAP here');
      },
      log,
      now: () => T0,
    });
    assert.equal(await registry.source('corp'), null, 'nothing listed yet');
    assert.match(log.lines[0]?.msg ?? '', /not read from the store/);
    failing = false;
    await registry.refresh();
    assert.deepEqual(await (await registry.source('corp'))?.checkPassword(CHECK), {
      ok: false,
      cause: 'unavailable',
      detail: 'it cannot be opened: no LDAP here',
    });
  });

  test('close closes every opened source; afterwards no source is given', async () => {
    const r = registryOver([record('corp', T0)]);
    await r.registry.source('corp');
    await r.registry.close();
    assert.equal(r.opener.last('https://auth.example.com/LJAuthenticate').closed, true);
    assert.equal(await r.registry.source('corp'), null);
  });
});

describe('the circuit breaker', () => {
  function circuitOn() {
    let now = T0;
    const log = keptLog();
    const circuit = new Circuit('corp', { policy: () => ({ failuresToOpen: 5, openMs: 30_000 }), now: () => now, log });
    return { circuit, log, advance: (ms: number) => (now += ms) };
  }
  const answering = (answer: SourceAnswer) => () => Promise.resolve(answer);

  test('opens after 5 unavailable answers in a row; a rejected or malformed answer in between starts the count again', async () => {
    const { circuit, log } = circuitOn();
    for (let i = 0; i < 4; i += 1) await circuit.run(answering(UNAVAILABLE), 1000);
    await circuit.run(answering({ ok: false, cause: 'rejected', detail: 'no' }), 1000);
    for (let i = 0; i < 4; i += 1) await circuit.run(answering(UNAVAILABLE), 1000);
    assert.equal(circuit.state, 'closed');
    await circuit.run(answering(UNAVAILABLE), 1000);
    assert.equal(circuit.state, 'open');
    assert.match(log.lines.at(-1)?.msg ?? '', /circuit open/);
  });

  test('while open every check fails at once without the call; after the period one check goes through, and its success closes it', async () => {
    const { circuit, advance } = circuitOn();
    for (let i = 0; i < 5; i += 1) await circuit.run(answering(UNAVAILABLE), 1000);
    let calls = 0;
    const counted = () => {
      calls += 1;
      return Promise.resolve<SourceAnswer>({ ok: true });
    };
    assert.deepEqual(await circuit.run(counted, 1000), { ok: false, cause: 'unavailable', detail: CIRCUIT_OPEN });
    assert.equal(calls, 0);
    advance(29_999);
    assert.equal(circuit.state, 'open');
    advance(1);
    assert.equal(circuit.state, 'halfOpen');
    assert.deepEqual(await circuit.run(counted, 1000), { ok: true });
    assert.equal(calls, 1);
    assert.equal(circuit.state, 'closed');
    assert.equal(circuit.lastFailure, null);
  });

  test('half open lets one check through at a time; its failure opens the circuit again for the whole period', async () => {
    const { circuit, advance } = circuitOn();
    for (let i = 0; i < 5; i += 1) await circuit.run(answering(UNAVAILABLE), 1000);
    advance(30_000);
    let fail: (answer: SourceAnswer) => void = () => undefined;
    const probe = circuit.run(() => new Promise<SourceAnswer>((resolve) => (fail = resolve)), 1000);
    assert.deepEqual(await circuit.run(answering({ ok: true }), 1000), { ok: false, cause: 'unavailable', detail: CIRCUIT_OPEN });
    fail(UNAVAILABLE);
    assert.deepEqual(await probe, UNAVAILABLE);
    assert.equal(circuit.state, 'open');
    advance(29_999);
    assert.equal(circuit.state, 'open');
  });

  test('a source that throws, or does not answer in time, counts as unavailable (never a crash, never a hang)', async () => {
    const { circuit } = circuitOn();
    const thrown = await circuit.run(() => Promise.reject(new Error('socket exploded')), 1000);
    assert.deepEqual(thrown, { ok: false, cause: 'unavailable', detail: 'the source failed: socket exploded' });
    const started = Date.now();
    const silent = await circuit.run(() => new Promise<SourceAnswer>(() => undefined), 100);
    assert.deepEqual(silent, { ok: false, cause: 'unavailable', detail: 'no answer within 2100 ms' });
    assert.ok(Date.now() - started < 10_000);
    assert.equal(circuit.lastFailure, 'no answer within 2100 ms');
  });

  test('the guarded source keeps checkPassThrough when the source has it, behind the same circuit', async () => {
    const { circuit } = circuitOn();
    const passThrough: PassThroughSource = {
      kind: 'webService',
      checkPassword: () => Promise.resolve(UNAVAILABLE),
      checkPassThrough: (check) => Promise.resolve({ ok: true, loginId: check.loginId }),
      close: () => Promise.resolve(),
    };
    const guarded = guardedSource(passThrough, circuit, 1000);
    assert.ok('checkPassThrough' in guarded);
    const check = { sessionId: null, loginId: 'alice', originatingDomain: 'example.com', originatingIp: '192.0.2.1' };
    assert.deepEqual(await guarded.checkPassThrough(check), { ok: true, loginId: 'alice' });
    for (let i = 0; i < 5; i += 1) await guarded.checkPassword(CHECK);
    assert.deepEqual(await guarded.checkPassThrough(check), { ok: false, cause: 'unavailable', detail: CIRCUIT_OPEN });
    const plain = guardedSource(
      { kind: 'ldap', checkPassword: () => Promise.resolve({ ok: true }), close: () => Promise.resolve() },
      circuit,
      1000,
    );
    assert.equal('checkPassThrough' in plain, false, 'an LDAP source has none');
  });
});
