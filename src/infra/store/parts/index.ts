// The store as the sum of its parts: each part (one file) holds its statements and its share of the
// contract, written once for every engine over the engine's Executor. A new capability is a new part
// here, with no change to either engine.
import type { Executor } from '../executor.js';
import { adminPart } from './admins.js';
import { applicationPart } from './applications.js';
import { auditPart } from './audit.js';
import { groupPart } from './groups.js';
import { identityProviderPart } from './identityProviders.js';
import { keyMaterialPart } from './keyMaterial.js';
import { lastTestPart } from './lastTests.js';
import { outboxPart } from './outbox.js';
import { sessionPart } from './sessions.js';
import { sessionStartPart } from './sessionStart.js';
import { sessionVariablePart } from './sessionVariables.js';
import { settingsPart } from './settings.js';
import { sourcePart } from './sources.js';
import { throttlePart } from './throttle.js';
import { ticketPart } from './tickets.js';
import { unitOfWorkPart } from './unitOfWork.js';
import { userPart } from './users.js';
import type { Store, StoreLifecycle } from '../../../core/store/index.js';

/**
 * The store: the parts' methods on its prototype, as a class instance holds them, so that the store
 * itself has only `engine` of its own (a test may shadow a method with a spy and delete it again).
 */
export function composeStore(lifecycle: StoreLifecycle, x: Executor): Store {
  const methods: Omit<Store, 'engine'> = {
    ping: () => lifecycle.ping(),
    probeWrite: () => lifecycle.probeWrite(),
    ...(lifecycle.poolUse === undefined ? {} : { poolUse: lifecycle.poolUse.bind(lifecycle) }),
    close: () => lifecycle.close(),
    ...applicationPart(x),
    ...groupPart(x),
    ...userPart(x),
    ...sourcePart(x),
    ...identityProviderPart(x),
    ...lastTestPart(x),
    ...sessionPart(x),
    ...sessionStartPart(x),
    ...sessionVariablePart(x),
    ...settingsPart(x),
    ...throttlePart(x),
    ...auditPart(x),
    ...keyMaterialPart(x),
    ...ticketPart(x),
    ...outboxPart(x),
    ...unitOfWorkPart(x),
    ...adminPart(x),
  };
  return Object.assign(Object.create(methods) as Store, { engine: lifecycle.engine });
}
