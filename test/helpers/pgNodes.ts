// Two in-process ssod nodes on one new PostgreSQL schema with one master key, for tests of what
// the nodes of a cluster must agree on (SAML state, ticket keys): the first node makes the
// installation, the second joins it. Hooks of the enclosing suite start and stop them.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';
import { generateMasterKeyFile } from '../../src/infra/keys/masterKey.js';
import { createSchema, type Isolated } from './postgres.js';
import type { StartOptions } from '../../src/app/compose.js';
import type { OptionName } from '../../src/config/options.js';
import { startTestServer, type TestServer } from './server.js';

/**
 * Registers the hooks; the returned function gives both nodes inside a test. `start`: what both nodes
 * are started with; `own`: the options of each node besides the shared ones (its admin console's port).
 */
export function twoPostgresNodes(
  name: string,
  start: () => Pick<StartOptions, 'sessionStartCaPem'> = () => ({}),
  own: () => Promise<Partial<Record<OptionName, string | number>>> = () => Promise.resolve({}),
): () => readonly [TestServer, TestServer] {
  let schema: Isolated | undefined;
  let dir: string | undefined;
  let nodes: TestServer[] = [];
  before(async () => {
    schema = await createSchema();
    dir = mkdtempSync(path.join(os.tmpdir(), `ssod-${name}-cluster-`));
    const masterKeyFile = path.join(dir, 'master.key');
    await generateMasterKeyFile(masterKeyFile);
    const options = { store: schema.url, masterKeyFile, argon2MemoryKib: 8192, argon2Iterations: 1, logLevel: 'warn' } as const;
    nodes = [await startTestServer({ ...options, ...(await own()) }, start())];
    nodes.push(await startTestServer({ ...options, ...(await own()) }, start()));
  });
  after(async () => {
    await Promise.all(nodes.map((node) => node.close()));
    await schema?.drop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });
  return () => {
    const [first, second] = nodes;
    assert.ok(first !== undefined && second !== undefined, 'both nodes started');
    return [first, second];
  };
}
