// ssox:listSessionVariableDeclarations (docs/groups.md "Session variables"): the caller's own declarations.
import { listSessionVariableDeclarations as list } from '../../../core/sessionVariables.js';
import { SSOX_NS } from '../faults.js';
import { operation } from './types.js';

export const listSessionVariableDeclarations = operation({
  namespace: SSOX_NS,
  name: 'listSessionVariableDeclarations',
  section: null,
  summary: "Lists the caller's declarations of session variables, by name.",
  access: 'application',
  input: [],
  output: [
    {
      name: 'declaration',
      shape: 'records',
      fields: ['name', 'defaultValue', 'maxLength', 'readable', 'writable'],
      doc: 'One declaration; readable and writable are `true` or `false`.',
    },
  ],
  faults: ['permissionDenied'],
  async handle(_input, { services, caller }) {
    const declarations = await list(services, caller.applicationId);
    return {
      declaration: declarations.map((d) => ({
        name: d.name,
        defaultValue: d.defaultValue,
        maxLength: String(d.maxLength),
        readable: String(d.readable),
        writable: String(d.writable),
      })),
    };
  },
});
