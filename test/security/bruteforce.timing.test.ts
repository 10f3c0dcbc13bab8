// The refusals of a sign-in take the same time (docs/SECURITY.md, case D24): a wrong password, an
// unknown login and a locked login each cost one argon2id verification and the same counter and
// audit writes. A timing test, run on its own after the other tests (`npm test`): it compares
// times, so it must not share the cores with other test files.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { loginThrottleKey } from '../../src/domain/throttle.js';
import { call, registerApp, startTestServer, type TestServer } from '../helpers/server.js';
import { medianRatiosSideBySide } from '../helpers/timing.js';

let ts: TestServer;
before(async () => {
  // Default argon2 cost: the verification is what dominates, as in production.
  ts = await startTestServer({ logLevel: 'warn' });
  const app = await registerApp(ts, 'https://timing.example.com:443/', 'timing');
  for (const login of ['known', 'locked']) await call(ts, 'createUser', { login, password: 'right-password' }, { credentials: app.credentials });
  // One real failure, then a lock that outlasts any run: a lock is what the brute-force tests
  // prove; here only its answer's time matters, and every hash costs seconds on a busy machine.
  await call(ts, 'authenticate', { login: 'locked', password: 'wrong' });
  await ts.server.services.store.lockThrottle(loginThrottleKey('locked'), ts.server.services.now() + 86_400_000);
});
after(() => ts.close());

test('D24: a wrong password, an unknown login and a locked login (with the right password) take about the same time', async (t) => {
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
    ],
    { minRounds: 9, maxRounds: 45, settled: (medians) => medians.every((ratio) => ratio > 0.67 && ratio < 1.5) },
  );
  const [unknownLogin = 0, locked = 0] = ratios;
  t.diagnostic(`median ratios to a wrong password over ${rounds} rounds: unknown login ${unknownLogin.toFixed(2)}, locked login ${locked.toFixed(2)}`);
  // Without the dummy hash, or with a lock that skips the verification, the ratio would be near 0.2
  // on an idle machine, and lower on a busy one (the skipped hash is what a busy machine slows).
  for (const [name, ratio] of [['unknown login', unknownLogin], ['locked login', locked]] as const) {
    assert.ok(ratio > 0.5 && ratio < 2, `${name}/wrong password, median over ${rounds} rounds: ${ratio.toFixed(2)}`);
  }
});
