// protocol §5.16 transferOwnership: owner only; the receiving application must exist.
import { actorOf } from '../../../core/audit.js';
import { requireMayTransferTo } from '../../../core/groups.js';
import { findUser, requireOwner, transferOwnership as transfer } from '../../../core/users.js';
import { applicationIdField, userIdField } from './fields.js';
import { operation } from './types.js';

export const transferOwnership = operation({
  name: 'transferOwnership',
  section: '5.16',
  summary: 'Gives a user owned by the calling application to another application.',
  access: 'application',
  input: [userIdField, applicationIdField],
  output: [],
  faults: ['noSuchUser', 'noSuchApplication', 'permissionDenied'],
  async handle(input, { caller, services }) {
    const user = await findUser(services, input.userId);
    requireOwner(user, caller.applicationId);
    await requireMayTransferTo(services, input.applicationId, caller.applicationId);
    await transfer(services, user, input.applicationId, actorOf(caller.applicationId));
    return {};
  },
});
