// ssox:removeSessionVariable (docs/groups.md "Session variables"): removes a declaration of the
// caller, and the values of that variable in every session with it.
import { removeSessionVariable as remove } from '../../../core/sessionVariables.js';
import { SSOX_NS } from '../faults.js';
import { operation } from './types.js';
import { variableNameField } from './variableFields.js';

export const removeSessionVariable = operation({
  namespace: SSOX_NS,
  name: 'removeSessionVariable',
  section: null,
  summary:
    "Removes the caller's declaration of a session variable; its values in live sessions are dropped. An undeclared name is invalidParameter.",
  access: 'application',
  input: [variableNameField],
  output: [],
  faults: ['invalidParameter', 'permissionDenied'],
  async handle(input, { services, caller }) {
    await remove(services, caller.applicationId, input.name);
    return {};
  },
});
