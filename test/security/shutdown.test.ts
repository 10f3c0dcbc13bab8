// Issue 5, faults: SIGTERM drains. A real `ssod serve` process: an in-flight request finishes,
// new connections are refused, and the process exits by itself within a bounded time.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { envelope, operation } from '../helpers/server.js';

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

async function waitForHealth(port: number, ca: () => string | null, deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    const caPem = ca();
    if (caPem !== null) {
      const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false);
      if (ok) return;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('ssod did not become ready');
}

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ssod-term-'));
let child: ChildProcess | null = null;
after(() => {
  child?.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

test('SIGTERM: the in-flight request completes, new connections are refused, the process exits 0', async () => {
  const [soapPort, relayPort] = [await freePort(), await freePort()];
  child = spawn(process.execPath, [CLI, 'serve', '--data-dir', dataDir, '--soap-port', String(soapPort), '--relay-port', String(relayPort), '--log-level', 'warn'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const caFile = path.join(dataDir, 'ca.crt');
  const readCa = (): string | null => {
    try {
      return readFileSync(caFile, 'utf8');
    } catch {
      return null;
    }
  };
  await waitForHealth(relayPort, readCa, Date.now() + 15_000);

  // An in-flight request: headers and half of the body sent, the rest after SIGTERM.
  const body = envelope('1.2', operation('getSettings'));
  const socket = tls.connect({ host: '127.0.0.1', port: soapPort, ca: readCa() ?? '', servername: '127.0.0.1' });
  await new Promise<void>((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.write(`POST /soap HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/soap+xml\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`);
  socket.write(body.slice(0, 40));
  await new Promise((resolve) => setTimeout(resolve, 200));

  const exited = exitOf(child);
  const signalledAt = Date.now();
  child.kill('SIGTERM');
  await new Promise((resolve) => setTimeout(resolve, 300));

  const refused = await new Promise<boolean>((resolve) => {
    const probe = net.connect(soapPort, '127.0.0.1');
    probe.once('connect', () => {
      probe.destroy();
      resolve(false);
    });
    probe.once('error', () => resolve(true));
  });
  assert.ok(refused, 'a new connection after SIGTERM must be refused');

  socket.end(body.slice(40));
  await closed;
  const reply = Buffer.concat(chunks).toString('utf8');
  assert.match(reply, /^HTTP\/1\.1 200 /);
  assert.match(reply, /getSettingsResponse/);

  assert.equal(await exited, 0);
  assert.ok(Date.now() - signalledAt < 12_000, 'the process exits within the shutdown grace period');
  child = null;
});
