// protocol §5.18 verifySession: the hot path, called on page loads of every application. The caller
// and the session are one core call, one store read (core/callers.ts).
import { verifySessionFor } from '../../../core/callers.js';
import { ProtocolFault } from '../faults.js';
import { sessionIdField } from './fields.js';
import { selfIdentifyingOperation } from './types.js';

export const verifySession = selfIdentifyingOperation({
  name: 'verifySession',
  section: '5.18',
  summary:
    'Returns the user of a live session and renews its idle timer. An application that presents its certificate gets noSuchSession for a local session of another url than its own (docs/DECISIONS.md).',
  access: 'guest',
  input: [sessionIdField],
  output: [{ name: 'userId', doc: 'The user of the session.' }],
  faults: ['noSuchSession'],
  async handle(input, { peer, services, identified }) {
    const { caller, userId } = await verifySessionFor(services, peer, input.sessionId);
    identified(caller);
    if (userId === null) throw new ProtocolFault('noSuchSession');
    return { userId };
  },
});
