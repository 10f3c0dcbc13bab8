// protocol §5.15 getRestorePasswordUrl: by login or by userId, exactly one of them.
import { requireUserOfCallerSet } from '../../../core/groups.js';
import { findUserByLoginOrId, passwordFormUrl } from '../../../core/users.js';
import { loginField, userIdField } from './fields.js';
import { operation } from './types.js';

export const getRestorePasswordUrl = operation({
  name: 'getRestorePasswordUrl',
  section: '5.15',
  summary:
    "Returns the owner application's password restore URL for a user named by login or userId; no url when the owner registered none, or when the user signs in through the organization's directory (single sign-on).",
  access: 'application',
  input: [
    { ...loginField, optional: true },
    { ...userIdField, optional: true },
  ],
  output: [{ name: 'url', optional: true, doc: 'The password restore URL.' }],
  faults: ['noSuchUser', 'invalidParameter'],
  async handle(input, { caller, services }) {
    const named = await findUserByLoginOrId(services, input.login, input.userId);
    const message = 'The user with the submitted login name or userId does not exist.';
    const user = await requireUserOfCallerSet(services, named, caller.applicationId, message);
    return { url: (await passwordFormUrl(services, user, 'restorePasswordUrl')) ?? undefined };
  },
});
