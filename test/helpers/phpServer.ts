// PHP's built-in web server (`php -S`) as a child process of the test: started on a loopback port,
// waited for until it accepts connections, its output kept for the error when it does not come up.
import { spawn } from 'node:child_process';
import { eventually } from './eventually.js';
import { acceptsConnections } from './ports.js';

export interface PhpServer {
  /** What php printed so far (its access log and errors). */
  output(): string;
  /** Ends the process (once) and waits for it to exit. */
  stop(): Promise<void>;
}

/**
 * `php -S 127.0.0.1:PORT ...args` with `env` added to this process's environment; resolves once the
 * port accepts connections, rejects (the process ended) when php exits first or within 10 s.
 */
export async function startPhpServer(port: number, args: readonly string[], env: Readonly<Record<string, string>>): Promise<PhpServer> {
  const php = spawn('php', ['-S', `127.0.0.1:${port}`, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  php.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  php.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<void>((resolve) => php.once('exit', () => resolve()));
  php.once('error', (error) => (output += `cannot run php: ${error.message}`));
  let stopped: Promise<void> | null = null;
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      if (php.exitCode === null && php.signalCode === null) php.kill('SIGTERM');
      await exited;
    })());
  try {
    await eventually(
      async () => {
        if (php.exitCode !== null) throw new Error(`php -S exited with ${php.exitCode}: ${output}`);
        return acceptsConnections(port);
      },
      { timeoutMs: 10_000, what: 'php -S listening' },
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { output: () => output, stop };
}
