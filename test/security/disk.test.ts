// Faults: a full disk and a read-only data directory. The data directory is put on a real small file
// system (a 4 MiB tmpfs; a loop-mounted ext4 that the kernel remounts read-only on an error, with
// open files, as it would on a failing disk). Writes then get a Receiver fault (sso:internalError)
// and the log says what is wrong; reads go on; nothing crashes; writes work again once space
// returns. A read-only data directory makes the node not ready (/readyz), still live, and a start on
// it is refused; that part runs `ssod serve` itself. Mounting needs root, which CI has; file modes
// would not stop root.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, rmSync, rmdirSync, writeFileSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  call,
  httpsRequest,
  registerApp,
  startTestServer,
  type RegisteredApp,
  type SoapReply,
  type TestServer,
} from '../helpers/server.js';
import { eventually } from '../helpers/eventually.js';
import { defined, ifAssigned } from '../helpers/defined.js';
import { TOOLS, skipWithout } from '../helpers/tools.js';
import { startServe, type ServeProcess } from '../helpers/process.js';
import { runCli } from '../helpers/cli.js';

const AS_ROOT = process.getuid?.() === 0;
const NOT_ROOT = 'not root: mounting a small or read-only file system needs root (CI runs as root)';
const FAST_ARGON2 = { argon2MemoryKib: 8192, argon2Iterations: 1, logLevel: 'info' } as const;
const FAST_ARGON2_FLAGS = ['--argon2-memory-kib', '8192', '--argon2-iterations', '1', '--log-level', 'info'];

/** The JSON lines of a server's log. */
function logRecords(output: string): Record<string, unknown>[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

function run(command: string, args: readonly string[]): string {
  return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** What a write refused by the store must look like to the caller: SOAP 1.2 Receiver, sso:internalError, HTTP 500. */
function assertReceiverFault(reply: SoapReply): void {
  assert.equal(reply.status, 500, reply.body);
  assert.match(reply.body, /<env:Value>env:Receiver<\/env:Value>/);
  assert.equal(reply.fault, 'internalError');
  assert.doesNotMatch(reply.body, /SQLITE|disk|\/tmp\//i, 'the caller learns nothing of the machine');
}

function storeLines(ts: TestServer): Record<string, unknown>[] {
  return ts.logRecords().filter((line) => String(line.msg).startsWith('store unavailable: '));
}

describe('a full disk', { skip: AS_ROOT ? false : NOT_ROOT }, () => {
  let mountPoint = '';
  let ts: TestServer;
  let app: RegisteredApp;
  before(async () => {
    mountPoint = mkdtempSync(path.join(os.tmpdir(), 'ssod-full-'));
    run('mount', ['-t', 'tmpfs', '-o', 'size=4m,mode=0700', 'tmpfs', mountPoint]);
    ts = await startTestServer({ ...FAST_ARGON2, dataDir: path.join(mountPoint, 'data') });
    app = await registerApp(ts, 'https://full.example.com:443/', 'full');
    assert.equal((await call(ts, 'createUser', { login: 'before', password: 'pw' }, { credentials: app.credentials })).status, 200);
  });
  after(async () => {
    await ifAssigned(ts)?.close();
    run('umount', [mountPoint]);
    rmdirSync(mountPoint);
  });

  test('writes get a Receiver fault and the log says the disk is full; reads go on; writes work again when space returns', async () => {
    const filler = path.join(mountPoint, 'filler');
    const fd = openSync(filler, 'w');
    try {
      for (const size of [1 << 16, 512, 1]) {
        try {
          for (;;) writeSync(fd, Buffer.alloc(size));
        } catch (error) {
          assert.equal((error as NodeJS.ErrnoException).code, 'ENOSPC');
        }
      }
    } finally {
      closeSync(fd);
    }

    assertReceiverFault(await call(ts, 'createUser', { login: 'during', password: 'pw' }, { credentials: app.credentials }));
    assertReceiverFault(await call(ts, 'authenticate', { login: 'before', password: 'pw', baseUrl: app.url }));
    assert.equal((await call(ts, 'getUserId', { login: 'before' }, { credentials: app.credentials })).status, 200, 'reads go on');
    assert.equal((await call(ts, 'getSettings')).status, 200);
    const line = defined(storeLines(ts)[0], 'a store log line');
    assert.equal(line.level, 'error');
    assert.equal(line.code, 'SQLITE_FULL');
    assert.match(String(line.msg), /^store unavailable: the disk of the data directory is full: free space/);

    rmSync(filler);
    assert.equal(
      (await call(ts, 'createUser', { login: 'after', password: 'pw' }, { credentials: app.credentials })).status,
      200,
      'writes work again',
    );
    assert.equal((await call(ts, 'authenticate', { login: 'after', password: 'pw', baseUrl: app.url })).status, 200);
    assert.equal(
      (await call(ts, 'getUserId', { login: 'during' }, { credentials: app.credentials })).fault,
      'noSuchUser',
      'the refused write left nothing behind',
    );
  });
});

/** Why the read-only test cannot run here, or null when it can. */
function readOnlyUnsupported(): string | null {
  if (!AS_ROOT) return NOT_ROOT;
  if (!existsSync('/sys/fs/ext4')) return 'no ext4 in this kernel: the read-only data directory test needs a loop-mounted ext4';
  return skipWithout([TOOLS.mkfsExt4]) || null;
}

const unsupported = readOnlyUnsupported();

// Through the real binary, as an operator runs it: the log is its output, the health routes are its own.
describe('a data directory that becomes read-only under `ssod serve`', { skip: unsupported ?? false }, () => {
  let mountPoint = '';
  let image = '';
  let serve: ServeProcess;
  let app: RegisteredApp;
  let device = '';
  before(async () => {
    mountPoint = mkdtempSync(path.join(os.tmpdir(), 'ssod-ro-'));
    image = `${mountPoint}.img`;
    run('truncate', ['-s', '16M', image]);
    run('mkfs.ext4', ['-q', '-F', image]);
    run('mount', ['-o', 'loop,errors=remount-ro', image, mountPoint]);
    device = path.basename(run('findmnt', ['-n', '-o', 'SOURCE', mountPoint]).trim());
    serve = await startServe(path.join(mountPoint, 'data'), FAST_ARGON2_FLAGS);
    app = await registerApp(serve, 'https://ro.example.com:443/', 'ro');
    assert.equal((await call(serve, 'createUser', { login: 'before', password: 'pw' }, { credentials: app.credentials })).status, 200);
  });
  after(async () => {
    const running = ifAssigned(serve);
    if (running !== undefined && running.child.exitCode === null && running.child.signalCode === null) {
      running.child.kill('SIGTERM');
      await running.exited;
    }
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

  test('writes get a Receiver fault and the log says the data directory is read-only; reads go on', async () => {
    // ext4 with errors=remount-ro: the kernel makes the file system read-only under the open store.
    writeFileSync(`/sys/fs/ext4/${device}/trigger_fs_error`, 'ssod test: the data directory becomes read-only');
    assertReceiverFault(await call(serve, 'createUser', { login: 'during', password: 'pw' }, { credentials: app.credentials }));
    assertReceiverFault(await call(serve, 'authenticate', { login: 'before', password: 'pw', baseUrl: app.url }));
    assert.equal((await call(serve, 'getUserId', { login: 'before' }, { credentials: app.credentials })).status, 200, 'reads go on');
    const line = defined(
      logRecords(serve.output()).find((record) => String(record.msg).startsWith('store unavailable: ')),
      'a store log line',
    );
    assert.equal(line.level, 'error');
    assert.match(String(line.msg), /^store unavailable: the data directory is read-only: make it writable again$/);
    assert.match(String(line.code), /^SQLITE_(IOERR|READONLY)/);
    assert.doesNotMatch(serve.output(), /\n\s+at /, 'no stack trace in the log');
    assert.equal((await call(serve, 'getSettings')).status, 200, 'still serving');
  });

  test('/readyz and /healthz answer 503 on both listeners while /livez stays 200', async () => {
    const relay = async (route: string): Promise<Response> => fetch(`http://127.0.0.1:${serve.relayPort}${route}`);
    // A write probe's answer is kept up to two seconds: wait for the next one, not for a time.
    await eventually(async () => assert.equal((await relay('/readyz')).status, 503), { timeoutMs: 20_000, intervalMs: 100 });
    assert.equal(await (await relay('/healthz')).text(), 'store not ready: it does not answer or does not take writes\n');
    assert.equal((await httpsRequest(serve, null, { path: '/healthz' })).status, 503);
    assert.equal((await relay('/livez')).status, 200, 'the process still answers');
  });

  test('stopped, it exits cleanly; started again on the read-only directory, it refuses with the path and the fix', async () => {
    serve.child.kill('SIGTERM');
    assert.equal(await serve.exited, 0, serve.output());
    const dataDir = path.join(mountPoint, 'data');
    const again = await runCli(['serve', '--data-dir', dataDir, '--soap-port', '0', '--relay-port', '0', '--log-level', 'error']);
    assert.equal(again.code, 1, again.stdout + again.stderr);
    assert.match(
      again.stderr,
      new RegExp(
        `^ssod: cannot write in the data directory ${dataDir} \\(EROFS\\), where ssod keeps its store and certificate authority; `,
        'm',
      ),
    );
    assert.equal(again.stderr.trim().split('\n').length, 1, again.stderr);
  });
});
