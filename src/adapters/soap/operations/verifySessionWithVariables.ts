// ssox:verifySession (docs/groups.md "Session variables"): verifySession for an application that
// uses session variables, on every page load: the user, whether this is the caller's first visit to
// the session, and every variable of the session it may read, from the same one store read as
// sso:verifySession (core/callers.ts), plus one write on the first visit only.
import { verifySessionWithVariablesFor } from '../../../core/callers.js';
import { ProtocolFault, SSOX_NS } from '../faults.js';
import { sessionIdField } from './fields.js';
import { selfIdentifyingOperation } from './types.js';

export const verifySessionWithVariables = selfIdentifyingOperation({
  namespace: SSOX_NS,
  name: 'verifySession',
  section: null,
  summary:
    "verifySession (section 5.18) with the session's variables: the user of a live session (renewing its idle timer), whether this is the caller's first ssox:verifySession of it, and every variable of the session the caller may read (its own and the readable ones of the applications of the session's set), defaults included. The same noSuchSession rule as verifySession.",
  access: 'application',
  input: [sessionIdField],
  output: [
    { name: 'userId', doc: 'The user of the session.' },
    { name: 'firstVisit', doc: "`true` on the caller's first ssox:verifySession of the session, else `false`." },
    {
      name: 'variable',
      shape: 'records',
      fields: ['owner', 'name', 'value', 'version'],
      doc: 'A variable the caller may read: the application that declared it, its name, its value and version (0: the default).',
    },
  ],
  faults: ['noSuchSession', 'permissionDenied'],
  async handle(input, { peer, services, identified }) {
    const { caller, verified } = await verifySessionWithVariablesFor(services, peer, input.sessionId);
    identified(caller);
    if (verified === null) throw new ProtocolFault('noSuchSession');
    return {
      userId: verified.userId,
      firstVisit: String(verified.firstVisit),
      variable: verified.variables.map((v) => ({ owner: v.owner, name: v.name, value: v.value, version: String(v.version) })),
    };
  },
});
