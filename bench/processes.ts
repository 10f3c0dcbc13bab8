// Starting and watching the processes of a bench run: ssod (the real CLI, `ssod serve`, as its own
// process), free ports, readiness, and the RSS and CPU time of a process with its workers, read
// from /proc (Linux).
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { freePort } from '../test/helpers/ports.js';

export { freePort };

const BUILT_CLI = fileURLToPath(new URL('../src/app/main.js', import.meta.url));
const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ on Linux
const READY_TIMEOUT_MS = 30_000;

function healthy(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/healthz', agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
  });
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** The process and all its descendants (ssod's cluster workers). */
function treeOf(pid: number): number[] {
  return [pid, ...childrenOf(pid).flatMap(treeOf)];
}

export interface Usage {
  /** Resident set size of the whole tree, bytes. */
  readonly rss: number;
  /** User + system CPU time of the whole tree, seconds. */
  readonly cpu: number;
}

/** User + system CPU time of one process, seconds; throws when it is gone. */
function cpuSecondsOf(pid: number): number {
  // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

export function usageOf(pid: number): Usage {
  let rss = 0;
  let cpu = 0;
  for (const member of treeOf(pid)) {
    try {
      const status = readFileSync(`/proc/${member}/status`, 'utf8');
      rss += Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
      cpu += cpuSecondsOf(member);
    } catch {
      // a worker that exited meanwhile
    }
  }
  return { rss, cpu };
}

/** CPU seconds so far of each process of `pids` that still runs. */
export function cpuByProcess(pids: readonly number[]): Map<number, number> {
  const cpu = new Map<number, number>();
  for (const pid of pids) {
    try {
      cpu.set(pid, cpuSecondsOf(pid));
    } catch {
      // gone meanwhile
    }
  }
  return cpu;
}

/** CPU seconds the processes of `later` used since `earlier`; one that is new counts from its start, one that is gone not at all. */
export function cpuSince(earlier: ReadonlyMap<number, number>, later: ReadonlyMap<number, number>): number {
  let cpu = 0;
  for (const [pid, seconds] of later) cpu += seconds - (earlier.get(pid) ?? 0);
  return cpu;
}

/**
 * The PostgreSQL server processes on this machine that serve connections to `database`, found by
 * their process title (`postgres: [CLUSTER: ]USER DATABASE HOST(PORT) STATE`); none for a remote server.
 */
export function postgresBackendsOf(database: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const title = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (title.startsWith('postgres: ') && title.includes(` ${database} `)) pids.push(Number(entry));
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return pids;
}

/** Samples the peak RSS of a process tree while a measurement runs. */
export class PeakSampler {
  #peak = 0;
  readonly #timer: NodeJS.Timeout;
  constructor(pid: number, everyMs = 250) {
    this.#timer = setInterval(() => {
      this.#peak = Math.max(this.#peak, usageOf(pid).rss);
    }, everyMs);
  }
  stop(): number {
    clearInterval(this.#timer);
    return this.#peak;
  }
}

export interface SsodProcess {
  readonly pid: number;
  readonly soapPort: number;
  readonly relayPort: number;
  /** From spawn to the first 200 of GET /healthz, ms. */
  readonly startupMs: number;
  /** SIGTERM, then waits for the exit (SIGKILL after 20 s). Resolves with the exit code. */
  stop(): Promise<number | null>;
}

export interface SsodStart {
  readonly dataDir: string;
  readonly workers: number;
  readonly logFile: string;
  readonly logLevel: string;
  /** Extra `ssod serve` flags (the store engine's). */
  readonly flags: readonly string[];
  /** node flags, e.g. --cpu-prof. */
  readonly nodeFlags: readonly string[];
  /** Another build's dist/src/app/main.js, to compare two versions side by side; this build's by default. */
  readonly cli: string | null;
}

function exitOf(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

export async function startSsod(start: SsodStart): Promise<SsodProcess> {
  const [soapPort, relayPort] = [await freePort(), await freePort()];
  const log = openSync(start.logFile, 'a');
  const args = [
    ...start.nodeFlags,
    start.cli ?? BUILT_CLI,
    'serve',
    '--data-dir',
    start.dataDir,
    '--hostname',
    '127.0.0.1',
    '--soap-port',
    String(soapPort),
    '--relay-port',
    String(relayPort),
    '--log-level',
    start.logLevel,
    ...(start.workers > 1 ? ['--workers', String(start.workers)] : []),
    ...start.flags,
  ];
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, args, { stdio: ['ignore', log, log] });
  closeSync(log);
  // Never leave a server behind when the orchestrator itself fails.
  const orphanGuard = (): void => void child.kill('SIGKILL');
  process.once('exit', orphanGuard);
  void exitOf(child).then(() => process.off('exit', orphanGuard));
  const exited = exitOf(child);
  // Widened: the exit sets it between the loop's awaits, which narrowing cannot follow.
  let gone = false as boolean;
  void exited.then(() => (gone = true));
  while (!(await healthy(relayPort))) {
    if (gone) throw new Error(`ssod exited during start-up (exit code ${child.exitCode}); see ${start.logFile}`);
    if (performance.now() - spawnedAt > READY_TIMEOUT_MS) {
      child.kill('SIGKILL');
      throw new Error(`ssod was not ready within ${READY_TIMEOUT_MS / 1000} s; see ${start.logFile}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const startupMs = performance.now() - spawnedAt;
  return {
    pid: child.pid ?? 0,
    soapPort,
    relayPort,
    startupMs,
    async stop() {
      child.kill('SIGTERM');
      const force = setTimeout(() => child.kill('SIGKILL'), 20_000);
      const code = await exited;
      clearTimeout(force);
      return code;
    },
  };
}
