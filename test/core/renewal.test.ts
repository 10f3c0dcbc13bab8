// The idle-timer renewal tolerance (docs/DECISIONS.md): verifySession renews a session's idle
// timer only once min(60 s, 1 % of the timeout) has passed since the last renewal, so the hot path
// reads without writing; a session may end that much before the full timeout, never later. Run on
// both engines: on PostgreSQL every avoided write is a round trip and a row version saved.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { OptionName } from '../../src/config/options.js';
import { generateMasterKeyFile } from '../../src/infra/keys/masterKey.js';
import { renewalIntervalMs } from '../../src/core/sessions.js';
import { createSchema, postgresSuite, type Isolated } from '../helpers/postgres.js';
import { call, registerApp, startTestServer, type RegisteredApp, type TestServer } from '../helpers/server.js';

const BASE = 'https://panel.example.com:8443/';
// The default timeout: renewal interval min(60 s, 1 % of 6000 s) = 60 s. Real time passes too, so
// every step keeps tens of seconds of margin from the interval, however slow the machine.
const TIMEOUT_S = 6000;

type Overrides = Partial<Record<OptionName, string | number>>;

function renewalTests(engine: string, setUp: () => Promise<{ overrides: Overrides; tearDown: () => Promise<void> }>): void {
  let ts: TestServer;
  let app: RegisteredApp;
  let tearDown: () => Promise<void> = () => Promise.resolve();
  before(async () => {
    const setting = await setUp();
    tearDown = setting.tearDown;
    ts = await startTestServer({ sessionTimeout: TIMEOUT_S, argon2MemoryKib: 8192, argon2Iterations: 1, ...setting.overrides });
    app = await registerApp(ts, BASE, 'panel');
    await call(ts, 'createUser', { login: 'alice', password: 'wonderland' }, { credentials: app.credentials });
  });
  after(async () => {
    await ts.close();
    await tearDown();
  });

  async function signIn(): Promise<{ sessionId: string; lastSeen: () => Promise<number | undefined> }> {
    const sessionId = (await call(ts, 'authenticate', { login: 'alice', password: 'wonderland', baseUrl: BASE })).field('sessionId') ?? '';
    const idHash = createHash('sha256').update(sessionId).digest('hex');
    const lastSeen = async (): Promise<number | undefined> =>
      (await ts.server.services.store.findSessionByLocalId(idHash))?.global.lastSeenAt;
    return { sessionId, lastSeen };
  }

  test(`${engine}: verifySession within the renewal interval reads without writing`, async () => {
    assert.equal(renewalIntervalMs(TIMEOUT_S), 60_000);
    const { sessionId, lastSeen } = await signIn();
    const signedInAt = await lastSeen();
    for (let i = 0; i < 20; i++) assert.equal((await call(ts, 'verifySession', { sessionId })).status, 200);
    ts.advanceClock(30_000);
    assert.equal((await call(ts, 'verifySession', { sessionId })).status, 200);
    assert.equal(await lastSeen(), signedInAt, 'no renewal written within the interval');
  });

  test(`${engine}: once the interval has passed, one verifySession renews the timer`, async () => {
    const { sessionId, lastSeen } = await signIn();
    const signedInAt = (await lastSeen()) ?? 0;
    ts.advanceClock(60_000);
    assert.equal((await call(ts, 'verifySession', { sessionId })).status, 200);
    const renewed = (await lastSeen()) ?? 0;
    assert.ok(renewed >= signedInAt + 60_000, `renewed to ${renewed - signedInAt} ms after sign-in`);
    assert.equal((await call(ts, 'verifySession', { sessionId })).status, 200);
    assert.equal(await lastSeen(), renewed, 'the next call reads only');
  });

  test(`${engine}: the session ends at most one renewal interval before the full idle timeout, never after it`, async () => {
    // Two sessions on the same timeline; checking one renews it, so each is checked once at the end.
    const early = await signIn();
    const late = await signIn();
    ts.advanceClock(30_000); // activity that is not written
    for (const { sessionId } of [early, late]) assert.equal((await call(ts, 'verifySession', { sessionId })).status, 200);
    ts.advanceClock(TIMEOUT_S * 1000 - 30_000 - 20_000);
    assert.equal(
      (await call(ts, 'verifySession', { sessionId: early.sessionId })).status,
      200,
      'alive until the timeout counted from the last renewal',
    );
    ts.advanceClock(20_000);
    // 6000 s after sign-in, 5970 s after its last (unwritten) activity: 30 s early, within the 60 s tolerance.
    assert.equal((await call(ts, 'verifySession', { sessionId: late.sessionId })).fault, 'noSuchSession');
  });
}

describe('idle-timer renewal: sqlite', () =>
  renewalTests('sqlite', () => Promise.resolve({ overrides: {}, tearDown: () => Promise.resolve() })));

postgresSuite('idle-timer renewal: postgres', () =>
  renewalTests('postgres', async () => {
    const schema: Isolated = await createSchema();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ssod-renewal-'));
    const masterKeyFile = path.join(dir, 'master.key');
    await generateMasterKeyFile(masterKeyFile);
    return {
      overrides: { store: schema.url, masterKeyFile },
      async tearDown() {
        await schema.drop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }),
);
