// ssox:setSessionStartCallback and ssox:getSessionStartCallback (docs/groups.md "On Session Start
// callbacks", docs/EXTENSIONS.md): an application registers, replaces, removes and reads its own On
// Session Start callback; never another application's.
import { SSOX_NS } from '../faults.js';
import { setSessionStartCallback as registerCallback } from '../../../core/sessionStart.js';
import { actorOf } from '../../../core/audit.js';
import { operation } from './types.js';

export const setSessionStartCallback = operation({
  namespace: SSOX_NS,
  name: 'setSessionStartCallback',
  section: null,
  summary:
    "Registers the caller's On Session Start callback (docs/groups.md): an https URL that ssod POSTs a signed request to when a session starts for the caller or the caller first reaches one, and the policy on a failure. An empty url removes it.",
  access: 'application',
  input: [
    {
      name: 'url',
      type: 'string',
      allowEmpty: true,
      maxLength: 2048,
      doc: 'The callback URL: https, no user name, password or fragment; empty removes the callback.',
    },
    {
      name: 'policy',
      type: 'string',
      optional: true,
      allowEmpty: true,
      maxLength: 16,
      doc: '`continue` (the default: a failure is logged and audited, the session goes on) or `fail` (a failure fails the sign-in, or keeps the caller out of the session).',
    },
  ],
  output: [],
  faults: ['invalidParameter', 'permissionDenied'],
  async handle(input, { caller, services }) {
    await registerCallback(services, caller.applicationId, { url: input.url, policy: input.policy ?? '' }, actorOf(caller.applicationId));
    return {};
  },
});

export const getSessionStartCallback = operation({
  namespace: SSOX_NS,
  name: 'getSessionStartCallback',
  section: null,
  summary: "The caller's On Session Start callback (docs/groups.md): its url and policy; both empty when none is registered.",
  access: 'application',
  input: [],
  output: [
    { name: 'url', doc: 'The callback URL; empty when none is registered.' },
    { name: 'policy', doc: '`continue` or `fail`; empty when none is registered.' },
  ],
  faults: ['invalidParameter', 'permissionDenied'],
  async handle(_input, { caller, services }) {
    const callback = await services.store.getSessionStartCallback(caller.applicationId);
    return { url: callback?.url ?? '', policy: callback?.policy ?? '' };
  },
});
