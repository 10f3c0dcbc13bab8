// protocol §5.9 getUserId.
import { loginKeyOf } from '../../../core/users.js';
import { ProtocolFault } from '../faults.js';
import { loginField } from './fields.js';
import type { Operation } from './types.js';

export const getUserId: Operation = {
  name: 'getUserId',
  section: '5.9',
  summary: 'Returns the id of the user with a login name.',
  access: 'application',
  input: [loginField],
  output: [{ name: 'userId', doc: 'The user id.' }],
  faults: ['noSuchUser'],
  async handle(input, { services }) {
    const user = await services.store.findUserByLoginKey(loginKeyOf(input.login ?? ''));
    if (user === null) throw new ProtocolFault('noSuchUser', 'The submitted user login name is not registered.');
    return { userId: user.id };
  },
};
