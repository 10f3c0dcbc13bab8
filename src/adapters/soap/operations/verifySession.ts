// protocol §5.18 verifySession: the hot path, called on page loads of every application.
import { verifySession as verify } from '../../../core/sessions.js';
import { ProtocolFault } from '../faults.js';
import { sessionIdField } from './fields.js';
import type { Operation } from './types.js';

export const verifySession: Operation = {
  name: 'verifySession',
  section: '5.18',
  summary:
    'Returns the user of a live session and renews its idle timer. An application that presents its certificate gets noSuchSession for a local session of another url than its own (docs/DECISIONS.md).',
  access: 'guest',
  input: [sessionIdField],
  output: [{ name: 'userId', doc: 'The user of the session.' }],
  faults: ['noSuchSession'],
  sessionField: 'sessionId',
  async handle(input, { services, session }) {
    const userId = await verify(services, input.sessionId ?? '', session);
    if (userId === null) throw new ProtocolFault('noSuchSession');
    return { userId };
  },
};
