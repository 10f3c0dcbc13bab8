// The verifySession cache of a PostgreSQL store (src/infra/store/verifyCache.ts): the memory bound
// of its LRU, and, on real PostgreSQL, that an answer kept by one store is dropped when another store
// (another node, or an operator command) ends its session, within the bound, also while the network
// to the database stalls or breaks; the store that made the change itself is exact.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Store } from '../../../src/core/store/index.js';
import { createLogger } from '../../../src/infra/log.js';
import { openStore } from '../../../src/infra/store/open.js';
import { AnswerLru, type KeptAnswer } from '../../../src/infra/store/verifyCache.js';
import { eventually } from '../../helpers/eventually.js';
import { createSchema, postgresSuite, TEST_POSTGRES_URL, type Isolated } from '../../helpers/postgres.js';
import { startTcpProxy, type TcpProxy } from '../../helpers/tcpProxy.js';
import { application, certificate, HOUR, MINUTE, sessionParts, seedUser, T0, type SessionParts } from './contract/fixtures.js';

/** The bound of the caching store: no read asked later than this after a session's end finds it. */
const BOUND_MS = 400;
/** How long a test waits for what must happen eventually: a loaded machine only makes it slower. */
const LIVENESS_MS = 30_000;

/** An answer with a session, as the LRU keeps them. */
function answerOf(globalId: string, userId: string): KeptAnswer {
  const parts = sessionParts(userId);
  return {
    certificate: null,
    applicationUrl: null,
    applicationGroup: null,
    session: { local: parts.local, global: { ...parts.global, id: globalId } },
  };
}

test('the LRU never holds more than its maximum, dropping the least recently used first', () => {
  const lru = new AnswerLru(3);
  let dropped = 0;
  for (let i = 0; i < 10; i += 1) {
    dropped += lru.set(`k${i}`, answerOf(`g${i}`, 'u'));
    assert.ok(lru.size <= 3);
    // k0 is used at every step: it stays.
    if (lru.get('k0') === undefined && i > 0) assert.fail('k0 was used most recently and was dropped');
  }
  assert.equal(lru.size, 3);
  assert.equal(dropped, 7);
  assert.notEqual(lru.get('k0'), undefined);
  assert.notEqual(lru.get('k9'), undefined);
  assert.equal(lru.get('k1'), undefined);
});

test("the LRU drops a global session's answers, or a user's, and nothing else", () => {
  const lru = new AnswerLru(10);
  lru.set('a1', answerOf('ga', 'alice'));
  lru.set('a2', answerOf('ga', 'alice'));
  lru.set('b1', answerOf('gb', 'bob'));
  lru.set('c1', answerOf('gc', 'alice'));
  assert.equal(lru.deleteGlobal('ga'), 2);
  assert.deepEqual([lru.get('a1'), lru.get('a2')], [undefined, undefined]);
  assert.equal(lru.deleteUser('alice'), 1);
  assert.equal(lru.get('c1'), undefined);
  assert.notEqual(lru.get('b1'), undefined);
  // An answer replaced under its key is indexed once, under its new ids.
  lru.set('b1', answerOf('gd', 'dave'));
  assert.equal(lru.deleteUser('bob'), 0);
  assert.equal(lru.deleteGlobal('gd'), 1);
  assert.equal(lru.size, 0);
});

postgresSuite('verifySession cache over PostgreSQL', () => {
  let schema: Isolated;
  let proxy: TcpProxy;
  /** Another node: no cache; what it changes, the caching store must learn from the database. */
  let writer: Store;
  /** The caching node, connected through the proxy (its pool and its listening connection). */
  let cached: Store;
  let fingerprint: string;
  let applicationId: string;
  /** What the caching store logged. */
  const warnings: string[] = [];

  before(async () => {
    schema = await createSchema();
    writer = await openStore({ engine: 'postgres', url: schema.url }, { poolSize: 4 });
    const target = new URL(TEST_POSTGRES_URL);
    proxy = await startTcpProxy(target.hostname, Number(target.port || 5432));
    const viaProxy = new URL(schema.url);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    cached = await openStore(
      { engine: 'postgres', url: viaProxy.toString() },
      // The fixtures' sessions end a day after T0; the node's rule here: one that ends within an hour of T0 is near its end.
      {
        poolSize: 4,
        logger: createLogger('warn', (line) => warnings.push(line)),
        sessionCache: { boundMs: BOUND_MS, maxEntries: 1000, answerable: (global) => global.expiresAt > T0 + HOUR },
      },
    );
    const app = application({ url: 'https://plesk.example.com:8443/' });
    const cert = certificate(app.id, { firstUsedAt: T0 });
    await writer.insertApplication(app, cert);
    fingerprint = cert.fingerprint;
    applicationId = app.id;
    // The caching store's first heartbeat: its answers are used from then on.
    await eventually(async () => (await cachedHit()) !== null, { timeoutMs: LIVENESS_MS, what: 'the cache in use' });
  });

  after(async () => {
    await cached.close();
    await writer.close();
    await proxy.close();
    await schema.drop();
  });

  const hits = (): number => cached.sessionCacheUse?.().hits ?? 0;

  /** A session of a new user, read twice by the caching store: the second read is answered by its cache. */
  async function cachedSession(): Promise<SessionParts> {
    const owner = await seedUser(writer, applicationId);
    const parts = sessionParts(owner.id);
    await writer.createSession(parts.global, parts.local, parts.token);
    assert.equal((await cached.findCertificateAndSession(fingerprint, parts.local.idHash)).session?.global.id, parts.global.id);
    // Answered by the cache once a heartbeat came back within the bound: at once on an idle machine.
    await eventually(
      async () => {
        const before = hits();
        assert.equal((await cached.findCertificateAndSession(fingerprint, parts.local.idHash)).session?.global.id, parts.global.id);
        return hits() > before ? true : null;
      },
      { timeoutMs: LIVENESS_MS, intervalMs: 5, what: 'a read answered by the cache' },
    );
    return parts;
  }

  /** A throwaway session read twice: not null once the cache answers. */
  async function cachedHit(): Promise<true | null> {
    const before = hits();
    const owner = await seedUser(writer, applicationId);
    const parts = sessionParts(owner.id);
    await writer.createSession(parts.global, parts.local, parts.token);
    await cached.findCertificateAndSession(fingerprint, parts.local.idHash);
    await cached.findCertificateAndSession(fingerprint, parts.local.idHash);
    return hits() > before ? true : null;
  }

  /**
   * Ends the session and reads it through the caching store until it is refused (within LIVENESS_MS,
   * however loaded the machine). The guarantee itself does not depend on the load: no read asked
   * later than the bound after `end` returned may find the session, so each read that still finds it
   * must have been asked within the bound.
   */
  async function refusedWithin(all: readonly SessionParts[], end: () => Promise<unknown>): Promise<void> {
    await end();
    const ended = Date.now();
    await eventually(
      async () => {
        const asked = Date.now();
        const reads = await Promise.all(all.map((one) => cached.findCertificateAndSession(fingerprint, one.local.idHash)));
        if (reads.every((read) => read.session === null)) return true;
        assert.ok(asked - ended <= BOUND_MS, `a read asked ${String(asked - ended)} ms after the end still found the session`);
        return null;
      },
      { timeoutMs: LIVENESS_MS, intervalMs: 5, what: 'the ended session refused by the caching store' },
    );
  }

  test('a session ended by another node is refused within the bound', async () => {
    const parts = await cachedSession();
    await refusedWithin([parts], () => writer.deleteGlobalSession(parts.global.id));
  });

  test('a kept session that the node judges near its end is read again, not answered from the cache', async () => {
    const owner = await seedUser(writer, applicationId);
    const parts = sessionParts(owner.id, { expiresAt: T0 + MINUTE });
    await writer.createSession(parts.global, parts.local, parts.token);
    const before = hits();
    for (let i = 0; i < 3; i += 1) {
      assert.equal((await cached.findCertificateAndSession(fingerprint, parts.local.idHash)).session?.global.id, parts.global.id);
    }
    assert.equal(hits(), before);
  });

  test('the node that ends a session refuses it at once', async () => {
    const parts = await cachedSession();
    await cached.deleteGlobalSession(parts.global.id);
    assert.equal((await cached.findCertificateAndSession(fingerprint, parts.local.idHash)).session, null);
  });

  test("a user's deletion, and an idle renewal, drop its answers", async () => {
    const parts = await cachedSession();
    await writer.touchSession(parts.global.id, T0 + 1000);
    const renewed = await eventually(
      async () => {
        const read = await cached.findCertificateAndSession(fingerprint, parts.local.idHash);
        return read.session?.global.lastSeenAt === T0 + 1000 ? read : null;
      },
      { timeoutMs: LIVENESS_MS, intervalMs: 5, what: 'the renewed session read again' },
    );
    assert.equal(renewed.session?.global.id, parts.global.id);
    await refusedWithin([parts], () => writer.deleteUser(parts.global.userId));
  });

  test('one statement ending many sessions (an expiry sweep) drops them all', async () => {
    const many: SessionParts[] = [];
    for (let i = 0; i < 80; i += 1) many.push(await cachedSession());
    await refusedWithin(many, () => writer.purgeExpiredSessions({ now: T0 + 48 * 3600_000, idleBefore: T0 }));
  });

  test('while the network to the database stalls, nothing is answered from the cache after the bound', async () => {
    const parts = await cachedSession();
    proxy.pause();
    try {
      await writer.deleteGlobalSession(parts.global.id);
      await sleep(BOUND_MS + 50);
      // No heartbeat came back within the bound: the read goes to the (stalled) store.
      const read = cached.findCertificateAndSession(fingerprint, parts.local.idHash).then(
        (answer) => ({ answer }),
        (error: unknown) => ({ error }),
      );
      const early = await Promise.race([read, sleep(300).then(() => 'pending' as const)]);
      assert.equal(early, 'pending', 'the read waits for the store instead of answering from the cache');
      proxy.resume();
      const outcome = await read;
      assert.ok(!('answer' in outcome) || outcome.answer.session === null, 'never the ended session');
    } finally {
      proxy.resume();
    }
  });

  test('a lost connection to the database empties the cache, which is used again once reconnected', async () => {
    const parts = await cachedSession();
    proxy.cut();
    await writer.deleteGlobalSession(parts.global.id);
    // The pool's connection was cut too: the first read may fail; none answers the session.
    await eventually(
      async () => {
        const read = await cached.findCertificateAndSession(fingerprint, parts.local.idHash).catch(() => null);
        return read !== null && read.session === null;
      },
      { timeoutMs: LIVENESS_MS, intervalMs: 20, what: 'the ended session refused after the cut' },
    );
    await eventually(cachedHit, { timeoutMs: 10_000, intervalMs: 50, what: 'the cache in use again' });
  });

  test('a listening connection that stalls for 10 s is opened again, and the cache is used once it is back', async () => {
    const parts = await cachedSession();
    const logged = warnings.length;
    proxy.pause();
    try {
      await writer.deleteGlobalSession(parts.global.id);
      await eventually(() => warnings.slice(logged).some((line) => line.includes('no heartbeat came back')), {
        timeoutMs: 20_000,
        intervalMs: 100,
        what: 'the stalled listening connection given up',
      });
    } finally {
      proxy.resume();
    }
    assert.equal((await cached.findCertificateAndSession(fingerprint, parts.local.idHash)).session, null);
    await eventually(cachedHit, { timeoutMs: 10_000, intervalMs: 50, what: 'the cache in use again' });
  });

  test('a certificate retired by another node is refused within the bound', async () => {
    const parts = await cachedSession();
    await writer.apply([{ write: 'retireCertificates', applicationId, at: T0 + 1, which: { except: 'none' } }]);
    await eventually(
      async () => (await cached.findCertificateAndSession(fingerprint, parts.local.idHash)).certificate?.retiredAt === T0 + 1,
      { timeoutMs: LIVENESS_MS, intervalMs: 5, what: 'the retired certificate read again' },
    );
  });

  // Last: it removes the application the other tests use.
  test('an application unregistered through another node: its certificate is refused within the bound', async () => {
    const parts = await cachedSession();
    await writer.deleteApplication(applicationId);
    await eventually(async () => (await cached.findCertificateAndSession(fingerprint, parts.local.idHash)).certificate === null, {
      timeoutMs: LIVENESS_MS,
      intervalMs: 5,
      what: 'the unregistered certificate refused',
    });
  });
});
