// ssox:setSessionVariable (docs/groups.md "Session variables"): writes a variable when its version
// is still the one the caller read (the version rule), in a session the caller may verify.
import { setSessionVariable as set } from '../../../core/sessionVariables.js';
import { SSOX_NS } from '../faults.js';
import { sessionIdField } from './fields.js';
import { selfIdentifyingOperation } from './types.js';
import { VARIABLE_FAULTS, variableNameField, variableOwnerField, variableValueField } from './variableFields.js';

export const setSessionVariable = selfIdentifyingOperation({
  namespace: SSOX_NS,
  name: 'setSessionVariable',
  section: null,
  summary:
    'Writes a session variable (the caller\'s own, or another application\'s that it declared writable) when its version is still the one given; when another write came first it is invalidParameter ("version: …") and nothing changes: read again and retry. A value over maxLength or a session over 64 KiB is invalidParameter.',
  access: 'application',
  input: [
    sessionIdField,
    variableOwnerField,
    variableNameField,
    variableValueField,
    { name: 'version', type: 'count', doc: 'The version the caller read (0: the default).' },
  ],
  output: [{ name: 'version', doc: 'The new version.' }],
  faults: VARIABLE_FAULTS,
  async handle(input, { services, peer, identified }) {
    const address = { sessionId: input.sessionId, owner: input.owner, name: input.name };
    const version = await set(services, peer, address, input.value, Number(input.version), identified);
    return { version: String(version) };
  },
});
