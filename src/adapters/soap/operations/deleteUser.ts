// protocol §5.7 deleteUser: owner only. The section names the fault noSuchLogin; the fault table (6.2) has noSuchUser (docs/DECISIONS.md "Errata of the protocol").
import { actorOf } from '../../../core/audit.js';
import { deleteUser as remove, findUser, requireOwner } from '../../../core/users.js';
import { userIdField } from './fields.js';
import { operation } from './types.js';

export const deleteUser = operation({
  name: 'deleteUser',
  section: '5.7',
  summary: 'Deletes a user owned by the calling application, ending its sessions.',
  access: 'application',
  input: [userIdField],
  output: [],
  faults: ['noSuchUser', 'permissionDenied'],
  async handle(input, { caller, services }) {
    const user = await findUser(services, input.userId);
    requireOwner(user, caller.applicationId);
    await remove(services, user, actorOf(caller.applicationId));
    return {};
  },
});
