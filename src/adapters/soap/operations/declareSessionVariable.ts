// ssox:declareSessionVariable (docs/groups.md "Session variables"): an application declares one of
// its session variables, or replaces its declaration of that name.
import { declareSessionVariable as declare } from '../../../core/sessionVariables.js';
import { SSOX_NS } from '../faults.js';
import { operation } from './types.js';
import { variableNameField } from './variableFields.js';

export const declareSessionVariable = operation({
  namespace: SSOX_NS,
  name: 'declareSessionVariable',
  section: null,
  summary:
    'Declares a session variable of the caller, or replaces its declaration of that name (values in sessions stay). At most 32 per application; a 33rd is invalidParameter.',
  access: 'application',
  input: [
    variableNameField,
    {
      name: 'defaultValue',
      type: 'string',
      allowEmpty: true,
      maxLength: 4096,
      doc: 'The value a session holds until a first write (version 0).',
    },
    { name: 'maxLength', type: 'count', doc: 'The longest value, in characters: 1 to 4096.' },
    { name: 'readable', type: 'boolean', doc: "Other applications of the session's set may read it." },
    { name: 'writable', type: 'boolean', doc: "Other applications of the session's set may change it (and so read it)." },
  ],
  output: [],
  faults: ['invalidParameter', 'permissionDenied'],
  async handle(input, { services, caller }) {
    await declare(services, caller.applicationId, {
      name: input.name,
      defaultValue: input.defaultValue,
      maxLength: Number(input.maxLength),
      readable: input.readable === 'true',
      writable: input.writable === 'true',
    });
    return {};
  },
});
