// The refusals of a sign-in take the same time (docs/SECURITY.md, cases D24 and F39): a wrong
// password and an unknown login each cost one argon2id verification and the same counter and audit
// writes; a locked login or source runs no verification and answers after the time a checked
// failure takes. A timing test, run on its own after the other tests (`npm test`): it compares
// times, so it must not share the cores with other test files.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { call, registerApp, startTestServer, type TestServer } from '../helpers/server.js';
import { medianRatiosSideBySide } from '../helpers/timing.js';

const LOCKED_SOURCE = '127.0.7.1';
let ts: TestServer;
before(async () => {
  // Default argon2 cost: the verification is what dominates, as in production. Locks of an hour
  // outlast any run, however busy the machine.
  ts = await startTestServer({
    logLevel: 'warn',
    maxLoginFailures: 5,
    maxSourceFailuresPerHour: 5,
    lockWaitIncrement: 3600,
    lockMaxWait: 3600,
  });
  const app = await registerApp(ts, 'https://timing.example.com:443/', 'timing');
  for (const login of ['known', 'locked'])
    await call(ts, 'createUser', { login, password: 'right-password' }, { credentials: app.credentials });
  for (let i = 0; i < 5; i += 1) await call(ts, 'authenticate', { login: 'locked', password: 'wrong' });
  for (let i = 0; i < 5; i += 1)
    await call(ts, 'authenticate', { login: `spray-${i}`, password: 'wrong' }, { localAddress: LOCKED_SOURCE });
});
after(() => ts.close());

test('D24, F39: a wrong password, an unknown login, a locked login and a locked source (with the right password) take about the same time', async (t) => {
  let unknown = 0;
  const refused = async (fields: Record<string, string>): Promise<void> => {
    assert.equal((await call(ts, 'authenticate', fields)).fault, 'invalidCredentials');
  };
  // Medians of ratios within a round. At least 9 rounds; more, up to 45, while a median is outside
  // a band narrower than the one asserted: equal costs settle in it soon, and a refusal that skips
  // the hash never does, so the extra rounds only spare a busy machine false alarms.
  const { ratios, rounds } = await medianRatiosSideBySide(
    [
      () => refused({ login: 'known', password: 'wrong-password' }),
      () => refused({ login: `unknown-${(unknown += 1)}`, password: 'wrong-password' }),
      () => refused({ login: 'locked', password: 'right-password' }),
      async () =>
        assert.equal(
          (await call(ts, 'authenticate', { login: 'known', password: 'right-password' }, { localAddress: LOCKED_SOURCE })).fault,
          'invalidCredentials',
        ),
    ],
    { minRounds: 9, maxRounds: 45, settled: (medians) => medians.every((ratio) => ratio > 0.67 && ratio < 1.5) },
  );
  const [unknownLogin = 0, locked = 0, lockedSource = 0] = ratios;
  t.diagnostic(
    `median ratios to a wrong password over ${rounds} rounds: unknown login ${unknownLogin.toFixed(2)}, locked login ${locked.toFixed(2)}, locked source ${lockedSource.toFixed(2)}`,
  );
  // Without the dummy hash, or with a lock that answered at once, the ratio would be near 0.2 on an
  // idle machine, and lower on a busy one (the skipped hash is what a busy machine slows).
  for (const [name, ratio] of [
    ['unknown login', unknownLogin],
    ['locked login', locked],
    ['locked source', lockedSource],
  ] as const) {
    assert.ok(ratio > 0.5 && ratio < 2, `${name}/wrong password, median over ${rounds} rounds: ${ratio.toFixed(2)}`);
  }
});
