// The committed references must be what the tables generate (run `npm run docs` after a change).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { configurationReference, protocolReference } from '../../src/docs/reference.js';
import { FAULT_CODES } from '../../src/adapters/soap/faults.js';
import { OPERATIONS } from '../../src/adapters/soap/operations/index.js';

const DOCS = fileURLToPath(new URL('../../../docs/', import.meta.url));

test('docs/PROTOCOL.md is generated from the operation table', () => {
  assert.equal(readFileSync(DOCS + 'PROTOCOL.md', 'utf8'), protocolReference(), 'run `npm run docs`');
});

test('docs/CONFIGURATION.md is generated from the option table', () => {
  assert.equal(readFileSync(DOCS + 'CONFIGURATION.md', 'utf8'), configurationReference(), 'run `npm run docs`');
});

test('the protocol reference names all 20 operations of protocol §5 and every fault of §6.2', () => {
  const text = protocolReference();
  assert.equal(OPERATIONS.length, 20);
  for (const operation of OPERATIONS) assert.ok(text.includes(`### ${operation.name} `));
  for (const code of FAULT_CODES) assert.ok(text.includes(`sso:${code}`));
});
