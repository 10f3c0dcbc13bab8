// The committed references must be what the tables generate (run `npm run docs` after a change).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { configurationReference, extensionsReference, protocolReference } from '../../src/docs/reference.js';
import { FAULT_CODES } from '../../src/adapters/soap/faults.js';
import { EXTENSION_OPERATIONS, OPERATIONS } from '../../src/adapters/soap/operations/index.js';

const DOCS = fileURLToPath(new URL('../../../docs/', import.meta.url));

test('docs/PROTOCOL.md is generated from the operation table', () => {
  assert.equal(readFileSync(DOCS + 'PROTOCOL.md', 'utf8'), protocolReference(), 'run `npm run docs`');
});

test('docs/EXTENSIONS.md is generated from the operation table', () => {
  assert.equal(readFileSync(DOCS + 'EXTENSIONS.md', 'utf8'), extensionsReference(), 'run `npm run docs`');
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

test('the extensions reference names every ssox operation and every ssox input of a protocol operation', () => {
  const text = extensionsReference();
  for (const operation of EXTENSION_OPERATIONS) assert.ok(text.includes(`### ssox:${operation.name}\n`), operation.name);
  assert.ok(text.includes('### authenticate (section 5.17)'));
  assert.ok(text.includes('| `ssox:originatingIp` | ip | optional |'));
  // The protocol reference lists the protocol's fields only, and points to the extensions.
  const protocol = protocolReference();
  assert.ok(!protocol.includes('| `originatingIp`'));
  assert.ok(protocol.includes('Beyond the protocol (docs/EXTENSIONS.md): `ssox:originatingIp`.'));
  assert.ok(!protocol.includes('getSignOnMethod'));
});
