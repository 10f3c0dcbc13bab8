// changePassword (Open Fusion SSO protocol, section 5.13): owner only; oldPassword, when given, must match. The change itself, with
// brute-force protection of oldPassword, the audit records and the end of the user's sessions, is
// core/passwordChange.ts.
import { LEGACY_HASH_TYPES, eitherOf } from '../../../config/options.js';
import { changePassword as changeUserPassword } from '../../../core/passwordChange.js';
import { requireLocalPassword } from '../../../core/sources.js';
import { findUser, hashNewPassword, requireOwner } from '../../../core/users.js';
import { passwordMaxLength, userIdField } from './fields.js';
import { operation } from './types.js';

export const changePassword = operation({
  name: 'changePassword',
  section: '5.13',
  summary:
    "Sets a new password (plaintext or legacy digest) for a user owned by the calling application; checks oldPassword when given, under the sign-in's brute-force protection. Ends the user's sessions unless the operator set passwordChangeEndsSessions off. A user with single sign-on gets permissionDenied: its password is the organization's directory's.",
  access: 'application',
  input: [
    userIdField,
    {
      name: 'oldPassword',
      type: 'string',
      optional: true,
      allowEmpty: true,
      maxLength: passwordMaxLength,
      doc: 'Current plaintext password; when given it must match.',
    },
    {
      name: 'newPassword',
      type: 'string',
      maxLength: passwordMaxLength,
      doc: 'New plaintext password, or the hex digest named by newPasswordHashType.',
    },
    {
      name: 'newPasswordHashType',
      type: 'string',
      optional: true,
      maxLength: 16,
      doc: `${eitherOf(LEGACY_HASH_TYPES)}; absent for plaintext.`,
    },
  ],
  output: [],
  faults: ['permissionDenied', 'noSuchUser', 'invalidCredentials', 'invalidParameter'],
  async handle(input, { caller, remoteAddress, services }) {
    const user = await findUser(services, input.userId);
    const applicationId = caller.applicationId;
    requireOwner(user, applicationId);
    // Before hashing the new password: a user with single sign-on has none here.
    requireLocalPassword(user);
    const passwordHash = await hashNewPassword(services, { password: input.newPassword, hashType: input.newPasswordHashType });
    await changeUserPassword(services, { user, applicationId, address: remoteAddress, oldPassword: input.oldPassword, passwordHash });
    return {};
  },
});
