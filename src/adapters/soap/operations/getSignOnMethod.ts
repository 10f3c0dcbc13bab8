// ssox:getSignOnMethod (docs/EXTENSIONS.md): whether a user's password is checked by ssod or by the
// directory of the user's organization, so that an application can hide its own change-password
// form for a user whose password it cannot change. Who may call is getUser's (protocol §5.8): any
// registered application, since the answer says no more of the user than getUser does.
import { SSOX_NS } from '../faults.js';
import { isDelegated } from '../../../core/sources.js';
import { findUser } from '../../../core/users.js';
import { userIdField } from './fields.js';
import { operation } from './types.js';

/** `local`: ssod's own hash checks the password; `delegated`: the user's source does (single sign-on, docs/FEDERATION.md). */
export type SignOnMethod = 'local' | 'delegated';

export const getSignOnMethod = operation({
  namespace: SSOX_NS,
  name: 'getSignOnMethod',
  section: null,
  summary:
    "Says where a user's password is checked: `local` (by ssod, so changePassword changes it) or `delegated` (by the organization's directory or web service, where the person changes it; an application hides its own change-password form).",
  access: 'application',
  input: [userIdField],
  output: [{ name: 'method', doc: '`local` or `delegated`.' }],
  faults: ['invalidParameter', 'permissionDenied', 'noSuchUser'],
  async handle(input, { services }) {
    const user = await findUser(services, input.userId);
    const method: SignOnMethod = isDelegated(user) ? 'delegated' : 'local';
    return { method };
  },
});
