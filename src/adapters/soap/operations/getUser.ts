// protocol §5.8 getUser.
import { requireUserOfCallerSet } from '../../../core/groups.js';
import { findUser } from '../../../core/users.js';
import { userIdField } from './fields.js';
import { operation } from './types.js';

export const getUser = operation({
  name: 'getUser',
  section: '5.8',
  summary: "Returns a user's login and owner application.",
  access: 'application',
  input: [userIdField],
  output: [
    { name: 'login', doc: 'Login name.' },
    { name: 'applicationId', doc: 'The owner application.' },
  ],
  faults: ['noSuchUser'],
  async handle(input, { caller, services }) {
    const user = await requireUserOfCallerSet(services, await findUser(services, input.userId), caller.applicationId);
    return { login: user.login, applicationId: user.ownerId };
  },
});
