// protocol §5.5 unregisterApplication: an application deletes itself and every user it owns.
import { requireSelf, unregisterApplication as unregister } from '../../../core/applications.js';
import { actorOf } from '../../../core/audit.js';
import { applicationIdField } from './fields.js';
import { operation } from './types.js';

export const unregisterApplication = operation({
  name: 'unregisterApplication',
  section: '5.5',
  summary: 'Deletes the calling application, its certificates, the users it owns and their sessions.',
  access: 'application',
  input: [applicationIdField],
  output: [],
  faults: ['noSuchApplication', 'permissionDenied'],
  async handle(input, { caller, services }) {
    await requireSelf(services, input.applicationId, caller.applicationId);
    await unregister(services, input.applicationId, actorOf(caller.applicationId));
    return {};
  },
});
