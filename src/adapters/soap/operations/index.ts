// The table of operations (protocol §5), in the order of the spec. The dispatcher, the WSDL and
// docs/PROTOCOL.md are generated from it.
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
import { getUserId } from './getUserId.js';
import { listApplications } from './listApplications.js';
import { listUsers } from './listUsers.js';
import { registerApplication } from './registerApplication.js';
import { transferOwnership } from './transferOwnership.js';
import { unregisterApplication } from './unregisterApplication.js';
import { updateApplication } from './updateApplication.js';
import { verifySession } from './verifySession.js';
import type { Operation } from './types.js';

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

const BY_NAME: ReadonlyMap<string, Operation> = new Map(OPERATIONS.map((operation) => [operation.name, operation]));

export function operationNamed(name: string): Operation | undefined {
  return BY_NAME.get(name);
}
