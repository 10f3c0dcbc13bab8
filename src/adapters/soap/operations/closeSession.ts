// closeSession (Open Fusion SSO protocol, section 5.19): ends the whole global session: single logout.
import { closeSessionFor } from '../../../core/callers.js';
import { sessionIdField } from './fields.js';
import { selfIdentifyingOperation } from './types.js';

export const closeSession = selfIdentifyingOperation({
  name: 'closeSession',
  section: '5.19',
  summary:
    'Ends the global session of a local session id and every local session of it (single logout); an unknown id is not an error. An application that presents its certificate closes only local sessions of its own url; another is treated as unknown (docs/DECISIONS.md).',
  access: 'guest',
  input: [sessionIdField],
  output: [],
  faults: [],
  async handle(input, { peer, services, identified }) {
    identified((await closeSessionFor(services, peer, input.sessionId)).caller);
    return {};
  },
});
