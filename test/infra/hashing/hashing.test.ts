// The password hashing pool (src/infra/hashing/pool.ts): argon2id on worker threads that run at the
// lowest CPU priority, so that a login storm never delays the event loop; a fair, bounded queue per
// source (docs/SECURITY.md, case F39).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { test } from 'node:test';
import { HashingQueueFull } from '../../../src/core/ports/passwords.js';
import {
  ARGON2ID,
  QUEUED_PER_SOURCE_PER_THREAD,
  hashPassword,
  hashingCounts,
  hashingQuotaPerSource,
  hashingThreadsFor,
  verifyPassword,
} from '../../../src/infra/hashing/pool.js';

const CHEAP = { algorithm: ARGON2ID, memoryCost: 8192, timeCost: 1, parallelism: 1 } as const;

test('hashes and verifies on the pool, several at once; an unreadable hash rejects', async () => {
  const phc = await hashPassword('correct horse', CHEAP);
  assert.match(phc, /^\$argon2id\$v=19\$m=8192,t=1,p=1\$/);
  assert.deepEqual(
    await Promise.all([verifyPassword(phc, 'correct horse'), verifyPassword(phc, 'wrong'), verifyPassword(phc, 'correct horse')]),
    [true, false, true],
  );
  await assert.rejects(verifyPassword('not a hash', 'x'));
});

test(
  'on Linux the hashing threads run at the lowest priority and the event loop thread does not',
  { skip: process.platform !== 'linux' },
  async () => {
    await hashPassword('warm the pool', CHEAP);
    const niceOf = (tid: string): number => {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
    };
    const nices = readdirSync('/proc/self/task').map((tid) => ({ tid, nice: niceOf(tid) }));
    assert.equal(nices.find((t) => t.tid === String(process.pid))?.nice, 0, 'the event loop thread keeps its priority');
    assert.ok(
      nices.some((t) => t.nice === 19),
      `a hashing thread at nice 19: ${JSON.stringify(nices)}`,
    );
  },
);

test('the workers of --workers N share the cores: together one hashing thread per core, at least one each', () => {
  assert.equal(hashingThreadsFor(1, 2), 2);
  assert.equal(hashingThreadsFor(2, 2), 1);
  assert.equal(hashingThreadsFor(2, 8), 4);
  assert.equal(hashingThreadsFor(3, 8), 2);
  assert.equal(hashingThreadsFor(4, 2), 1);
  assert.equal(hashingThreadsFor(0, 2), 2);
});

test(
  'a worker of --workers N starts no more hashing threads than its share of the cores',
  { skip: process.platform !== 'linux' },
  async (t) => {
    // Eight hashes at once in a fresh process: the pool grows to its size and no further.
    const script = `
    import { readdirSync, readFileSync } from 'node:fs';
    const { hashPassword, shareHashingAmong } = await import(${JSON.stringify(new URL('../../../src/infra/hashing/pool.js', import.meta.url).href)});
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
  },
);

test('F39: a source past its share of the hashing pool is refused at once, without reaching a hashing thread', async () => {
  const phc = await hashPassword('flooded', CHEAP);
  const quota = hashingQuotaPerSource();
  const before = hashingCounts();
  const flood = Array.from({ length: 2 * quota }, () => verifyPassword(phc, 'guess', ['source:192.0.2.1']));
  const outcomes = await Promise.allSettled(flood);
  const refused = outcomes.filter((outcome) => outcome.status === 'rejected');
  assert.equal(refused.length, quota, 'exactly the share is accepted');
  assert.ok(refused.every((outcome) => outcome.reason instanceof HashingQueueFull && outcome.reason.source === 'source:192.0.2.1'));
  const after = hashingCounts();
  assert.equal(after.started - before.started, quota, 'no refused job reached a thread');
  assert.equal(after.refused - before.refused, quota);
  // The share is given back as jobs finish.
  assert.equal(await verifyPassword(phc, 'flooded', ['source:192.0.2.1']), true);
});

/**
 * In a fresh process whose pool has one hashing thread: the flood's jobs (each with its sources),
 * then the honest job, queued at once; the order in which they finished. With one thread, jobs
 * finish in the order the pool gave them the thread, whatever the machine's scheduler does with
 * threads of the lowest priority (on a loaded machine one of two threads may stall for a while).
 */
async function finishOrderOnOneThread(flood: readonly (readonly string[])[], honest: readonly string[]): Promise<string[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ssod-hashing-'));
  try {
    const file = path.join(dir, 'finish-order.mjs');
    writeFileSync(
      file,
      `
    import os from 'node:os';
    const { hashPassword, shareHashingAmong, verifyPassword } = await import(${JSON.stringify(new URL('../../../src/infra/hashing/pool.js', import.meta.url).href)});
    shareHashingAmong(os.availableParallelism());
    const { flood, honest } = JSON.parse(process.argv[2]);
    const phc = await hashPassword('flooded', ${JSON.stringify(CHEAP)});
    const finished = [];
    const jobs = flood.map((sources) => verifyPassword(phc, 'guess', sources).then(() => finished.push('flood'), (error) => finished.push('refused:' + error.code)));
    jobs.push(verifyPassword(phc, 'flooded', honest).then((ok) => finished.push(ok ? 'honest' : 'honest refused')));
    await Promise.all(jobs);
    console.log(JSON.stringify(finished));`,
    );
    const { stdout } = await promisify(execFile)(process.execPath, [file, JSON.stringify({ flood, honest })]);
    return JSON.parse(stdout) as string[];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** How many flood jobs finished before the honest one (which must have been served). */
function floodJobsBeforeHonest(finished: readonly string[]): number {
  const honest = finished.indexOf('honest');
  assert.ok(honest !== -1, finished.join());
  return finished.slice(0, honest).filter((outcome) => outcome === 'flood').length;
}

test('F39: a sign-in from another source is served before the queued jobs of a source that floods the pool', async () => {
  const quota = QUEUED_PER_SOURCE_PER_THREAD; // the share of a source in a one-thread pool
  const finished = await finishOrderOnOneThread(
    Array.from({ length: quota }, () => ['source:192.0.2.2']),
    ['source:192.0.2.3'],
  );
  // The flood's running job finishes, then one more may start before the honest job's turn; first
  // come, first served would put it behind all `quota` of them.
  const floodBefore = floodJobsBeforeHonest(finished);
  assert.ok(floodBefore <= 2, `${floodBefore} of ${quota} flood jobs finished before the honest one`);
});

test('F39: a job counts against each of its sources, and takes turns under the last (an application from many addresses)', async () => {
  const quota = QUEUED_PER_SOURCE_PER_THREAD;
  const application = 'source:application:00000000-0000-4000-8000-0000000000f3';
  const flood = Array.from({ length: quota }, (_, i) => [`source:198.51.100.${i + 1}`, application]);
  // One more job of the application, from yet another address: the application has its share.
  const finished = await finishOrderOnOneThread([...flood, ['source:198.51.100.250', application]], ['source:198.51.100.251']);
  assert.equal(finished.filter((outcome) => outcome === 'refused:hashingQueueFull').length, 1, 'the application has its share');
  const floodBefore = floodJobsBeforeHonest(finished);
  assert.ok(floodBefore <= 2, `${floodBefore} of ${quota} flood jobs finished before the honest one`);
});
