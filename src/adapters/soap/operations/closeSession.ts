// closeSession (Open Fusion SSO protocol, section 5.19): ends the whole global session: single logout.
import { actorOf } from '../../../core/audit.js';
import { closeSession as close } from '../../../core/sessions.js';
import { sessionIdField } from './fields.js';
import type { Operation } from './types.js';

export const closeSession: Operation = {
  name: 'closeSession',
  section: '5.19',
  summary:
    'Ends the global session of a local session id and every local session of it (single logout); an unknown id is not an error. An application that presents its certificate closes only local sessions of its own url; another is treated as unknown (docs/DECISIONS.md).',
  access: 'guest',
  input: [sessionIdField],
  output: [],
  faults: [],
  sessionField: 'sessionId',
  async handle(input, { caller, services, session }) {
    await close(services, input.sessionId ?? '', actorOf(caller?.applicationId), session);
    return {};
  },
};
