// Brute force and enumeration (docs/SECURITY.md "Brute force", cases D24–D29, F38, F39, F42): sign-ins
// are counted per login and per source before the password is checked, locks grow and are capped, a
// success resets the login, and a lock answers exactly like a wrong password. The server's clock is
// moved forward instead of waiting for a lock to end. That the refusals also take the same time is
// measured on its own, in bruteforce.timing.test.ts.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { loginThrottleKey } from '../../src/core/throttle.js';
import { userDisabling } from '../../src/core/users.js';
import { call, registerApp, startTestServer, type RegisteredApp, type TestServer } from '../helpers/server.js';
import { defined } from '../helpers/defined.js';

const MINUTE = 60_000;
const FAST_ARGON2 = { argon2MemoryKib: 8192, argon2Iterations: 1 } as const;

/** The fault text with whitespace removed: two answers that are the same fault compare equal. */
const faultOf = (body: string): string => body.replace(/\s+/g, '');

describe('brute force per login (D24-D26)', () => {
  let ts: TestServer;
  let app: RegisteredApp;
  before(async () => {
    ts = await startTestServer({
      ...FAST_ARGON2,
      logLevel: 'warn',
      maxLoginFailures: 3,
      lockWaitIncrement: 60,
      lockMaxWait: 300,
      failureResetTime: 3600,
    });
    app = await registerApp(ts, 'https://bf.example.com:443/', 'bf');
  });
  after(() => ts.close());

  const create = async (login: string, password: string, passwordHashType?: string): Promise<string> => {
    const reply = await call(ts, 'createUser', { login, password, passwordHashType }, { credentials: app.credentials });
    assert.equal(reply.status, 200, reply.body);
    return reply.field('userId') ?? '';
  };
  const signIn = (login: string, password: string) => call(ts, 'authenticate', { login, password });
  const lockOf = async (login: string): Promise<number | null> =>
    (await ts.server.services.store.getThrottles([loginThrottleKey(login)]))[0]?.lockedUntil ?? null;
  const failuresOf = async (login: string): Promise<number> =>
    (await ts.server.services.store.getThrottles([loginThrottleKey(login)]))[0]?.failures ?? 0;

  test('D24: a locked login with the right password gets exactly the fault of a wrong password and of an unknown login', async () => {
    await create('d24-locked', 'right-password');
    for (let i = 0; i < 3; i += 1) assert.equal((await signIn('d24-locked', `wrong-${i}`)).fault, 'invalidCredentials');
    const locked = await signIn('d24-locked', 'right-password');
    const wrong = await signIn('d24-other-unknown', 'whatever');
    assert.equal(locked.fault, 'invalidCredentials');
    assert.equal(locked.status, wrong.status);
    assert.equal(faultOf(locked.body), faultOf(wrong.body));
  });

  test('after maxLoginFailures the login is locked; waits grow by lockWaitIncrement and stop at lockMaxWait', async () => {
    await create('grow@example.com', 'right-password');
    for (let i = 0; i < 2; i += 1) await signIn('grow@example.com', 'wrong');
    assert.equal(await lockOf('grow@example.com'), null, 'not locked before the threshold');
    assert.equal((await signIn('grow@example.com', 'right-password')).status, 200, 'two failures do not lock; the success resets');
    assert.equal(await failuresOf('grow@example.com'), 0);

    const waits: number[] = [];
    for (let i = 0; i < 3; i += 1) await signIn('grow@example.com', 'wrong');
    for (let lock = 0; lock < 7; lock += 1) {
      const until = await lockOf('grow@example.com');
      assert.ok(until !== null);
      const now = ts.server.services.now();
      waits.push(Math.round((until - now) / 1000));
      ts.advanceClock(until - now + 1000); // the lock has ended
      assert.equal((await signIn('grow@example.com', 'wrong')).fault, 'invalidCredentials');
    }
    // 60 s, 120 s, … up to lockMaxWait (300 s); each measured just after it was set.
    assert.deepEqual(
      waits.map((w) => Math.round(w / 60) * 60),
      [60, 120, 180, 240, 300, 300, 300],
    );
  });

  test('failures while locked do not move the lock later; after it, the right password works and resets the count', async () => {
    await create('hammer@example.com', 'right-password');
    for (let i = 0; i < 3; i += 1) await signIn('hammer@example.com', 'wrong');
    const until = await lockOf('hammer@example.com');
    assert.ok(until !== null);
    for (let i = 0; i < 10; i += 1) {
      ts.advanceClock(5000);
      assert.equal((await signIn('hammer@example.com', i % 2 === 0 ? 'wrong' : 'right-password')).fault, 'invalidCredentials');
    }
    assert.equal(await lockOf('hammer@example.com'), until, 'the running lock is where it was');
    ts.advanceClock(until - ts.server.services.now() + 1000);
    assert.equal((await signIn('hammer@example.com', 'right-password')).status, 200);
    assert.equal(await failuresOf('hammer@example.com'), 0);
  });

  test('the failure count starts over after failureResetTime without failures', async () => {
    await create('quiet@example.com', 'right-password');
    for (let i = 0; i < 2; i += 1) await signIn('quiet@example.com', 'wrong');
    ts.advanceClock(3601_000);
    await signIn('quiet@example.com', 'wrong');
    assert.equal(await failuresOf('quiet@example.com'), 1);
    assert.equal(await lockOf('quiet@example.com'), null);
  });

  test('D25: case variants of a login share one failure counter', async () => {
    await create('Carol@Example.com', 'right-password');
    for (const variant of ['carol@example.com', 'CAROL@EXAMPLE.COM', 'Carol@Example.COM']) {
      assert.equal((await signIn(variant, 'wrong')).fault, 'invalidCredentials');
    }
    assert.equal(await failuresOf('carol@example.com'), 3);
    assert.equal((await signIn('cArOl@example.com', 'right-password')).fault, 'invalidCredentials', 'locked for every variant');
  });

  test('D26: the plaintext and every pre-hashed form of a password share one counter', async () => {
    const password = 'legacy-password';
    const sha1 = createHash('sha1').update(password).digest('hex');
    await create('dave@example.com', sha1, 'sha1');
    const forms = [
      sha1,
      createHash('md5').update(password).digest('hex'),
      createHash('sha256').update(password).digest('hex').toUpperCase(),
    ];
    for (const form of forms)
      assert.equal((await signIn('dave@example.com', form)).fault, 'invalidCredentials', 'a digest is never the password');
    assert.equal(await failuresOf('dave@example.com'), 3);
    assert.equal((await signIn('dave@example.com', password)).fault, 'invalidCredentials', 'locked: the plaintext is refused too');
    ts.advanceClock(61_000);
    assert.equal((await signIn('dave@example.com', password)).status, 200, 'after the lock the plaintext works');
  });

  test('an unknown login is counted and locked like a known one; a userId naming nobody too', async () => {
    for (let i = 0; i < 3; i += 1) await signIn('nobody-here@example.com', 'x');
    assert.ok((await lockOf('nobody-here@example.com')) !== null);
    const userId = '00000000-0000-4000-8000-000000000000';
    for (let i = 0; i < 3; i += 1) assert.equal((await call(ts, 'authenticate', { userId, password: 'x' })).fault, 'invalidCredentials');
    assert.equal((await ts.server.services.store.getThrottles([`user:${userId}`]))[0]?.failures, 3);
  });

  test('locks and their end are in the audit trail and the log', async () => {
    const events = await ts.server.services.store.queryAudit({
      type: 'lock.set',
      target: loginThrottleKey('hammer@example.com'),
      limit: 10,
    });
    assert.equal(events.length, 1);
    const lock = defined(events[0], 'the lock.set event');
    assert.equal(lock.actor, 'guest');
    assert.equal(lock.detail.failures, 3);
    const failed = await ts.server.services.store.queryAudit({ type: 'authentication.failed', limit: 200 });
    assert.ok(
      !failed.some((event) => event.outcome === 'locked'),
      'a refusal while locked is counted in the lock, not recorded one by one',
    );
    assert.ok(failed.some((event) => event.outcome === 'wrongPassword'));
    assert.ok(failed.some((event) => event.outcome === 'unknownUser' && event.target === 'login:nobody-here@example.com'));
  });

  test('a disabled user cannot sign in: the same fault as a wrong password', async () => {
    const id = await create('erin@example.com', 'right-password');
    await ts.server.services.store.apply(userDisabling(id, ts.server.services.now()));
    const disabled = await signIn('erin@example.com', 'right-password');
    assert.equal(faultOf(disabled.body), faultOf((await signIn('erin@example.com', 'wrong')).body));
    const [event] = await ts.server.services.store.queryAudit({ type: 'authentication.failed', target: `user:${id}`, limit: 2 });
    assert.ok(event !== undefined);
    assert.ok(['disabled', 'wrongPassword'].includes(event.outcome));
  });

  test('many attempts at once: every failure is counted and the login locks', async () => {
    await create('burst@example.com', 'right-password');
    const replies = await Promise.all(Array.from({ length: 24 }, (_, i) => signIn('burst@example.com', `wrong-${i}`)));
    assert.ok(replies.every((reply) => reply.fault === 'invalidCredentials'));
    assert.equal(await failuresOf('burst@example.com'), 24);
    assert.ok((await lockOf('burst@example.com')) !== null);
    assert.equal((await signIn('burst@example.com', 'right-password')).fault, 'invalidCredentials');
  });
});

describe('brute force per source (D29)', () => {
  let ts: TestServer;
  let app: RegisteredApp;
  before(async () => {
    ts = await startTestServer({ ...FAST_ARGON2, logLevel: 'warn', maxLoginFailures: 5, maxSourceFailuresPerHour: 6 });
    app = await registerApp(ts, 'https://src.example.com:443/', 'src');
    for (const login of ['victim', 'alice', 'bob']) {
      await call(ts, 'createUser', { login, password: 'right-password' }, { credentials: app.credentials });
    }
  });
  after(() => ts.close());

  test('D29: failures spread over many source addresses against one login still trip the login counter', async () => {
    for (let i = 0; i < 5; i += 1) {
      assert.equal(
        (await call(ts, 'authenticate', { login: 'victim', password: 'wrong' }, { localAddress: `127.0.1.${i + 1}` })).fault,
        'invalidCredentials',
      );
    }
    const fresh = await call(ts, 'authenticate', { login: 'victim', password: 'right-password' }, { localAddress: '127.0.1.200' });
    assert.equal(fresh.fault, 'invalidCredentials', 'locked, whatever the address');
    const sources = await ts.server.services.store.getThrottles(['source:127.0.1.1', 'source:127.0.1.2']);
    assert.deepEqual(
      sources.map((record) => record.failures),
      [1, 1],
    );
  });

  test('D29: one source address against many logins trips the per-source throttle; other addresses are not affected', async () => {
    for (let i = 0; i < 6; i += 1) {
      assert.equal(
        (await call(ts, 'authenticate', { login: `spray-${i}@example.com`, password: 'Winter2025!' }, { localAddress: '127.0.2.1' })).fault,
        'invalidCredentials',
      );
    }
    assert.equal(
      (await call(ts, 'authenticate', { login: 'alice', password: 'right-password' }, { localAddress: '127.0.2.1' })).fault,
      'invalidCredentials',
      'the source is locked',
    );
    assert.equal(
      (await call(ts, 'authenticate', { login: 'alice', password: 'right-password' }, { localAddress: '127.0.2.2' })).status,
      200,
      'another source is not',
    );
    ts.advanceClock(MINUTE + 1000);
    assert.equal(
      (await call(ts, 'authenticate', { login: 'alice', password: 'right-password' }, { localAddress: '127.0.2.1' })).status,
      200,
      'the lock ends',
    );
  });

  test('D29: an application is a source of its own, whatever address it calls from', async () => {
    const sprayer = await registerApp(ts, 'https://sprayer.example.com:443/', 'sprayer');
    for (let i = 0; i < 6; i += 1) {
      await call(
        ts,
        'authenticate',
        { login: `app-spray-${i}`, password: 'x' },
        { credentials: sprayer.credentials, localAddress: `127.0.3.${i + 1}` },
      );
    }
    const [record] = await ts.server.services.store.getThrottles([`source:application:${sprayer.id}`]);
    assert.equal(record?.failures, 6);
    assert.ok(record.lockedUntil !== null);
    const refused = await call(
      ts,
      'authenticate',
      { login: 'bob', password: 'right-password' },
      { credentials: sprayer.credentials, localAddress: '127.0.3.100' },
    );
    assert.equal(refused.fault, 'invalidCredentials');
    assert.equal(
      (
        await call(
          ts,
          'authenticate',
          { login: 'bob', password: 'right-password' },
          { credentials: app.credentials, localAddress: '127.0.3.100' },
        )
      ).status,
      200,
    );
  });

  test('a source counts in windows of an hour: a slow, steady rate never locks it; a success does not reset it', async () => {
    for (let hour = 0; hour < 3; hour += 1) {
      for (let i = 0; i < 5; i += 1)
        await call(ts, 'authenticate', { login: `slow-${hour}-${i}`, password: 'x' }, { localAddress: '127.0.4.1' });
      assert.equal(
        (await call(ts, 'authenticate', { login: 'alice', password: 'right-password' }, { localAddress: '127.0.4.1' })).status,
        200,
      );
      ts.advanceClock(3600_000);
    }
    const [record] = await ts.server.services.store.getThrottles(['source:127.0.4.1']);
    assert.equal(record?.lockedUntil, null);
  });
});

/** Counts the password hashes the server runs (verifications and dummy verifications), passing each on unchanged. */
function countHashes(ts: TestServer): { readonly count: number } {
  const passwords = ts.server.services.passwords;
  const counter = { count: 0 };
  const verify = passwords.verify.bind(passwords);
  const verifyDummy = passwords.verifyDummy.bind(passwords);
  Object.assign(passwords, {
    verify: (...args: Parameters<typeof verify>) => ((counter.count += 1), verify(...args)),
    verifyDummy: (...args: Parameters<typeof verifyDummy>) => ((counter.count += 1), verifyDummy(...args)),
  });
  return counter;
}

describe('floods and locked sources (cases F38, F39)', () => {
  let ts: TestServer;
  let hashes: { readonly count: number };
  before(async () => {
    ts = await startTestServer({
      ...FAST_ARGON2,
      logLevel: 'warn',
      maxLoginFailures: 50,
      maxSourceFailuresPerHour: 5,
      lockWaitIncrement: 60,
      lockMaxWait: 300,
    });
    const app = await registerApp(ts, 'https://flood.example.com:443/', 'flood');
    await call(ts, 'createUser', { login: 'frank', password: 'right-password' }, { credentials: app.credentials });
    hashes = countHashes(ts);
  });
  after(() => ts.close());

  const rowsAbout = async (address: string): Promise<number> =>
    (await ts.server.services.store.queryAudit({ limit: 100_000 })).filter(
      (event) => event.detail.address === address || event.target === `source:${address}`,
    ).length;

  test('F38: a guest flooding authenticate with unknown logins and no password is throttled as a source and leaves a bounded audit trail', async () => {
    const address = '127.0.6.1';
    const flood = async (from: number): Promise<void> => {
      for (let i = from; i < from + 60; i += 1) {
        assert.equal(
          (await call(ts, 'authenticate', { login: `flood-${i}@example.com` }, { localAddress: address })).fault,
          'permissionDenied',
        );
      }
    };
    await flood(0);
    const [record] = await ts.server.services.store.getThrottles([`source:${address}`]);
    assert.equal(record?.failures, 60, 'every refusal counts against the source');
    assert.ok(record.lockedUntil !== null);
    // Five refusals before the lock, each recorded, and the lock; the 55 while locked only counted.
    assert.equal(await rowsAbout(address), 6);
    assert.equal(
      (await call(ts, 'authenticate', { login: 'frank', password: 'right-password' }, { localAddress: address })).fault,
      'invalidCredentials',
      'the source is throttled',
    );
    assert.equal(
      (await call(ts, 'authenticate', { login: 'frank', password: 'right-password' }, { localAddress: '127.0.6.2' })).status,
      200,
      'another source is not',
    );

    // Each later lock window adds one refusal and one lock, however long the flood goes on.
    ts.advanceClock(record.lockedUntil - ts.server.services.now() + 1000);
    await flood(60);
    assert.equal(await rowsAbout(address), 8);
    const locks = await ts.server.services.store.queryAudit({ type: 'lock.set', target: `source:${address}`, limit: 10 });
    assert.deepEqual(
      locks.map((event) => event.detail.failures),
      [62, 5],
      'the lock records carry the count of what was refused',
    );
  });

  test('F39: a locked source is refused without hashing, with the fault of a wrong password; another source is served', async () => {
    const address = '127.0.6.3';
    for (let i = 0; i < 5; i += 1)
      assert.equal(
        (await call(ts, 'authenticate', { login: `guess-${i}`, password: 'wrong' }, { localAddress: address })).fault,
        'invalidCredentials',
      );
    const wrong = await call(ts, 'authenticate', { login: 'frank', password: 'wrong' }, { localAddress: '127.0.6.4' });
    const before = hashes.count;
    const refusals = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        call(
          ts,
          'authenticate',
          { login: i % 2 === 0 ? 'frank' : `guess-${i}`, password: i % 2 === 0 ? 'right-password' : 'wrong' },
          { localAddress: address },
        ),
      ),
    );
    assert.equal(hashes.count, before, 'no hash ran for a locked source');
    for (const refused of refusals) {
      assert.equal(refused.status, wrong.status);
      assert.equal(faultOf(refused.body), faultOf(wrong.body));
    }
    assert.equal(
      (await call(ts, 'authenticate', { login: 'frank', password: 'right-password' }, { localAddress: '127.0.6.5' })).status,
      200,
    );
    assert.equal(hashes.count, before + 1, 'the honest sign-in from another source is checked');
  });
});

describe('guesses racing the end of a lock (cases F42)', () => {
  let ts: TestServer;
  before(async () => {
    // Source locks off: only the login's lock is at work.
    ts = await startTestServer({
      ...FAST_ARGON2,
      logLevel: 'warn',
      maxLoginFailures: 3,
      maxSourceFailuresPerHour: 0,
      lockWaitIncrement: 60,
      lockMaxWait: 300,
    });
    const app = await registerApp(ts, 'https://race.example.com:443/', 'race');
    await call(ts, 'createUser', { login: 'grace', password: 'right-password' }, { credentials: app.credentials });
  });
  after(() => ts.close());

  const store = () => ts.server.services.store;
  const checkedWrong = async (): Promise<number> =>
    (await store().queryAudit({ type: 'authentication.failed', limit: 100_000 })).filter((event) => event.outcome === 'wrongPassword')
      .length;
  const lockEnd = async (): Promise<number | null> => (await store().getThrottles([loginThrottleKey('grace')]))[0]?.lockedUntil ?? null;
  const lock = async (): Promise<void> => {
    while ((await lockEnd()) === null || ((await lockEnd()) ?? 0) <= ts.server.services.now()) {
      assert.equal((await call(ts, 'authenticate', { login: 'grace', password: 'wrong' })).fault, 'invalidCredentials');
    }
  };

  test('F42: a wrong guess and the right password sent together just after a lock ends: exactly one of them is checked, every time', async () => {
    const outcomes = { right: 0, wrong: 0 };
    for (let burst = 0; burst < 16; burst += 1) {
      await lock();
      ts.advanceClock(((await lockEnd()) ?? 0) - ts.server.services.now() + 1);
      const wrongBefore = await checkedWrong();
      const replies = await Promise.all([
        call(ts, 'authenticate', { login: 'grace', password: `wrong-${burst}` }),
        call(ts, 'authenticate', { login: 'grace', password: 'right-password' }),
      ]);
      const accepted = replies.filter((reply) => reply.status === 200).length;
      const wrongChecked = (await checkedWrong()) - wrongBefore;
      assert.equal(
        accepted + wrongChecked,
        1,
        `burst ${burst}: one guess per lock window (accepted ${accepted}, wrong checked ${wrongChecked})`,
      );
      outcomes.right += accepted;
      outcomes.wrong += wrongChecked;
    }
    assert.equal(outcomes.right + outcomes.wrong, 16);
  });

  test('F42: of many guesses sent at once after a lock ends, exactly one is checked', async () => {
    await lock();
    ts.advanceClock(((await lockEnd()) ?? 0) - ts.server.services.now() + 1);
    const wrongBefore = await checkedWrong();
    const replies = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        call(ts, 'authenticate', { login: 'grace', password: i === 11 ? 'right-password' : `wrong-${i}` }),
      ),
    );
    const accepted = replies.filter((reply) => reply.status === 200).length;
    assert.equal(accepted + (await checkedWrong()) - wrongBefore, 1);
  });
});

describe('changePassword under brute-force protection', () => {
  let ts: TestServer;
  let app: RegisteredApp;
  before(async () => {
    ts = await startTestServer({ ...FAST_ARGON2, logLevel: 'warn', maxLoginFailures: 3, lockWaitIncrement: 60, lockMaxWait: 300 });
    app = await registerApp(ts, 'https://pw.example.com:443/', 'pw');
  });
  after(() => ts.close());

  const create = async (login: string): Promise<string> =>
    (await call(ts, 'createUser', { login, password: 'old-password' }, { credentials: app.credentials })).field('userId') ?? '';
  const change = (userId: string, oldPassword: string, newPassword = 'new-password') =>
    call(ts, 'changePassword', { userId, oldPassword, newPassword }, { credentials: app.credentials });

  test('a wrong oldPassword counts against the login like a failed sign-in, locks it, and is audited with its reason', async () => {
    const userId = await create('henry');
    for (let i = 0; i < 3; i += 1) assert.equal((await change(userId, `wrong-${i}`)).fault, 'invalidCredentials');
    assert.equal((await store(ts).getThrottles([loginThrottleKey('henry')]))[0]?.failures, 3);
    assert.equal((await change(userId, 'old-password')).fault, 'invalidCredentials', 'locked: the right oldPassword is refused too');
    assert.equal(
      (await call(ts, 'authenticate', { login: 'henry', password: 'old-password' })).fault,
      'invalidCredentials',
      'the same counter as sign-ins',
    );
    const failed = await store(ts).queryAudit({ type: 'user.passwordChangeFailed', target: `user:${userId}`, limit: 10 });
    assert.deepEqual(
      failed.map((event) => event.outcome),
      ['wrongPassword', 'wrongPassword', 'wrongPassword'],
    );
    ts.advanceClock(61_000);
    assert.equal((await change(userId, 'old-password')).status, 200, 'after the lock the change goes through');
    assert.equal((await call(ts, 'authenticate', { login: 'henry', password: 'new-password' })).status, 200);
  });

  test("a password change ends the user's sessions, and says so in the audit trail", async () => {
    const userId = await create('iris');
    const signedIn = await call(ts, 'authenticate', { login: 'iris', password: 'old-password', baseUrl: 'https://pw.example.com:443/' });
    const sessionId = signedIn.field('sessionId') ?? '';
    assert.equal((await call(ts, 'verifySession', { sessionId })).status, 200);
    assert.equal((await change(userId, 'old-password')).status, 200);
    assert.equal((await call(ts, 'verifySession', { sessionId })).fault, 'noSuchSession');
    const [ended] = await store(ts).queryAudit({ type: 'session.ended', target: `user:${userId}`, limit: 1 });
    assert.equal(ended?.detail.reason, 'passwordChanged');
    const [changed] = await store(ts).queryAudit({ type: 'user.passwordChanged', target: `user:${userId}`, limit: 1 });
    assert.equal(changed?.actor, `application:${app.id}`);
  });

  test('with passwordChangeEndsSessions off, the sessions stay', async () => {
    const kept = await startTestServer({ ...FAST_ARGON2, logLevel: 'warn', passwordChangeEndsSessions: 'off' });
    try {
      const keeper = await registerApp(kept, 'https://keep.example.com:443/', 'keep');
      const userId =
        (await call(kept, 'createUser', { login: 'jack', password: 'old-password' }, { credentials: keeper.credentials })).field(
          'userId',
        ) ?? '';
      const sessionId =
        (await call(kept, 'authenticate', { login: 'jack', password: 'old-password', baseUrl: 'https://keep.example.com:443/' })).field(
          'sessionId',
        ) ?? '';
      assert.equal(
        (
          await call(
            kept,
            'changePassword',
            { userId, oldPassword: 'old-password', newPassword: 'new-password' },
            { credentials: keeper.credentials },
          )
        ).status,
        200,
      );
      assert.equal((await call(kept, 'verifySession', { sessionId })).status, 200);
    } finally {
      await kept.close();
    }
  });
});

function store(ts: TestServer) {
  return ts.server.services.store;
}
