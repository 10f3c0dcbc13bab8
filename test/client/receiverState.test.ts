// The receiver's memory (docs/tickets.md checks 6 and 7): accepted ticket ids until they expire,
// logouts for 24 hours; the same behaviour in memory and in SQLite, and SQLite across a restart.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { LOGOUT_MEMORY_SECONDS, memoryReceiverState, sqliteReceiverState, type ReceiverState } from '../../src/client/index.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'ssod-receiver-state-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

const START = 1_780_000_000;

const engines: Record<string, (now: () => number) => Promise<ReceiverState>> = {
  memory: (now) => Promise.resolve(memoryReceiverState({ now })),
  sqlite: (now) => sqliteReceiverState(path.join(dir, `state-${++files}.db`), { now }),
};

for (const [engine, open] of Object.entries(engines)) {
  describe(`the receiver state in ${engine}`, () => {
    test('a ticket id is accepted once, and forgotten after its time', async () => {
      let seconds = START;
      const state = await open(() => seconds * 1000);
      try {
        assert.equal(await state.acceptOnce('t1', START + 60), true);
        assert.equal(await state.acceptOnce('t1', START + 60), false);
        assert.equal(await state.acceptOnce('t2', START + 60), true);
        seconds = START + 61;
        assert.equal(await state.acceptOnce('t1', START + 120), true);
      } finally {
        await state.close();
      }
    });

    test('a logged-out session is refused for 24 hours', async () => {
      let seconds = START;
      const state = await open(() => seconds * 1000);
      try {
        await state.logOutSession('s1');
        assert.equal(await state.isLoggedOut('s1', 'u1', START), true);
        assert.equal(await state.isLoggedOut('s2', 'u1', START), false);
        seconds = START + LOGOUT_MEMORY_SECONDS;
        assert.equal(await state.isLoggedOut('s1', 'u1', START), true);
        seconds += 1;
        assert.equal(await state.isLoggedOut('s1', 'u1', START), false);
      } finally {
        await state.close();
      }
    });

    test('a logout of every session of a user refuses what was issued before its cutoff; the latest cutoff wins', async () => {
      const state = await open(() => START * 1000);
      try {
        await state.logOutUser('u1', START);
        assert.equal(await state.isLoggedOut('s1', 'u1', START - 1), true);
        assert.equal(await state.isLoggedOut('s1', 'u1', START), false);
        assert.equal(await state.isLoggedOut('s1', 'u2', START - 1), false);
        await state.logOutUser('u1', START + 10);
        await state.logOutUser('u1', START + 5);
        assert.equal(await state.isLoggedOut('s1', 'u1', START + 9), true);
      } finally {
        await state.close();
      }
    });
  });
}

test('E35: the SQLite state keeps logouts and accepted tickets across a restart, in an owner-only file', async () => {
  const file = path.join(dir, 'restart.db');
  const now = (): number => START * 1000;
  const first = await sqliteReceiverState(file, { now });
  await first.logOutSession('s1');
  await first.acceptOnce('t1', START + 60);
  await first.close();
  const second = await sqliteReceiverState(file, { now });
  try {
    assert.equal(await second.isLoggedOut('s1', 'u1', START), true);
    assert.equal(await second.acceptOnce('t1', START + 60), false);
    assert.equal(statSync(file).mode & 0o777, 0o600);
  } finally {
    await second.close();
  }
});
