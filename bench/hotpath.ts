// `node dist/bench/hotpath.js`: the CPU time of each step that ssod adds to a verifySession request
// beyond what the ceiling does (TLS, HTTP), measured in-process over many iterations, so that the
// steps can be compared on a machine too noisy for a profile to be read in microseconds.
//
//   node dist/bench/hotpath.js [STORE]    STORE as the bench's --store: sqlite (default), postgres, postgres://…
// On PostgreSQL the store step counts this process's CPU only, not the database server's.
import { mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolveOptions } from '../src/config/options.js';
import { applicationOfCertificate, applicationOfCertificateRecord } from '../src/core/applications.js';
import { sha256Hex, verifySession as verifyDomain } from '../src/core/sessions.js';
import { batchingSink, createLogger } from '../src/infra/log.js';
import { SSO_NS } from '../src/adapters/soap/faults.js';
import { operationNamed } from '../src/adapters/soap/operations/index.js';
import { openServices } from '../src/app/compose.js';
import { countSoapRequest } from '../src/adapters/http/metrics.js';
import { parseEnvelope } from '../src/adapters/soap/envelope.js';
import { serializeResponse } from '../src/adapters/soap/serialize.js';
import { validateInput } from '../src/adapters/soap/validate.js';
import { benchEngineFor } from './engines.js';
import { SOAP12_CONTENT_TYPE, sessionIdFor, soapRequest } from './protocol.js';
import { installBenchApplication } from './seed.js';
import { defined } from '../test/helpers/defined.js';

const ITERATIONS = 50_000;

function cpuMicros(step: () => unknown): number {
  for (let i = 0; i < ITERATIONS / 5; i += 1) step();
  const before = process.cpuUsage();
  for (let i = 0; i < ITERATIONS; i += 1) step();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / ITERATIONS;
}

async function cpuMicrosAsync(step: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < ITERATIONS / 5; i += 1) await step();
  const before = process.cpuUsage();
  for (let i = 0; i < ITERATIONS; i += 1) await step();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / ITERATIONS;
}

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ssod-hotpath-'));
const store = await benchEngineFor(process.argv[2] ?? 'sqlite').create(dataDir);
try {
  const population = 1000;
  const salt = 'hotpath';
  const options = resolveOptions({ flags: { dataDir, ...store.options } });
  const now = Date.now();
  const { plan } = await installBenchApplication(options, crypto.randomUUID(), now);
  await store.seed({ ...plan, population, salt, passwordHash: 'unused', now, lifetimeMs: 86_400_000 });
  const { fingerprint, applicationId: appId } = plan.certificate;
  const logFile = openSync(path.join(dataDir, 'log'), 'a');
  const log = batchingSink((text) => void writeSync(logFile, text));
  const services = await openServices(options, { logger: createLogger('info', log.sink) });
  const operation = defined(operationNamed(SSO_NS, 'verifySession'), 'the verifySession operation');
  const body = soapRequest('verifySession', { sessionId: sessionIdFor(salt, 7) });
  const envelope = parseEnvelope(body, SOAP12_CONTENT_TYPE);
  const input = validateInput(operation, envelope.operation);
  const output = { userId: crypto.randomUUID() };
  await applicationOfCertificate(services, fingerprint);
  const rows: [string, number][] = [
    ['parseEnvelope (saxes, tree, envelope rules)', cpuMicros(() => parseEnvelope(body, SOAP12_CONTENT_TYPE))],
    ['validateInput', cpuMicros(() => validateInput(operation, envelope.operation))],
    [
      'caller and session: sha256 + store.findCertificateAndSession + their checks',
      await cpuMicrosAsync(async () => {
        const read = await services.store.findCertificateAndSession(fingerprint, sha256Hex(input.sessionId ?? ''));
        await applicationOfCertificateRecord(services, read.certificate);
        await verifyDomain(services, read.session);
      }),
    ],
    ['serializeResponse', cpuMicros(() => serializeResponse('1.2', operation, output))],
    ['metrics: count the request and observe its latency', cpuMicros(() => countSoapRequest('verifySession', 'ok', 0.00042))],
    [
      'request log line (JSON, written to a file in batches)',
      cpuMicros(() =>
        services.log.info('request', { requestId: 'x-1', caller: appId, operation: 'verifySession', outcome: 'ok', status: 200, ms: 0.42 }),
      ),
    ],
  ];
  for (const [step, micros] of rows) console.log(`${micros.toFixed(1).padStart(6)} µs  ${step}`);
  console.log(
    `${rows
      .reduce((sum, [, micros]) => sum + micros, 0)
      .toFixed(1)
      .padStart(6)} µs  in all`,
  );
  log.flush();
  await services.store.close();
} finally {
  await store.drop();
  rmSync(dataDir, { recursive: true, force: true });
}
