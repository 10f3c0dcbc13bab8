// Faults: SIGTERM (and SIGINT) drain. A real `ssod serve` process: an in-flight request finishes,
// new connections are refused, and the process exits by itself; a client that never finishes its
// request cannot hold it beyond --shutdown-grace.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import tls from 'node:tls';
import { startServe, type ServeProcess } from '../helpers/process.js';
import { envelope, operation } from '../helpers/server.js';
import { eventually } from '../helpers/eventually.js';

const dataDirs: string[] = [];
const processes: ServeProcess[] = [];
after(() => {
  for (const serve of processes) serve.child.kill('SIGKILL');
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});

async function serve(extraArgs: readonly string[]): Promise<ServeProcess> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ssod-term-'));
  dataDirs.push(dataDir);
  const started = await startServe(dataDir, ['--log-level', 'warn', ...extraArgs]);
  processes.push(started);
  return started;
}

/** A SOAP request with its headers and the first 40 bytes of its body sent; `finish` sends the rest. */
async function inFlight(server: ServeProcess): Promise<{ finish: () => void; reply: Promise<string> }> {
  const body = envelope('1.2', operation('getSettings'));
  const socket = tls.connect({ host: '127.0.0.1', port: server.soapPort, ca: server.caPem, servername: 'localhost' });
  await new Promise<void>((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.on('error', () => undefined);
  const reply = new Promise<string>((resolve) => socket.once('close', () => resolve(Buffer.concat(chunks).toString('utf8'))));
  socket.write(
    `POST /soap HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/soap+xml\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`,
  );
  socket.write(body.slice(0, 40));
  await new Promise((resolve) => setTimeout(resolve, 200));
  return { finish: () => socket.end(body.slice(40)), reply };
}

function connectionRefused(port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const probe = net.connect(port, '127.0.0.1');
    probe.once('connect', () => {
      probe.destroy();
      resolve(false);
    });
    probe.once('error', () => resolve(true));
  });
}

// SIGTERM as systemd and `kill` send it; SIGINT as Ctrl-C sends it: both stop ssod the same way.
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  test(`${signal}: the in-flight request completes, new connections are refused, the process exits 0`, async () => {
    const server = await serve([]);
    const request = await inFlight(server);
    server.child.kill(signal);
    await eventually(() => connectionRefused(server.soapPort), { timeoutMs: 10_000, what: `a new connection after ${signal} refused` });
    request.finish();
    const reply = await request.reply;
    assert.match(reply, /^HTTP\/1\.1 200 /);
    assert.match(reply, /getSettingsResponse/);
    assert.equal(await server.exited, 0);
    assert.equal(await connectionRefused(server.relayPort), true, 'the relay port is free too');
  });
}

test('SIGTERM: a request that never finishes is cut at --shutdown-grace; the process still exits 0', async () => {
  // Request and header timeouts far beyond the grace, so that only the grace can end the request.
  const server = await serve(['--shutdown-grace', '1', '--headers-timeout', '600', '--request-timeout', '3600']);
  const grace = 1000;
  const stalled = await inFlight(server);
  let guard: NodeJS.Timeout | undefined;
  const hung = new Promise((resolve) => (guard = setTimeout(resolve, 30_000, 'still running')));
  const signalled = performance.now();
  server.child.kill('SIGTERM');
  const exit = await Promise.race([server.exited, hung]);
  clearTimeout(guard);
  assert.equal(exit, 0, 'the process exits by itself although the client never finishes');
  const waited = performance.now() - signalled;
  // It waited for the grace (a timer cannot fire early), and ended within a small multiple of it.
  assert.ok(waited >= grace * 0.95 && waited < grace * 15, `exited ${Math.round(waited)} ms after SIGTERM with a ${grace} ms grace`);
  assert.equal(await stalled.reply, '', 'the stalled request got no answer; its connection was closed');
});
