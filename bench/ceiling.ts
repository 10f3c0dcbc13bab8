// The ceiling: a bare node:https server with ssod's TLS settings (its server certificate, a
// requested client certificate, the same protocol versions and ciphers) that reads the request
// body and answers a fixed reply of the size of a verifySession response. Whatever ssod does
// beyond that is what its figures are measured against. Run as a forked child of run.ts; with
// several workers it uses node:cluster like `ssod serve --workers N`.
import cluster from 'node:cluster';
import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import { CIPHERS } from '../src/app/server.js';
import type { CeilingOptions, FromCeiling, ToCeiling } from './protocol.js';

const WORKER_OPTIONS_ENV = 'SSOD_BENCH_CEILING';

function listen(options: CeilingOptions): Promise<number> {
  const reply = Buffer.from(options.reply, 'utf8');
  const headers = { 'Content-Type': options.contentType, 'Cache-Control': 'no-store', 'Content-Length': reply.length };
  const server = https.createServer(
    {
      key: options.key,
      cert: options.cert,
      ca: [options.ca],
      requestCert: true,
      rejectUnauthorized: false,
      minVersion: 'TLSv1.2',
      ciphers: CIPHERS,
      honorCipherOrder: true,
    },
    (req: IncomingMessage, res: ServerResponse) => {
      req.on('data', () => undefined);
      req.on('end', () => {
        res.writeHead(200, headers);
        res.end(reply);
      });
    },
  );
  server.keepAliveTimeout = 30_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve((server.address() as { port: number }).port));
  });
}

async function startPrimary(options: CeilingOptions): Promise<number> {
  // Exiting normally on SIGTERM lets `node --cpu-prof` write its profile.
  if (options.workers <= 1) {
    process.once('SIGTERM', () => process.exit(0));
    return listen(options);
  }
  const workers = Array.from({ length: options.workers }, () => cluster.fork({ [WORKER_OPTIONS_ENV]: JSON.stringify(options) }));
  process.once('SIGTERM', () => {
    for (const worker of workers) worker.kill();
    process.exit(0);
  });
  await Promise.all(workers.map((worker) => new Promise((resolve, reject) => worker.once('listening', resolve).once('exit', reject))));
  return options.port;
}

if (cluster.isWorker) {
  await listen(JSON.parse(process.env[WORKER_OPTIONS_ENV] ?? '{}') as CeilingOptions);
} else if (process.send !== undefined) {
  process.once('disconnect', () => process.kill(process.pid, 'SIGTERM')); // the orchestrator is gone
  process.once('message', (message: ToCeiling) => {
    startPrimary(message.options).then(
      (port) => process.send?.({ type: 'listening', port } satisfies FromCeiling),
      (error: unknown) => process.send?.({ type: 'failed', error: String(error) } satisfies FromCeiling),
    );
  });
}
