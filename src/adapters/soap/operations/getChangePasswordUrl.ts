// protocol §5.14 getChangePasswordUrl.
import { requireUserOfCallerSet } from '../../../core/groups.js';
import { findUser, passwordFormUrl } from '../../../core/users.js';
import { userIdField } from './fields.js';
import { operation } from './types.js';

export const getChangePasswordUrl = operation({
  name: 'getChangePasswordUrl',
  section: '5.14',
  summary:
    "Returns the owner application's password change URL for a user ('$uid' replaced); no url when the owner registered none, or when the user signs in through the organization's directory (single sign-on).",
  access: 'application',
  input: [userIdField],
  output: [{ name: 'url', optional: true, doc: 'The password change URL.' }],
  faults: ['noSuchUser'],
  async handle(input, { caller, services }) {
    const user = await requireUserOfCallerSet(services, await findUser(services, input.userId), caller.applicationId);
    return { url: (await passwordFormUrl(services, user, 'changePasswordUrl')) ?? undefined };
  },
});
