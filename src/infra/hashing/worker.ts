// One thread of the password hashing pool (infra/hashing/pool.ts): runs argon2id synchronously, one
// job at a time, at the lowest CPU priority so that the event loop always gets a core first.
import { hashSync, verifySync, type Options } from '@node-rs/argon2';
import os from 'node:os';
import { parentPort } from 'node:worker_threads';

export type HashJob =
  | { readonly id: number; readonly op: 'hash'; readonly secret: string; readonly options: Options }
  | { readonly id: number; readonly op: 'verify'; readonly phc: string; readonly secret: string };

export type HashOutcome = { readonly id: number; readonly value: string | boolean } | { readonly id: number; readonly error: string };

// On Linux the nice value belongs to a thread, and pid 0 is the calling thread: only this one is
// lowered. Elsewhere it would lower the whole process, so it is left alone there.
if (process.platform === 'linux') {
  try {
    os.setPriority(0, os.constants.priority.PRIORITY_LOW);
  } catch {
    // not permitted: hashing still works, at normal priority
  }
}

parentPort?.on('message', (job: HashJob) => {
  let outcome: HashOutcome;
  try {
    outcome = { id: job.id, value: job.op === 'hash' ? hashSync(job.secret, job.options) : verifySync(job.phc, job.secret) };
  } catch (error) {
    outcome = { id: job.id, error: error instanceof Error ? error.message : String(error) };
  }
  parentPort?.postMessage(outcome);
});
