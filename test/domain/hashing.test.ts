// The password hashing pool (src/domain/hashing.ts): argon2id on worker threads that run at the
// lowest CPU priority, so that a login storm never delays the event loop (DESIGN.md "Passwords").
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { test } from 'node:test';
import { hashPassword, hashingThreadsFor, verifyPassword } from '../../src/domain/hashing.js';

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

test('the workers of --workers N share the cores: together one hashing thread per core, at least one each', () => {
  assert.equal(hashingThreadsFor(1, 2), 2);
  assert.equal(hashingThreadsFor(2, 2), 1);
  assert.equal(hashingThreadsFor(2, 8), 4);
  assert.equal(hashingThreadsFor(3, 8), 2);
  assert.equal(hashingThreadsFor(4, 2), 1);
  assert.equal(hashingThreadsFor(0, 2), 2);
});

test('a worker of --workers N starts no more hashing threads than its share of the cores', { skip: process.platform !== 'linux' }, async (t) => {
  // Eight hashes at once in a fresh process: the pool grows to its size and no further.
  const script = `
    import { readdirSync, readFileSync } from 'node:fs';
    const { hashPassword, shareHashingAmong } = await import(${JSON.stringify(new URL('../../src/domain/hashing.js', import.meta.url).href)});
    shareHashingAmong(Number(process.argv[2]));
    await Promise.all(Array.from({ length: 8 }, (_, i) => hashPassword('p' + i, ${JSON.stringify(CHEAP)})));
    const nice = (tid) => { const stat = readFileSync('/proc/self/task/' + tid + '/stat', 'utf8'); return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]); };
    console.log(readdirSync('/proc/self/task').filter((tid) => nice(tid) === 19).length);`;
  const threadsAmong = async (processes: number): Promise<number> => {
    const { stdout } = await promisify(execFile)(process.execPath, [file, String(processes)]);
    return Number(stdout.trim());
  };
  // A file rather than --eval: the hashing threads would inherit --input-type and refuse their own file.
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ssod-hashing-'));
  const file = path.join(dir, 'count-threads.mjs');
  writeFileSync(file, script);
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const cores = os.availableParallelism();
  assert.equal(await threadsAmong(1), cores);
  assert.equal(await threadsAmong(cores), 1);
  assert.equal(await threadsAmong(cores + 1), 1);
});
