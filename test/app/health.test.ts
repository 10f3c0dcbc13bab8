// Live and ready: /livez answers while the process does; /readyz, and /healthz kept as its old
// name, only while the store answers and takes a write. A data directory that turns read-only under
// the running server makes it not ready while it stays live: test/security/disk.test.ts, which has
// the file systems for it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { httpsRequest, startTestServer, type TestServer } from '../helpers/server.js';
import { ifAssigned } from '../helpers/defined.js';

const FAST_ARGON2 = { argon2MemoryKib: 8192, argon2Iterations: 1 } as const;

describe('health endpoints', () => {
  let ts: TestServer;
  before(async () => {
    ts = await startTestServer(FAST_ARGON2);
  });
  after(async () => {
    await ifAssigned(ts)?.close();
  });

  test('/livez, /readyz and /healthz answer 200 on both listeners while the store takes writes', async () => {
    for (const route of ['/livez', '/readyz', '/healthz']) {
      assert.equal((await httpsRequest(ts, null, { path: route })).status, 200, `SOAP listener ${route}`);
      assert.equal((await fetch(`http://127.0.0.1:${ts.relayPort}${route}`)).status, 200, `relay ${route}`);
    }
  });
});
