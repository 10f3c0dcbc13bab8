// A real `ssod serve` process on free loopback ports, for the tests of signals and crashes: what a
// process does when it is told to stop, or killed, can only be seen from outside it.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CLI } from './cli.js';
import { freePort } from './ports.js';
import { eventually } from './eventually.js';

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
  const child = spawn(
    process.execPath,
    [CLI, 'serve', '--data-dir', dataDir, '--soap-port', String(soapPort), '--relay-port', String(relayPort), ...extraArgs],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    await eventually(
      async () => {
        if (child.exitCode !== null) throw new Error(`ssod serve exited with ${child.exitCode}: ${output}`);
        return fetch(`http://127.0.0.1:${relayPort}/healthz`).then(
          (r) => r.ok,
          () => false,
        );
      },
      { timeoutMs: 20_000, intervalMs: 100 },
    );
  } catch (error) {
    if (child.exitCode !== null) throw error;
    child.kill('SIGKILL');
    throw new Error(`ssod serve did not become ready: ${output}`);
  }
  return { child, soapPort, relayPort, caPem: readFileSync(path.join(dataDir, 'ca.crt'), 'utf8'), output: () => output, exited };
}
