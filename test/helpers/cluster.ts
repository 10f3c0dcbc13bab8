// Real ssod node processes over one PostgreSQL store: `node dist/src/app/main.js serve --store URL
// --master-key-file F --data-dir D`, on ephemeral loopback ports read back from the start line.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { CLI } from './cli.js';
import type { Endpoint } from './server.js';

const START_TIMEOUT_MS = 20_000;

export interface NodeProcess extends Endpoint {
  readonly name: string;
  readonly child: ChildProcess;
  /** What the node wrote to stderr (a crash would show here). */
  stderr(): string;
  /** Log lines (JSON) the node wrote, parsed. */
  logRecords(): Record<string, unknown>[];
  /** SIGTERM and wait for the exit (SIGKILL after 10 s); a node already gone resolves at once. */
  stop(): Promise<void>;
}

export interface NodeSettings {
  readonly name: string;
  readonly storeUrl: string;
  readonly masterKeyFile: string;
  readonly extraArgs?: readonly string[];
}

function getText(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    // Bootstrapping trust: the CA is what the node serves; tests compare it across nodes.
    https
      .get(url, { rejectUnauthorized: false, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      })
      .on('error', reject);
  });
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Starts a node and resolves once it listens, with its ports and the CA it serves. */
export async function startNode(settings: NodeSettings): Promise<NodeProcess> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `ssod-node-${settings.name}-`));
  const args = [
    CLI,
    'serve',
    '--store',
    settings.storeUrl,
    '--master-key-file',
    settings.masterKeyFile,
    '--data-dir',
    dataDir,
    '--soap-port',
    '0',
    '--relay-port',
    '0',
    '--log-level',
    'info',
    // The cheapest argon2id the options allow: these tests are about the store, not hashing.
    '--argon2-memory-kib',
    '8192',
    '--argon2-iterations',
    '1',
    ...(settings.extraArgs ?? []),
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  const lines: string[] = [];
  let pending = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const started = new Promise<{ soapPort: number; relayPort: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`node ${settings.name} did not start: ${stderr}`)), START_TIMEOUT_MS);
    child.stdout.on('data', (chunk: Buffer) => {
      pending += chunk.toString('utf8');
      const complete = pending.split('\n');
      pending = complete.pop() ?? '';
      for (const line of complete) {
        if (lines.length < 20_000) lines.push(line);
        const record = JSON.parse(line) as { msg?: string; soap?: string; relay?: string };
        if (record.msg === 'ssod started') {
          clearTimeout(timer);
          resolve({ soapPort: Number(new URL(record.soap ?? '').port), relayPort: Number(new URL(record.relay ?? '').port) });
        }
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`node ${settings.name} exited (${code}) before it started: ${stderr}`));
    });
  });
  const cleanup = (): void => rmSync(dataDir, { recursive: true, force: true });
  let ports: { soapPort: number; relayPort: number };
  try {
    ports = await started;
  } catch (error) {
    child.kill('SIGKILL');
    cleanup();
    throw error;
  }
  const caPem = await getText(`https://127.0.0.1:${ports.soapPort}/ca.pem`);
  return {
    name: settings.name,
    child,
    ...ports,
    caPem,
    stderr: () => stderr,
    logRecords: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.kill('SIGTERM');
        await exited(child);
        clearTimeout(force);
      }
      cleanup();
    },
  };
}

/** GET on a node's listener; resolves with the status, or null when the node does not answer. */
export async function statusOf(url: string): Promise<number | null> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(10_000) })).status;
  } catch {
    return null;
  }
}
