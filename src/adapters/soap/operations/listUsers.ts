// protocol §5.10 listUsers: the users the calling application owns (a group's subscriber: its provider's, docs/groups.md).
import { listUserIds } from '../../../core/users.js';
import { operation } from './types.js';

export const listUsers = operation({
  name: 'listUsers',
  section: '5.10',
  summary: 'Lists the ids of the users owned by the calling application.',
  access: 'application',
  input: [],
  output: [{ name: 'usersList', shape: 'list', doc: 'User ids.' }],
  faults: [],
  async handle(_input, { caller, services }) {
    return { usersList: await listUserIds(services, caller.applicationId) };
  },
});
