// protocol §5.12 duplicateUser: a copy with a new id and the same password; owner only. Logins are
// unique, so the copy needs the new login the example passes; without one it would have "the same
// login name" and is refused with duplicateLogin, as that would be.
import { actorOf } from '../../../core/audit.js';
import { createUser, findUser, requireOwner } from '../../../core/users.js';
import { loginField, userIdField } from './fields.js';
import { operation } from './types.js';

export const duplicateUser = operation({
  name: 'duplicateUser',
  section: '5.12',
  summary: 'Copies a user owned by the calling application (same password) under a new id and the given login.',
  access: 'application',
  input: [
    userIdField,
    { ...loginField, optional: true, doc: 'Login of the copy (logins are unique, so without it the copy is refused with duplicateLogin).' },
  ],
  output: [{ name: 'userId', doc: 'The id of the copy.' }],
  faults: ['noSuchUser', 'duplicateLogin', 'permissionDenied'],
  async handle(input, { caller, services }) {
    const user = await findUser(services, input.userId);
    requireOwner(user, caller.applicationId);
    return {
      // A copy of a user with single sign-on signs in through the same source (its password is the directory's).
      userId: await createUser(
        services,
        user.ownerId,
        input.login ?? user.login,
        user.passwordHash,
        actorOf(caller.applicationId),
        { duplicateOf: user.id },
        user.sourceName,
      ),
    };
  },
});
