// Live and ready: /livez answers while the process does; /readyz, and /healthz kept as its old
// name, only while the store answers and takes a write. A data directory that turns read-only under
// the running server (a loop-mounted ext4 that the kernel remounts read-only on an error, as in
// test/security/disk.test.ts) makes it not ready, while it stays live.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { httpsRequest, startTestServer, type TestServer } from '../helpers/server.js';

const FAST_ARGON2 = { argon2MemoryKib: 8192, argon2Iterations: 1 } as const;

function run(command: string, args: readonly string[]): string {
  return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

async function relayStatus(ts: TestServer, route: string): Promise<number> {
  return (await fetch(`http://127.0.0.1:${ts.relayPort}${route}`)).status;
}

describe('health endpoints', () => {
  let ts: TestServer;
  before(async () => {
    ts = await startTestServer(FAST_ARGON2);
  });
  after(async () => {
    await ts?.close();
  });

  test('/livez, /readyz and /healthz answer 200 on both listeners while the store takes writes', async () => {
    for (const route of ['/livez', '/readyz', '/healthz']) {
      assert.equal((await httpsRequest(ts, null, { path: route })).status, 200, `SOAP listener ${route}`);
      assert.equal(await relayStatus(ts, route), 200, `relay ${route}`);
    }
  });
});

function readOnlyUnsupported(): string | null {
  if (process.getuid?.() !== 0) return 'not root: mounting a file system needs root (CI runs as root)';
  if (!existsSync('/sys/fs/ext4')) return 'no ext4 in this kernel: the read-only data directory test needs a loop-mounted ext4';
  try {
    run('mkfs.ext4', ['-V']);
  } catch {
    return 'mkfs.ext4 is not installed: the read-only data directory test needs it';
  }
  return null;
}

describe('a data directory that becomes read-only', { skip: readOnlyUnsupported() ?? false }, () => {
  let mountPoint = '';
  let image = '';
  let device = '';
  let ts: TestServer;
  before(async () => {
    mountPoint = mkdtempSync(path.join(os.tmpdir(), 'ssod-ready-'));
    image = `${mountPoint}.img`;
    run('truncate', ['-s', '16M', image]);
    run('mkfs.ext4', ['-q', '-F', image]);
    run('mount', ['-o', 'loop,errors=remount-ro', image, mountPoint]);
    device = path.basename(run('findmnt', ['-n', '-o', 'SOURCE', mountPoint]).trim());
    ts = await startTestServer({ ...FAST_ARGON2, dataDir: path.join(mountPoint, 'data') });
  });
  after(async () => {
    await ts?.close();
    if (device !== '') {
      try {
        run('umount', [mountPoint]);
      } catch {
        run('umount', ['-l', mountPoint]);
      }
    }
    rmdirSync(mountPoint);
    rmSync(image, { force: true });
  });

  test('/readyz and /healthz turn 503 while /livez stays 200', async () => {
    assert.equal(await relayStatus(ts, '/healthz'), 200);
    writeFileSync(`/sys/fs/ext4/${device}/trigger_fs_error`, 'ssod test: the data directory becomes read-only');
    // The last probe's answer is kept for up to two seconds: wait for the next one, not for a time.
    let status = 200;
    for (const deadline = Date.now() + 20_000; status === 200 && Date.now() < deadline; ) {
      status = await relayStatus(ts, '/readyz');
      if (status === 200) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(status, 503);
    assert.equal(await relayStatus(ts, '/healthz'), 503);
    assert.equal((await httpsRequest(ts, null, { path: '/healthz' })).status, 503);
    const body = await (await fetch(`http://127.0.0.1:${ts.relayPort}/readyz`)).text();
    assert.match(body, /^store not ready: it does not answer or does not take writes\n$/);
    assert.equal(await relayStatus(ts, '/livez'), 200, 'the process still answers');
  });
});
