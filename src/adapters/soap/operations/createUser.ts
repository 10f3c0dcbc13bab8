// protocol §5.6 createUser: the calling application becomes the owner.
import { LEGACY_HASH_TYPES, eitherOf } from '../../../config/options.js';
import { actorOf } from '../../../core/audit.js';
import { createUser as create, hashNewPassword } from '../../../core/users.js';
import { loginField, passwordMaxLength } from './fields.js';
import { operation } from './types.js';

export const createUser = operation({
  name: 'createUser',
  section: '5.6',
  summary: 'Creates a user owned by the calling application, with a plaintext password or a legacy digest (passwordHashType).',
  access: 'application',
  input: [
    loginField,
    {
      name: 'password',
      type: 'string',
      maxLength: passwordMaxLength,
      doc: 'Plaintext password, or the hex digest named by passwordHashType.',
    },
    {
      name: 'passwordHashType',
      type: 'string',
      optional: true,
      maxLength: 16,
      doc: `${eitherOf(LEGACY_HASH_TYPES)} (getSettings lists them); absent for plaintext.`,
    },
  ],
  output: [{ name: 'userId', doc: 'The new user id.' }],
  faults: ['duplicateLogin', 'permissionDenied', 'invalidParameter'],
  async handle(input, { caller, services }) {
    const passwordHash = await hashNewPassword(services, { password: input.password, hashType: input.passwordHashType });
    const ownerId = caller.applicationId;
    return { userId: await create(services, ownerId, input.login, passwordHash, actorOf(ownerId)) };
  },
});
