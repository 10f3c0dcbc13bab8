// One thread of the SAML check pool (infra/saml/checkPool.ts): runs the checks of a posted response
// that need no store (serviceProvider.ts checkSamlResponse), one job at a time, at normal priority
// (checkPool.ts says why not the hashing threads' lowest).
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
