// Refusals that must not take longer or shorter than what they stand beside (docs/SECURITY.md,
// cases C22 and D28): the cookie of an ended session against one never issued, and an over-long
// password against a wrong one. Timing tests, run on their own after the other tests (`npm test`):
// they compare times, so they must not share the cores with other test files.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { call, registerApp, relayGet, startTestServer, type RegisteredApp, type TestServer } from '../helpers/server.js';
import { medianRatiosSideBySide } from '../helpers/timing.js';

/** Exactly `rounds` rounds: no early stop once the ratio looks right, which would favour passing. */
const FIXED_ROUNDS = (rounds: number) => ({ minRounds: rounds, maxRounds: rounds, settled: () => false });

let ts: TestServer;
let app: RegisteredApp;
before(async () => {
  ts = await startTestServer({ logLevel: 'warn' });
  app = await registerApp(ts, 'https://panel.example.com:8443/', 'panel');
});
after(() => ts.close());

test('C22: the cookie of an ended session gives ssosid=none in about the time of a never-issued one', async () => {
  await call(ts, 'createUser', { login: 'c22', password: 'pw' }, { credentials: app.credentials });
  const signIn = await call(ts, 'authenticate', { login: 'c22', password: 'pw', baseUrl: app.url });
  const set = await relayGet(ts, new URLSearchParams({ token: signIn.field('relayToken') ?? '', url: app.url }).toString());
  const cookie = (set.headers['set-cookie']?.[0] ?? '').split(';', 1)[0] ?? '';
  assert.equal(
    (await call(ts, 'closeSession', { sessionId: signIn.field('sessionId') ?? '' }, { credentials: app.credentials })).status,
    200,
  );
  const query = new URLSearchParams({ url: app.url }).toString();
  const never = `sid=${'B'.repeat(43)}`;
  // A request of a few milliseconds: the fastest of each would be whichever found the machine quiet;
  // the median of the ratios of back-to-back pairs is not moved by a burst of load on one of them.
  const { ratios, rounds } = await medianRatiosSideBySide(
    [() => relayGet(ts, query, never), () => relayGet(ts, query, cookie)],
    FIXED_ROUNDS(41),
  );
  const [ratio = 0] = ratios;
  assert.ok(ratio > 0.5 && ratio < 2, `ended/never-issued: median ratio ${ratio.toFixed(2)} over ${rounds} rounds`);
});

test('D28: an over-long password is refused no slower than an ordinary wrong one', async () => {
  await call(ts, 'createUser', { login: 'long-pw', password: 'p'.repeat(200) }, { credentials: app.credentials });
  const refused = async (password: string) =>
    assert.equal(
      (await call(ts, 'authenticate', { login: 'long-pw', password }, { credentials: app.credentials })).fault,
      'invalidCredentials',
    );
  const { ratios, rounds } = await medianRatiosSideBySide(
    [() => refused('q'.repeat(20)), () => refused('p'.repeat(20_000))],
    FIXED_ROUNDS(9),
  );
  const [ratio = Infinity] = ratios;
  assert.ok(ratio < 1.5, `over-long/wrong: median ratio ${ratio.toFixed(2)} over ${rounds} rounds`);
});
