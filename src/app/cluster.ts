// `ssod serve --workers N`: N server processes on the same listeners (node:cluster), so that the
// SOAP API and the relay use every core. The store is shared through the database (SQLite in WAL
// mode takes several processes; PostgreSQL is networked), and nothing that decides a request is
// kept in one process's memory, so any worker may answer any request (a certificate rotated away
// through one worker is refused by all of them on the next request).
//
// The primary serves nothing itself: it creates what must exist once (data directory, CA, server
// certificate, schema) before the workers start, forks them, replaces one that crashes, and on
// SIGTERM or SIGINT has every worker drain its in-flight requests before it exits.
import cluster, { type Worker } from 'node:cluster';
import type { Options } from '../config/options.js';
import { createLogger } from '../infra/log.js';
import { openServices } from './compose.js';

/** Replacing crashed workers stops when they crash faster than this (a fault that a restart cannot fix). */
const MIN_WORKER_LIFETIME_MS = 5_000;

/** True in the process that must run the cluster primary instead of a server. */
export function isClusterPrimary(options: Options): boolean {
  return options.workers > 1 && cluster.isPrimary;
}

export async function runClusterPrimary(options: Options): Promise<void> {
  const log = createLogger(options.logLevel);
  const services = await openServices(options, { logger: log });
  await services.store.close();

  let stopping = false;
  const startedAt = new Map<Worker, number>();
  const fork = (): void => {
    startedAt.set(cluster.fork(), Date.now());
  };
  // signal is null when the worker exited by itself, whatever the typings say.
  cluster.on('exit', (worker, code, signal: string | null) => {
    const lived = Date.now() - (startedAt.get(worker) ?? 0);
    startedAt.delete(worker);
    if (stopping) {
      if (startedAt.size === 0) {
        log.info('ssod stopped');
        process.exit(); // 0, or 1 when a worker failed soon after start
      }
      return;
    }
    log.error('worker exited', { pid: worker.process.pid, code, signal });
    if (lived < MIN_WORKER_LIFETIME_MS) {
      // Such as a port in use: every replacement would fail the same way.
      log.error('worker failed soon after start; stopping', { lived });
      for (const other of startedAt.keys()) other.process.kill('SIGTERM');
      process.exitCode = 1;
      stopping = true;
      if (startedAt.size === 0) process.exit(1);
      return;
    }
    fork();
  });
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info('shutting down', { signal, workers: startedAt.size });
    // Each worker drains like a single `ssod serve` does (bounded by its own grace period).
    for (const worker of startedAt.keys()) worker.process.kill('SIGTERM');
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  // The workers' metrics, summed (adapters/http/metrics.ts), before any fork: a port in use stops here.
  if (options.metricsPort !== 0) await (await import('../adapters/http/metrics.js')).listenForMetrics(options, log);
  for (let i = 0; i < options.workers; i += 1) fork();
  log.info('ssod cluster started', { workers: options.workers });
}
