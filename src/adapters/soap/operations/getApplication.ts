// protocol §5.4 getApplication (titled getApplications in the protocol; the element is getApplication).
import { findApplication } from '../../../core/applications.js';
import { applicationIdField } from './fields.js';
import { operation } from './types.js';

export const getApplication = operation({
  name: 'getApplication',
  section: '5.4',
  summary: 'Returns everything about an application except its certificate.',
  access: 'guest',
  input: [applicationIdField],
  output: [
    { name: 'name', doc: 'Short name.' },
    { name: 'displayName', doc: 'Display name.' },
    { name: 'version', doc: 'Version.' },
    { name: 'capabilities', doc: 'Capabilities.' },
    { name: 'url', optional: true, doc: 'Entry point, when registered.' },
    { name: 'changePasswordUrl', optional: true, doc: 'Password change form, when registered.' },
    { name: 'restorePasswordUrl', optional: true, doc: 'Password restore form, when registered.' },
  ],
  faults: ['noSuchApplication'],
  async handle(input, { services }) {
    const app = await findApplication(services, input.applicationId);
    return {
      name: app.name,
      displayName: app.displayName,
      version: app.version,
      capabilities: app.capabilities,
      url: app.url ?? undefined,
      changePasswordUrl: app.changePasswordUrl ?? undefined,
      restorePasswordUrl: app.restorePasswordUrl ?? undefined,
    };
  },
});
