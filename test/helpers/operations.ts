// An operation declared for a test of the parts that read declarations (the validator, the
// serializer, the WSDL), without a handler: a protocol operation unless the test says otherwise.
import { SSO_NS } from '../../src/adapters/soap/faults.js';
import type { Operation } from '../../src/adapters/soap/operations/types.js';

export function declaredOperation(declaration: Partial<Operation> & Pick<Operation, 'name'>): Operation {
  return {
    namespace: SSO_NS,
    section: 'test',
    summary: 'test',
    access: 'guest',
    input: [],
    output: [],
    faults: [],
    run: () => Promise.resolve({}),
    ...declaration,
  };
}
