// protocol §5.3 listApplications: the ids of all registered applications.
import type { Operation } from './types.js';

export const listApplications: Operation = {
  name: 'listApplications',
  section: '5.3',
  summary: 'Lists the identifiers of all registered applications.',
  access: 'guest',
  input: [],
  output: [{ name: 'applicationsList', shape: 'list', doc: 'Application ids.' }],
  faults: [],
  async handle(_input, { services }) {
    return { applicationsList: await services.store.listApplicationIds() };
  },
};
