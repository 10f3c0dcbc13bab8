// protocol §5.9 getUserId.
import { requireUserOfCallerSet } from '../../../core/groups.js';
import { findUserByLogin } from '../../../core/users.js';
import { loginField } from './fields.js';
import { operation } from './types.js';

export const getUserId = operation({
  name: 'getUserId',
  section: '5.9',
  summary: 'Returns the id of the user with a login name.',
  access: 'application',
  input: [loginField],
  output: [{ name: 'userId', doc: 'The user id.' }],
  faults: ['noSuchUser'],
  async handle(input, { caller, services }) {
    const user = await findUserByLogin(services, input.login);
    const message = 'The submitted user login name is not registered.';
    return { userId: (await requireUserOfCallerSet(services, user, caller.applicationId, message)).id };
  },
});
