// One thread of the SAML check pool (infra/saml/checkPool.ts): runs the checks of a posted response
// that need no store (serviceProvider.ts checkSamlResponse), one job at a time, at the lowest CPU
// priority, as the password hashing threads do, so that the event loop always gets a core first.
import os from 'node:os';
import { parentPort } from 'node:worker_threads';
import { SamlRefusal, type SamlCase, type SamlIdentity, type SamlResponseCheck } from '../../core/ports/saml.js';
import { checkSamlResponse } from './serviceProvider.js';

export interface SamlCheckJob {
  readonly id: number;
  readonly check: SamlResponseCheck;
}

/** The identity, a refusal (its case and reason), or a failure of the checks themselves. */
export type SamlCheckOutcome =
  | { readonly id: number; readonly identity: SamlIdentity }
  | { readonly id: number; readonly refusal: { readonly case: SamlCase; readonly reason: string } }
  | { readonly id: number; readonly error: string };

// On Linux the nice value belongs to a thread (pid 0: this one); elsewhere it would lower the whole
// process, so it is left alone there.
if (process.platform === 'linux') {
  try {
    os.setPriority(0, os.constants.priority.PRIORITY_LOW);
  } catch {
    // not permitted: the checks still run, at normal priority
  }
}

async function outcomeOf(job: SamlCheckJob): Promise<SamlCheckOutcome> {
  try {
    return { id: job.id, identity: await checkSamlResponse(job.check) };
  } catch (error) {
    if (error instanceof SamlRefusal) return { id: job.id, refusal: { case: error.case, reason: error.message } };
    return { id: job.id, error: error instanceof Error ? error.message : String(error) };
  }
}

parentPort?.on('message', (job: SamlCheckJob) => {
  void outcomeOf(job).then((outcome) => parentPort?.postMessage(outcome));
});
