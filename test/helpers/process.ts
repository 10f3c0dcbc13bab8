// A real `ssod serve` process on free loopback ports, for the tests of signals and crashes: what a
// process does when it is told to stop, or killed, can only be seen from outside it.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CLI } from './cli.js';
import { freePort } from './ports.js';

export interface ServeProcess {
  readonly child: ChildProcess;
  readonly soapPort: number;
  readonly relayPort: number;
  readonly caPem: string;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
}

/** Starts `ssod serve` on `dataDir` and waits until /healthz answers (at most 20 s). */
export async function startServe(dataDir: string, extraArgs: readonly string[] = []): Promise<ServeProcess> {
  const [soapPort, relayPort] = [await freePort(), await freePort()];
  const child = spawn(process.execPath, [CLI, 'serve', '--data-dir', dataDir, '--soap-port', String(soapPort), '--relay-port', String(relayPort), ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`ssod serve exited with ${child.exitCode}: ${output}`);
    const ok = await fetch(`http://127.0.0.1:${relayPort}/healthz`).then((r) => r.ok, () => false);
    if (ok) return { child, soapPort, relayPort, caPem: readFileSync(path.join(dataDir, 'ca.crt'), 'utf8'), output: () => output, exited };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`ssod serve did not become ready: ${output}`);
}
