// The hashing pool as a fair, bounded queue, through the SOAP API (docs/SECURITY.md, case F39): an
// application that floods authenticate from many addresses fills its own share of the pool, its
// surplus is refused with the fault of a wrong password without being hashed, and a guest's sign-in
// from another address overtakes the flood's queued jobs. Nothing here compares times: the order
// of service and the pool's own counts are the evidence.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { hashingCounts, hashingQuotaPerSource } from '../../src/infra/hashing/pool.js';
import { call, registerApp, startTestServer, type RegisteredApp, type TestServer } from '../helpers/server.js';
import { eventually } from '../helpers/eventually.js';

let ts: TestServer;
let flooder: RegisteredApp;

before(async () => {
  // The default hash cost, so that the flood is still queued when the honest sign-in arrives; no
  // source locks, so that every refusal below is the pool's.
  ts = await startTestServer({ logLevel: 'warn', maxSourceFailuresPerHour: 0, maxLoginFailures: 1000 });
  const owner = await registerApp(ts, 'https://owner.example.com:443/', 'owner');
  flooder = await registerApp(ts, 'https://flooder.example.com:443/', 'flooder');
  assert.equal(
    (await call(ts, 'createUser', { login: 'honest', password: 'right-password' }, { credentials: owner.credentials })).status,
    200,
  );
  // The first unknown login computes the dummy hash; later ones only verify against it.
  assert.equal((await call(ts, 'authenticate', { login: 'warm-up', password: 'x' })).fault, 'invalidCredentials');
});
after(() => ts.close());

/** Resolves once `condition` holds, checking after each turn of the event loop's timers. */
async function until(condition: () => boolean): Promise<void> {
  await eventually(condition, { timeoutMs: 60_000, intervalMs: 5, what: 'every flood request at the pool' });
}

test('F39: a flooding application gets its share of the hashing pool and no more; an honest sign-in from another source is served before its queue', async () => {
  const quota = hashingQuotaPerSource();
  // Three times the share: the flood arrives faster than the pool drains (on a busy machine the
  // hashing threads, at the lowest priority, are slowed most), so part of it is refused.
  const flood = 3 * quota;
  const start = hashingCounts();
  // One connection per address: the application is the source that floods.
  const replies = Array.from({ length: flood }, (_, i) =>
    call(
      ts,
      'authenticate',
      { login: `guess-${i}`, password: 'guess' },
      { credentials: flooder.credentials, localAddress: `127.0.7.${i + 1}` },
    ),
  );
  // Every flood request has reached the pool: accepted (running or waiting) or refused.
  await until(() => {
    const now = hashingCounts();
    return now.started - start.started + now.waiting + (now.refused - start.refused) === flood;
  });
  const refused = hashingCounts().refused - start.refused;
  assert.ok(refused > 0, `${refused} of ${flood} refused`);
  const honest = await call(ts, 'authenticate', { login: 'honest', password: 'right-password' }, { localAddress: '127.0.8.1' });
  const stillWaiting = hashingCounts().waiting;
  assert.equal(honest.status, 200, honest.body);
  // First come, first served would have run every queued flood job before the honest one.
  assert.ok(stillWaiting > 0, 'flood jobs queued before the honest sign-in are still waiting after it');

  assert.ok(
    (await Promise.all(replies)).every((reply) => reply.fault === 'invalidCredentials'),
    'a refusal is the fault of a wrong password',
  );
  assert.equal(hashingCounts().started - start.started, flood - refused + 1, 'the refused requests never reached a hashing thread');
  const failed = await ts.server.services.store.queryAudit({
    type: 'authentication.failed',
    actor: `application:${flooder.id}`,
    limit: 1000,
  });
  assert.equal(failed.length, flood - refused, 'only the hashed guesses are audited');
  assert.ok(ts.logRecords().some((record) => record.msg === 'sign-ins refused: too many password checks waiting for one source'));
});
