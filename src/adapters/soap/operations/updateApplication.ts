// protocol §5.2 updateApplication: an application changes its own fields; an empty certificate asks for a new one.
import { requireSelf, updateApplication as update } from '../../../core/applications.js';
import { actorOf } from '../../../core/audit.js';
import { ProtocolFault } from '../faults.js';
import type { ApplicationChanges } from '../../../core/store/index.js';
import { applicationFields, applicationIdField } from './fields.js';
import { orNull } from './registerApplication.js';
import { operation, type OperationInput } from './types.js';

function changesOf(input: OperationInput): ApplicationChanges {
  const changes: { -readonly [K in keyof ApplicationChanges]: ApplicationChanges[K] } = {};
  if (input.name !== undefined) changes.name = input.name;
  if (input.displayName !== undefined) changes.displayName = input.displayName;
  if (input.version !== undefined) changes.version = input.version;
  if (input.capabilities !== undefined) changes.capabilities = input.capabilities;
  // An empty optional url clears it.
  if (input.url !== undefined) changes.url = orNull(input.url);
  if (input.restorePasswordUrl !== undefined) changes.restorePasswordUrl = orNull(input.restorePasswordUrl);
  if (input.changePasswordUrl !== undefined) changes.changePasswordUrl = orNull(input.changePasswordUrl);
  return changes;
}

export const updateApplication = operation({
  name: 'updateApplication',
  section: '5.2',
  summary:
    'Updates the calling application; only the fields given change. An empty certificate element issues a new certificate (the old one works until the new one is first used).',
  access: 'application',
  input: [
    applicationIdField,
    ...applicationFields(true),
    {
      name: 'certificate',
      type: 'string',
      optional: true,
      allowEmpty: true,
      maxLength: 0,
      doc: 'Give it empty to be issued a new certificate.',
    },
  ],
  output: [{ name: 'certificate', optional: true, doc: 'The new PEM private key and certificate, when one was asked for.' }],
  faults: ['invalidParameter', 'noSuchApplication', 'permissionDenied'],
  async handle(input, { caller, services }) {
    const applicationId = input.applicationId;
    if (input.name === '') throw new ProtocolFault('invalidParameter', 'name must not be empty.');
    await requireSelf(services, applicationId, caller.applicationId);
    const pem = await update(services, applicationId, changesOf(input), input.certificate !== undefined, actorOf(caller.applicationId));
    return { certificate: pem ?? undefined };
  },
});
