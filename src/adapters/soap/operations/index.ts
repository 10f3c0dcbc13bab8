// The table of operations: the protocol's (protocol §5), in the order of the spec, then ssod's
// extensions in the ssox namespace (docs/EXTENSIONS.md). The dispatcher, the two WSDLs,
// docs/PROTOCOL.md and docs/EXTENSIONS.md are generated from it.
import { authenticate } from './authenticate.js';
import { changeLogin } from './changeLogin.js';
import { changePassword } from './changePassword.js';
import { closeSession } from './closeSession.js';
import { createUser } from './createUser.js';
import { deleteUser } from './deleteUser.js';
import { duplicateUser } from './duplicateUser.js';
import { getApplication } from './getApplication.js';
import { getChangePasswordUrl } from './getChangePasswordUrl.js';
import { getRestorePasswordUrl } from './getRestorePasswordUrl.js';
import { getSettings } from './getSettings.js';
import { getUser } from './getUser.js';
import { getSignOnMethod } from './getSignOnMethod.js';
import { getUserId } from './getUserId.js';
import { listApplications } from './listApplications.js';
import { listUsers } from './listUsers.js';
import { registerApplication } from './registerApplication.js';
import { transferOwnership } from './transferOwnership.js';
import { unregisterApplication } from './unregisterApplication.js';
import { updateApplication } from './updateApplication.js';
import { verifySession } from './verifySession.js';
import { verifyTicket } from './verifyTicket.js';
import { declareSessionVariable } from './declareSessionVariable.js';
import { getSessionVariable } from './getSessionVariable.js';
import { listSessionVariableDeclarations } from './listSessionVariableDeclarations.js';
import { removeSessionVariable } from './removeSessionVariable.js';
import { setSessionVariable } from './setSessionVariable.js';
import { verifySessionWithVariables } from './verifySessionWithVariables.js';
import { getSessionStartCallback, setSessionStartCallback } from './sessionStartCallback.js';
import type { Operation } from './types.js';

/** The operations of the protocol, in namespace SSO_NS. */
export const OPERATIONS: readonly Operation[] = Object.freeze([
  registerApplication,
  updateApplication,
  listApplications,
  getApplication,
  unregisterApplication,
  createUser,
  deleteUser,
  getUser,
  getUserId,
  listUsers,
  changeLogin,
  duplicateUser,
  changePassword,
  getChangePasswordUrl,
  getRestorePasswordUrl,
  transferOwnership,
  authenticate,
  verifySession,
  closeSession,
  getSettings,
]);

/** ssod's own operations, in namespace SSOX_NS. */
export const EXTENSION_OPERATIONS: readonly Operation[] = Object.freeze([
  getSignOnMethod,
  verifyTicket,
  declareSessionVariable,
  listSessionVariableDeclarations,
  removeSessionVariable,
  getSessionVariable,
  setSessionVariable,
  verifySessionWithVariables,
  setSessionStartCallback,
  getSessionStartCallback,
]);

/** Every operation the endpoint answers. */
export const ALL_OPERATIONS: readonly Operation[] = Object.freeze([...OPERATIONS, ...EXTENSION_OPERATIONS]);

/** By namespace, then by local name: an extension may reuse a protocol operation's name without taking its place. */
const BY_NAMESPACE: ReadonlyMap<string, ReadonlyMap<string, Operation>> = new Map(
  [...new Set(ALL_OPERATIONS.map((operation) => operation.namespace))].map((namespace) => [
    namespace,
    new Map(ALL_OPERATIONS.filter((operation) => operation.namespace === namespace).map((operation) => [operation.name, operation])),
  ]),
);

/** The operation of a Body element, by its namespace and local name. */
export function operationNamed(namespace: string, name: string): Operation | undefined {
  return BY_NAMESPACE.get(namespace)?.get(name);
}
