// The password hashing pool (src/domain/hashing.ts): argon2id on worker threads that run at the
// lowest CPU priority, so that a login storm never delays the event loop (DESIGN.md "Passwords").
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { hashPassword, verifyPassword } from '../../src/domain/hashing.js';

const CHEAP = { algorithm: 2, memoryCost: 8192, timeCost: 1, parallelism: 1 } as const;

test('hashes and verifies on the pool, several at once; an unreadable hash rejects', async () => {
  const phc = await hashPassword('correct horse', CHEAP);
  assert.match(phc, /^\$argon2id\$v=19\$m=8192,t=1,p=1\$/);
  assert.deepEqual(await Promise.all([verifyPassword(phc, 'correct horse'), verifyPassword(phc, 'wrong'), verifyPassword(phc, 'correct horse')]), [true, false, true]);
  await assert.rejects(verifyPassword('not a hash', 'x'));
});

test('on Linux the hashing threads run at the lowest priority and the event loop thread does not', { skip: process.platform !== 'linux' }, async () => {
  await hashPassword('warm the pool', CHEAP);
  const niceOf = (tid: string): number => {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  };
  const nices = readdirSync('/proc/self/task').map((tid) => ({ tid, nice: niceOf(tid) }));
  assert.equal(nices.find((t) => t.tid === String(process.pid))?.nice, 0, 'the event loop thread keeps its priority');
  assert.ok(nices.some((t) => t.nice === 19), `a hashing thread at nice 19: ${JSON.stringify(nices)}`);
});
