// protocol §5.1 registerApplication: creates an application account and issues its client certificate.
import { registerApplication as register } from '../../../core/applications.js';
import { actorOf } from '../../../core/audit.js';
import { applicationFields } from './fields.js';
import { operation } from './types.js';

/** An optional url given empty is the same as not given. */
export const orNull = (value: string | undefined): string | null => (value === undefined || value === '' ? null : value);

export const registerApplication = operation({
  name: 'registerApplication',
  section: '5.1',
  summary: 'Registers a new application and returns its id and a new client certificate with its private key.',
  access: 'guest',
  input: applicationFields(false),
  output: [
    { name: 'applicationId', doc: 'The new application id.' },
    { name: 'certificate', doc: 'PEM private key followed by the PEM client certificate, signed by the ssod CA.' },
  ],
  faults: ['invalidParameter'],
  async handle(input, { caller, services }) {
    const { id, pem } = await register(
      services,
      {
        name: input.name,
        displayName: input.displayName,
        version: input.version,
        capabilities: input.capabilities ?? '',
        url: orNull(input.url),
        restorePasswordUrl: orNull(input.restorePasswordUrl),
        changePasswordUrl: orNull(input.changePasswordUrl),
      },
      actorOf(caller?.applicationId),
    );
    return { applicationId: id, certificate: pem };
  },
});
