// ssox:getSessionVariable (docs/groups.md "Session variables"): a variable's value in a session the
// caller may verify, with the version that a write must name.
import { getSessionVariable as get } from '../../../core/sessionVariables.js';
import { SSOX_NS } from '../faults.js';
import { sessionIdField } from './fields.js';
import { selfIdentifyingOperation } from './types.js';
import { VARIABLE_FAULTS, variableNameField, variableOwnerField } from './variableFields.js';

export const getSessionVariable = selfIdentifyingOperation({
  namespace: SSOX_NS,
  name: 'getSessionVariable',
  section: null,
  summary:
    "Reads a session variable: the caller's own, or another application's that it declared readable. A session the caller may not verify is noSuchSession; an undeclared variable invalidParameter; an unpublished one permissionDenied.",
  access: 'application',
  input: [sessionIdField, variableOwnerField, variableNameField],
  output: [
    { name: 'value', doc: 'The value (the default while never written).' },
    { name: 'version', doc: 'Its version: 0 for the default, then 1, 2, … with each write.' },
  ],
  faults: VARIABLE_FAULTS,
  async handle(input, { services, peer, identified }) {
    const got = await get(services, peer, { sessionId: input.sessionId, owner: input.owner, name: input.name }, identified);
    return { value: got.value, version: String(got.version) };
  },
});
