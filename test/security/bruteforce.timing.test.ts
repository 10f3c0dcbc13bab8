// The refusals of a sign-in take the same time (docs/SECURITY.md, case D24): a wrong password, an
// unknown login and a locked login each cost one argon2id verification and the same counter and
// audit writes. A timing test, run on its own after the other tests (`npm test`): it compares
// times, so it must not share the cores with other test files.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { loginThrottleKey } from '../../src/domain/throttle.js';
import { call, registerApp, startTestServer, type TestServer } from '../helpers/server.js';
import { medianRatiosSideBySide } from '../helpers/timing.js';

const ROUNDS = 11;

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
  // Medians of ratios within a round: on a busy machine the hashing threads (lowest priority) get
  // a varying share of the cores, which each round's neighbouring calls share alike.
  const [unknownLogin = 0, locked = 0] = await medianRatiosSideBySide(
    [
      () => refused({ login: 'known', password: 'wrong-password' }),
      () => refused({ login: `unknown-${(unknown += 1)}`, password: 'wrong-password' }),
      () => refused({ login: 'locked', password: 'right-password' }),
    ],
    ROUNDS,
  );
  // Without the dummy hash, or with a lock that skips the verification, the ratio would be near 0.2
  // on an idle machine, and lower on a busy one (the skipped hash is what a busy machine slows).
  t.diagnostic(`median ratios to a wrong password: unknown login ${unknownLogin.toFixed(2)}, locked login ${locked.toFixed(2)}`);
  for (const [name, ratio] of [['unknown login', unknownLogin], ['locked login', locked]] as const) {
    assert.ok(ratio > 0.5 && ratio < 2, `${name}/wrong password, median of ${ROUNDS} rounds: ${ratio.toFixed(2)}`);
  }
});
