// protocol §5.3 listApplications: the ids of all registered applications.
import { listApplicationIds } from '../../../core/applications.js';
import { operation } from './types.js';

export const listApplications = operation({
  name: 'listApplications',
  section: '5.3',
  summary: 'Lists the identifiers of all registered applications.',
  access: 'guest',
  input: [],
  output: [{ name: 'applicationsList', shape: 'list', doc: 'Application ids.' }],
  faults: [],
  async handle(_input, { services }) {
    return { applicationsList: await listApplicationIds(services) };
  },
});
