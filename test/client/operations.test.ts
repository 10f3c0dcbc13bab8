// The client's table of operations against the server's (src/operations): the same 20
// operations, the same fields, the same presence and shapes, so the SDK cannot drift. The SDK speaks
// the protocol: ssod's extensions (docs/EXTENSIONS.md) are not in it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CLIENT_OPERATIONS, OPERATION_NAMES } from '../../src/client/index.js';
import { SSO_NS } from '../../src/adapters/soap/faults.js';
import { OPERATIONS } from '../../src/adapters/soap/operations/index.js';
import { fieldNamespace } from '../../src/adapters/soap/operations/types.js';

test('the client knows exactly the operations of the server, in the order of protocol §5', () => {
  assert.deepEqual(
    OPERATION_NAMES,
    OPERATIONS.map((operation) => operation.name),
  );
});

for (const operation of OPERATIONS) {
  test(`${operation.name}: inputs and outputs as the server declares them`, () => {
    const client = CLIENT_OPERATIONS[operation.name as keyof typeof CLIENT_OPERATIONS];
    const protocolInput = operation.input.filter((field) => fieldNamespace(operation, field) === SSO_NS);
    const inputs = Object.fromEntries(protocolInput.map((field) => [field.name, field.optional === true ? 'optional' : 'required']));
    assert.deepEqual(client.input, inputs);
    const outputs = Object.fromEntries(
      operation.output.map((field) => [
        field.name,
        field.shape === 'list' || field.shape === 'repeated' ? field.shape : field.optional === true ? 'optional' : 'single',
      ]),
    );
    assert.deepEqual(client.output, outputs);
  });
}
