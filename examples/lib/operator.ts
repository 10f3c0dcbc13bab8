// What the operator does for the demonstration's application group, with ssod's own operator
// functions in process (as `ssod groups create`, `ssod groups add` and `ssod applications callback`
// do from the command line, docs/groups.md): run.ts and the browser tests hand this to startDemo.
import { addGroupMember, createGroup } from '../../src/core/operator/groups.js';
import { setSessionStartCallback } from '../../src/core/sessionStart.js';
import type { Services } from '../../src/core/services.js';
import type { ApplicationRecord } from '../../src/core/store/index.js';

/** The operator's part of the demonstration's group. */
export interface DemoOperator {
  /** `ssod groups create NAME --provider P`, then `ssod groups add NAME S` for each subscriber. */
  formGroup(name: string, providerId: string, subscriberIds: readonly string[]): Promise<void>;
  /** `ssod applications callback APP --url URL --ca-file F`: the endpoint's certificate chains to `caPem`. */
  setSessionStartCallback(applicationId: string, url: string, caPem: string): Promise<void>;
}

async function application(services: Services, id: string): Promise<ApplicationRecord> {
  const found = await services.store.getApplication(id);
  if (found === null) throw new Error(`no application ${id}`);
  return found;
}

/** The operator commands as functions of a running ssod's services. */
export function demoOperator(services: Services): DemoOperator {
  return {
    async formGroup(name, providerId, subscriberIds) {
      await createGroup(services, name, await application(services, providerId));
      for (const id of subscriberIds) await addGroupMember(services, name, await application(services, id));
    },
    async setSessionStartCallback(applicationId, url, caPem) {
      await setSessionStartCallback(services, applicationId, { url, policy: 'continue', caPem }, 'operator');
    },
  };
}
