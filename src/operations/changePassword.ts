// 003 §5.13 changePassword: owner only; oldPassword, when given, must match.
import { actorOf } from '../domain/audit.js';
import { checkPassword, findUser, hashNewPassword, requireOwner, setPasswordHash } from '../domain/users.js';
import { ProtocolFault } from '../faults.js';
import { passwordMaxLength, userIdField } from './fields.js';
import type { Operation } from './types.js';

export const changePassword: Operation = {
  name: 'changePassword',
  section: '5.13',
  summary: 'Sets a new password (plaintext or legacy digest) for a user owned by the calling application; checks oldPassword when given.',
  access: 'application',
  input: [
    userIdField,
    { name: 'oldPassword', type: 'string', optional: true, allowEmpty: true, maxLength: passwordMaxLength, doc: 'Current plaintext password; when given it must match.' },
    { name: 'newPassword', type: 'string', maxLength: passwordMaxLength, doc: 'New plaintext password, or the hex digest named by newPasswordHashType.' },
    { name: 'newPasswordHashType', type: 'string', optional: true, maxLength: 16, doc: 'sha1, md5 or sha256; absent for plaintext.' },
  ],
  output: [],
  faults: ['permissionDenied', 'noSuchUser', 'invalidCredentials', 'invalidParameter'],
  async handle(input, { caller, services }) {
    const user = await findUser(services, input.userId ?? '');
    requireOwner(user, caller?.applicationId ?? '');
    const passwordHash = await hashNewPassword(services, { password: input.newPassword ?? '', hashType: input.newPasswordHashType });
    if (input.oldPassword !== undefined && !(await checkPassword(services, user, input.oldPassword, { upgrade: false }))) {
      throw new ProtocolFault('invalidCredentials');
    }
    // Compare-and-set: a concurrent change (or hash upgrade) between the check and here wins over this one.
    const expected = input.oldPassword === undefined ? undefined : user.passwordHash;
    if (!(await setPasswordHash(services, user, passwordHash, actorOf(caller?.applicationId), expected))) {
      throw new ProtocolFault(input.oldPassword === undefined ? 'noSuchUser' : 'invalidCredentials');
    }
    return {};
  },
};
