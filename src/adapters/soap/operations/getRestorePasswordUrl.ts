// protocol §5.15 getRestorePasswordUrl: by login or by userId, exactly one of them.
import { loginKeyOf } from '../../../core/users.js';
import { ProtocolFault } from '../faults.js';
import { loginField, userIdField } from './fields.js';
import { passwordFormUrl } from './passwordUrls.js';
import type { Operation } from './types.js';
import type { UserRecord } from '../../../core/store/index.js';
import type { Services } from '../../../core/services.js';

/** protocol §5.15, §5.17: a user named by login or by userId, never both, never neither. */
export async function userByLoginOrId(services: Services, login: string | undefined, userId: string | undefined): Promise<UserRecord | null> {
  if ((login === undefined) === (userId === undefined)) {
    throw new ProtocolFault('invalidParameter', 'Give exactly one of login and userId.');
  }
  return login !== undefined ? services.store.findUserByLoginKey(loginKeyOf(login)) : services.store.getUser(userId ?? '');
}

export const getRestorePasswordUrl: Operation = {
  name: 'getRestorePasswordUrl',
  section: '5.15',
  summary: "Returns the owner application's password restore URL for a user named by login or userId; no url when the owner registered none.",
  access: 'application',
  input: [{ ...loginField, optional: true }, { ...userIdField, optional: true }],
  output: [{ name: 'url', optional: true, doc: 'The password restore URL.' }],
  faults: ['noSuchUser', 'invalidParameter'],
  async handle(input, { services }) {
    const user = await userByLoginOrId(services, input.login, input.userId);
    if (user === null) throw new ProtocolFault('noSuchUser', 'The user with the submitted login name or userId does not exist.');
    const owner = await services.store.getApplication(user.ownerId);
    return { url: passwordFormUrl(owner?.restorePasswordUrl ?? null, user) };
  },
};
