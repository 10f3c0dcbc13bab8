// 003 §5.16 transferOwnership: owner only; the receiving application must exist.
import { findApplication } from '../domain/applications.js';
import { findUser, requireOwner } from '../domain/users.js';
import { ProtocolFault } from '../faults.js';
import { applicationIdField, userIdField } from './fields.js';
import type { Operation } from './types.js';

export const transferOwnership: Operation = {
  name: 'transferOwnership',
  section: '5.16',
  summary: 'Gives a user owned by the calling application to another application.',
  access: 'application',
  input: [userIdField, applicationIdField],
  output: [],
  faults: ['noSuchUser', 'noSuchApplication', 'permissionDenied'],
  async handle(input, { caller, services }) {
    const user = await findUser(services, input.userId ?? '');
    requireOwner(user, caller?.applicationId ?? '');
    const target = await findApplication(services, input.applicationId ?? '');
    if (!(await services.store.setOwner(user.id, target.id))) throw new ProtocolFault('noSuchUser');
    return {};
  },
};
