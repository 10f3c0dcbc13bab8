// protocol §5.11 changeLogin: owner only.
import { actorOf } from '../../../core/audit.js';
import { changeLogin as change, findUser, requireOwner } from '../../../core/users.js';
import { loginField, userIdField } from './fields.js';
import { operation } from './types.js';

export const changeLogin = operation({
  name: 'changeLogin',
  section: '5.11',
  summary: 'Changes the login name of a user owned by the calling application.',
  access: 'application',
  input: [userIdField, loginField],
  output: [],
  faults: ['noSuchUser', 'duplicateLogin', 'permissionDenied'],
  async handle(input, { caller, services }) {
    const user = await findUser(services, input.userId);
    requireOwner(user, caller.applicationId);
    await change(services, user, input.login, actorOf(caller.applicationId));
    return {};
  },
});
